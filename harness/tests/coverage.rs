//! The catalogue is the specification: every id is reproduced by a scenario that names it, every
//! verbatim message appears in a snapshot exactly, and scenarios name no id the catalogue lacks.

use harness::{Scenario, catalogue, fixtures_dir};

fn scenarios() -> Vec<Scenario> {
    Scenario::discover(&fixtures_dir().join("scenarios")).expect("scenarios read")
}

fn entries() -> Vec<catalogue::Entry> {
    catalogue::load(&fixtures_dir().join("catalogue.toml")).expect("the catalogue reads")
}

/// Every id a customer meets on a page (ARCHITECTURE.md, "In a browser"): each is covered by a
/// browser scenario (a step `via = "browser"`).
const ON_A_PAGE: &[&str] = &[
    "MAIL-URL",
    "MAIL-PASSWORD",
    "STEP1-LOGIN",
    "AUTH-FAILED",
    "STEP2-CSP-KEYLEN",
    "STEP2-CSP-HIDDEN",
    "STEP3-ROOT-INSTALL",
    "STEP3-CLIENT-INSTALL",
    "STEP3-ONE-WAY",
    "STEP4-CONFIRM",
    "CONFIRM-SITE-LISTING",
    "CONFIRM-FORBIDDEN",
    "DATA-DECRYPT",
    "SITE-ONE-TIME",
    "NO-VALID-REQUEST",
    "CSR-GENERATION-FAILED",
    "ENROLL-CANCELLED",
    "CANCEL-RESUME",
    "REINSTALL-NOT-FOUND",
    "SITE-REACHABLE",
    "REPOSITORY-PAGE",
    "COMPONENT-UNAVAILABLE",
    "ENV-SUPPORTED",
];

#[test]
fn every_catalogue_id_is_covered_by_a_scenario_expected_to_pass() {
    let scenarios = scenarios();
    let missing: Vec<String> = entries()
        .into_iter()
        .map(|e| e.id)
        .filter(|id| {
            !scenarios
                .iter()
                .any(|s| s.known_failure().is_none() && s.covers.contains(id))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "ids no passing scenario covers: {missing:?}"
    );
}

#[test]
fn every_verbatim_message_appears_exactly_in_a_snapshot() {
    let snapshots: Vec<String> = std::fs::read_dir(fixtures_dir().join("snapshots"))
        .expect("snapshots")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "snap"))
        .map(|e| std::fs::read_to_string(e.path()).expect("a snapshot reads"))
        .collect();
    let missing: Vec<String> = entries()
        .into_iter()
        .filter(|e| e.verbatim)
        .filter_map(|e| e.message.map(|m| (e.id, m)))
        .filter(|(_, message)| !snapshots.iter().any(|s| s.contains(message.as_str())))
        .map(|(id, message)| format!("{id}: {message}"))
        .collect();
    assert!(
        missing.is_empty(),
        "verbatim messages in no snapshot: {missing:?}"
    );
}

/// Whether a scenario expected to pass, with a step in a browser, covers `id`.
fn a_browser_scenario_covers(scenarios: &[Scenario], id: &str) -> bool {
    scenarios.iter().any(|s| {
        s.known_failure().is_none() && s.uses_browser() && s.covers.iter().any(|c| c == id)
    })
}

#[test]
fn every_browser_only_id_is_covered_by_a_browser_scenario() {
    // A case only a browser shows (e.g. STEP2-CSP-HIDDEN: the component cannot run) is reproduced
    // by a harness scenario that drives the page in headless Chromium.
    let scenarios = scenarios();
    let browser: Vec<String> = entries()
        .into_iter()
        .filter(|e| e.kind == "browser")
        .map(|e| e.id)
        .collect();
    assert!(!browser.is_empty(), "the catalogue has browser-only ids");
    let missing: Vec<&String> = browser
        .iter()
        .filter(|id| !a_browser_scenario_covers(&scenarios, id))
        .collect();
    assert!(
        missing.is_empty(),
        "browser-only ids no browser scenario covers: {missing:?}"
    );
}

#[test]
fn every_id_a_customer_meets_on_a_page_is_covered_by_a_browser_scenario() {
    let scenarios = scenarios();
    let ids: Vec<String> = entries().into_iter().map(|e| e.id).collect();
    for id in ON_A_PAGE {
        assert!(
            ids.iter().any(|known| known == id),
            "{id} is not a catalogue id"
        );
    }
    let missing: Vec<&&str> = ON_A_PAGE
        .iter()
        .filter(|id| !a_browser_scenario_covers(&scenarios, id))
        .collect();
    assert!(
        missing.is_empty(),
        "ids a customer meets on a page that no browser scenario covers: {missing:?}"
    );
}

#[test]
fn scenarios_name_only_catalogue_ids() {
    let ids: Vec<String> = entries().into_iter().map(|e| e.id).collect();
    for scenario in scenarios() {
        for id in &scenario.covers {
            assert!(
                ids.contains(id),
                "{} covers {id}, which the catalogue lacks",
                scenario.name
            );
        }
    }
}

#[test]
fn the_projects_catalogue_has_the_thirty_one_ids_of_the_guide() {
    let entries = entries();
    assert_eq!(entries.len(), 31);
    let mut ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 31, "ids are unique");
}
