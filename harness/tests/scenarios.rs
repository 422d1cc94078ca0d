//! One test per scenario under fixtures/scenarios, named as the scenario (`cargo test -p harness
//! --test scenarios -- mail-cutoff`, or nextest's filters): it runs against its own in-process
//! site, ends as it says it should, and matches its snapshot (fixtures/snapshots/<name>.snap).
//! A test of its own checks what keeps scenarios independent on a shared site.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    process::ExitCode,
    sync::Arc,
};

use harness::{Scenario, Target, fixtures_dir};
use libtest_mimic::{Arguments, Completion, Failed, Trial};

fn main() -> ExitCode {
    let mut args = Arguments::from_args();
    // A scenario waits on its site, the mails and the binary more than on the CPU: four at a
    // time, as `harness run` does, unless told otherwise (--test-threads or RUST_TEST_THREADS,
    // which libtest-mimic does not read itself).
    if args.test_threads.is_none() {
        let threads = std::env::var("RUST_TEST_THREADS")
            .ok()
            .and_then(|n| n.parse().ok());
        args.test_threads = Some(threads.unwrap_or(4));
    }
    // The client under test, built now if missing or stale: `cargo test -p harness` alone does
    // not build another package's binary.
    match test_support::try_binary("cert-client") {
        Ok(path) => {
            if let Err(error) = harness::runner::use_cert_client(path) {
                eprintln!("{error}");
                return ExitCode::FAILURE;
            }
        }
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    }
    let dir = fixtures_dir().join("scenarios");
    let files = match Scenario::files(&dir) {
        Ok(files) => files,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    // The sites run on one runtime's workers; each test drives its scenario from its own thread.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => Arc::new(runtime),
        Err(error) => {
            eprintln!("a runtime for the scenarios: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut trials = vec![Trial::test(
        "scenario_names_are_unique_and_no_two_scenarios_share_a_holder",
        {
            let dir = dir.clone();
            move || names_and_holders_are_unique(&dir)
        },
    )];
    let mut browser_runs: Vec<String> = Vec::new();
    for path in files {
        // A file that does not load is a failing test of its own name, with its file and line.
        let scenarios = match Scenario::load_all(&path) {
            Ok(scenarios) => scenarios,
            Err(error) => {
                let name = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let error = error.to_string();
                trials.push(Trial::test(name, move || Err(error.into())));
                continue;
            }
        };
        // One test per run: a `clients = [...]` file once per client (`<name>.<client>`).
        for scenario in scenarios {
            if scenario.uses_browser() {
                browser_runs.push(scenario.name.clone());
            }
            let runtime = runtime.clone();
            trials.push(Trial::ignorable_test(scenario.name.clone(), move || {
                runtime.block_on(ends_as_expected_and_matches_its_snapshot(scenario))
            }));
        }
    }
    // The browser scenarios, the longest, first: the others fill the threads around them.
    trials.sort_by_key(|trial| !browser_runs.contains(&trial.name().to_owned()));
    let conclusion = libtest_mimic::run(&args, trials);
    // The browser scenarios' Chromium, closed rather than left to the process's end.
    runtime.block_on(harness::runner::browser::close_shared());
    conclusion.exit_code()
}

async fn ends_as_expected_and_matches_its_snapshot(
    scenario: Scenario,
) -> Result<Completion, Failed> {
    let report = match harness::run(&scenario, &Target::InProcess, harness::Shots::Steps).await {
        Ok(report) => report,
        // Skipped with a notice where no browser can run: neither passed nor failed.
        Err(harness::RunError::NoBrowser(why)) => {
            eprintln!("notice: browser scenario {} skipped: {why}", scenario.name);
            return Ok(Completion::ignored_with(format!("no browser: {why}")));
        }
        Err(e) => {
            return Err(format!("{}: the run could not be carried out: {e}", scenario.name).into());
        }
    };
    let mut problems = Vec::new();
    if !report.verdict().is_ok() {
        problems.push(format!(
            "{:?}:\n  {}\n{}",
            report.verdict(),
            report.failures.join("\n  "),
            report.transcript
        ));
    }
    // insta prints the difference and writes the .snap.new to review; its panic becomes a failure.
    let checked = catch_unwind(AssertUnwindSafe(|| {
        insta::with_settings!({
            snapshot_path => fixtures_dir().join("snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(report.name.clone(), report.transcript);
        });
    }));
    if checked.is_err() {
        problems.push(format!(
            "the transcript differs from fixtures/snapshots/{}.snap (the difference is above)",
            report.name
        ));
    }
    if problems.is_empty() {
        Ok(Completion::Completed)
    } else {
        Err(problems.join("\n\n").into())
    }
}

/// Snapshot names are file stems, so they must be unique. On a shared site (--target) the
/// confirmation page lists every certificate of a holder: each scenario has holders of its own,
/// so scenarios stay independent there too.
fn names_and_holders_are_unique(dir: &std::path::Path) -> Result<(), Failed> {
    let scenarios = Scenario::discover(dir).map_err(|e| e.to_string())?;
    if scenarios.is_empty() {
        return Err("no scenarios".into());
    }
    let mut names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    if names.len() != before {
        return Err("scenario names (snapshot names) must be unique".into());
    }
    // The runs of one `clients = [...]` file share its holders: they are one scenario.
    let mut holders: Vec<(String, &std::path::Path)> = Vec::new();
    for scenario in &scenarios {
        for application in &scenario.applications {
            let holder = format!("{:?}", application.subject);
            if let Some((_, other)) = holders
                .iter()
                .find(|(h, p)| *h == holder && *p != scenario.path.as_path())
            {
                return Err(format!(
                    "{} and {} share the holder {holder}",
                    scenario.path.display(),
                    other.display()
                )
                .into());
            }
            holders.push((holder, &scenario.path));
        }
    }
    Ok(())
}
