//! Every scenario under fixtures/scenarios runs against its own in-process site, ends as it says it
//! should, and matches its snapshot (fixtures/snapshots/<name>.snap).

use std::panic::{AssertUnwindSafe, catch_unwind};

use harness::{Scenario, Target, fixtures_dir, suite};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_ends_as_expected_and_matches_its_snapshot() {
    let scenarios = Scenario::discover(&fixtures_dir().join("scenarios")).expect("scenarios read");
    assert!(!scenarios.is_empty());
    let mut names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        scenarios.len(),
        "scenario names (snapshot names) must be unique"
    );

    // On a shared site (--target) the confirmation page lists every certificate of a holder:
    // each scenario has holders of its own, so scenarios stay independent there too.
    let mut holders: Vec<(String, &str)> = Vec::new();
    for scenario in &scenarios {
        for application in &scenario.applications {
            let holder = format!("{:?}", application.subject);
            if let Some((_, other)) = holders
                .iter()
                .find(|(h, s)| *h == holder && *s != scenario.name)
            {
                panic!("{} and {other} share the holder {holder}", scenario.name);
            }
            holders.push((holder, &scenario.name));
        }
    }

    let reports = suite::run(scenarios.clone(), &Target::InProcess, 4, None)
        .await
        .expect("the scenarios run");
    let mut problems = Vec::new();
    for report in &reports {
        if !report.verdict().is_ok() {
            problems.push(format!(
                "{} {:?}:\n  {}\n{}",
                report.name,
                report.verdict(),
                report.failures.join("\n  "),
                report.transcript
            ));
        }
        // Check every snapshot, not just up to the first that differs, so one review sees all.
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
                "{}: transcript differs from its snapshot",
                report.name
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
