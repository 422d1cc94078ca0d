//! `soak`: the reliability and security counts against the real binaries. The last line printed is
//! the summary; the exit code is 0 only when panics, wrong answers, double issuances and lost keys
//! are all 0.

use std::{path::PathBuf, process::ExitCode};

use clap::Parser;
use soak::{Config, Scale};

#[derive(Parser)]
#[command(
    name = "soak",
    about = "Malformed requests, races, kills and restarts, counted"
)]
struct Cli {
    /// short: a few seconds (make test); long: make soak.
    #[arg(long, value_enum, default_value = "short")]
    scale: Scale,
    /// Seeds every random choice (default: from the clock; printed either way).
    #[arg(long)]
    seed: Option<u64>,
    /// Run only this part (malformed, races, mtls, kills, secrets, hostile); repeatable.
    #[arg(long)]
    only: Vec<String>,
    /// Where mock-ca and cert-client are (default: built on demand into this binary's target
    /// directory and profile).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let seed = cli.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let work = match tempfile::Builder::new().prefix("soak-").tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("soak: no scratch directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "soak: scale {:?}, seed {seed} (repeat with --seed {seed})",
        cli.scale
    );
    let config = Config {
        plan: cli.scale.plan(),
        seed,
        bin_dir: cli.bin_dir,
        work: work.path().to_path_buf(),
        only: cli.only,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("soak: no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let started = std::time::Instant::now();
    let summary = runtime.block_on(soak::run(&config));
    eprintln!("soak: took {:.0?}", started.elapsed());
    println!("{summary}");
    println!("{}", summary.hostile);
    if summary.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
