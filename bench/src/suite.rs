//! (3) The whole scenario suite, warm build: the wall time of `harness run` (the release binary
//! beside this one, its default four jobs, snapshots compared), from the workspace root.

use std::{path::Path, process::Stdio, time::Instant};

use anyhow::{Context as _, bail};
use tokio::process::Command;

/// Wall times (s) of `runs` whole-suite runs.
pub async fn measure(bin: &Path, root: &Path, runs: usize) -> anyhow::Result<Vec<f64>> {
    let mut walls = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let output = Command::new(bin.join("harness"))
            .arg("run")
            .current_dir(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .await
            .context("running harness")?;
        let took = started.elapsed().as_secs_f64();
        if !output.status.success() {
            let out = String::from_utf8_lossy(&output.stdout);
            let failed: Vec<&str> = out.lines().filter(|l| l.contains("FAIL")).collect();
            bail!("harness run failed ({}): {failed:?}", output.status);
        }
        walls.push(took);
        eprint!(".");
    }
    eprintln!();
    Ok(walls)
}
