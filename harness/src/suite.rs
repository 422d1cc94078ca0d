//! A set of scenarios: chosen by name, file or catalogue id, run in parallel against their own
//! in-process sites (or one at a time against a remote one), and checked against their snapshots.

use std::{path::Path, sync::Arc};

use tokio::{sync::Semaphore, task::JoinSet};

use crate::{
    runner::{self, Report, RunError, Shots},
    scenario::Scenario,
    site::Target,
    snapshot,
};

/// The scenarios that `selectors` name: a scenario's name (alone or after its area, as a run
/// prints it), its file (its name, or its path), or a catalogue id it covers. No selectors means
/// all of them.
pub fn select(all: Vec<Scenario>, selectors: &[String]) -> Result<Vec<Scenario>, String> {
    if selectors.is_empty() {
        return Ok(all);
    }
    let mut chosen: Vec<Scenario> = Vec::new();
    for selector in selectors {
        let matched: Vec<&Scenario> = all
            .iter()
            .filter(|s| {
                // A run of a `clients = [...]` file is `<file>.<client>`, printed with its area;
                // the file's own name (with or without its area) names all its runs.
                let file = s.path.file_stem().and_then(|stem| stem.to_str());
                s.name == *selector
                    || format!("{}/{}", s.area, s.name) == *selector
                    || file == Some(selector)
                    || file.is_some_and(|file| format!("{}/{file}", s.area) == *selector)
                    || s.covers.iter().any(|id| id == selector)
                    || s.path.ends_with(selector)
                    || Path::new(selector).canonicalize().ok() == s.path.canonicalize().ok()
            })
            .collect();
        if matched.is_empty() {
            return Err(format!("no scenario is named, or covers, {selector:?}"));
        }
        for scenario in matched {
            // By name: the runs of a `clients = [...]` file share its path.
            if !chosen.iter().any(|c| c.name == scenario.name) {
                chosen.push(scenario.clone());
            }
        }
    }
    Ok(chosen)
}

/// Runs `scenarios`, at most `jobs` at a time in-process (one at a time against a remote site),
/// and adds a failure to each whose transcript differs from its snapshot in `snapshots`.
pub async fn run(
    scenarios: Vec<Scenario>,
    target: &Target,
    jobs: usize,
    snapshots: Option<&Path>,
    shots: Shots,
) -> Result<Vec<Report>, RunError> {
    let jobs = match target {
        Target::InProcess | Target::Profiled(_) => jobs.max(1),
        // A shared site's clock, faults and journal belong to one scenario at a time.
        Target::Remote { .. } => 1,
    };
    let permits = Arc::new(Semaphore::new(jobs));
    let mut set = JoinSet::new();
    // The longest start first (the browser scenarios, the longest of them first): the shorter
    // fill the jobs around them instead of one long scenario running alone at the end of the
    // run. Reports keep the selection's order.
    let mut order: Vec<(usize, Scenario)> = scenarios.into_iter().enumerate().collect();
    order.sort_by(|(_, a), (_, b)| b.cost().total_cmp(&a.cost()));
    for (index, scenario) in order {
        let permits = permits.clone();
        let target = target.clone();
        set.spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let _permit = permits.acquire_owned().await.expect("semaphore open");
            (index, runner::run(&scenario, &target, shots).await)
        });
    }
    let collected = collect(set).await;
    // The browser scenarios' Chromium, closed whatever happened, rather than left behind.
    runner::browser::close_shared().await;
    let mut reports = collected?;
    reports.sort_by_key(|(index, _)| *index);
    let mut reports: Vec<Report> = reports.into_iter().map(|(_, r)| r).collect();
    if let Some(dir) = snapshots {
        for report in &mut reports {
            match snapshot::stored(dir, &report.name) {
                Some(stored) => {
                    if let Some(difference) = snapshot::difference(&stored, &report.transcript) {
                        report.failures.push(format!(
                            "transcript differs from snapshots/{}.snap:\n{difference}",
                            report.name
                        ));
                    }
                }
                None => report.failures.push(format!(
                    "no snapshot snapshots/{}.snap (run `cargo test -p harness` and review it)",
                    report.name
                )),
            }
        }
    }
    Ok(reports)
}

/// The scenarios' reports as their tasks end, with their places in the selection.
async fn collect(
    mut set: JoinSet<(usize, Result<Report, RunError>)>,
) -> Result<Vec<(usize, Report)>, RunError> {
    let mut reports = Vec::new();
    while let Some(joined) = set.join_next().await {
        let (index, report) =
            joined.map_err(|e| RunError::SetUp(format!("a scenario task failed: {e}")))?;
        match report {
            Ok(report) => reports.push((index, report)),
            // Skipped, said, and not counted as passed.
            Err(RunError::NoBrowser(why)) => {
                eprintln!("notice: a browser scenario skipped: {why}");
            }
            Err(error) => return Err(error),
        }
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures_dir;

    fn chosen(selector: &str) -> Result<Vec<String>, String> {
        let all = Scenario::discover(&fixtures_dir().join("scenarios")).expect("the scenarios");
        select(all, &[selector.to_owned()]).map(|chosen| {
            chosen
                .into_iter()
                .map(|s| format!("{}/{}", s.area, s.name))
                .collect()
        })
    }

    #[test]
    fn a_scenario_is_chosen_by_its_name_as_printed_its_file_or_an_id_it_covers() {
        let every_client = [
            "enrollment/every-client.library",
            "enrollment/every-client.binary",
            "enrollment/every-client.browser",
        ];
        for selector in [
            "every-client",
            "enrollment/every-client",
            "fixtures/scenarios/enrollment/every-client.toml",
        ] {
            assert_eq!(chosen(selector).unwrap(), every_client, "{selector}");
        }
        for selector in ["every-client.browser", "enrollment/every-client.browser"] {
            assert_eq!(
                chosen(selector).unwrap(),
                ["enrollment/every-client.browser"],
                "{selector}"
            );
        }
        assert_eq!(chosen("login/auth-failed").unwrap(), ["login/auth-failed"]);
        assert!(
            chosen("STEP3-ONE-WAY")
                .unwrap()
                .contains(&"site/step3-one-way".to_owned())
        );
        assert_eq!(
            chosen("every-client.nobody").unwrap_err(),
            "no scenario is named, or covers, \"every-client.nobody\""
        );
    }
}
