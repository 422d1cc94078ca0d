//! (3) The whole scenario suite, warm build: the wall time of `harness run` (the release binary
//! beside this one, its default four jobs, snapshots compared), from the workspace root, without
//! the browser scenarios (`--no-browser`: `suite_wall_s`) and with them (`suite_browser_wall_s`:
//! one headless Chromium shared by them, started within the time), and with them photographing
//! every page and dialog on the way (`suite_pages_wall_s`: `--screenshots pages`, as the report
//! is made; a plain run photographs what each step ended on). A failing scenario does not stop
//! the benchmark: its name is reported beside the time.
//!
//! Beside each wall time, the CPU seconds of every process the run started, Chromium's included
//! (`suite_cpu_s`, `suite_browser_cpu_s`, `suite_pages_cpu_s`): a figure other tenants of a
//! shared machine move far less than the wall time, and the wall time's floor (the CPU over the
//! cores) on a machine of one's own. A browser the harness kills leaves its renderers and GPU
//! process orphans, which no parent of theirs then waits for: the bench is their subreaper for
//! the run and reaps them, so that their CPU is in its children's account.

use std::{
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use tokio::process::Command;

use crate::cpu;

/// One run of the suite: its wall time and the CPU of all its processes, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub wall: f64,
    pub cpu: f64,
}

/// Which suite is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suite {
    /// `--no-browser`.
    NoBrowser,
    /// All of it, as CI runs it.
    Browser,
    /// All of it, every page and dialog photographed (`--screenshots pages`), as the report is.
    EveryPage,
}

/// `runs` whole-suite runs of `suite`, and the scenarios that failed in any of them.
pub async fn measure(
    bin: &Path,
    root: &Path,
    runs: usize,
    suite: Suite,
) -> anyhow::Result<(Vec<Run>, Vec<String>)> {
    let mut measured = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    let _reaper = Subreaper::become_one()?;
    for _ in 0..runs {
        let cpu_before = cpu::of_reaped_children()?;
        let started = Instant::now();
        let mut command = Command::new(bin.join("harness"));
        command.arg("run");
        match suite {
            Suite::NoBrowser => command.arg("--no-browser"),
            Suite::Browser => &mut command,
            Suite::EveryPage => command.args(["--screenshots", "pages"]),
        };
        let output = command
            .current_dir(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .await
            .context("running harness")?;
        let wall = started.elapsed().as_secs_f64();
        // What the run left (a killed browser's processes, exiting): reaped before counting, not
        // within the wall time.
        if !reap_orphans(Duration::from_secs(10)).await? {
            eprintln!(
                "note: processes of the suite still ran 10 s after it: its CPU figure leaves them out"
            );
        }
        let cpu = cpu::of_reaped_children()? - cpu_before;
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
        measured.push(Run { wall, cpu });
        eprint!(".");
    }
    eprintln!();
    Ok((measured, failed))
}

/// This process as the subreaper of its descendants, until dropped.
struct Subreaper;

impl Subreaper {
    fn become_one() -> anyhow::Result<Self> {
        rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
            .context("prctl(PR_SET_CHILD_SUBREAPER)")?;
        Ok(Self)
    }
}

impl Drop for Subreaper {
    fn drop(&mut self) {
        // The other measurements' processes are theirs to wait for.
        let _ = rustix::process::set_child_subreaper(None);
    }
}

/// Waits, up to `patience`, for every child this process has left (none runs beside the suite),
/// reaping each; whether none was left running.
async fn reap_orphans(patience: Duration) -> anyhow::Result<bool> {
    use rustix::{io::Errno, process::WaitOptions};
    let deadline = Instant::now() + patience;
    loop {
        match rustix::process::wait(WaitOptions::NOHANG) {
            // One reaped: there may be more.
            Ok(Some(_)) => {}
            // Some still running.
            Ok(None) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(None) => return Ok(false),
            Err(Errno::CHILD) => return Ok(true),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e).context("waiting for the suite's processes"),
        }
    }
}
