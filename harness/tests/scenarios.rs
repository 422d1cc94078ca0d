//! Every scenario under fixtures/scenarios runs, passes its own checks, and matches its snapshot.

use harness::{Scenario, fixtures_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_enrolls_and_matches_its_snapshot() {
    run_and_snapshot("enrollment/happy-path.toml").await;
}

async fn run_and_snapshot(relative: &str) {
    let path = fixtures_dir().join("scenarios").join(relative);
    let scenario = Scenario::load(&path).expect("the scenario file reads");
    let report = harness::run(&scenario).await.expect("the scenario runs");
    assert!(
        report.passed(),
        "{} failed:\n{}\n\n{}",
        report.name,
        report.failures.join("\n"),
        report.transcript
    );
    insta::with_settings!({
        snapshot_path => fixtures_dir().join("snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(report.name.clone(), report.transcript);
    });
}
