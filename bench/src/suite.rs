//! (3) The whole scenario suite, warm build: the wall time of `harness run` (the release binary
//! beside this one, its default four jobs, snapshots compared), from the workspace root, without
//! the browser scenarios (`--no-browser`: `suite_wall_s`) and with them (`suite_browser_wall_s`:
//! one headless Chromium shared by them, started within the time). A failing scenario does not
//! stop the benchmark: its name is reported beside the time.

use std::{path::Path, process::Stdio, time::Instant};

use anyhow::Context as _;
use tokio::process::Command;

/// Wall times (s) of `runs` whole-suite runs (`browser`: with the browser scenarios), and the
/// scenarios that failed in any of them.
pub async fn measure(
    bin: &Path,
    root: &Path,
    runs: usize,
    browser: bool,
) -> anyhow::Result<(Vec<f64>, Vec<String>)> {
    let mut walls = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut command = Command::new(bin.join("harness"));
        command.arg("run");
        if !browser {
            command.arg("--no-browser");
        }
        let output = command
            .current_dir(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .await
            .context("running harness")?;
        let took = started.elapsed().as_secs_f64();
        if !output.status.success() {
            let out = String::from_utf8_lossy(&output.stdout);
            for line in out.lines().filter(|l| l.starts_with("FAIL")) {
                if !failed.iter().any(|f| f == line) {
                    failed.push(line.to_owned());
                }
            }
            if failed.is_empty() {
                failed.push(format!("harness run: {}", output.status));
            }
        }
        walls.push(took);
        eprint!(".");
    }
    eprintln!();
    Ok((walls, failed))
}
