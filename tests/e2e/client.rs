//! The `cert-client` binary's client-side catalogue ids, each asserted by its id, the guide's
//! message and its exit code, against the `mock-ca` binary over real TLS.

use std::{
    io::Read as _,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

use crate::support::{
    SiteProcess, binary, cert_client_env, closed_port, have, one_approved_application,
};

/// A site with one approved application, and a store beside it.
struct Bench {
    _temp: tempfile::TempDir,
    site: SiteProcess,
    store: PathBuf,
    dir: PathBuf,
}

impl Bench {
    fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        let site = SiteProcess::start(
            &one_approved_application(temp.path()),
            &temp.path().join("site"),
        );
        Self {
            store: temp.path().join("store"),
            dir: temp.path().to_path_buf(),
            site,
            _temp: temp,
        }
    }

    fn site_ca(&self) -> String {
        path(&self.site.state.join("site-ca.pem"))
    }

    fn maildir(&self) -> String {
        path(&self.site.state.join("maildir"))
    }

    /// `cert-client --store STORE args…`
    fn run(&self, args: &[&str]) -> Ran {
        self.run_in(&self.store, args, &[])
    }

    fn run_in(&self, store: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
        Ran(cert_client_env(store, args, env))
    }

    /// `enroll --maildir … --site-ca … --yes` and `extra`.
    fn enroll(&self, extra: &[&str]) -> Ran {
        let (maildir, site_ca) = (self.maildir(), self.site_ca());
        let mut args = vec![
            "enroll",
            "--maildir",
            &maildir,
            "--site-ca",
            &site_ca,
            "--yes",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn personal(&self, store: &Path) -> Vec<PathBuf> {
        let mut dirs: Vec<_> = std::fs::read_dir(store.join("personal"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dirs.sort();
        dirs
    }
}

fn path(p: &Path) -> String {
    p.to_str().expect("temporary paths are UTF-8").to_owned()
}

/// A finished run of the binary.
struct Ran(Output);

impl Ran {
    fn code(&self) -> Option<i32> {
        self.0.status.code()
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Asserts the exit code, showing everything printed when it is not the one expected.
    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

#[test]
fn answering_no_to_issue_is_csr_generation_failed_with_exit_code_4_and_no_key_made() {
    let bench = Bench::new();
    let ran = bench.enroll(&["--answer", "issue=no"]);
    ran.expect_code(4);
    let stderr = ran.stderr();
    assert!(
        stderr.contains("error[CSR-GENERATION-FAILED]: CSR の生成に失敗しました"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "再度、URL にアクセスして、証明書発行サイトにログインを行い、インストールを完了してください"
        ),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(bench.store.join("pending"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn interrupting_at_the_issue_question_is_csr_generation_failed_with_exit_code_4() {
    let bench = Bench::new();
    let mut child = Command::new(binary("cert-client"))
        .arg("--store")
        .arg(&bench.store)
        .args([
            "enroll",
            "--maildir",
            &bench.maildir(),
            "--site-ca",
            &bench.site_ca(),
        ])
        .env_remove("CERT_CLIENT_NO_COMPONENT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (on output, not on time) for the 発行 question, then press Ctrl-C.
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("[はい(y)/いいえ(n)]") {
        let n = stderr.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "cert-client ended before asking: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).contains("発行しますか"));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    stderr.read_to_end(&mut seen).unwrap();
    let status = child.wait().unwrap();
    let text = String::from_utf8_lossy(&seen);
    assert_eq!(status.code(), Some(4), "{text}");
    assert!(
        text.contains("error[CSR-GENERATION-FAILED]: CSR の生成に失敗しました"),
        "{text}"
    );
}

#[test]
fn refusing_web_access_is_enroll_cancelled_and_the_next_enroll_resumes_step_3() {
    let bench = Bench::new();
    let ran = bench.enroll(&["--answer", "web-access=no"]);
    ran.expect_code(4);
    let stderr = ran.stderr();
    assert!(
        stderr.contains("error[ENROLL-CANCELLED]: [-2147023673]・・・CX509Enrollment"),
        "{stderr}"
    );
    assert!(stderr.contains("0x800704C7"), "{stderr}");

    // CANCEL-RESUME: a new login resumes where the application stands.
    let again = bench.enroll(&[]);
    again.expect_code(0);
    let stdout = again.stdout();
    assert!(
        stdout.contains("再度ログインしました: インストールを再開します"),
        "{stdout}"
    );
    assert!(
        stdout.contains("証明書確認ページ: CN=Taro Yamada"),
        "{stdout}"
    );
}

#[test]
fn a_crash_after_the_certificate_arrived_is_taken_up_by_the_next_enroll() {
    let bench = Bench::new();
    // Play the enrollment with the library up to the answer, kept in the store, then "crash".
    let invitation = client::mailbox::read_invitation(&bench.site.state.join("maildir")).unwrap();
    let trust = std::fs::read(bench.site.state.join("site-ca.pem")).unwrap();
    let store = client::Store::open(&bench.store).unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use client::site::{LoggedIn, SiteClient};
        let mut site = SiteClient::new(&invitation.url, &trust, None).unwrap();
        let one = site.step_one(&invitation.url).await.unwrap();
        let LoggedIn::StepTwo(two) = site.login(&one.login, &invitation.password).await.unwrap()
        else {
            panic!("a fresh application opens step 2");
        };
        let three = site.press_issue(&two.issue).await.unwrap();
        let key = rcgen::KeyPair::from_pem(test_support::pki::holder_key(0)).unwrap();
        let csr = client::enrollment::make_csr(&key, &three.subject).unwrap();
        let pending = store
            .begin_request(
                &key.serialize_pem(),
                &rcgen::PublicKeyData::subject_public_key_info(&key),
                client::store::RequestRecord {
                    csr,
                    application_url: invitation.url.clone(),
                    created: "2026-11-25T10:00:00+09:00".into(),
                },
            )
            .unwrap();
        let issued = site.submit_csr(&three.csr, &pending).await.unwrap();
        store.record_answer(&pending, &issued.certificate).unwrap();
    });

    let doctor = bench.run(&["doctor"]);
    doctor.expect_code(0);
    assert!(
        doctor.stdout().contains("証明書が届いています"),
        "{}",
        doctor.stdout()
    );

    let ran = bench.enroll(&[]);
    ran.expect_code(0);
    let stdout = ran.stdout();
    assert!(stdout.contains("前回の申請の鍵が残っています"), "{stdout}");
    assert!(
        stdout.contains("前回届いた証明書をインストールします"),
        "{stdout}"
    );
    assert!(
        stdout.contains("証明書確認ページ: CN=Taro Yamada"),
        "{stdout}"
    );
    assert_eq!(bench.personal(&bench.store).len(), 1);
    assert_eq!(store.pending().unwrap().len(), 0);
}

#[test]
fn reinstalling_a_certificate_without_a_pending_key_is_reinstall_not_found_with_exit_code_7() {
    let bench = Bench::new();
    bench.enroll(&[]).expect_code(0);
    let certificate = path(&bench.personal(&bench.store)[0].join("certificate.pem"));

    let again = bench.run(&["install", "--certificate", &certificate]);
    again.expect_code(7);
    let stderr = again.stderr();
    assert!(
        stderr.contains("error[REINSTALL-NOT-FOUND]: unknown_error:-2146885628 証明書の状態を確認する必要があります。 確認サイトへアクセスしてください。"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cert-client list") && stderr.contains("cert-client confirm"),
        "{stderr}"
    );
    assert!(stderr.contains("already installed"), "{stderr}");

    // OTHER-PC: the same certificate in another store, where its key was never made.
    let other_pc = bench.dir.join("other-pc");
    let elsewhere = bench.run_in(&other_pc, &["install", "--certificate", &certificate], &[]);
    elsewhere.expect_code(7);
    let stderr = elsewhere.stderr();
    assert!(stderr.contains("error[REINSTALL-NOT-FOUND]"), "{stderr}");
    assert!(
        stderr.contains("再度、“更新・再発行”で申請いただく必要があります"),
        "{stderr}"
    );
    assert!(bench.personal(&other_pc).is_empty());
}

#[test]
fn with_the_component_disabled_the_site_answers_component_unavailable_with_exit_code_3() {
    let bench = Bench::new();
    let ran = bench.enroll(&["--no-component"]);
    ran.expect_code(3);
    let stderr = ran.stderr();
    assert!(
        stderr.contains("error[COMPONENT-UNAVAILABLE]: ActiveX コンポーネントは・・・できません"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(bench.store.join("pending"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn with_the_component_disabled_by_configuration_a_resumed_step_3_is_refused_by_the_client() {
    let bench = Bench::new();
    bench.enroll(&["--answer", "web-access=no"]).expect_code(4);
    // The resumed login needs no component; the key does, and the client refuses to make it.
    let (maildir, site_ca) = (bench.maildir(), bench.site_ca());
    let ran = bench.run_in(
        &bench.store,
        &[
            "enroll",
            "--maildir",
            &maildir,
            "--site-ca",
            &site_ca,
            "--yes",
        ],
        &[("CERT_CLIENT_NO_COMPONENT", "1")],
    );
    ran.expect_code(3);
    let stderr = ran.stderr();
    assert!(
        stderr.contains("error[COMPONENT-UNAVAILABLE]: ActiveX コンポーネントは・・・できません"),
        "{stderr}"
    );
    assert!(stderr.contains("1.3. ブラウザの設定"), "{stderr}");
    assert!(ran.stdout().contains("再度ログインしました"));
}

#[test]
fn a_declined_root_leaves_the_certificate_chain_incomplete_until_the_root_is_installed() {
    let bench = Bench::new();
    bench
        .enroll(&["--answer", "install-root=no"])
        .expect_code(0);
    let list = bench.run(&["list"]);
    list.expect_code(0);
    let stdout = list.stdout();
    assert!(
        stdout.contains("情報不足のため、この証明書・・・"),
        "{stdout}"
    );
    assert!(
        stdout.contains("cert-client install --root-from"),
        "{stdout}"
    );

    let installed = bench.run(&["install", "--root-from", &bench.site.url, "--yes"]);
    installed.expect_code(0);
    assert!(
        installed.stdout().contains("拇印 (sha1)"),
        "{}",
        installed.stdout()
    );
    let list = bench.run(&["list"]);
    assert!(!list.stdout().contains("情報不足"), "{}", list.stdout());
    assert!(
        list.stdout()
            .contains("チェーン (chain):  CN=Mock Depository Root CA")
    );
}

/// Two certificates of one subject and one of another, issued by a root that is not installed.
fn store_with_two_of_one_subject(store: &Path) {
    let store = client::Store::open(store).unwrap();
    let mut root = rcgen::CertificateParams::new(vec![]).unwrap();
    root.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    root.distinguished_name
        .push(rcgen::DnType::CommonName, "Elsewhere Root");
    let root_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let issuer = rcgen::CertifiedIssuer::self_signed(root, root_key).unwrap();
    for (name, year, serial) in [
        ("Taro Yamada", 2026, 1u8),
        ("Taro Yamada", 2027, 2),
        ("Hanako Sato", 2026, 3),
    ] {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        store
            .begin_request(
                &key.serialize_pem(),
                &rcgen::PublicKeyData::subject_public_key_info(&key),
                client::store::RequestRecord {
                    csr: String::new(),
                    application_url: "https://127.0.0.1:1/apply/ap-0001".into(),
                    created: "2026-01-01T00:00:00+09:00".into(),
                },
            )
            .unwrap();
        let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.not_before = rcgen::date_time_ymd(year, 1, 1);
        params.not_after = rcgen::date_time_ymd(year + 2, 1, 1);
        params.serial_number = Some(rcgen::SerialNumber::from(vec![serial]));
        let certificate = params.signed_by(&key, &issuer).unwrap();
        store.reinstall(&certificate.pem()).unwrap();
    }
}

#[test]
fn list_marks_the_newest_of_a_subject_held_twice_with_the_guides_note_once() {
    let temp = tempfile::tempdir().unwrap();
    let store = temp.path().join("store");
    store_with_two_of_one_subject(&store);
    let ran = Ran(cert_client_env(&store, &["list"], &[]));
    ran.expect_code(0);
    let stdout = ran.stdout();
    let note =
        "同一の電子証明書を複数所有する場合、有効期間(開始)の新しいものが最新のものとなります";
    assert_eq!(stdout.matches(note).count(), 1, "{stdout}");
    // The current one (`*`) is the 2027 certificate, serial 02, and the note is on it.
    let current = stdout
        .split("\n* ")
        .chain(stdout.strip_prefix("* "))
        .find(|block| block.starts_with("CN=Taro Yamada"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(current.contains("シリアル (serial): 02"), "{stdout}");
    assert!(current.contains(note), "{stdout}");
    // CHAIN-INCOMPLETE: the root is not installed.
    assert_eq!(
        stdout.matches("情報不足のため、この証明書・・・").count(),
        3
    );

    let json = Ran(cert_client_env(&store, &["--json", "list"], &[]));
    json.expect_code(0);
    let value: serde_json::Value = serde_json::from_str(json.stdout().trim()).unwrap();
    let certificates = value["certificates"].as_array().unwrap();
    assert_eq!(certificates.len(), 3);
    let current: Vec<_> = certificates
        .iter()
        .filter(|c| c["current"] == true && c["subject"] == "CN=Taro Yamada")
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["serial"], "02");
    assert_eq!(current[0]["held"], 2);
    assert_eq!(current[0]["chain"]["id"], "CHAIN-INCOMPLETE");
}

#[test]
fn check_site_tells_a_network_fault_from_a_site_error() {
    let bench = Bench::new();
    let site_ca = bench.site_ca();
    let ok = bench.run(&["check-site", &bench.site.url, "--site-ca", &site_ca]);
    ok.expect_code(0);
    assert!(
        ok.stdout().contains("サイトに接続できました"),
        "{}",
        ok.stdout()
    );

    let nowhere = format!("https://127.0.0.1:{}/", closed_port());
    let network = bench.run(&["check-site", &nowhere, "--site-ca", &site_ca]);
    network.expect_code(6);
    let stderr = network.stderr();
    assert!(stderr.contains("error[NETWORK]"), "{stderr}");
    assert!(
        stderr.contains("お使いの PC はインターネット接続できますか？"),
        "{stderr}"
    );

    let unknown = format!("{}/apply/ap-9999", bench.site.url);
    let site_error = bench.run(&["--json", "check-site", &unknown, "--site-ca", &site_ca]);
    site_error.expect_code(3);
    let value: serde_json::Value =
        serde_json::from_str(site_error.stdout().lines().last().unwrap()).unwrap();
    assert_eq!(value["class"], "site");
    assert_eq!(value["id"], "NOT-FOUND");

    let network_json = bench.run(&["--json", "check-site", &nowhere, "--site-ca", &site_ca]);
    let value: serde_json::Value =
        serde_json::from_str(network_json.stdout().lines().last().unwrap()).unwrap();
    assert_eq!(value["class"], "network");
    assert_eq!(value["exit_code"], 6);
}

#[test]
fn export_writes_a_pkcs12_that_openssl_and_pk12util_read_back() {
    let bench = Bench::new();
    bench.enroll(&[]).expect_code(0);
    let p12 = bench.dir.join("taro.p12");
    let passphrase = bench.dir.join("passphrase");
    std::fs::write(&passphrase, "correct horse battery\n").unwrap();
    let ran = bench.run(&[
        "export",
        "--p12",
        &path(&p12),
        "--passphrase-file",
        &path(&passphrase),
    ]);
    ran.expect_code(0);
    assert!(ran.stdout().contains("PKCS#12"), "{}", ran.stdout());
    // Never over an existing file.
    bench
        .run(&[
            "export",
            "--p12",
            &path(&p12),
            "--passphrase-file",
            &path(&passphrase),
        ])
        .expect_code(7);

    let personal = &bench.personal(&bench.store)[0];
    if have("openssl") {
        let openssl = |args: &[&str], input: Option<&[u8]>| -> String {
            let mut child = Command::new("openssl")
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            if let Some(input) = input {
                use std::io::Write as _;
                child.stdin.take().unwrap().write_all(input).unwrap();
            } else {
                drop(child.stdin.take());
            }
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let pass = format!("file:{}", path(&passphrase));
        let certs = openssl(
            &[
                "pkcs12",
                "-in",
                &path(&p12),
                "-passin",
                &pass,
                "-nokeys",
                "-clcerts",
            ],
            None,
        );
        let key = openssl(
            &[
                "pkcs12",
                "-in",
                &path(&p12),
                "-passin",
                &pass,
                "-nocerts",
                "-nodes",
            ],
            None,
        );
        let fingerprint = |pem: &str| {
            openssl(
                &["x509", "-noout", "-fingerprint", "-sha256"],
                Some(pem.as_bytes()),
            )
        };
        let stored = std::fs::read_to_string(personal.join("certificate.pem")).unwrap();
        assert_eq!(fingerprint(&certs), fingerprint(&stored));
        let public = |pem: &str| openssl(&["pkey", "-pubout"], Some(pem.as_bytes()));
        let stored_key = std::fs::read_to_string(personal.join("key.pem")).unwrap();
        assert_eq!(public(&key), public(&stored_key));
        // The root went in too, as a CA certificate.
        let cacerts = openssl(
            &[
                "pkcs12",
                "-in",
                &path(&p12),
                "-passin",
                &pass,
                "-nokeys",
                "-cacerts",
            ],
            None,
        );
        assert!(cacerts.contains("BEGIN CERTIFICATE"), "{cacerts}");
        // A wrong passphrase opens nothing.
        let wrong = Command::new("openssl")
            .args([
                "pkcs12",
                "-in",
                &path(&p12),
                "-passin",
                "pass:wrong",
                "-nodes",
            ])
            .output()
            .unwrap();
        assert!(!wrong.status.success());
    } else {
        eprintln!("openssl not on PATH: skipping the openssl pkcs12 round trip");
    }
    if have("pk12util") {
        let listed = Command::new("pk12util")
            .args(["-l", &path(&p12), "-W", "correct horse battery"])
            .output()
            .unwrap();
        assert!(
            listed.status.success(),
            "pk12util: {}{}",
            String::from_utf8_lossy(&listed.stdout),
            String::from_utf8_lossy(&listed.stderr)
        );
        assert!(String::from_utf8_lossy(&listed.stdout).contains("Taro Yamada"));
    } else {
        eprintln!("pk12util not on PATH: skipping the NSS round trip");
    }
}

#[test]
fn json_output_is_event_lines_then_one_result_object() {
    let bench = Bench::new();
    let ran = bench.enroll(&["--json"]);
    ran.expect_code(0);
    let lines: Vec<serde_json::Value> = ran
        .stdout()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let events: Vec<&str> = lines.iter().filter_map(|l| l["event"].as_str()).collect();
    for wanted in [
        "opened",
        "requirements",
        "question",
        "root-verified",
        "key-stored",
        "installed",
        "confirmed",
    ] {
        assert!(events.contains(&wanted), "{wanted} missing from {events:?}");
    }
    let last = lines.last().unwrap();
    assert_eq!(last["result"], "ok");
    assert_eq!(last["subject"], "CN=Taro Yamada,O=Example Securities,C=JP");
    assert_eq!(
        last["confirmation"]["listing"],
        "アクセスすると、所持する証明書の一覧が表示されます"
    );

    // An error is the final object too, with its id and exit code.
    let again = bench.enroll(&["--json"]);
    again.expect_code(3);
    let last: serde_json::Value =
        serde_json::from_str(again.stdout().lines().last().unwrap()).unwrap();
    assert_eq!(last["result"], "error");
    assert_eq!(last["id"], "NO-VALID-REQUEST");
    assert_eq!(last["message"], "有効な証明書申請はありません");
    assert_eq!(last["exit_code"], 3);
}

#[test]
fn confirm_without_a_url_opens_the_page_of_the_last_enrollment_and_shows_its_listing() {
    let bench = Bench::new();
    bench.enroll(&[]).expect_code(0);
    let ran = bench.run(&["confirm"]);
    ran.expect_code(0);
    let stdout = ran.stdout();
    assert!(
        stdout.contains("証明書確認ページ: CN=Taro Yamada"),
        "{stdout}"
    );
    assert!(
        stdout.contains("アクセスすると、所持する証明書の一覧が表示されます"),
        "{stdout}"
    );
    assert!(stdout.contains("  * CN=Taro Yamada"), "{stdout}");
}

#[test]
fn a_broken_store_is_reported_by_list_and_doctor_with_exit_code_7_and_left_untouched() {
    let bench = Bench::new();
    bench.enroll(&[]).expect_code(0);
    let stray = bench.store.join("personal/.incoming-x1");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join("key.pem"), "half").unwrap();
    let lonely = bench.store.join("personal/0b");
    std::fs::create_dir_all(&lonely).unwrap();
    std::fs::write(lonely.join("key.pem"), "a key without its certificate").unwrap();

    let list = bench.run(&["list"]);
    list.expect_code(7);
    assert!(
        list.stdout().contains("CN=Taro Yamada"),
        "the sound entry is still listed"
    );
    let stderr = list.stderr();
    assert!(stderr.contains("personal/.incoming-x1"), "{stderr}");
    assert!(stderr.contains("key without its certificate"), "{stderr}");
    assert!(stderr.contains("error[STORE]"), "{stderr}");

    let doctor = bench.run(&["--json", "doctor"]);
    doctor.expect_code(7);
    let value: serde_json::Value = serde_json::from_str(doctor.stdout().trim()).unwrap();
    assert_eq!(value["damage"].as_array().unwrap().len(), 2);
    assert!(stray.join("key.pem").exists() && lonely.join("key.pem").exists());
}

#[test]
fn a_key_length_the_client_cannot_make_is_refused_before_anything_is_sent() {
    let temp = tempfile::tempdir().unwrap();
    let config = temp.path().join("site.toml");
    std::fs::write(
        &config,
        r#"
[policy]
csp = "Microsoft Enhanced RSA and AES Cryptographic Provider"
key_length = 1024
[[application]]
applicant = "山田 太郎"
email = "taro@example.jp"
subject = [["C", "JP"], ["O", "Example Securities"], ["CN", "Taro Yamada"]]
approve = true
"#,
    )
    .unwrap();
    let site = SiteProcess::start(&config, &temp.path().join("site"));
    let store = temp.path().join("store");
    let ran = Ran(cert_client_env(
        &store,
        &[
            "enroll",
            "--maildir",
            &path(&site.state.join("maildir")),
            "--site-ca",
            &path(&site.state.join("site-ca.pem")),
            "--yes",
        ],
        &[],
    ));
    ran.expect_code(8);
    let stderr = ran.stderr();
    assert!(stderr.contains("error[KEY-UNSUPPORTED]"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    // 発行 was never pressed: the issue question was not even asked, and no key was made.
    assert!(!ran.stdout().contains("発行しますか"), "{}", ran.stdout());
    assert_eq!(std::fs::read_dir(store.join("pending")).unwrap().count(), 0);
}

#[test]
fn help_documents_every_command_and_the_exit_codes() {
    let ran = Ran(Command::new(binary("cert-client"))
        .arg("--help")
        .output()
        .unwrap());
    ran.expect_code(0);
    let stdout = ran.stdout();
    for command in [
        "enroll",
        "list",
        "confirm",
        "check-site",
        "install",
        "export",
        "doctor",
    ] {
        assert!(stdout.contains(command), "{command}: {stdout}");
    }
    for code in [
        "3  the site refused",
        "4  the user said no",
        "7  the store",
        "8  input",
    ] {
        assert!(stdout.contains(code), "{code}: {stdout}");
    }
    let usage = Ran(Command::new(binary("cert-client"))
        .arg("enroll")
        .output()
        .unwrap());
    usage.expect_code(2);
}
