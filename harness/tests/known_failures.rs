//! A scenario marked `expect = "fail: reason"` is a known failure: it may fail without failing the
//! run, and the run fails the day it passes, so the mark cannot outlive the bug.

use harness::{Scenario, Target, Verdict, suite};

fn scenario(dir: &std::path::Path, name: &str, text: &str) -> Scenario {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    Scenario::load(&path).unwrap()
}

const WRONG_PASSWORD: &str = r#"
[[application]]
applicant = "山田 太郎"
email = "taro@example.jp"
subject = [["C", "JP"], ["CN", "Known Failure"]]
approve = true

[[step]]
action = "enroll"
password = "wrong"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_failure_that_fails_is_expected_and_one_that_passes_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    // Expects success, gets AUTH-FAILED: a failure, known.
    let still_broken = scenario(
        dir.path(),
        "still-broken",
        &format!(
            "summary = \"s\"\nsummary_ja = \"s\"\ncovers = []\nexpect = \"fail: waiting for a fix\"\n{WRONG_PASSWORD}"
        ),
    );
    // Expects AUTH-FAILED and gets it: it passes, so its mark is stale.
    let fixed = scenario(
        dir.path(),
        "fixed",
        &format!(
            "summary = \"s\"\nsummary_ja = \"s\"\ncovers = []\nexpect = \"fail: was broken\"\n{WRONG_PASSWORD}expect = {{ error = \"AUTH-FAILED\" }}\n"
        ),
    );
    let reports = suite::run(
        vec![still_broken, fixed],
        &Target::InProcess,
        2,
        None,
        harness::Shots::Steps,
    )
    .await
    .unwrap();
    assert_eq!(
        reports[0].verdict(),
        Verdict::KnownFailure,
        "{:?}",
        reports[0].failures
    );
    assert!(reports[0].verdict().is_ok());
    assert_eq!(reports[1].verdict(), Verdict::UnexpectedPass);
    assert!(!reports[1].verdict().is_ok());
}

#[test]
fn a_mark_that_is_not_fail_colon_reason_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        format!(
            "summary = \"s\"\nsummary_ja = \"s\"\ncovers = []\nexpect = \"flaky\"\n{WRONG_PASSWORD}"
        ),
    )
    .unwrap();
    let error = Scenario::load(&path).unwrap_err().to_string();
    assert!(error.contains("fail: <reason>"), "{error}");
}
