//! `mock-ca serve` as a process: the URL first, `ready`, and a graceful stop on SIGINT and SIGTERM
//! with the records on disk.

use std::{
    io::{BufRead as _, BufReader, Read as _},
    process::{Command, Stdio},
};

use serde_json::{Value, json};

use crate::support::client;

#[tokio::test]
async fn sigint_and_sigterm_stop_the_site_gracefully_and_its_records_survive() {
    for signal in ["-INT", "-TERM"] {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_mock-ca"))
            .args([
                "serve",
                "--port",
                "0",
                "--admin-token",
                "t0ken",
                "--data-dir",
            ])
            .arg(data.path())
            .arg("--ca-dir")
            .arg(test_support::pki::root_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines.next().unwrap().unwrap();
        assert!(url.starts_with("https://127.0.0.1:"), "{url}");
        for line in lines.by_ref() {
            if line.unwrap() == "ready" {
                break;
            }
        }
        let anchor = std::fs::read_to_string(data.path().join("site-ca.pem")).unwrap();
        let filed: Value = client(&anchor, None)
            .post(format!("{url}/admin/applications"))
            .bearer_auth("t0ken")
            .json(&json!({"applicant": "x", "email": "x@example.jp", "subject": [["CN", "x"]]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(filed["id"], "ap-0001");

        let killed = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert!(status.success(), "{signal}: {status}");
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert!(stderr.contains("mock-ca: shutting down"), "{stderr}");
        assert!(stderr.contains("mock-ca: stopped"), "{stderr}");
        let records = rusqlite::Connection::open(data.path().join("records.sqlite3")).unwrap();
        let ids: Vec<String> = records
            .prepare("SELECT id FROM applications")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ids, ["ap-0001"]);
    }
}
