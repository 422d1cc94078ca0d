//! The `harness` binary: runs scenarios and prints their transcripts.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use harness::{Scenario, fixtures_dir};

#[derive(Parser)]
#[command(
    name = "harness",
    version,
    about = "Run conformance scenarios against the mock issuance site"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One line per scenario: its name and the catalogue ids it covers.
    List,
    /// Run scenarios (all under fixtures/scenarios when none is named) and print their transcripts.
    Run {
        /// Scenario files.
        scenarios: Vec<PathBuf>,
        /// Print only the result lines, not the transcripts.
        #[arg(long, short)]
        quiet: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let all = || Scenario::discover(&fixtures_dir().join("scenarios"));
    match cli.command {
        Command::List => {
            for path in all()? {
                let scenario = Scenario::load(&path)?;
                println!("{}\t{}", scenario.name, scenario.covers.join(" "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { scenarios, quiet } => {
            let paths = if scenarios.is_empty() {
                all()?
            } else {
                scenarios
            };
            let mut failed = 0;
            for path in &paths {
                let scenario = Scenario::load(path)?;
                let report = harness::run(&scenario).await?;
                if !quiet {
                    println!("{}", report.transcript);
                }
                if report.passed() {
                    println!("PASS {}", report.name);
                } else {
                    failed += 1;
                    println!("FAIL {}", report.name);
                    for failure in &report.failures {
                        println!("  - {failure}");
                    }
                }
            }
            println!("{} passed, {failed} failed", paths.len() - failed);
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
