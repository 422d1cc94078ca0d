//! The conformance harness: runs scenario files from `fixtures/scenarios/` against the mock site
//! (in-process, or a site started elsewhere) with the real client (library or binary), records a
//! transcript of everything that crossed (mails, what the client printed, the site's journal and
//! state, the store), redacts what varies, and checks it against its snapshot.

pub mod admin;
pub mod catalogue;
pub mod compare;
pub mod drift;
pub mod redact;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod search;
pub mod site;
pub mod snapshot;
pub mod staging;
pub mod suite;

pub use runner::{Report, RunError, Shots, Verdict, run};
pub use scenario::Scenario;
pub use site::Target;

/// The workspace's `fixtures/` directory.
pub fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}
