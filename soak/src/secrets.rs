//! Secrets: the admin API refuses every request without its token; a password is never in the
//! journal, the site's log (at `trace`), an admin answer or the records on disk (which keep only
//! its hash); the site's key files and its records are 0600.

use std::os::unix::fs::PermissionsExt as _;

use serde_json::json;

use crate::{
    Config, Failure, Summary,
    https::Request,
    site::{self, SiteProcess},
};

/// Every admin route (method, path).
const ADMIN_ROUTES: &[(&str, &str)] = &[
    ("POST", "/admin/applications"),
    ("GET", "/admin/applications"),
    ("GET", "/admin/applications/ap-0001"),
    ("POST", "/admin/applications/ap-0001/approve"),
    ("POST", "/admin/applications/ap-0001/withdraw"),
    ("GET", "/admin/auto-approve"),
    ("PUT", "/admin/auto-approve"),
    ("GET", "/admin/clock"),
    ("PUT", "/admin/clock"),
    ("POST", "/admin/clock/advance"),
    ("POST", "/admin/tick"),
    ("GET", "/admin/faults"),
    ("POST", "/admin/faults"),
    ("DELETE", "/admin/faults"),
    ("DELETE", "/admin/faults/f-1"),
    ("GET", "/admin/outbox"),
    ("GET", "/admin/outbox/m-0001"),
    ("GET", "/admin/journal"),
    ("DELETE", "/admin/journal"),
];

/// Runs the checks on a site with a data directory.
pub async fn run(config: &Config, summary: &mut Summary) -> Result<(), Failure> {
    let data = config.work.join("secrets");
    let site = SiteProcess::start(&config.binary("mock-ca")?, &data, Some(&data), "soak-token")?;
    let keys = crate::rsa_keys(1)?;

    for (method, path) in ADMIN_ROUTES {
        for authorization in [
            None,
            Some("Bearer wrong"),
            Some("Basic soak-token"),
            Some("soak-token"),
        ] {
            let mut request = Request::new(method, path)
                .json()
                .json_body(&json!({"enabled": true}));
            if let Some(value) = authorization {
                request = request.header("Authorization", value);
            }
            let answer = site.https.send(&request).await;
            let refused = matches!(&answer, Ok(a) if a.status == 401 && a.error_id().as_deref() == Some("ADMIN-UNAUTHORIZED"));
            if !refused {
                summary.wrong(&Failure::Wrong(format!(
                    "{method} {path} with {authorization:?}: {:?}",
                    answer.map(|a| a.status)
                )));
            }
        }
    }

    // Passwords meet the site: a right one (JSON and form), wrong ones near it.
    let mut passwords = Vec::new();
    for n in 0..2 {
        let applicant = site.approved(&format!("Secret Keeper {n}")).await?;
        let near = format!("{}x", applicant.password);
        let form = Request::new("POST", &format!("/apply/{}/login", applicant.id))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("password={near}"));
        let _ = site.https.send(&form).await;
        let _ = site.https.send(&site::login(&applicant.id, &near)).await;
        site::enroll(&site, &applicant, &keys[0]).await?;
        passwords.push(applicant.password.clone());
        passwords.push(near);
    }
    let journal = site.admin_ok("GET", "/journal", None).await?.to_string();
    let listing = site
        .admin_ok("GET", "/applications", None)
        .await?
        .to_string();
    let log = std::fs::read_to_string(&site.log).unwrap_or_default();
    // The database and its WAL, as bytes read as text: a password in clear would show.
    let records: String = files(&data)
        .iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("records"))
        })
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned())
        .collect();
    for password in &passwords {
        for (what, text) in [
            ("journal", &journal),
            ("applications listing", &listing),
            ("log", &log),
            ("records", &records),
        ] {
            if text.contains(password.as_str()) {
                summary.wrong(&Failure::Wrong(format!("a password is in the {what}")));
            }
        }
    }

    for path in files(&data) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let secret = name.contains("key") || name.starts_with("records.sqlite3");
        let mode = std::fs::metadata(&path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        if secret && mode != 0o600 {
            summary.wrong(&Failure::Wrong(format!(
                "{} is {mode:o}, not 600",
                path.display()
            )));
        }
    }
    summary.panics += site.panics_logged();
    site.kill();
    Ok(())
}

/// Every file under `dir`.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}
