//! The conformance harness: runs scenario files from `fixtures/scenarios/` against the mock site
//! with the real client, records a transcript of everything that crossed (HTTP, mails, what the
//! client printed, the store) and redacts what varies, for snapshot checks.

pub mod admin;
pub mod redact;
pub mod runner;
pub mod scenario;

pub use runner::{Report, RunError, run};
pub use scenario::Scenario;

/// The workspace's `fixtures/` directory.
pub fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}
