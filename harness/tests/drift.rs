//! `harness drift` on recordings of the mock itself: the guide's walk in headless Chromium
//! (test-support's browser), saved as a HAR with contents the way DevTools saves one, then
//! checked against a profile. Skipped, with a printed notice, where Chromium or NSS's tools are
//! absent (as the other browser tests are).

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use mock_ca::MockCa;
use serde_json::{Value, json};
use test_support::{Admin, Browser, NewApplication, Page, pki};

/// The passphrase the walk's PKCS#12 is written under.
const PASSPHRASE: &str = "drift-walk";

fn harness() -> Command {
    Command::new(env!("CARGO_BIN_EXE_harness"))
}

fn admin_of(site: &MockCa) -> Admin {
    Admin::new(
        site.url(),
        site.admin_token(),
        site.site_trust_pem().as_bytes(),
    )
    .unwrap()
}

/// A dialog of the guide as the component shows it, answered はい.
async fn yes(page: &Page<'_>, dialog: &str) {
    page.wait_for(&format!(
        "dialog#component-dialog[data-dialog=\"{dialog}\"][open]"
    ))
    .await;
    page.click("#dialog-yes").await;
}

/// Logs in at `step_one` with `password`.
async fn log_in(page: &Page<'_>, step_one: &str, password: &str) {
    page.open(step_one).await;
    page.type_into("#password", password).await;
    page.follow("#login").await;
}

/// The guide's walk on `site`, as README's recording procedure has a person do it, recorded into
/// one HAR at `har`: the passwords it typed; `None` where Chromium is absent.
///
/// 1. the top page and every page it links to on the site (the repository, any notice);
/// 2. the mailbox: the password mail, the URL mail, its link (step 1);
/// 3. a wrong password (AUTH-FAILED) and back; the right one (step 2);
/// 4. 発行, the root, the client certificate, the passphrase: step 3 to step 4;
/// 5. the confirmation site with the certificate made (a second browser holding it);
/// 6. a second login (NO-VALID-REQUEST), an unknown application (NOT-FOUND);
/// 7. a second application in a browser that reports Windows 8.1 (ENV-SUPPORTED).
async fn record_walk(site: &MockCa, har: &Path) -> Option<Vec<String>> {
    let browser = Browser::builder()
        .trust(site.site_trust_pem())
        .launch()
        .await?;
    let admin = admin_of(site);
    let id = admin
        .approved(NewApplication::for_cn("Taro Yamada"))
        .await
        .unwrap();
    let password = admin.password_of(&id).await.unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let page = browser.page().await;
    page.capture_downloads(downloads.path()).await;
    let recording = page.record_har().await;

    // 1. The top page and the pages it links to on this site.
    page.open(site.url()).await;
    let links: Vec<String> = page
        .eval("Array.from(document.querySelectorAll('main a[href]')).map(a => a.href)")
        .await;
    for link in links.iter().filter(|l| l.starts_with(site.url())) {
        page.open(link).await;
    }

    // 2. The mailbox.
    page.open(&format!("{}/mailbox", site.url())).await;
    page.follow("#mails a[href$=\"m-0002\"]").await;
    page.follow("#back").await;
    page.follow("#mails a[href$=\"m-0001\"]").await;
    page.follow("#body a").await;
    let step_one = page.url().await;

    // 3. A wrong password, back, the right one.
    page.type_into("#password", "wrong-password").await;
    page.follow("#login").await;
    page.wait_for("#error").await;
    page.follow("#back").await;
    page.type_into("#password", &password).await;
    page.follow("#login").await;

    // 4. Steps 2 to 4.
    page.wait_for("#issue:not([hidden]):not([disabled])").await;
    page.click("#issue").await;
    yes(&page, "issue").await;
    page.wait_for("#root-install:not([disabled])").await;
    page.click("#root-install").await;
    yes(&page, "install-root").await;
    page.wait_for("#client-install:not([disabled])").await;
    page.click("#client-install").await;
    yes(&page, "web-access").await;
    page.wait_for("#p12-form").await;
    page.type_into("#p12-passphrase", PASSPHRASE).await;
    page.type_into("#p12-passphrase-again", PASSPHRASE).await;
    page.click("#p12-download").await;
    let p12 = page.wait_for_download(downloads.path()).await;
    page.wait_for("#complete").await;
    page.click("#complete").await;
    page.wait_for("#confirm").await;
    let confirm = page.attribute("#confirm", "href").await.unwrap();

    // 6. The site closed for this application; an application it does not know.
    log_in(&page, &step_one, &password).await;
    page.wait_for("#error").await;
    page.open(&format!("{}/apply/ap-9999", site.url())).await;

    // 7. Another application, in a browser that reports Windows 8.1 (NT 6.3).
    let other = admin
        .approved(NewApplication::for_cn("Hanako Suzuki"))
        .await
        .unwrap();
    let other_password = admin.password_of(&other).await.unwrap();
    let old_windows = browser.page().await;
    old_windows
        .before_scripts(
            "Object.defineProperty(Navigator.prototype, 'userAgentData', { get: () => ({ platform: 'Windows', getHighEntropyValues: async () => ({ platformVersion: '0.3.0' }) }) });",
        )
        .await;
    let old_recording = old_windows.record_har().await;
    log_in(
        &old_windows,
        &format!("{}/apply/{other}", site.url()),
        &other_password,
    )
    .await;
    old_windows
        .wait_for("#issue:not([hidden]):not([disabled])")
        .await;
    old_windows.click("#issue").await;
    yes(&old_windows, "issue").await;
    old_windows
        .wait_for("#component-status .component-message[data-catalogue-id=\"ENV-SUPPORTED\"]")
        .await;

    // 5. The confirmation site, in a browser holding the certificate just made.
    let holder = Browser::builder()
        .trust(site.site_trust_pem())
        .client_certificate(&confirm, &std::fs::read(&p12).unwrap(), PASSPHRASE)
        .launch()
        .await?;
    let confirmation = holder.page().await;
    let holder_recording = confirmation.record_har().await;
    let origin = confirm.strip_suffix("/confirm").unwrap();
    confirmation.open(&format!("{origin}/")).await;
    confirmation.open(&confirm).await;
    confirmation.wait_for("#holder").await;

    // One file, as a person recording in one browser would have it.
    let mut log = recording.finish().await;
    for other in [
        holder_recording.finish().await,
        old_recording.finish().await,
    ] {
        append(&mut log, other);
    }
    std::fs::write(har, serde_json::to_string_pretty(&log).unwrap()).unwrap();
    Some(vec![password, other_password])
}

/// Adds `other`'s pages and entries to `log`, its page ids renumbered after `log`'s.
fn append(log: &mut Value, other: Value) {
    let offset = log["log"]["pages"].as_array().map_or(0, Vec::len);
    let renumber = |id: &str| {
        let n: usize = id.trim_start_matches("page_").parse().unwrap();
        format!("page_{}", n + offset)
    };
    for mut page in other["log"]["pages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        page["id"] = json!(renumber(page["id"].as_str().unwrap()));
        log["log"]["pages"].as_array_mut().unwrap().push(page);
    }
    for mut entry in other["log"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        if let Some(page) = entry["pageref"].as_str() {
            entry["pageref"] = json!(renumber(page));
        }
        log["log"]["entries"].as_array_mut().unwrap().push(entry);
    }
}

/// What a HAR reader expects of HAR 1.2 (the spec's required fields and their types), as a list
/// of what is wrong.
fn har_1_2_problems(har: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut need = |value: &Value, path: &str, kind: fn(&Value) -> bool| {
        if !kind(value) {
            problems.push(format!("{path}: {value}"));
        }
    };
    let log = &har["log"];
    need(&log["version"], "log.version", |v| v == "1.2");
    need(
        &log["creator"]["name"],
        "log.creator.name",
        Value::is_string,
    );
    need(
        &log["creator"]["version"],
        "log.creator.version",
        Value::is_string,
    );
    for (n, page) in log["pages"].as_array().into_iter().flatten().enumerate() {
        need(
            &page["startedDateTime"],
            &format!("pages[{n}].startedDateTime"),
            is_iso8601,
        );
        need(&page["id"], &format!("pages[{n}].id"), Value::is_string);
        need(
            &page["title"],
            &format!("pages[{n}].title"),
            Value::is_string,
        );
        need(
            &page["pageTimings"],
            &format!("pages[{n}].pageTimings"),
            Value::is_object,
        );
    }
    let entries = log["entries"].as_array().cloned().unwrap_or_default();
    need(&log["entries"], "log.entries", Value::is_array);
    for (n, e) in entries.iter().enumerate() {
        let at = |field: &str| format!("entries[{n}].{field}");
        need(&e["startedDateTime"], &at("startedDateTime"), is_iso8601);
        need(&e["time"], &at("time"), Value::is_number);
        need(&e["cache"], &at("cache"), Value::is_object);
        let request = &e["request"];
        for field in ["method", "url", "httpVersion"] {
            need(
                &request[field],
                &at(&format!("request.{field}")),
                Value::is_string,
            );
        }
        for field in ["cookies", "headers", "queryString"] {
            need(
                &request[field],
                &at(&format!("request.{field}")),
                Value::is_array,
            );
        }
        for field in ["headersSize", "bodySize"] {
            need(
                &request[field],
                &at(&format!("request.{field}")),
                Value::is_number,
            );
        }
        if let Some(post) = request.get("postData") {
            need(
                &post["mimeType"],
                &at("request.postData.mimeType"),
                Value::is_string,
            );
            need(
                &json!(post["text"].is_string() || post["params"].is_array()),
                &at("request.postData.text|params"),
                |v| v == true,
            );
        }
        let response = &e["response"];
        need(
            &response["status"],
            &at("response.status"),
            Value::is_number,
        );
        for field in ["statusText", "httpVersion", "redirectURL"] {
            need(
                &response[field],
                &at(&format!("response.{field}")),
                Value::is_string,
            );
        }
        for field in ["cookies", "headers"] {
            need(
                &response[field],
                &at(&format!("response.{field}")),
                Value::is_array,
            );
        }
        for field in ["headersSize", "bodySize"] {
            need(
                &response[field],
                &at(&format!("response.{field}")),
                Value::is_number,
            );
        }
        need(
            &response["content"]["size"],
            &at("response.content.size"),
            Value::is_number,
        );
        need(
            &response["content"]["mimeType"],
            &at("response.content.mimeType"),
            Value::is_string,
        );
        for field in ["send", "wait", "receive"] {
            need(
                &e["timings"][field],
                &at(&format!("timings.{field}")),
                |v| v.as_f64().is_some_and(|t| t >= 0.0),
            );
        }
        for header in request["headers"].as_array().into_iter().flatten() {
            need(
                &header["name"],
                &at("request.headers[].name"),
                Value::is_string,
            );
            need(
                &header["value"],
                &at("request.headers[].value"),
                Value::is_string,
            );
        }
    }
    problems
}

fn is_iso8601(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
    })
}

fn drift(args: &[&str]) -> Output {
    harness().arg("drift").args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A site on the checked-in root, in demo mode (its mailbox is where the walk starts).
async fn default_site() -> MockCa {
    MockCa::builder()
        .ca_dir(pki::root_dir())
        .demo(true)
        .start()
        .await
        .unwrap()
}

/// The recording is a valid HAR 1.2 with contents, and holds the login as the form sent it.
fn is_a_valid_har_1_2_with_contents_and_holds_the_login_as_sent(har: &Path) {
    let log: Value = serde_json::from_str(&std::fs::read_to_string(har).unwrap()).unwrap();
    let problems = har_1_2_problems(&log);
    assert!(problems.is_empty(), "not HAR 1.2: {problems:#?}");
    let entries = log["log"]["entries"].as_array().unwrap();
    let find = |method: &str, suffix: &str, status: i64| {
        entries
            .iter()
            .find(|e| {
                e["request"]["method"] == method
                    && e["request"]["url"].as_str().unwrap().ends_with(suffix)
                    && e["response"]["status"] == status
            })
            .unwrap_or_else(|| panic!("no {method} …{suffix} answered {status} in the HAR"))
    };
    // The login as the form sent it, and the page it answered, with its content.
    let failed = find("POST", "/login", 401);
    assert_eq!(
        failed["request"]["postData"]["text"], "password=wrong-password",
        "the form's body as sent"
    );
    assert!(
        failed["response"]["content"]["text"]
            .as_str()
            .unwrap()
            .contains("data-catalogue-id=\"AUTH-FAILED\"")
    );
    let step_two = find("POST", "/login", 200);
    assert!(
        step_two["response"]["content"]["text"]
            .as_str()
            .unwrap()
            .contains("【ステップ 2】")
    );
    // The component's JSON calls, the root's download as base64, and the confirmation site.
    let csr = find("POST", "/csr", 201);
    assert!(
        csr["request"]["postData"]["text"]
            .as_str()
            .unwrap()
            .contains("CERTIFICATE REQUEST")
    );
    assert_eq!(csr["_resourceType"], "fetch");
    let root = entries
        .iter()
        .find(|e| {
            e["request"]["url"]
                .as_str()
                .unwrap()
                .ends_with("/repository/root.cer")
        })
        .expect("the root's download");
    assert_eq!(root["response"]["content"]["encoding"], "base64");
    find("GET", "/confirm", 200);
    find("POST", "/issue", 422);
    // The page references hold: every entry's page is one of the pages.
    let pages: Vec<&str> = log["log"]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    for entry in entries {
        if let Some(page) = entry["pageref"].as_str() {
            assert!(pages.contains(&page), "{page} is not among the pages");
        }
    }
}

/// The walk recorded on `site` into `dir/walk.har`: its path and the passwords typed.
async fn recorded(site: &MockCa, dir: &Path) -> Option<(PathBuf, Vec<String>)> {
    let har = dir.join("walk.har");
    let passwords = record_walk(site, &har).await?;
    // The HAR holds them, as a browser's does: that is what drift must not let out.
    let raw = std::fs::read_to_string(&har).unwrap();
    assert!(passwords.iter().all(|p| raw.contains(p.as_str())));
    Some((har, passwords))
}

/// Every file under `dir`, read as text.
fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((
                path.clone(),
                String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned(),
            ));
        }
    }
    out
}

/// The line of the terminal report for `name` (status first).
fn line_for<'t>(report: &'t str, name: &str) -> &'t str {
    report
        .lines()
        .find(|l| l.split_whitespace().any(|w| w == name) && !l.trim_start().starts_with("not "))
        .unwrap_or_else(|| panic!("no line for {name} in:\n{report}"))
}

/// Against the site's own (default) profile: no drift, and the password nowhere.
fn shows_no_drift_against_the_default_profile_and_the_password_nowhere(
    har: &Path,
    passwords: &[String],
    dir: &Path,
) {
    let html = dir.join("drift.html");
    let written = dir.join("written");
    let out = drift(&[
        har.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--write-profile",
        written.to_str().unwrap(),
    ]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(report.contains(": no drift"), "{report}");
    // Each screen and message the walk reaches is seen and the same.
    for name in [
        "top",
        "repository",
        "mailbox",
        "mail",
        "step1",
        "step2",
        "step3",
        "issued",
        "step4",
        "confirmation_top",
        "confirm",
        "error",
        "AUTH-FAILED",
        "NO-VALID-REQUEST",
        "NOT-FOUND",
        "ENV-SUPPORTED",
        "REPOSITORY-PAGE",
        "MAIL-URL",
        "MAIL-PASSWORD",
        "platforms",
    ] {
        let line = line_for(&report, name);
        assert!(line.trim_start().starts_with("same"), "{line}");
    }
    // What the walk does not reach is said so, and is not drift.
    assert!(report.contains("not visited  documents"), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.contains("not seen") && l.contains("CERT-REQUEST-FAILED")),
        "{report}"
    );
    // The password: nowhere in what drift printed or wrote.
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("No drift."), "{page}");
    let mut outputs = vec![
        (PathBuf::from("stdout+stderr"), report.clone()),
        (html.clone(), page),
    ];
    outputs.extend(files_under(&written));
    for password in passwords {
        for (file, content) in &outputs {
            assert!(
                !content.contains(password.as_str()),
                "the password in {}",
                file.display()
            );
        }
    }
    // Nothing to take in: the profile written is the one compared with.
    let reread = mock_ca::Profile::load(&written).unwrap();
    let default = mock_ca::Profile::default();
    assert_eq!(reread.message, default.message);
    assert_eq!(reread.screen, default.screen);
    assert_eq!(reread.policy, default.policy);
    assert_eq!(reread.page, default.page);
}

/// Against a profile it differs from: each difference found, point by point.
fn against_a_profile_it_differs_from_each_difference_is_found(har: &Path, dir: &Path) {
    use harness::drift::{Kind, Recording, Status, check};
    // A profile that says other words than the site: a message and a remedy reworded, a
    // screen retitled, a platform the site does not list, the repository elsewhere (so its page
    // is one the profile does not know), a page the recording never asks for.
    let mut profile = mock_ca::Profile::default();
    let auth = profile.message.get_mut("AUTH-FAILED").unwrap();
    auth.text = "認証に失敗しました".into();
    auth.identify = vec!["認証に失敗しました".into()];
    profile.message.get_mut("NOT-FOUND").unwrap().remedy = Some("URL を確認してください".into());
    profile.screen.get_mut("step4").unwrap().title = "{site}【ステップ 4 完了】".into();
    profile.policy.platforms.push("windows 8.1".into());
    profile.screen.get_mut("repository").unwrap().requests = vec!["GET /ca-info".into()];
    profile.page.push(mock_ca::profile::ExtraPage {
        path: "/faq".into(),
        title: "よくある質問".into(),
        template: "top.html".into(),
        linked_from: vec![],
        identify: vec![],
    });
    let found = check(&Recording::read(har).unwrap(), &profile);
    let point = |kind: Kind, name: &str| {
        found
            .points
            .iter()
            .find(|p| p.kind == kind && p.name == name)
            .unwrap_or_else(|| panic!("no point {name}: {:#?}", found.points))
    };
    assert!(found.has_drift());
    let auth = point(Kind::Message, "AUTH-FAILED");
    assert_eq!(auth.status, Status::Changed);
    assert_eq!(auth.details[0].field, "message");
    assert_eq!(
        harness::drift::text::plain(&auth.details[0].diff),
        "認証に失敗[-しました-]{+したか、申請が承認されていません+}"
    );
    let not_found = point(Kind::Message, "NOT-FOUND");
    assert_eq!(not_found.status, Status::Changed);
    assert_eq!(not_found.details[0].field, "remedy");
    let step4 = point(Kind::Screen, "step4");
    assert_eq!(
        step4.status,
        Status::Same,
        "a JSON answer has no title to compare"
    );
    let platforms = point(Kind::Policy, "platforms");
    assert_eq!(platforms.status, Status::Changed);
    assert_eq!(
        harness::drift::text::plain(&platforms.details[0].diff),
        "windows 10, windows 11, linux, macos, [-windows 8.1-]"
    );
    let repository = point(Kind::Page, "/repository");
    assert_eq!(repository.status, Status::New);
    assert_eq!(repository.details[0].seen.as_deref(), Some("認証局の情報"));
    assert_eq!(point(Kind::Page, "/faq").status, Status::NotVisited);
    assert_eq!(point(Kind::Screen, "repository").status, Status::NotVisited);
    for same in ["step1", "step2", "error", "confirm"] {
        assert_eq!(point(Kind::Screen, same).status, Status::Same, "{same}");
    }

    // The binary says the same from the profile's directory, exits 1, and takes the changes in
    // (the repository where it is: a profile may not add a page on a path the site serves).
    profile.screen.get_mut("repository").unwrap().requests = vec!["GET /repository".into()];
    let profile_dir = dir.join("changed");
    profile.export(&profile_dir).unwrap();
    let written = dir.join("written");
    let out = drift(&[
        har.to_str().unwrap(),
        "--profile",
        profile_dir.to_str().unwrap(),
        "--write-profile",
        written.to_str().unwrap(),
    ]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        line_for(&report, "AUTH-FAILED").contains("changed"),
        "{report}"
    );
    assert!(
        report.contains("message: 認証に失敗[-しました-]{+したか、申請が承認されていません+}"),
        "{report}"
    );
    assert!(
        line_for(&report, "platforms").contains("changed"),
        "{report}"
    );
    assert!(report.contains("DRIFT"), "{report}");
    let taken = mock_ca::Profile::load(&written).unwrap();
    let default = mock_ca::Profile::default();
    assert_eq!(
        taken.message["AUTH-FAILED"].text,
        default.message["AUTH-FAILED"].text
    );
    assert_eq!(
        taken.message["NOT-FOUND"].remedy,
        default.message["NOT-FOUND"].remedy
    );
    assert_eq!(taken.policy.platforms, default.policy.platforms);
    assert_eq!(taken.page, profile.page, "the page not visited is kept");
    // And the recording against what was written: only what a recording cannot undo remains
    // (the page the recording never asked for).
    let again = check(&Recording::read(har).unwrap(), &taken);
    let drifting: Vec<_> = again
        .points
        .iter()
        .filter(|p| p.status.is_drift())
        .collect();
    assert!(drifting.is_empty(), "{drifting:#?}");
}

/// One walk recorded in Chromium on the default site (the costly part: a browser through every
/// page), then what each check says of it.
#[tokio::test]
async fn the_default_sites_recording_is_valid_har_shows_no_drift_and_a_differing_profile_point_by_point()
 {
    let site = default_site().await;
    let dir = tempfile::tempdir().unwrap();
    let Some((har, passwords)) = recorded(&site, dir.path()).await else {
        return;
    };
    is_a_valid_har_1_2_with_contents_and_holds_the_login_as_sent(&har);
    let own = dir.path().join("own");
    std::fs::create_dir(&own).unwrap();
    shows_no_drift_against_the_default_profile_and_the_password_nowhere(&har, &passwords, &own);
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    against_a_profile_it_differs_from_each_difference_is_found(&har, &other);
}

#[tokio::test]
async fn a_recording_of_the_v3_11_site_is_found_point_by_point_and_write_profile_reproduces_it() {
    use harness::drift::{Kind, Recording, Status, check};
    let fixture_dir = harness::fixtures_dir().join("profiles/v3.11");
    let fixture = mock_ca::Profile::load(&fixture_dir).unwrap();
    let site = MockCa::builder()
        .ca_dir(pki::root_dir())
        .demo(true)
        .profile(fixture.clone())
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let Some((har, passwords)) = recorded(&site, dir.path()).await else {
        return;
    };
    let default = mock_ca::Profile::default();

    // Against the default profile: each change of v3.11, and nothing else.
    let found = check(&Recording::read(&har).unwrap(), &default);
    let mut drifting: Vec<(Kind, &str, Status)> = found
        .points
        .iter()
        .filter(|p| p.status.is_drift())
        .map(|p| (p.kind, p.name.as_str(), p.status))
        .collect();
    drifting.sort();
    assert_eq!(
        drifting,
        [
            (Kind::Page, "/notice", Status::New),
            (Kind::Message, "AUTH-FAILED", Status::Changed),
            (Kind::Message, "ENV-SUPPORTED", Status::Changed),
            (Kind::Policy, "platforms", Status::Changed),
        ],
        "{:#?}",
        found.points
    );

    let written = dir.path().join("written");
    let html = dir.path().join("drift.html");
    let out = drift(&[
        har.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--write-profile",
        written.to_str().unwrap(),
    ]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    // Windows 10 dropped: from the platforms, and from the message that names them.
    assert!(
        report.contains("platforms: [-windows 10-], windows 11, linux, macos"),
        "{report}"
    );
    assert!(
        report.contains("message: 正式サポート OS は、Windows [-10 および Windows -]11 です。"),
        "{report}"
    );
    // The reworded message, word by word.
    let auth = &found
        .points
        .iter()
        .find(|p| p.name == "AUTH-FAILED")
        .unwrap()
        .details[0];
    assert_eq!(
        auth.expected.as_deref(),
        Some(default.message["AUTH-FAILED"].text.as_str())
    );
    assert_eq!(
        auth.seen.as_deref(),
        Some(fixture.message["AUTH-FAILED"].text.as_str())
    );
    assert!(
        report.contains(&format!(
            "message: {}",
            harness::drift::text::plain(&auth.diff)
        )),
        "{report}"
    );
    // The new notice page, linked from the top page.
    let notice = line_for(&report, "/notice");
    assert!(notice.contains("new"), "{notice}");
    assert!(report.contains("linked from top"), "{report}");
    assert!(
        report.contains("title: 「Windows 10 のサポート終了のお知らせ」"),
        "{report}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("data-status=\"new\" data-name=\"&#x2f;notice\""),
        "{page}"
    );

    // --write-profile: v3.11 again on each of those points.
    let taken = mock_ca::Profile::load(&written).unwrap();
    assert_eq!(taken.policy, fixture.policy);
    assert_eq!(taken.message, fixture.message);
    assert_eq!(taken.screen, fixture.screen);
    assert_eq!(taken.page.len(), 1);
    let (got, want) = (&taken.page[0], &fixture.page[0]);
    assert_eq!(
        (&got.path, &got.title, &got.linked_from, &got.identify),
        (&want.path, &want.title, &want.linked_from, &want.identify)
    );
    let template = harness::drift::text::visible(&taken.templates[&got.template]);
    let expected = harness::drift::text::visible(&fixture.templates[&want.template]);
    assert!(
        template.contains(
            expected
                .trim_start_matches("{% extends \"base.html\" %} {% block body %} ")
                .trim_end_matches(" {% endblock %}")
        ),
        "{template}\n---\n{expected}"
    );
    // The written profile, and the fixture itself, against this recording: no drift.
    for (name, profile) in [("written", &taken), ("fixture", &fixture)] {
        let again = check(&Recording::read(&har).unwrap(), profile);
        let left: Vec<_> = again
            .points
            .iter()
            .filter(|p| p.status.is_drift())
            .collect();
        assert!(left.is_empty(), "{name}: {left:#?}");
    }
    for password in &passwords {
        for (file, content) in files_under(&written) {
            assert!(!content.contains(password.as_str()), "{}", file.display());
        }
        assert!(!report.contains(password.as_str()) && !page.contains(password.as_str()));
    }
}

#[test]
fn a_missing_recording_a_file_that_is_not_a_har_or_a_bad_profile_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.har");
    let out = drift(&[missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("missing.har"), "{}", text(&out));

    let not_har = dir.path().join("page.har");
    std::fs::write(&not_har, "<html></html>").unwrap();
    let out = drift(&[not_har.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("is not a HAR file"), "{}", text(&out));

    let empty = dir.path().join("empty.har");
    std::fs::write(&empty, r#"{"log": {"version": "1.2", "entries": []}}"#).unwrap();
    let no_profile = dir.path().join("no-profile");
    let out = drift(&[
        empty.to_str().unwrap(),
        "--profile",
        no_profile.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no-profile"), "{}", text(&out));

    // A recording with nothing in it: nothing visited, nothing drifted.
    let out = drift(&[empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("not visited"), "{}", text(&out));

    // --write-profile into a directory that holds something: refused before anything is read.
    let taken = dir.path().join("taken");
    std::fs::create_dir(&taken).unwrap();
    std::fs::write(taken.join("keep.txt"), "mine").unwrap();
    let out = drift(&[
        empty.to_str().unwrap(),
        "--write-profile",
        taken.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("is not empty"), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(taken.join("keep.txt")).unwrap(),
        "mine"
    );

    let out = drift(&[]);
    assert_eq!(out.status.code(), Some(2), "usage: {}", text(&out));
}
