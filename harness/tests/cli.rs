//! The `harness` binary as CI and support staff use it: JUnit for CI, `reproduce` for support, and
//! `--target` against a `mock-ca` binary started separately.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
};

fn harness() -> Command {
    Command::new(env!("CARGO_BIN_EXE_harness"))
}

/// A workspace binary, built on demand (test-support).
fn sibling(name: &str) -> PathBuf {
    test_support::binary(name)
}

struct Site(Child);

impl Drop for Site {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn junit_has_one_valid_testcase_per_scenario_run() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let html = dir.path().join("report");
    // Chosen by file and by name; one a browser scenario, whose screenshots JUnit and the report
    // carry (where Chromium is).
    let browser = test_support::browser::missing().is_none();
    let out = harness()
        .args([
            "run",
            "login/auth-failed.toml",
            "not-approved",
            "confirm-forbidden",
            "no-webcrypto",
            "--junit",
        ])
        .arg(&junit)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = if browser { 4 } else { 3 };
    assert!(
        stdout.contains(&format!("{runs} passed, 0 failed")),
        "{stdout}"
    );

    let xml = std::fs::read_to_string(&junit).unwrap();
    let document = roxmltree::Document::parse(&xml).expect("the JUnit file is well-formed XML");
    let cases: Vec<_> = document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| n.attribute("name").unwrap().to_owned())
        .collect();
    assert_eq!(cases.len(), runs, "{cases:?}");
    for name in ["auth-failed", "not-approved", "confirm-forbidden"] {
        assert!(cases.iter().any(|c| c == name), "{name} in {cases:?}");
    }
    assert_eq!(
        document
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        0
    );
    if browser {
        // The browser scenario's screenshots: attached in JUnit, copied beside the report.
        let out: Vec<String> = document
            .descendants()
            .filter(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("no-webcrypto"))
            .flat_map(|n| n.descendants())
            .filter(|n| n.has_tag_name("system-out"))
            .filter_map(|n| n.text().map(str::to_owned))
            .collect();
        let attached: Vec<&str> = out
            .iter()
            .flat_map(|o| o.lines())
            .filter_map(|l| l.strip_prefix("[[ATTACHMENT|")?.strip_suffix("]]"))
            .collect();
        assert!(!attached.is_empty(), "{out:?}");
        for path in &attached {
            assert!(std::path::Path::new(path).is_file(), "{path}");
        }
        let page = std::fs::read_to_string(html.join("no-webcrypto.html")).unwrap();
        assert!(
            page.contains("shots&#x2f;no-webcrypto&#x2f;01.png"),
            "{page}"
        );
        assert!(html.join("shots/no-webcrypto/01.png").is_file());
    }
    let index = std::fs::read_to_string(html.join("index.html")).unwrap();
    assert!(index.contains("auth-failed.html"));
    assert!(
        std::fs::read_to_string(html.join("auth-failed.html"))
            .unwrap()
            .contains("認証に失敗したか、申請が承認されていません")
    );
}

/// The screenshots JUnit attaches to `windows-8-1` in a run with `extra` arguments: the labels
/// (`01-step-1.png` → `step-1`), in order.
fn screenshots_of_windows_8_1(extra: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = harness()
        .args(["run", "windows-8-1", "--junit"])
        .arg(&junit)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    xml.lines()
        .filter_map(|l| l.trim().strip_prefix("[[ATTACHMENT|")?.strip_suffix("]]"))
        .map(|path| {
            assert!(std::path::Path::new(path).is_file(), "{path}");
            let name = path.rsplit('/').next().unwrap().trim_end_matches(".png");
            name.split_once('-').unwrap().1.to_owned()
        })
        .collect()
}

#[test]
fn a_run_photographs_what_each_step_ended_on_and_the_report_every_page_on_the_way() {
    if test_support::browser::missing().is_some() {
        eprintln!("notice: skipped: no Chromium");
        return;
    }
    // Windows 8.1 refused at 発行: the step ends on the error.
    assert_eq!(screenshots_of_windows_8_1(&[]), ["error"]);
    // The person's way there, page by page and dialog by dialog, as the report shows support.
    let every_page = ["step-1", "step-2", "dialog-issue", "error"];
    assert_eq!(
        screenshots_of_windows_8_1(&["--screenshots", "pages"]),
        every_page
    );
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report");
    assert_eq!(
        screenshots_of_windows_8_1(&["--html", html.to_str().unwrap()]),
        every_page,
        "--html photographs every page unless told otherwise"
    );
    assert_eq!(
        screenshots_of_windows_8_1(&["--html", html.to_str().unwrap(), "--screenshots", "steps"]),
        ["error"]
    );
}

#[test]
fn reproduce_auth_failed_shows_what_the_user_saw_and_the_remedy() {
    let out = harness()
        .args(["reproduce", "AUTH-FAILED"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("認証に失敗したか、申請が承認されていません"),
        "{stdout}"
    );
    assert!(
        stdout.contains("パスワードを確認の上、正しく入力してください"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--target"),
        "says how to open the state in a browser: {stdout}"
    );
}

#[test]
fn list_names_every_scenario_with_the_ids_it_covers() {
    let out = harness().args(["list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let happy = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "happy-path")
        .expect("happy-path is listed");
    assert!(
        happy["covers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|id| id == "STEP4-CONFIRM")
    );
}

/// What a site started elsewhere needs that an in-process one does not, each in a scenario that
/// runs there one after another and matches the same snapshot: the site put back between
/// scenarios (mail-cutoff leaves auto-approval on and the clock frozen: three of the four after
/// it would find their applications approved at filing, as a mutation of the reset showed),
/// another scenario's mails in the shared outbox left alone, faults armed and used, the
/// confirmation site found through the admin API, documents published and fetched. The other
/// scenarios only repeat these paths (the whole suite against one site took three times as
/// long); `harness run --target` runs them all.
const REMOTE: [&str; 5] = [
    "mail-cutoff",
    "mail-no-deadline",
    "site-reachable",
    "happy-path",
    "data-decrypt",
];

#[test]
fn scenarios_pass_against_a_separately_started_mock_ca_one_after_another() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("site");
    let mut child = Command::new(sibling("mock-ca"))
        .args([
            "serve",
            "--port",
            "0",
            "--admin-token",
            "suite-token",
            "--state-dir",
        ])
        .arg(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    for line in lines.by_ref() {
        if line.unwrap() == "ready" {
            break;
        }
    }
    let _site = Site(child);

    let out = harness()
        .arg("run")
        .args(REMOTE)
        .args([
            "--target",
            &url,
            "--admin-token",
            "suite-token",
            "--site-ca",
        ])
        .arg(state.join("site-ca.pem"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("5 passed, 0 failed"), "{stdout}");
    // `PASS <area>/<name> (<time>)`, in the order given.
    let passed: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("PASS "))
        .filter_map(|l| l.split([' ', '/']).nth(1))
        .collect();
    assert_eq!(passed, REMOTE, "{stdout}");
}

#[test]
fn run_with_client_uses_the_named_cert_client_binary_and_refuses_a_missing_one() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let wrapper = dir.path().join("client-under-test");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\ntouch '{}'\nexec '{}' \"$@\"\n",
            marker.display(),
            sibling("cert-client").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = harness()
        .args(["run", "component-unavailable", "--client"])
        .arg(&wrapper)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(marker.exists(), "the named client was not the one run");

    let out = harness()
        .args(["run", "component-unavailable", "--client"])
        .arg(dir.path().join("absent"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no such file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
