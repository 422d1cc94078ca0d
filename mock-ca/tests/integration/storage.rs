//! A full disk under `--data-dir`: a change that cannot be recorded is refused
//! (STORAGE-UNAVAILABLE, 503) without being acknowledged, the site goes on serving what it can,
//! and it takes changes again once space returns. On a small tmpfs the test mounts, which needs
//! root (CI runs as root); elsewhere it is skipped with a notice.

use std::{io::Write as _, path::PathBuf, process::Command};

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use test_support::Admin;

use crate::support::{self, admin_of, approved, client, mailed_password};

/// A tmpfs of a few MiB, unmounted when dropped.
struct SmallDisk {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let path = dir.path().to_path_buf();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&path)
            .output()
            .ok()?;
        if !mounted.status.success() {
            eprintln!(
                "notice: the full-disk test is skipped: cannot mount a tmpfs here ({}); it runs as root, as CI does",
                String::from_utf8_lossy(&mounted.stderr).trim()
            );
            return None;
        }
        Some(Self { _dir: dir, path })
    }

    /// Fills the disk until a write fails with ENOSPC; the file that does it.
    fn fill(&self) -> PathBuf {
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        loop {
            match file.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        // The last pages too, byte by byte: nothing may be left for the records.
        while file.write(&[0]).is_ok_and(|n| n > 0) {}
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

/// A raw admin request: its status and JSON answer, whatever they are.
async fn admin(
    admin: &Admin,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, answer) = admin.send(method, path, body).await.unwrap();
    (StatusCode::from_u16(status).unwrap(), answer)
}

fn form() -> Value {
    json!({"applicant": "山田 太郎", "email": "taro@example.jp",
           "subject": [["C", "JP"], ["O", "Example Securities"], ["CN", "Taro Yamada"]]})
}

#[tokio::test]
async fn a_full_disk_refuses_changes_unacknowledged_keeps_serving_and_recovers_when_space_returns()
{
    let Some(disk) = SmallDisk::mount("4m") else {
        return;
    };
    let data = disk.path.join("data");
    let site = support::site().data_dir(&data).start().await.unwrap();
    let ops = admin_of(&site);
    let approved = approved(&ops).await;
    let password = mailed_password(&site, &approved).await;
    let (status, waiting) = admin(&ops, Method::POST, "/applications", Some(form())).await;
    assert_eq!(status, StatusCode::CREATED);
    let waiting = waiting["id"].as_str().unwrap().to_owned();

    let filler = disk.fill();
    // Every change is refused, none acknowledged: a filing, an approval, a login.
    let (status, refused) = admin(&ops, Method::POST, "/applications", Some(form())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{refused}");
    assert_eq!(refused["error"]["id"], "STORAGE-UNAVAILABLE");
    assert!(refused["error"]["remedy"].is_string());
    let (status, refused) = admin(
        &ops,
        Method::POST,
        &format!("/applications/{waiting}/approve"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{refused}");
    let http = client(site.site_trust_pem(), None);
    let login = http
        .post(format!("{}/apply/{approved}/login", site.url()))
        .header(header::ACCEPT, "application/json")
        .json(&json!({ "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(login.headers().get(header::SET_COOKIE).is_none());

    // What can be served still is: the pages, the listing (nothing refused shows in it).
    let (status, listed) = admin(&ops, Method::GET, "/applications", None).await;
    assert_eq!(status, StatusCode::OK);
    let states: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [(approved.as_str(), "approved"), (waiting.as_str(), "filed")]
    );
    let repository = http
        .get(format!("{}/repository", site.url()))
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(repository.status(), StatusCode::OK);
    let (_, mails) = admin(&ops, Method::GET, "/outbox", None).await;
    assert_eq!(mails.as_array().unwrap().len(), 2, "{mails}");

    // Space returns: the same changes go through.
    std::fs::remove_file(filler).unwrap();
    let (status, filed) = admin(&ops, Method::POST, "/applications", Some(form())).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!(
        filed["id"], "ap-0003",
        "the refused filing left no number behind"
    );
    let (status, _) = admin(
        &ops,
        Method::POST,
        &format!("/applications/{waiting}/approve"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    site.shutdown().await;

    // A restart finds exactly what was acknowledged.
    let again = support::site().data_dir(&data).start().await.unwrap();
    let (_, listed) = admin(&admin_of(&again), Method::GET, "/applications", None).await;
    let states: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            (approved.as_str(), "approved"),
            (waiting.as_str(), "approved"),
            ("ap-0003", "filed")
        ]
    );
    drop(again);
}
