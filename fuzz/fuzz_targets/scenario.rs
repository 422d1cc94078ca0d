//! A harness scenario file: any text as `fixtures/scenarios/<area>/<name>.toml`, read by the one
//! public loading function (`Scenario::load`), which also checks steps, checkpoints and
//! applications.
#![no_main]

use std::{path::PathBuf, sync::OnceLock};

use harness::scenario::Scenario;
use libfuzzer_sys::fuzz_target;

/// Where the scenario file is written: an area directory in a temporary directory, kept.
fn file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("fuzz-scenario-")
            .tempdir()
            .expect("a temporary directory")
            .keep();
        let area = dir.join("enrollment");
        std::fs::create_dir_all(&area).expect("the area directory");
        area.join("fuzzed.toml")
    })
}

fuzz_target!(|data: &[u8]| {
    let path = file();
    std::fs::write(path, data).expect("the scenario file written");
    if let Ok(scenario) = Scenario::load(path) {
        let _ = scenario.known_failure();
    }
});
