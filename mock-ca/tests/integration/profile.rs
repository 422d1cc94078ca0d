//! `mock-ca profile export` and `serve --profile` / `[site] profile` as a person uses them: the
//! default written out, read back, and another profile served.

use std::{
    io::{BufRead as _, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

use crate::support::client;

fn mock_ca() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mock-ca"))
}

/// A `mock-ca serve` that is killed when dropped.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `mock-ca serve` with `args`, its state in `state`; the child and its URL, once ready.
fn serve(args: &[&str], state: &Path) -> (Serving, String) {
    let mut child = mock_ca()
        .arg("serve")
        .args(args)
        .arg("--state-dir")
        .arg(state)
        .arg("--ca-dir")
        .arg(test_support::pki::root_dir())
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
    (Serving(child), url)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_default_profile_exports_checks_and_is_not_written_over() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v3.12");
    let export = mock_ca()
        .args(["profile", "export"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(export.status.success(), "{export:?}");
    assert!(out.join("templates/step1.html").is_file());
    let check = mock_ca()
        .args(["profile", "check"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("guide-v3.10 (guide 3.10)"),
        "{check:?}"
    );
    let again = mock_ca()
        .args(["profile", "export"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("[PROFILE-WRITE]"),
        "{again:?}"
    );
}

#[test]
fn a_profile_that_does_not_load_stops_serve_with_its_file_line_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("broken");
    assert!(
        mock_ca()
            .args(["profile", "export"])
            .arg(&profile)
            .status()
            .unwrap()
            .success()
    );
    let file = profile.join("profile.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("opening = \"09:00\"", "opening = \"nine\""),
    )
    .unwrap();
    let out = mock_ca()
        .args(["serve", "--profile"])
        .arg(&profile)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("profile.toml:"), "{stderr}");
    assert!(
        stderr.contains("[policy] opening = \"nine\" is not HH:MM"),
        "{stderr}"
    );
    assert!(stderr.contains("[PROFILE-INVALID]"), "{stderr}");
}

#[tokio::test]
async fn the_config_names_a_profile_beside_it_and_serve_serves_its_pages() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/profiles/v3.11");
    copy_dir(&fixture, &dir.path().join("profiles/v3.11"));
    let config = dir.path().join("site.toml");
    std::fs::write(&config, "[site]\nprofile = \"profiles/v3.11\"\n").unwrap();
    let state = dir.path().join("state");
    let (_site, url) = serve(&["--config", config.to_str().unwrap()], &state);
    let anchor = std::fs::read_to_string(state.join("site-ca.pem")).unwrap();
    let client = client(&anchor, None);
    let notice = client.get(format!("{url}/notice")).send().await.unwrap();
    assert_eq!(notice.status(), 200);
    let page = notice.text().await.unwrap();
    assert!(
        page.contains("<h1>Windows 10 のサポート終了のお知らせ</h1>"),
        "{page}"
    );
    let top = client.get(format!("{url}/")).send().await.unwrap();
    assert!(top.text().await.unwrap().contains("class=\"page\""));

    // The default, for contrast: no such page.
    let state = dir.path().join("default");
    let (_default, url) = serve(&[], &state);
    let anchor = std::fs::read_to_string(state.join("site-ca.pem")).unwrap();
    let missing = crate::support::client(&anchor, None)
        .get(format!("{url}/notice"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
