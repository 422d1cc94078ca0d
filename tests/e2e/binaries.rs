//! The `cert-client` binary enrolls against the `mock-ca` binary; openssl and curl agree.

use std::process::Command;

use crate::support::{SiteProcess, cert_client, have, one_approved_application};

#[test]
fn cert_client_binary_enrolls_against_mock_ca_binary_and_outside_tools_agree() {
    let temp = tempfile::tempdir().unwrap();
    let site = SiteProcess::start(
        &one_approved_application(temp.path()),
        &temp.path().join("site"),
    );
    let store = temp.path().join("store");
    let site_ca = site.state.join("site-ca.pem");
    let maildir = site.state.join("maildir");

    let enrolled = cert_client(
        &store,
        &[
            "enroll",
            "--maildir",
            maildir.to_str().unwrap(),
            "--site-ca",
            site_ca.to_str().unwrap(),
            "--yes",
        ],
    );
    let stdout = String::from_utf8_lossy(&enrolled.stdout);
    assert!(
        enrolled.status.success(),
        "enroll failed: {stdout}\n{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    assert!(
        stdout.contains("証明書確認ページ: CN=Taro Yamada,O=Example Securities,C=JP"),
        "{stdout}"
    );

    // The key is beside its certificate, 0600, and nothing is left pending.
    let personal: Vec<_> = std::fs::read_dir(store.join("personal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(personal.len(), 1);
    let (certificate, key) = (
        personal[0].join("certificate.pem"),
        personal[0].join("key.pem"),
    );
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(std::fs::read_dir(store.join("pending")).unwrap().count(), 0);

    // A second enrollment: the site is closed (SITE-ONE-TIME → NO-VALID-REQUEST), exit code 3.
    let again = cert_client(
        &store,
        &[
            "enroll",
            "--maildir",
            maildir.to_str().unwrap(),
            "--site-ca",
            site_ca.to_str().unwrap(),
            "--yes",
        ],
    );
    assert_eq!(again.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("error[NO-VALID-REQUEST]: 有効な証明書申請はありません"),
        "{stderr}"
    );

    if have("openssl") {
        let verified = Command::new("openssl")
            .arg("verify")
            .arg("-CAfile")
            .arg(site.state.join("root.pem"))
            .arg("-purpose")
            .arg("sslclient")
            .arg(&certificate)
            .output()
            .unwrap();
        assert!(
            verified.status.success(),
            "openssl verify: {}{}",
            String::from_utf8_lossy(&verified.stdout),
            String::from_utf8_lossy(&verified.stderr)
        );
    } else {
        eprintln!("openssl not on PATH: skipping openssl verify");
    }

    if have("curl") {
        let confirm = format!("{}/confirm", site.confirm_url);
        let with_certificate = Command::new("curl")
            .args(["-sS", "-H", "Accept: application/json", "--cacert"])
            .arg(&site_ca)
            .arg("--cert")
            .arg(&certificate)
            .arg("--key")
            .arg(&key)
            .arg(&confirm)
            .output()
            .unwrap();
        let page: serde_json::Value = serde_json::from_slice(&with_certificate.stdout)
            .unwrap_or_else(|e| {
                panic!(
                    "curl with certificate: {e}: {}",
                    String::from_utf8_lossy(&with_certificate.stdout)
                )
            });
        assert_eq!(page["title"], "証明書確認ページ");
        assert_eq!(
            page["holder"]["subject"],
            "CN=Taro Yamada,O=Example Securities,C=JP"
        );

        let without = Command::new("curl")
            .args([
                "-sS",
                "-H",
                "Accept: application/json",
                "-w",
                "\n%{http_code}",
                "--cacert",
            ])
            .arg(&site_ca)
            .arg(&confirm)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&without.stdout);
        assert!(text.ends_with("\n403"), "{text}");
        assert!(text.contains("\"id\":\"CONFIRM-FORBIDDEN\""), "{text}");
        assert!(
            text.contains("このページの表示は認められていません"),
            "{text}"
        );
    } else {
        eprintln!("curl not on PATH: skipping the curl checks");
    }
}

#[test]
fn cert_client_binary_reports_a_wrong_password_with_its_id_and_exit_code() {
    let temp = tempfile::tempdir().unwrap();
    let site = SiteProcess::start(
        &one_approved_application(temp.path()),
        &temp.path().join("site"),
    );
    let url = format!("{}/apply/ap-0001", site.url);
    let site_ca = site.state.join("site-ca.pem");
    let out = cert_client(
        &temp.path().join("store"),
        &[
            "enroll",
            "--url",
            &url,
            "--password",
            "wrong",
            "--site-ca",
            site_ca.to_str().unwrap(),
            "--yes",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[AUTH-FAILED]: 認証に失敗したか、申請が承認されていません"),
        "{stderr}"
    );
    assert!(
        stderr.contains("パスワードを確認の上、正しく入力してください"),
        "{stderr}"
    );
}
