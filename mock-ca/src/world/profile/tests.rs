use super::*;

/// The default profile exported to a fresh directory, with `edit` applied to its `profile.toml`.
fn exported_with(edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    Profile::default().export(dir.path()).unwrap();
    let file = dir.path().join("profile.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, edit(text)).unwrap();
    dir
}

fn load_error(edit: impl FnOnce(String) -> String) -> ProfileError {
    let dir = exported_with(edit);
    Profile::load(dir.path()).unwrap_err()
}

#[test]
fn the_default_profile_is_the_guide_v3_10s_and_decides_what_the_site_always_decided() {
    let profile = Profile::default();
    assert_eq!(profile.profile.guide, "3.10");
    assert_eq!(profile.sites.issuance, "証明書発行サイト");
    assert_eq!(profile.sites.confirmation, "証明書確認サイト");
    let policy = profile.site_policy();
    assert_eq!(
        policy.csp,
        "Microsoft Enhanced RSA and AES Cryptographic Provider"
    );
    assert_eq!(
        (policy.key.algorithm.as_str(), policy.key.bits),
        ("RSA", 2048)
    );
    assert_eq!(policy.validity, Duration::days(730));
    assert_eq!(policy.calendar, Calendar::default());
    assert_eq!(policy.reminder_interval, Some(Duration::days(7)));
    assert_eq!(
        policy.platforms,
        ["windows 10", "windows 11", "linux", "macos"]
    );
    assert!(policy.component_required);
    for name in SCREENS {
        assert!(profile.screen(name).is_some(), "{name}");
    }
    for id in refusal::IDS {
        let message = profile.message(id).unwrap();
        assert!(!message.text.is_empty(), "{id}");
        assert!(message.remedy.is_some(), "{id}");
        assert!(
            !message.identify.is_empty(),
            "{id} has nothing to be recognised by"
        );
    }
    assert_eq!(profile.templates.len(), DEFAULT_TEMPLATES.len());
}

#[test]
fn an_exported_profile_loads_back_the_same_and_its_files_are_the_embedded_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v3.10");
    Profile::default().export(&out).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join("profile.toml")).unwrap(),
        DEFAULT_TOML,
        "the comments a person reads are kept"
    );
    for (name, text) in DEFAULT_TEMPLATES {
        assert_eq!(
            std::fs::read_to_string(out.join("templates").join(name)).unwrap(),
            *text,
            "{name}"
        );
    }
    assert_eq!(Profile::load(&out).unwrap(), Profile::default());
}

#[test]
fn export_refuses_a_directory_that_already_holds_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    Profile::default().export(dir.path()).unwrap();
    let error = Profile::default().export(dir.path()).unwrap_err();
    assert_eq!(error.code(), "PROFILE-WRITE");
    assert!(error.to_string().contains("already"), "{error}");
}

#[test]
fn a_changed_profile_is_written_out_from_its_fields_and_loads_back_equal() {
    let mut profile = Profile::default();
    profile.message.get_mut("ENV-SUPPORTED").unwrap().text =
        "正式サポート OS は、Windows 11 です。".into();
    profile.policy.platforms.retain(|p| p != "windows 10");
    profile.page.push(ExtraPage {
        path: "/notice".into(),
        title: "お知らせ".into(),
        template: "notice.html".into(),
        linked_from: vec!["top".into()],
        identify: vec![],
    });
    profile.templates.insert(
        "notice.html".into(),
        "{% extends \"base.html\" %}{% block body %}<p>新しいお知らせ</p>{% endblock %}".into(),
    );
    profile.validate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    profile.export(dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("profile.toml")).unwrap();
    assert_ne!(text, DEFAULT_TOML);
    assert_eq!(Profile::load(dir.path()).unwrap(), profile);
}

#[test]
fn an_unknown_key_is_refused_with_its_file_and_line() {
    let error = load_error(|t| {
        t.replace(
            "reminder_days = 7\n",
            "reminder_days = 7\ncolour = \"blue\"\n",
        )
    });
    let line = DEFAULT_TOML
        .lines()
        .position(|l| l == "reminder_days = 7")
        .unwrap()
        + 2;
    match &error {
        ProfileError::Syntax {
            file,
            line: at,
            message,
            ..
        } => {
            assert!(file.ends_with("profile.toml"), "{error}");
            assert_eq!(*at, line, "{error}");
            assert!(message.contains("colour"), "{error}");
        }
        other => panic!("not a syntax error: {other}"),
    }
    assert_eq!(error.code(), "PROFILE-SYNTAX");
    assert!(
        error.to_string().contains(&format!("profile.toml:{line}:")),
        "{error}"
    );
}

#[test]
fn a_cut_off_that_is_not_a_time_of_day_is_refused_at_its_line() {
    let error = load_error(|t| t.replace("cutoff = \"14:00\"", "cutoff = \"2 pm\""));
    assert_eq!(error.code(), "PROFILE-INVALID");
    let line = DEFAULT_TOML
        .lines()
        .position(|l| l.starts_with("cutoff ="))
        .unwrap()
        + 1;
    assert!(
        error
            .to_string()
            .contains(&format!("profile.toml:{line}: [policy] cutoff")),
        "{error}"
    );
}

#[test]
fn a_profile_without_the_words_of_a_refusal_is_refused_naming_it() {
    let error = load_error(|t| t.replace("[message.AUTH-FAILED]", "[message.AUTH-FAILED-X]"));
    assert_eq!(error.code(), "PROFILE-INVALID");
    assert!(
        error
            .to_string()
            .contains("[message.AUTH-FAILED] is missing"),
        "{error}"
    );
}

#[test]
fn a_mail_body_with_an_unknown_placeholder_is_refused() {
    let error = load_error(|t| t.replacen("{name} 様", "{applicant} 様", 1));
    assert_eq!(error.code(), "PROFILE-INVALID");
    assert!(error.to_string().contains("{applicant}"), "{error}");
}

#[test]
fn a_template_that_does_not_parse_is_refused_with_its_file_and_line() {
    let dir = exported_with(|t| t);
    std::fs::write(
        dir.path().join("templates/step4.html"),
        "{% extends \"base.html\" %}\n{% block body %}\n<p>{{ confirm </p>\n{% endblock %}\n",
    )
    .unwrap();
    let error = Profile::load(dir.path()).unwrap_err();
    assert_eq!(error.code(), "PROFILE-TEMPLATE");
    assert!(
        error.to_string().starts_with("templates/step4.html:3:"),
        "{error}"
    );
}

#[test]
fn a_screen_whose_template_is_missing_is_refused() {
    let dir = exported_with(|t| t);
    std::fs::remove_file(dir.path().join("templates/confirm.html")).unwrap();
    let error = Profile::load(dir.path()).unwrap_err();
    assert_eq!(error.code(), "PROFILE-INVALID");
    assert!(error.to_string().contains("confirm.html"), "{error}");
}

#[test]
fn an_extra_page_on_a_path_the_site_serves_is_refused() {
    let error = load_error(|t| {
        t + "\n[[page]]\npath = \"/repository\"\ntitle = \"x\"\ntemplate = \"top.html\"\n"
    });
    assert_eq!(error.code(), "PROFILE-INVALID");
    assert!(error.to_string().contains("already serves"), "{error}");
}

#[test]
fn a_missing_directory_is_a_read_error_naming_the_file() {
    let error = Profile::load("/nonexistent/profile-dir").unwrap_err();
    assert_eq!(error.code(), "PROFILE-READ");
    assert!(
        error
            .to_string()
            .contains("/nonexistent/profile-dir/profile.toml"),
        "{error}"
    );
}

#[test]
fn a_recorded_exchange_is_matched_to_its_screen_by_request_and_title() {
    let profile = Profile::default();
    let names = |method, path| -> Vec<&str> {
        profile
            .screens_for(method, path)
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    };
    assert_eq!(names("GET", "/apply/ap-0001"), ["step1"]);
    assert_eq!(names("GET", "/apply/ap-0001?x=1"), ["step1"]);
    assert_eq!(names("POST", "/apply/ap-0001/login"), ["step2", "step3"]);
    assert!(names("GET", "/apply//login").is_empty());
    assert!(names("DELETE", "/apply/ap-0001").is_empty());
    let step3 = profile.screen("step3").unwrap();
    assert_eq!(
        step3.titles(&profile.sites),
        [
            "証明書発行サイト【ステップ 3】",
            "証明書更新サイト【ステップ 3】"
        ]
    );
    assert_eq!(profile.title("top", "ignored"), "証明書発行サイト");
    assert!(pattern_matches(
        "/apply/{application}/csr",
        "/apply/ap-1/csr"
    ));
    assert!(!pattern_matches(
        "/apply/{application}/csr",
        "/apply/ap-1/csr/x"
    ));
}

#[test]
fn a_message_is_recognised_by_its_identifying_texts() {
    let profile = Profile::default();
    assert_eq!(
        profile.ids_in("<p class=\"message\">認証に失敗したか、申請が承認されていません</p>"),
        ["AUTH-FAILED"]
    );
    assert_eq!(
        profile.ids_in("ログインしていないか、ログインの有効期間が切れました"),
        ["SESSION-REQUIRED"]
    );
    assert!(profile.ids_in("何も該当しない").is_empty());
}
