//! (2) Start to ready: from spawning the process to the first answered request. `mock-ca serve`
//! loads a fixture root (`--ca-dir`) and is probed with `GET /`; `pebble` (which makes its root
//! and intermediate at each start) with `GET /dir`. Both are probed the same way, every
//! tenth of a millisecond, by a client that accepts any server certificate; interleaved.

use std::{path::Path, process::Stdio, time::Instant};

use anyhow::Context as _;
use tokio::process::Command;

use crate::{
    peer::{self, PebbleConfig},
    site::free_port,
    stats::ms,
};

/// One `mock-ca serve --ca-dir CA` with `args` besides, from spawn to its first answered `GET /`
/// (ms); the process is killed after.
pub async fn time_to_ready<'a>(
    bin: &Path,
    ca: &Path,
    probe: &reqwest::Client,
    args: impl IntoIterator<Item = &'a std::ffi::OsStr>,
) -> anyhow::Result<f64> {
    let port = free_port()?;
    let started = Instant::now();
    let mut child = Command::new(bin.join("mock-ca"))
        .args(["serve", "--admin-token", "bench", "--port"])
        .arg(port.to_string())
        .arg("--ca-dir")
        .arg(ca)
        .args(args)
        .env("MOCK_CA_LOG", "mock_ca=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting mock-ca")?;
    let took = peer::wait_answered(probe, &format!("https://127.0.0.1:{port}/"), started)
        .await
        .context("mock-ca start")?;
    child.kill().await?;
    Ok(ms(took))
}

/// Start-to-ready times (ms): ours, and pebble's (empty when it could not run).
pub async fn measure(
    bin: &Path,
    ca: &Path,
    work: &Path,
    runs: usize,
    pebble: Option<&Path>,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let probe = peer::probe()?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let state = work.join(format!("start-{run}"));
        ours.push(
            time_to_ready(bin, ca, &probe, ["--state-dir".as_ref(), state.as_os_str()]).await?,
        );

        if let Some(pebble) = pebble {
            let config = PebbleConfig::write(&work.join("pebble-start"))?;
            let started = Instant::now();
            let mut child = peer::spawn_pebble(pebble, &config)?;
            let took = peer::wait_answered(&probe, &config.directory, started)
                .await
                .context("pebble start")?;
            theirs.push(ms(took));
            child.kill().await?;
        }
        eprint!(".");
    }
    eprintln!();
    Ok((ours, theirs))
}
