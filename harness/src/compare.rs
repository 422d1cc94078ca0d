//! `harness compare --profile A --profile B`: what a change of the site does to the client. The
//! same scenarios run against a fresh in-process site serving each profile; the scenarios whose
//! transcripts differ are named, with the difference (the same unified diff `harness run` shows
//! for a snapshot), and so are those whose checks pass with one profile and fail with the other.

use std::{path::Path, sync::Arc};

use mock_ca::{Profile, ProfileError};

use crate::{
    runner::{Report, RunError, Shots},
    scenario::Scenario,
    site::Target,
    suite,
};

/// One side of a comparison: a profile and what to call it.
#[derive(Debug, Clone)]
pub struct Side {
    /// How it is named in the output: `default` or its directory.
    pub label: String,
    /// The profile.
    pub profile: Arc<Profile>,
}

impl Side {
    /// `default` (the embedded guide v3.10 profile) or a profile directory.
    pub fn open(name: &str) -> Result<Self, ProfileError> {
        let profile = if name == "default" {
            Profile::default()
        } else {
            Profile::load(Path::new(name))?
        };
        Ok(Self {
            label: name.to_owned(),
            profile: Arc::new(profile),
        })
    }
}

/// How one scenario fared with each side.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The scenario's area and name (`login/auth-failed`).
    pub scenario: String,
    /// The unified diff from A's transcript (`-`) to B's (`+`); `None` when they are the same.
    pub difference: Option<String>,
    /// The checks that failed with A, and with B.
    pub failures: [Vec<String>; 2],
}

impl Outcome {
    /// Whether anything differs: the transcript, or whether its checks pass.
    pub fn changed(&self) -> bool {
        self.difference.is_some() || self.failures[0].is_empty() != self.failures[1].is_empty()
    }
}

/// The comparison of two sides over a set of scenarios.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The two sides' labels.
    pub labels: [String; 2],
    /// Every scenario run with both, in the selection's order.
    pub outcomes: Vec<Outcome>,
}

impl Comparison {
    /// The scenarios something of which differs.
    pub fn changed(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.changed())
    }

    /// For a person: a line per scenario changed with what changed, the diffs below, and a
    /// count of those the change leaves alone.
    pub fn render(&self) -> String {
        let [a, b] = &self.labels;
        let mut out = format!("harness compare: A = {a}, B = {b}\n");
        let changed: Vec<&Outcome> = self.changed().collect();
        for outcome in &changed {
            let checks = match (
                outcome.failures[0].is_empty(),
                outcome.failures[1].is_empty(),
            ) {
                (true, false) => ", passes with A, fails with B",
                (false, true) => ", fails with A, passes with B",
                _ => "",
            };
            let transcript = if outcome.difference.is_some() {
                "transcript changes"
            } else {
                "transcript the same"
            };
            out.push_str(&format!(
                "CHANGED {} ({transcript}{checks})\n",
                outcome.scenario
            ));
        }
        for outcome in &changed {
            out.push_str(&format!("\n== {}\n", outcome.scenario));
            if let Some(difference) = &outcome.difference {
                out.push_str(difference);
            }
            for (side, failures) in ["A", "B"].iter().zip(&outcome.failures) {
                for failure in failures {
                    let failure = failure.trim_end().replace('\n', "\n    ");
                    out.push_str(&format!("  {side} fails: {failure}\n"));
                }
            }
        }
        out.push_str(&format!(
            "\n{} scenarios: {} changed, {} the same\n",
            self.outcomes.len(),
            changed.len(),
            self.outcomes.len() - changed.len()
        ));
        out
    }
}

/// Runs `scenarios` against a site with each side's profile (`jobs` at a time) and compares
/// their transcripts, scenario by scenario.
pub async fn compare(
    scenarios: Vec<Scenario>,
    sides: [&Side; 2],
    jobs: usize,
) -> Result<Comparison, RunError> {
    let mut runs = Vec::with_capacity(2);
    for side in sides {
        let target = Target::Profiled(side.profile.clone());
        runs.push(suite::run(scenarios.clone(), &target, jobs, None, Shots::Steps).await?);
    }
    let b_reports = runs.pop().unwrap_or_default();
    let a_reports = runs.pop().unwrap_or_default();
    let labels = sides.map(|s| s.label.clone());
    let outcomes = a_reports
        .iter()
        .filter_map(|a| {
            // A scenario skipped on one side (no browser) has nothing to compare.
            let b = b_reports.iter().find(|b| b.name == a.name)?;
            Some(outcome(a, b, &labels))
        })
        .collect();
    Ok(Comparison { labels, outcomes })
}

fn outcome(a: &Report, b: &Report, labels: &[String; 2]) -> Outcome {
    let difference = (a.transcript.trim_end() != b.transcript.trim_end()).then(|| {
        let (x, y) = (
            format!("{}\n", a.transcript.trim_end()),
            format!("{}\n", b.transcript.trim_end()),
        );
        similar::TextDiff::from_lines(&x, &y)
            .unified_diff()
            .context_radius(3)
            .header(&format!("A ({})", labels[0]), &format!("B ({})", labels[1]))
            .to_string()
    });
    Outcome {
        scenario: format!("{}/{}", a.area, a.name),
        difference,
        failures: [a.failures.clone(), b.failures.clone()],
    }
}
