//! The protocol document promises that curl and openssl alone can enroll: its walk-through block
//! is run here as written, against the `mock-ca` binary, where curl, openssl and jq are installed.

use std::process::Command;

use crate::support::{SiteProcess, have, one_approved_application};

/// The shell block under "## Enrolling with curl and openssl".
fn walkthrough() -> String {
    let doc = include_str!("../../docs/protocol.md");
    let section = doc
        .split("## Enrolling with curl and openssl")
        .nth(1)
        .expect("the protocol document has its walk-through");
    let start = section.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let end = start + section[start..].find("```").expect("the block ends");
    section[start..end].to_owned()
}

#[test]
fn the_documented_curl_and_openssl_walkthrough_enrolls() {
    if !(have("curl") && have("openssl") && have("jq")) {
        eprintln!("curl, openssl or jq not on PATH: skipping the protocol walk-through");
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let site = SiteProcess::start(
        &one_approved_application(temp.path()),
        &temp.path().join("site"),
    );
    // The password travels only in its mail; read it with the client's Maildir reader.
    let password = client::mailbox::read_invitation(&site.state.join("maildir"))
        .unwrap()
        .password;
    let work = temp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let output = Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(walkthrough())
        .current_dir(&work)
        .env("SITE", &site.url)
        .env("APP", "ap-0001")
        .env("CA", site.state.join("site-ca.pem"))
        .env("PASSWORD", password)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "walk-through failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // curl prints each answer without a newline: read the output as a stream of JSON values and
    // after the openssl fingerprint line; the last value is the confirmation page.
    let json_start = stdout.rfind("{\"confirm\"").expect("step 4 answered");
    let page: serde_json::Value = serde_json::Deserializer::from_str(&stdout[json_start..])
        .into_iter::<serde_json::Value>()
        .last()
        .expect("the confirmation page answered")
        .unwrap();
    assert_eq!(page["title"], "証明書確認ページ");
    assert_eq!(
        page["holder"]["subject"],
        "CN=Taro Yamada,O=Example Securities,C=JP"
    );
}
