//! (1) One enrollment end to end: the `cert-client` process with a fresh store against a running
//! `mock-ca`, against `lego` getting one certificate from a running `pebble`; interleaved.
//!
//! Our overhead (the time without key generation) is taken per run from the client's own `--json`
//! events, each stamped as its line arrives: the window from the `web-access` answer (the last
//! line before the key is made) to `key-stored` is RSA-2048 key generation plus the CSR and the
//! key's atomic write to the store; it is subtracted from that run's wall time.

use std::{
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use tokio::{
    io::{AsyncBufReadExt as _, BufReader},
    process::Command,
};

use crate::{
    peer::{self, PebbleConfig},
    site::{Admin, Site},
    stats::{median, ms},
};

/// What the enrollment measurement found.
#[derive(Debug, Default)]
pub struct Enrollment {
    /// Our wall times (ms).
    pub ours: Vec<f64>,
    /// Our wall times minus each run's key-generation window (ms).
    pub overhead: Vec<f64>,
    /// The key-generation windows (ms).
    pub keygen: Vec<f64>,
    /// Pebble+lego wall times (ms); empty when they could not run.
    pub peer: Vec<f64>,
}

/// Runs `runs` interleaved pairs.
pub async fn measure(
    bin: &Path,
    ca: &Path,
    work: &Path,
    runs: usize,
    peer: Option<&(std::path::PathBuf, std::path::PathBuf)>,
) -> anyhow::Result<Enrollment> {
    let site = Site::start(bin, ca, &work.join("enroll-site")).await?;
    let admin = site.admin()?;
    let pebble = match peer {
        Some((pebble, lego)) => {
            let config = PebbleConfig::write(&work.join("pebble"))?;
            let child = peer::spawn_pebble(pebble, &config)?;
            peer::wait_answered(&peer::probe()?, &config.directory, Instant::now()).await?;
            Some((child, config, lego.clone()))
        }
        None => None,
    };
    let mut found = Enrollment::default();
    for run in 0..runs {
        let (total, keygen) = ours_once(bin, &site, &admin, &work.join(format!("run-{run}")), run)
            .await
            .with_context(|| format!("our enrollment {run}"))?;
        found.ours.push(ms(total));
        found.keygen.push(ms(keygen));
        found.overhead.push(ms(total.saturating_sub(keygen)));
        if let Some((_, config, lego)) = &pebble {
            let took = peer::lego_once(lego, config, &work.join(format!("lego-{run}")))
                .await
                .with_context(|| format!("lego run {run}"))?;
            found.peer.push(ms(took));
        }
        eprint!(".");
    }
    eprintln!();
    Ok(found)
}

/// One `cert-client enroll` with the two mails of a freshly approved application in a Maildir of
/// its own and a fresh store: its wall time and its key-generation window.
async fn ours_once(
    bin: &Path,
    site: &Site,
    admin: &Admin,
    dir: &Path,
    n: usize,
) -> anyhow::Result<(Duration, Duration)> {
    let id = crate::site::file(admin, n).await?;
    admin.approve(&id).await?;
    let maildir = dir.join("maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub))?;
    }
    for (application, _, path) in crate::site::mails(admin).await? {
        if application == id {
            let name = path.file_name().context("mail without a name")?;
            std::fs::copy(&path, maildir.join("new").join(name))?;
        }
    }

    let started = Instant::now();
    let mut child = Command::new(bin.join("cert-client"))
        .arg("--json")
        .arg("--store")
        .arg(dir.join("store"))
        .arg("enroll")
        .arg("--maildir")
        .arg(&maildir)
        .arg("--site-ca")
        .arg(site.site_ca())
        .arg("--yes")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting cert-client")?;
    // Invariant: stdout was piped just above.
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut stamped = Vec::new();
    while let Some(line) = lines.next_line().await? {
        stamped.push((started.elapsed(), line));
    }
    let status = child.wait().await?;
    let total = started.elapsed();
    let last = stamped.last().map(|(_, l)| l.as_str()).unwrap_or("");
    if !status.success() || !last.contains("\"result\":\"ok\"") {
        bail!("cert-client failed ({status}): {last}");
    }
    let event = |line: &str| {
        serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v["event"].as_str().map(str::to_owned))
    };
    let stored = stamped
        .iter()
        .position(|(_, l)| event(l).as_deref() == Some("key-stored"))
        .context("no key-stored event")?;
    let before = stored.checked_sub(1).context("key-stored came first")?;
    Ok((total, stamped[stored].0 - stamped[before].0))
}

/// Medians: (ours, overhead, keygen, peer).
pub fn medians(found: &Enrollment) -> (Option<f64>, Option<f64>, Option<f64>, Option<f64>) {
    (
        median(&found.ours),
        median(&found.overhead),
        median(&found.keygen),
        median(&found.peer),
    )
}
