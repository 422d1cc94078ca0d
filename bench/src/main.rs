//! `make bench`: mock-ca and cert-client measured, and compared with Pebble and lego, in one go.
//! Prints a table and writes `target/bench/summary.json`. Run from the workspace root with the
//! release binaries built beside this one (`make bench` does both).

mod cpu;
mod enroll;
mod memory;
mod peer;
mod persistent;
mod site;
mod start;
mod stats;
mod suite;
mod throughput;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Parser;
use serde_json::{Value, json};
use stats::{median, percentile, round};

#[derive(Parser, Debug)]
#[command(
    name = "bench",
    about = "Benchmarks: one enrollment, start to ready, the suite, throughput and memory"
)]
struct Cli {
    /// Interleaved enrollment pairs (ours, then Pebble+lego).
    #[arg(long, default_value_t = 15)]
    runs: usize,
    /// Interleaved start-to-ready pairs (Pebble's start varies with its RSA key generation).
    #[arg(long, default_value_t = 25)]
    starts: usize,
    /// Whole-suite runs.
    #[arg(long, default_value_t = 3)]
    suite_runs: usize,
    /// Enrollments per client at each concurrency level (1, 8, 64 clients).
    #[arg(long, default_value_t = 20)]
    per_client: usize,
    /// Idle applications for the memory measurement.
    #[arg(long, default_value_t = 100_000)]
    applications: usize,
    /// Applications on disk for the persistent-records figures (6).
    #[arg(long, default_value_t = 100_000)]
    persistent_applications: usize,
    /// Filings (and as many approvals) timed per size on disk (6).
    #[arg(long, default_value_t = 100)]
    persistent_changes: usize,
    /// A small, fast run of everything (a smoke test of the benchmark itself, not figures).
    #[arg(long)]
    quick: bool,
    /// Leave out Pebble and lego even when installed.
    #[arg(long)]
    no_peer: bool,
    /// Run only these measurements (a comma-separated list); the others are null in the summary.
    #[arg(long, value_delimiter = ',', value_enum)]
    only: Vec<Measurement>,
    /// Where the release binaries are [default: beside this one].
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// The summary file.
    #[arg(long, default_value = "target/bench/summary.json")]
    out: PathBuf,
}

/// The five measurements of the issue, for `--only`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Measurement {
    Enroll,
    Start,
    Suite,
    Throughput,
    Memory,
    /// `--data-dir`: the cost of a change with 1,000 and 100,000 applications on disk, and the
    /// start with 100,000.
    Persistent,
}

impl Cli {
    fn runs(&self, measurement: Measurement) -> bool {
        self.only.is_empty() || self.only.contains(&measurement)
    }

    fn scaled(mut self) -> Self {
        if self.quick {
            self.runs = self.runs.min(2);
            self.starts = self.starts.min(2);
            self.suite_runs = self.suite_runs.min(1);
            self.per_client = self.per_client.min(2);
            self.applications = self.applications.min(2000);
            self.persistent_applications = self.persistent_applications.min(5000);
            self.persistent_changes = self.persistent_changes.min(10);
        }
        self
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse().scaled();
    let bin = match &cli.bin_dir {
        Some(dir) => dir.clone(),
        // Built on demand (release, as this binary) into the directory this binary runs from.
        None => {
            let mut dir = None;
            for needed in ["mock-ca", "cert-client", "harness"] {
                let path = test_support::try_binary(needed)?;
                dir = path.parent().map(Path::to_path_buf);
            }
            dir.context("no binary directory")?
        }
    };
    for needed in ["mock-ca", "cert-client", "harness"] {
        anyhow::ensure!(
            bin.join(needed).is_file(),
            "{needed} is not built in {} (run `make bench`)",
            bin.display()
        );
    }
    let root = std::env::current_dir()?;
    let work = tempfile::Builder::new()
        .prefix("mock-ca-bench-")
        .tempdir()?;
    let ca = site::fixture_ca();
    let peer = if cli.no_peer { None } else { peer::find() };
    if peer.is_none() {
        println!(
            "pebble/lego: not available (`apt-get install -y pebble lego`): the comparisons are skipped and null in the summary"
        );
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    eprintln!(
        "bench: {cores} cores, binaries from {}, work in {}",
        bin.display(),
        work.path().display()
    );

    let mut enrollment = enroll::Enrollment::default();
    if cli.runs(Measurement::Enroll) {
        eprint!("(1) enrollment, {} interleaved pairs ", cli.runs);
        enrollment = enroll::measure(&bin, &ca, work.path(), cli.runs, peer.as_ref()).await?;
    }
    let (mut start_ours, mut start_peer) = (Vec::new(), Vec::new());
    if cli.runs(Measurement::Start) {
        eprint!("(2) start to ready, {} interleaved pairs ", cli.starts);
        (start_ours, start_peer) = start::measure(
            &bin,
            &ca,
            work.path(),
            cli.starts,
            peer.as_ref().map(|(p, _)| p.as_path()),
        )
        .await?;
    }
    let (mut suite_runs, mut suite_failed) = (Vec::new(), Vec::new());
    let (mut browser_runs, mut browser_failed) = (Vec::new(), Vec::new());
    let (mut pages_runs, mut pages_failed) = (Vec::new(), Vec::new());
    if cli.runs(Measurement::Suite) {
        eprint!(
            "(3) the scenario suite without the browser scenarios, {} runs ",
            cli.suite_runs
        );
        (suite_runs, suite_failed) =
            suite::measure(&bin, &root, cli.suite_runs, suite::Suite::NoBrowser).await?;
        eprint!(
            "(3) the whole scenario suite, browser scenarios included, {} runs ",
            cli.suite_runs
        );
        (browser_runs, browser_failed) =
            suite::measure(&bin, &root, cli.suite_runs, suite::Suite::Browser).await?;
        eprint!(
            "(3) the whole suite, every page and dialog photographed (as for the report), {} runs ",
            cli.suite_runs
        );
        (pages_runs, pages_failed) =
            suite::measure(&bin, &root, cli.suite_runs, suite::Suite::EveryPage).await?;
        for failure in suite_failed
            .iter()
            .chain(&browser_failed)
            .chain(&pages_failed)
        {
            println!("note: the suite had a failure (timed all the same): {failure}");
        }
    }
    let levels: Vec<(usize, usize)> = [1, 8, 64]
        .iter()
        .map(|&c| {
            (
                c,
                if c == 1 {
                    cli.per_client * 5
                } else {
                    cli.per_client
                },
            )
        })
        .collect();
    let mut throughput = None;
    if cli.runs(Measurement::Throughput) {
        eprint!("(4) throughput ");
        throughput = Some(throughput::measure(&bin, &ca, work.path(), &levels).await?);
    }
    let mut memory = None;
    if cli.runs(Measurement::Memory) {
        eprintln!("(5) memory, {} applications", cli.applications);
        memory = Some(memory::measure(&bin, &ca, work.path(), cli.applications).await?);
    }

    let mut persistent = None;
    if cli.runs(Measurement::Persistent) {
        eprint!(
            "(6) persistent records, 1,000 and {} applications on disk ",
            cli.persistent_applications
        );
        persistent = Some(
            persistent::measure(
                &bin,
                &ca,
                work.path(),
                cli.persistent_applications,
                cli.persistent_changes,
                cli.starts.min(5),
            )
            .await?,
        );
    }

    let mut summary = summarize(
        &cli,
        cores,
        &enrollment,
        (&start_ours, &start_peer),
        [
            (&suite_runs, &suite_failed),
            (&browser_runs, &browser_failed),
            (&pages_runs, &pages_failed),
        ],
        throughput.as_ref(),
        memory.as_ref(),
    );
    add_persistent(&mut summary, persistent.as_ref());
    print_table(&summary, throughput.as_ref());
    if let Some(dir) = cli.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&cli.out, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("writing {}", cli.out.display()))?;
    println!("\nsummary: {}", cli.out.display());
    Ok(())
}

fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    match (numerator, denominator) {
        (Some(n), Some(d)) if d > 0.0 => Some(n / d),
        _ => None,
    }
}

fn r(x: Option<f64>, digits: i32) -> Value {
    x.map_or(Value::Null, |x| json!(round(x, digits)))
}

fn summarize(
    cli: &Cli,
    cores: usize,
    enrollment: &enroll::Enrollment,
    (start_ours, start_peer): (&[f64], &[f64]),
    // Without the browser scenarios, with them, and with every page photographed.
    [
        (suite_runs, suite_failed),
        (browser_runs, browser_failed),
        (pages_runs, pages_failed),
    ]: [(&[suite::Run], &[String]); 3],
    throughput: Option<&throughput::Throughput>,
    memory: Option<&memory::Memory>,
) -> Value {
    let (ours, overhead, keygen, pebble_lego) = enroll::medians(enrollment);
    let (s_ours, s_peer) = (median(start_ours), median(start_peer));
    let at =
        |clients: usize| throughput.and_then(|t| t.levels.iter().find(|l| l.clients == clients));
    let sign_limit = throughput.map(|t| t.sign_limit_per_s);
    let level = |clients: usize| {
        at(clients).map_or(Value::Null, |l| {
            json!({
                "clients": l.clients,
                "enrollments": l.enrollments,
                "per_s": round(l.per_s, 1),
                "p50_ms": r(percentile(&l.latencies, 50.0), 1),
                "p99_ms": r(percentile(&l.latencies, 99.0), 1),
                "site_cpu_ms_per_enrollment": round(l.site_cpu_ms, 3),
                "client_cpu_ms_per_enrollment": round(l.client_cpu_ms, 3),
            })
        })
    };
    let t64 = at(64).map(|l| l.per_s);
    let walls = |runs: &[suite::Run]| runs.iter().map(|r| r.wall).collect::<Vec<_>>();
    let cpus = |runs: &[suite::Run]| runs.iter().map(|r| r.cpu).collect::<Vec<_>>();
    let (suite_walls, browser_walls, pages_walls) =
        (walls(suite_runs), walls(browser_runs), walls(pages_runs));
    json!({
        "enroll_ms_ours": r(ours, 1),
        "enroll_ms_pebble_lego": r(pebble_lego, 1),
        "enroll_ratio": r(ratio(pebble_lego, ours), 2),
        "enroll_overhead_ms": r(overhead, 1),
        "enroll_keygen_window_ms": r(keygen, 1),
        "enroll_runs": enrollment.ours.len(),
        "start_ms_ours": r(s_ours, 1),
        "start_ms_pebble": r(s_peer, 1),
        "start_ratio": r(ratio(s_peer, s_ours), 1),
        "start_runs": start_ours.len(),
        "suite_wall_s": r(median(&suite_walls), 2),
        "suite_cpu_s": r(median(&cpus(suite_runs)), 1),
        "suite_runs": suite_walls.iter().map(|s| round(*s, 2)).collect::<Vec<_>>(),
        "suite_failures": suite_failed,
        "suite_browser_wall_s": r(median(&browser_walls), 2),
        "suite_browser_cpu_s": r(median(&cpus(browser_runs)), 1),
        "suite_browser_runs": browser_walls.iter().map(|s| round(*s, 2)).collect::<Vec<_>>(),
        "suite_browser_failures": browser_failed,
        "suite_pages_wall_s": r(median(&pages_walls), 2),
        "suite_pages_cpu_s": r(median(&cpus(pages_runs)), 1),
        "suite_pages_runs": pages_walls.iter().map(|s| round(*s, 2)).collect::<Vec<_>>(),
        "suite_pages_failures": pages_failed,
        "throughput_1": level(1),
        "throughput_8": level(8),
        "throughput_64": level(64),
        "throughput_64_per_s": r(t64, 1),
        "sign_limit_per_s": r(sign_limit, 1),
        "sign_one_thread_per_s": r(throughput.map(|t| t.sign_one_thread_per_s), 1),
        "throughput_ratio": r(ratio(t64, sign_limit), 3),
        "bytes_per_idle_application": r(memory.map(memory::Memory::per_application), 0),
        "memory_applications": memory.map(|m| m.applications),
        "memory_rss_before": memory.map(|m| m.rss_before),
        "memory_rss_after": memory.map(|m| m.rss_after),
        "memory_filing_s": r(memory.map(|m| m.filing_s), 2),
        "cores": cores,
        "quick": cli.quick,
    })
}

/// The persistent-records figures (6), null where not measured.
fn add_persistent(summary: &mut Value, persistent: Option<&persistent::Persistent>) {
    let m =
        |f: fn(&persistent::Persistent) -> Vec<f64>| r(persistent.and_then(|p| median(&f(p))), 2);
    let change_1k = persistent.and_then(|p| median(&p.changes_1k()));
    let change_big = persistent.and_then(|p| median(&p.changes_big()));
    summary["persistent_change_ms_1k"] = r(change_1k, 2);
    summary["persistent_change_ms_100k"] = r(change_big, 2);
    summary["persistent_start_ms_100k"] = m(|p| p.starts_big.clone());
    summary["persistent_change_ratio"] = r(ratio(change_big, change_1k), 2);
    summary["persistent_filing_ms_1k"] = m(|p| p.filings_1k.clone());
    summary["persistent_filing_ms_100k"] = m(|p| p.filings_big.clone());
    summary["persistent_approval_ms_1k"] = m(|p| p.approvals_1k.clone());
    summary["persistent_approval_ms_100k"] = m(|p| p.approvals_big.clone());
    summary["persistent_applications"] = json!(persistent.map(|p| p.applications));
}

fn number(summary: &Value, key: &str) -> Option<f64> {
    summary[key].as_f64()
}

fn print_table(summary: &Value, throughput: Option<&throughput::Throughput>) {
    let show =
        |x: Option<f64>, unit: &str| x.map_or("skipped".to_owned(), |x| format!("{x}{unit}"));
    let verdict = |met: Option<bool>| match met {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "n/a",
    };
    let n = |k: &str| number(summary, k);
    println!();
    println!(
        "| measurement | ours | Pebble (+lego) | figure | target | |\n|---|---|---|---|---|---|"
    );
    println!(
        "| (1) one enrollment, median of {} | {} | {} | {} faster | ≥ 3× | {} |",
        summary["enroll_runs"],
        show(n("enroll_ms_ours"), " ms"),
        show(n("enroll_ms_pebble_lego"), " ms"),
        show(n("enroll_ratio"), "×"),
        verdict(n("enroll_ratio").map(|x| x >= 3.0)),
    );
    println!(
        "| (1) our overhead (keygen window {} taken out) | {} | | | ≤ 30 ms | {} |",
        show(n("enroll_keygen_window_ms"), " ms"),
        show(n("enroll_overhead_ms"), " ms"),
        verdict(n("enroll_overhead_ms").map(|x| x <= 30.0)),
    );
    println!(
        "| (2) start to ready, median of {} | {} | {} | {} faster | ≥ 50× | {} |",
        summary["start_runs"],
        show(n("start_ms_ours"), " ms"),
        show(n("start_ms_pebble"), " ms"),
        show(n("start_ratio"), "×"),
        verdict(n("start_ratio").map(|x| x >= 50.0)),
    );
    println!(
        "| (3) scenario suite (release harness), median of {} (CPU of all its processes: {}) | {} | | | ≤ 5 s | {} |",
        summary["suite_runs"].as_array().map_or(0, Vec::len),
        show(n("suite_cpu_s"), " s"),
        show(n("suite_wall_s"), " s"),
        verdict(n("suite_wall_s").map(|x| x <= 5.0)),
    );
    println!(
        "| (3) the whole suite with the browser scenarios (one shared headless Chromium), median of {} (CPU of all its processes, Chromium's included: {}) | {} | | | ≤ 15 s | {} |",
        summary["suite_browser_runs"].as_array().map_or(0, Vec::len),
        show(n("suite_browser_cpu_s"), " s"),
        show(n("suite_browser_wall_s"), " s"),
        verdict(n("suite_browser_wall_s").map(|x| x <= 15.0)),
    );
    println!(
        "| (3) the same, every page and dialog photographed (`--screenshots pages`, as the report is made), median of {} (CPU: {}) | {} | | | | |",
        summary["suite_pages_runs"].as_array().map_or(0, Vec::len),
        show(n("suite_pages_cpu_s"), " s"),
        show(n("suite_pages_wall_s"), " s"),
    );
    for level in throughput.iter().flat_map(|t| &t.levels) {
        println!(
            "| (4) {} client(s): {} enrollments (CPU per enrollment: site {:.2} ms, clients {:.2} ms) | {:.1}/s, p50 {} p99 {} | | | | |",
            level.clients,
            level.enrollments,
            level.site_cpu_ms,
            level.client_cpu_ms,
            level.per_s,
            show(
                percentile(&level.latencies, 50.0).map(|x| round(x, 1)),
                " ms"
            ),
            show(
                percentile(&level.latencies, 99.0).map(|x| round(x, 1)),
                " ms"
            ),
        );
    }
    println!(
        "| (4) 64 clients vs raw signing on both cores ({}/s; one core {}/s) | {} | | {} | ≥ 70% | {} |",
        show(n("sign_limit_per_s"), ""),
        show(n("sign_one_thread_per_s"), ""),
        show(n("throughput_64_per_s"), "/s"),
        show(n("throughput_ratio").map(|x| round(x * 100.0, 1)), "%"),
        verdict(n("throughput_ratio").map(|x| x >= 0.7)),
    );
    println!(
        "| (5) resident bytes per idle application ({} filed) | {} | | | ≤ 4096 B | {} |",
        summary["memory_applications"],
        show(n("bytes_per_idle_application"), " B"),
        verdict(n("bytes_per_idle_application").map(|x| x <= 4096.0)),
    );
    println!(
        "| (6) one acknowledged change (filing {} / approval {}), {} applications on disk | {} | | {}× the 1,000 figure ({}) | ≤ 2× | {} |",
        show(n("persistent_filing_ms_100k"), " ms"),
        show(n("persistent_approval_ms_100k"), " ms"),
        summary["persistent_applications"],
        show(n("persistent_change_ms_100k"), " ms"),
        show(n("persistent_change_ratio"), ""),
        show(n("persistent_change_ms_1k"), " ms"),
        verdict(n("persistent_change_ratio").map(|x| x <= 2.0)),
    );
    println!(
        "| (6) start to ready, {} applications on disk | {} | | | | |",
        summary["persistent_applications"],
        show(n("persistent_start_ms_100k"), " ms"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_mode_shrinks_every_count() {
        let cli = Cli::try_parse_from(["bench", "--quick"]).unwrap().scaled();
        assert_eq!(
            (cli.runs, cli.starts, cli.suite_runs, cli.applications),
            (2, 2, 1, 2000)
        );
        assert_eq!(
            (cli.persistent_applications, cli.persistent_changes),
            (5000, 10)
        );
        assert_eq!(cli.out, PathBuf::from("target/bench/summary.json"));
    }

    #[test]
    fn a_ratio_without_a_peer_is_null() {
        assert_eq!(ratio(None, Some(100.0)), None);
        assert_eq!(r(ratio(Some(300.0), Some(100.0)), 2), json!(3.0));
        assert_eq!(r(None, 2), Value::Null);
    }
}
