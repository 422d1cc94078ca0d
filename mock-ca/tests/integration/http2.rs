//! Over HTTP/2, an answer the site gives before reading the request's body (PAYLOAD-TOO-LARGE, an
//! injected fault, a refusal before the body) arrives whole: checked with `curl --http2`, whose
//! 7.88 drops such an answer when the stream is reset after it. Skipped with a notice where curl
//! is absent (`apt-get install curl`).

use std::process::Command;

use mock_ca::{MockCa, PUBLIC_BODY_LIMIT};
use serde_json::{Value, json};

use crate::support::{self, admin_of, approved};

/// `curl --http2` POSTing `body` to `path`: its exit code, the status and the JSON answer.
fn curl_post(
    site: &MockCa,
    ca: &std::path::Path,
    path: &str,
    body: &std::path::Path,
) -> (i32, u16, Value) {
    let output = Command::new("curl")
        .args([
            "--http2",
            "-s",
            "--max-time",
            "20",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
        ])
        .arg("--cacert")
        .arg(ca)
        .args([
            "-H",
            "Accept: application/json",
            "-H",
            "Content-Type: application/json",
        ])
        .arg("--data-binary")
        .arg(format!("@{}", body.display()))
        .arg(format!("{}{path}", site.url()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (answer, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (
        output.status.code().unwrap_or(-1),
        status.trim().parse().unwrap_or(0),
        serde_json::from_str(answer).unwrap_or(Value::Null),
    )
}

// Two workers: curl runs blocking on the test's thread while the site answers on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_given_before_the_body_is_read_arrive_whole_over_http2() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("notice: the HTTP/2 test is skipped: no curl on PATH (apt-get install curl)");
        return;
    }
    let site = support::site().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("site-ca.pem");
    std::fs::write(&ca, site.site_trust_pem()).unwrap();
    let big = dir.path().join("big.json");
    let password = "x".repeat(PUBLIC_BODY_LIMIT + 6 * 1024);
    std::fs::write(&big, json!({ "password": password }).to_string()).unwrap();
    let small = dir.path().join("small.json");
    std::fs::write(&small, r#"{"password": "wrong"}"#).unwrap();
    let ops = admin_of(&site);
    let id = approved(&ops).await;
    let login = format!("/apply/{id}/login");

    // Tries enough that a dropped answer (most tries, before) cannot pass by luck.
    for _ in 0..10 {
        let (code, status, answer) = curl_post(&site, &ca, &login, &big);
        assert_eq!((code, status), (0, 413), "{answer}");
        assert_eq!(answer["error"]["id"], "PAYLOAD-TOO-LARGE");
    }
    ops.post(
        "/faults",
        json!({"endpoint": "login", "forever": true,
                    "effect": {"kind": "error", "id": "NO-VALID-REQUEST"}}),
    )
    .await
    .unwrap();
    for _ in 0..10 {
        let (code, status, answer) = curl_post(&site, &ca, &login, &small);
        assert_eq!((code, status), (0, 410), "{answer}");
        assert_eq!(answer["error"]["detail"], "injected fault");
    }
    ops.delete("/faults").await.unwrap();
    ops.post(
        "/faults",
        json!({"endpoint": "login", "forever": true,
                    "effect": {"kind": "status", "status": 503}}),
    )
    .await
    .unwrap();
    for _ in 0..10 {
        let (code, status, answer) = curl_post(&site, &ca, &login, &small);
        assert_eq!((code, status), (0, 503), "{answer}");
        assert_eq!(answer["error"]["id"], "FAULT-INJECTED");
    }
    // A handler that refuses without reading its body (no session at 発行).
    let (code, status, answer) = curl_post(&site, &ca, &format!("/apply/{id}/issue"), &small);
    assert_eq!((code, status), (0, 401), "{answer}");
    assert_eq!(answer["error"]["id"], "SESSION-REQUIRED");
}
