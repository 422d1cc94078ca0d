//! What a change of the site does to the client: the same scenarios run against a site as it is
//! (A) and as it would be (B), their transcripts set side by side.
//!
//! Snapshots do not take part: both runs are fresh, and only their difference is reported. A
//! scenario is *changed* when its transcript differs (the unified diff says how), and *broken*
//! when one of its own checks fails under B that passed under A (a catalogue text the scenario
//! expects, an exit code, a file).

use std::collections::BTreeMap;

use crate::{
    runner::{Report, RunError},
    scenario::Scenario,
    site::Target,
    suite,
};

/// One side of a comparison: a name for people and the site to run against.
#[derive(Debug, Clone)]
pub struct Side {
    /// How the side is named in the output (a profile's name and directory, say).
    pub label: String,
    /// The site the scenarios run against.
    pub target: Target,
}

/// What became of one scenario from A to B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The same transcript, the same checks passing.
    Same,
    /// The transcript differs; `diff` is unified, A to B.
    Changed {
        /// A's transcript to B's, as a unified diff.
        diff: String,
    },
    /// The scenario ran under one side only (a browser scenario skipped without Chromium).
    RanOnce,
}

/// One scenario's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `area/name`.
    pub scenario: String,
    /// The catalogue ids it covers.
    pub covers: Vec<String>,
    /// How its transcript changed.
    pub change: Change,
    /// Its checks that fail under B and did not under A.
    pub broken: Vec<String>,
    /// Its checks that failed under A and pass under B.
    pub mended: Vec<String>,
}

impl Outcome {
    /// Whether the scenario saw anything change.
    pub fn affected(&self) -> bool {
        self.change != Change::Same || !self.broken.is_empty() || !self.mended.is_empty()
    }
}

/// Both runs, scenario by scenario, in the selection's order.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// A's label.
    pub a: String,
    /// B's label.
    pub b: String,
    /// One per scenario that ran.
    pub outcomes: Vec<Outcome>,
}

impl Comparison {
    /// The scenarios something happened to.
    pub fn affected(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.affected())
    }

    /// For the terminal: a headline, then each affected scenario with its ids, the checks it
    /// broke or mended and its diff, then the unaffected ones on one line.
    pub fn render(&self) -> String {
        let affected: Vec<&Outcome> = self.affected().collect();
        let mut out = format!(
            "compare: A = {}\n         B = {}\n{} scenarios: {} affected, {} unchanged\n",
            self.a,
            self.b,
            self.outcomes.len(),
            affected.len(),
            self.outcomes.len() - affected.len()
        );
        for outcome in &affected {
            let what = match (&outcome.change, outcome.broken.is_empty()) {
                (Change::RanOnce, _) => "ran under one side only",
                (_, false) => "BROKEN (a check of the scenario fails under B)",
                (Change::Changed { .. }, true) => "changed (its checks still pass)",
                (Change::Same, true) => "its checks changed",
            };
            out.push_str(&format!(
                "\n== {} [{}]: {what}\n",
                outcome.scenario,
                outcome.covers.join(" ")
            ));
            for failure in &outcome.broken {
                out.push_str(&format!(
                    "  fails under B: {}\n",
                    failure.trim_end().replace('\n', "\n    ")
                ));
            }
            for failure in &outcome.mended {
                out.push_str(&format!(
                    "  passes under B, failed under A: {}\n",
                    failure.trim_end().replace('\n', "\n    ")
                ));
            }
            if let Change::Changed { diff } = &outcome.change {
                for line in diff.lines() {
                    out.push_str("  ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        let unchanged: Vec<&str> = self
            .outcomes
            .iter()
            .filter(|o| !o.affected())
            .map(|o| o.scenario.as_str())
            .collect();
        if !unchanged.is_empty() {
            out.push_str(&format!("\nunchanged: {}\n", unchanged.join(", ")));
        }
        out
    }
}

/// Runs `scenarios` against both sides (`jobs` at a time, as `harness run`) and compares them.
pub async fn compare(
    scenarios: Vec<Scenario>,
    a: &Side,
    b: &Side,
    jobs: usize,
) -> Result<Comparison, RunError> {
    let order: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
    let under_a = by_name(suite::run(scenarios.clone(), &a.target, jobs, None).await?);
    let under_b = by_name(suite::run(scenarios, &b.target, jobs, None).await?);
    let mut outcomes = Vec::new();
    for name in order {
        let (ra, rb) = (under_a.get(&name), under_b.get(&name));
        let Some(any) = ra.or(rb) else { continue };
        let change = match (ra, rb) {
            (Some(ra), Some(rb)) => transcript_change(&ra.transcript, &rb.transcript),
            _ => Change::RanOnce,
        };
        let failures = |r: Option<&Report>| r.map(|r| r.failures.clone()).unwrap_or_default();
        let (fa, fb) = (failures(ra), failures(rb));
        outcomes.push(Outcome {
            scenario: format!("{}/{}", any.area, any.name),
            covers: any.covers.clone(),
            change,
            broken: fb.iter().filter(|f| !fa.contains(f)).cloned().collect(),
            mended: fa.iter().filter(|f| !fb.contains(f)).cloned().collect(),
        });
    }
    Ok(Comparison {
        a: a.label.clone(),
        b: b.label.clone(),
        outcomes,
    })
}

fn by_name(reports: Vec<Report>) -> BTreeMap<String, Report> {
    reports.into_iter().map(|r| (r.name.clone(), r)).collect()
}

/// A's transcript to B's.
pub fn transcript_change(a: &str, b: &str) -> Change {
    let (a, b) = (a.trim_end(), b.trim_end());
    if a == b {
        return Change::Same;
    }
    let (a, b) = (format!("{a}\n"), format!("{b}\n"));
    let diff = similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(2)
        .header("A", "B")
        .to_string();
    Change::Changed { diff }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(change: Change, broken: &[&str]) -> Outcome {
        Outcome {
            scenario: "login/auth-failed".into(),
            covers: vec!["AUTH-FAILED".into()],
            change,
            broken: broken.iter().map(|s| s.to_string()).collect(),
            mended: Vec::new(),
        }
    }

    #[test]
    fn equal_transcripts_are_the_same_whatever_their_trailing_newlines() {
        assert_eq!(transcript_change("a\nb\n", "a\nb"), Change::Same);
    }

    #[test]
    fn a_reworded_line_is_shown_as_a_diff_from_a_to_b() {
        let Change::Changed { diff } = transcript_change("x\nold words\ny\n", "x\nnew words\ny\n")
        else {
            panic!("a change");
        };
        assert!(diff.contains("--- A\n+++ B\n"), "{diff}");
        assert!(diff.contains("-old words\n+new words\n"), "{diff}");
    }

    #[test]
    fn the_rendering_names_the_broken_and_changed_scenarios_and_lists_the_others_on_one_line() {
        let comparison = Comparison {
            a: "guide-v3.10 (default)".into(),
            b: "guide-v3.11 (fixtures/profiles/v3.11)".into(),
            outcomes: vec![
                outcome(
                    transcript_change("message: old\n", "message: new\n"),
                    &["message differs from the catalogue"],
                ),
                Outcome {
                    scenario: "enrollment/happy-path".into(),
                    ..outcome(Change::Same, &[])
                },
            ],
        };
        let text = comparison.render();
        assert!(
            text.contains("2 scenarios: 1 affected, 1 unchanged"),
            "{text}"
        );
        assert!(
            text.contains("== login/auth-failed [AUTH-FAILED]: BROKEN"),
            "{text}"
        );
        assert!(
            text.contains("  fails under B: message differs from the catalogue"),
            "{text}"
        );
        assert!(
            text.contains("  -message: old\n  +message: new\n"),
            "{text}"
        );
        assert!(text.contains("unchanged: enrollment/happy-path"), "{text}");
    }
}
