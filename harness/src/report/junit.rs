//! JUnit XML: one test case per scenario, its transcript as system-out, followed by the paths of
//! its screenshots as `[[ATTACHMENT|path]]` lines (the form Jenkins' and GitLab's JUnit readers
//! attach).

use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, Report as JUnit, TestCase, TestCaseStatus, TestSuite};

use crate::runner::{Report, Verdict};

/// The JUnit document for a run.
pub fn render(reports: &[Report]) -> Result<String, quick_junit::SerializeError> {
    let mut suite = TestSuite::new("scenarios");
    for report in reports {
        let status = match report.verdict() {
            Verdict::Passed => TestCaseStatus::success(),
            Verdict::KnownFailure => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(format!(
                    "known failure: {}",
                    report.known_failure.clone().unwrap_or_default()
                ));
                status
            }
            Verdict::Failed => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(report.failures.first().cloned().unwrap_or_default());
                status.set_description(report.failures.join("\n"));
                status
            }
            Verdict::UnexpectedPass => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(format!(
                    "marked as a known failure ({}) but passed: remove the mark",
                    report.known_failure.clone().unwrap_or_default()
                ));
                status
            }
        };
        let mut case = TestCase::new(report.name.as_str(), status);
        case.set_classname(format!("scenarios.{}", report.area));
        case.set_time(report.duration);
        let mut out = report.transcript.clone();
        for shot in &report.screenshots {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            let _ = writeln!(out, "[[ATTACHMENT|{}]]", shot.path.display());
        }
        case.set_system_out(out);
        suite.add_test_case(case);
    }
    let mut junit = JUnit::new("harness");
    junit.add_test_suite(suite);
    junit.to_string()
}
