//! Crashes. `cert-client enroll` SIGKILLed at each checkpoint (`CERT_CLIENT_HOLD_AT`) and at random
//! moments must leave a consistent store (no certificate without its key, keys 0600), the next run
//! must say what it found and lose no key; `mock-ca serve --data-dir` SIGKILLed mid-issuance and
//! restarted must have every application and certificate it acknowledged, and the same root.

use std::{
    collections::BTreeSet,
    os::unix::fs::PermissionsExt as _,
    path::Path,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use rcgen::PublicKeyData as _;
use rustls_pki_types::{CertificateDer, pem::PemObject as _};
use serde_json::json;
use test_support::admin::Method;
use tokio::io::{AsyncBufReadExt as _, BufReader};

use crate::{
    Config, Failure, Summary,
    rng::Rng,
    site::{self, SiteProcess},
};

/// The checkpoints of `cert-client` (README, `CERT_CLIENT_HOLD_AT`).
pub const CHECKPOINTS: &[&str] = &["key-generation", "csr-sent", "certificate-received"];
/// What the binary prints when it holds.
const HOLDING: &str = "cert-client: holding at checkpoint ";
/// The line `enroll` prints when it finds a pending request of an earlier attempt.
const PENDING_FOUND: &str = "前回の申請の鍵が残っています";

/// What a store holds, as the README lays it out.
#[derive(Debug, Default)]
pub struct StoreView {
    /// Every key (PEM, trimmed) in `pending/*/key.pem` and `personal/*/key.pem`.
    pub keys: BTreeSet<String>,
    /// Whether a pending request is kept.
    pub pending: bool,
    /// Broken invariants.
    pub problems: Vec<String>,
}

/// Reads the store: a certificate needs its key beside it (and the key must be the certificate's);
/// keys are 0600.
pub fn inspect(store: &Path) -> StoreView {
    let mut view = StoreView::default();
    for area in ["personal", "pending"] {
        let Ok(entries) = std::fs::read_dir(store.join(area)) else {
            continue;
        };
        for entry in entries.flatten() {
            let dir = entry.path();
            // `.incoming-*` is a write cut short (the README: `doctor` reports it); what it was
            // writing is still where it came from.
            let interrupted = entry
                .file_name()
                .to_string_lossy()
                .starts_with(".incoming-");
            if !dir.is_dir() || interrupted {
                continue;
            }
            let key_path = dir.join("key.pem");
            let certificate_path = dir.join("certificate.pem");
            let key = std::fs::read_to_string(&key_path).ok();
            if area == "pending" && (key.is_some() || dir.join("request.json").exists()) {
                view.pending = true;
            }
            if let Some(key) = &key {
                view.keys.insert(key.trim().to_owned());
                let mode = std::fs::metadata(&key_path)
                    .map(|m| m.permissions().mode() & 0o777)
                    .unwrap_or(0);
                if mode != 0o600 {
                    view.problems
                        .push(format!("{} is {mode:o}, not 600", key_path.display()));
                }
            }
            if let Ok(certificate) = std::fs::read_to_string(&certificate_path) {
                match &key {
                    None => view.problems.push(format!(
                        "{} has no key beside it",
                        certificate_path.display()
                    )),
                    Some(key) if !belongs(&certificate, key) => view.problems.push(format!(
                        "{} is not the certificate of the key beside it",
                        certificate_path.display()
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    view
}

/// Whether the certificate holds the key's public half.
fn belongs(certificate_pem: &str, key_pem: &str) -> bool {
    let Ok(key) = rcgen::KeyPair::from_pem(key_pem) else {
        return false;
    };
    let Ok(der) = CertificateDer::from_pem_slice(certificate_pem.as_bytes()) else {
        return false;
    };
    x509_parser::parse_x509_certificate(&der)
        .is_ok_and(|(_, c)| c.public_key().raw == key.subject_public_key_info().as_slice())
}

/// One client crash and the run after it.
async fn client_kill(
    config: &Config,
    site: &SiteProcess,
    state: &Path,
    label: &str,
    hold: Option<&str>,
    delay: Duration,
    summary: &mut Summary,
) -> Result<(), Failure> {
    let applicant = site.approved(&format!("Killed {label}")).await?;
    let store = config.work.join("stores").join(label);
    let url = format!("{}/apply/{}", site.url, applicant.id);
    let site_ca = state.join("site-ca.pem");
    let cert_client = config.binary("cert-client")?;
    let enroll = |hold: Option<&str>| {
        let mut command = tokio::process::Command::new(&cert_client);
        command
            .arg("--store")
            .arg(&store)
            .args([
                "enroll",
                "--url",
                &url,
                "--password",
                &applicant.password,
                "--site-ca",
            ])
            .arg(&site_ca)
            .arg("--yes")
            .env_remove("CERT_CLIENT_HOLD_AT")
            .env_remove("CERT_CLIENT_NO_COMPONENT")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if let Some(point) = hold {
            command.env("CERT_CLIENT_HOLD_AT", point);
        }
        command
    };

    let mut child = enroll(hold)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Failure::setup("cert-client", e))?;
    match hold {
        Some(point) => {
            let stderr = child
                .stderr
                .take()
                .ok_or_else(|| Failure::Setup("stderr is not piped".into()))?;
            let mut lines = BufReader::new(stderr).lines();
            let mut held = false;
            while let Ok(Some(line)) = lines.next_line().await {
                if line.starts_with(HOLDING) && line.ends_with(point) {
                    held = true;
                    break;
                }
            }
            if !held {
                return Err(Failure::Wrong(format!(
                    "cert-client never held at {point}: {:?}",
                    child.wait().await
                )));
            }
        }
        None => tokio::time::sleep(delay).await,
    }
    let still_running = matches!(child.try_wait(), Ok(None));
    let _ = child.start_kill();
    let _ = child.wait().await;
    if still_running {
        summary.kills += 1;
    }

    let after_kill = inspect(&store);
    for problem in &after_kill.problems {
        summary.wrong(&Failure::Wrong(format!("after kill {label}: {problem}")));
    }
    let doctor = tokio::process::Command::new(&cert_client)
        .arg("--store")
        .arg(&store)
        .arg("doctor")
        .env("NO_COLOR", "1")
        .output()
        .await
        .map_err(|e| Failure::setup("doctor", e))?;
    let doctor_code = doctor.status.code();
    if !matches!(doctor_code, Some(0 | 7)) || doctor.stdout.is_empty() {
        summary.wrong(&Failure::Wrong(format!(
            "doctor after kill {label}: exit {doctor_code:?}, {}",
            String::from_utf8_lossy(&doctor.stderr)
        )));
    }

    let next = enroll(None)
        .output()
        .await
        .map_err(|e| Failure::setup("cert-client", e))?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&next.stdout),
        String::from_utf8_lossy(&next.stderr)
    );
    let code = next.status.code();
    let acceptable = match code {
        Some(0) => true,
        // The site issued before the answer was kept (STEP3-ONE-WAY), or the install completed
        // before the kill (NO-VALID-REQUEST): reported with the id, the key kept.
        Some(3) => said.contains("STEP3-ONE-WAY") || said.contains("NO-VALID-REQUEST"),
        _ => false,
    };
    if !acceptable {
        summary.wrong(&Failure::Wrong(format!(
            "the run after kill {label} exited {code:?}: {said}"
        )));
    }
    if after_kill.pending && !said.contains(PENDING_FOUND) {
        summary.wrong(&Failure::Wrong(format!(
            "the run after kill {label} did not say it found the pending request: {said}"
        )));
    }
    let after_next = inspect(&store);
    for problem in &after_next.problems {
        summary.wrong(&Failure::Wrong(format!(
            "after the next run {label}: {problem}"
        )));
    }
    let lost = after_kill.keys.difference(&after_next.keys).count();
    if lost > 0 {
        summary.keys_lost += lost as u64;
        summary.wrong(&Failure::Wrong(format!(
            "{lost} keys made before kill {label} are gone after the next run"
        )));
    }
    Ok(())
}

/// What the site acknowledged before it was killed.
#[derive(Debug, Default)]
struct Acknowledged {
    filed: Vec<String>,
    issued: Vec<(String, String)>,
    completed: Vec<String>,
}

/// Enrollments one after another until the site stops answering, noting every acknowledgement.
async fn keep_enrolling(
    site: Arc<SiteProcess>,
    key_pem: String,
    worker: usize,
    acks: Arc<Mutex<Acknowledged>>,
) {
    let note = |f: &dyn Fn(&mut Acknowledged)| {
        // A poisoned lock only means another worker panicked; its notes are whole.
        f(&mut acks.lock().unwrap_or_else(|p| p.into_inner()));
    };
    let Ok(key) = rcgen::KeyPair::from_pem(&key_pem) else {
        return;
    };
    for n in 0.. {
        let Ok(applicant) = site.approved(&format!("Restart {worker}-{n}")).await else {
            return;
        };
        note(&|a| a.filed.push(applicant.id.clone()));
        let Ok(logged) = site
            .https
            .send(&site::login(&applicant.id, &applicant.password))
            .await
        else {
            return;
        };
        let Some(session) = site::session_of(&logged) else {
            return;
        };
        if site
            .https
            .send(&site::step(&applicant.id, "issue", &session))
            .await
            .is_err()
        {
            return;
        }
        let Ok(csr) = site::make_csr(&key, &applicant.subject()) else {
            return;
        };
        let Ok(issued) = site
            .https
            .send(&site::csr(&applicant.id, &session, &csr))
            .await
        else {
            return;
        };
        if issued.status == 201 {
            let serial = issued
                .json()
                .and_then(|j| j["serial"].as_str().map(str::to_owned))
                .unwrap_or_default();
            note(&|a| a.issued.push((applicant.id.clone(), serial.clone())));
        }
        match site
            .https
            .send(&site::step(&applicant.id, "complete", &session))
            .await
        {
            Ok(done) if done.status == 200 => note(&|a| a.completed.push(applicant.id.clone())),
            _ => return,
        }
    }
}

/// The root's SHA-256 thumbprint from `/repository`.
async fn root_of(site: &SiteProcess) -> Result<String, Failure> {
    let answer = site
        .https
        .send(&crate::https::Request::new("GET", "/repository").json())
        .await
        .map_err(|e| Failure::Wrong(format!("repository: {e}")))?;
    answer
        .json()
        .and_then(|j| j["root"]["sha256"].as_str().map(str::to_owned))
        .ok_or_else(|| Failure::Wrong("repository without a root".into()))
}

/// One site crash mid-issuance and the restart.
async fn site_kill(
    config: &Config,
    n: usize,
    rng: &mut Rng,
    summary: &mut Summary,
) -> Result<(), Failure> {
    let data = config.work.join(format!("site-data-{n}"));
    let mock_ca = config.binary("mock-ca")?;
    let site = Arc::new(SiteProcess::start(
        &mock_ca,
        &data,
        Some(&data),
        "soak-token",
    )?);
    let root = root_of(&site).await?;
    let keys = crate::rsa_keys(1)?;
    let acks = Arc::new(Mutex::new(Acknowledged::default()));
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..4 {
        workers.spawn(keep_enrolling(
            site.clone(),
            keys[0].serialize_pem(),
            worker,
            acks.clone(),
        ));
    }
    // Let some applications get issued first, then kill at a random moment.
    tokio::time::sleep(Duration::from_millis(300 + rng.below(1200) as u64)).await;
    site.kill();
    summary.kills += 1;
    while workers.join_next().await.is_some() {}

    let restarted = SiteProcess::start(&mock_ca, &data, Some(&data), "soak-token")?;
    if root_of(&restarted).await? != root {
        summary.wrong(&Failure::Wrong(format!("restart {n}: the root changed")));
    }
    let acks = std::mem::take(&mut *acks.lock().unwrap_or_else(|p| p.into_inner()));
    if acks.issued.is_empty() {
        eprintln!("soak: notice: restart {n}: killed before any certificate was issued");
    }
    for id in &acks.filed {
        let (status, _) = restarted
            .admin
            .send(Method::GET, &format!("/applications/{id}"), None)
            .await
            .map_err(|e| Failure::Wrong(e.to_string()))?;
        if status != 200 {
            summary.wrong(&Failure::Wrong(format!(
                "restart {n}: application {id} lost"
            )));
        }
    }
    for (id, serial) in &acks.issued {
        let record = restarted
            .admin_ok("GET", &format!("/applications/{id}"), None)
            .await?;
        let kept = record["certificates"]
            .as_array()
            .is_some_and(|c| c.iter().any(|s| s == serial));
        if !kept {
            summary.wrong(&Failure::Wrong(format!(
                "restart {n}: certificate {serial} of {id} lost"
            )));
        }
    }
    for id in &acks.completed {
        let record = restarted
            .admin_ok("GET", &format!("/applications/{id}"), None)
            .await?;
        if record["state"] != "completed" {
            summary.wrong(&Failure::Wrong(format!(
                "restart {n}: {id} was completed, is {}",
                record["state"]
            )));
        }
    }
    // And the restarted site still enrolls.
    let applicant = restarted.approved("After Restart").await?;
    if let Err(failure) = site::enroll(&restarted, &applicant, &keys[0]).await {
        summary.wrong(&failure);
    }
    summary.panics += restarted.panics_logged();
    let _ = restarted
        .admin
        .put("/auto-approve", json!({"enabled": false}))
        .await;
    restarted.kill();
    Ok(())
}

/// Client kills at each checkpoint and at random moments; site kills with restarts.
pub async fn run(config: &Config, summary: &mut Summary) -> Result<(), Failure> {
    let mut rng = Rng::new(config.seed ^ 0x6b69_6c6c);
    let state = config.work.join("kills");
    let site = SiteProcess::start(&config.binary("mock-ca")?, &state, None, "soak-token")?;
    for point in CHECKPOINTS {
        if let Err(failure) = client_kill(
            config,
            &site,
            &state,
            point,
            Some(point),
            Duration::ZERO,
            summary,
        )
        .await
        {
            summary.wrong(&failure);
        }
    }
    for n in 0..config.plan.random_kills {
        // An enrollment takes a few hundred milliseconds: the kill falls somewhere in it.
        let delay = Duration::from_millis(rng.below(400) as u64);
        if let Err(failure) = client_kill(
            config,
            &site,
            &state,
            &format!("random-{n}"),
            None,
            delay,
            summary,
        )
        .await
        {
            summary.wrong(&failure);
        }
    }
    summary.panics += site.panics_logged();
    site.kill();
    for n in 0..config.plan.site_kills {
        if let Err(failure) = site_kill(config, n, &mut rng, summary).await {
            summary.wrong(&failure);
        }
    }
    Ok(())
}
