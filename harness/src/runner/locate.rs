//! Which `cert-client` binary the binary steps run: the one named on the command line or in
//! `HARNESS_CERT_CLIENT`, else the one beside the harness, built on demand.

use std::path::PathBuf;

use super::RunError;

/// The cert-client binary named by `harness run --client`: the one under test for this process.
static CLIENT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The binary found (or built) when none was named: looked for once per process.
static FOUND: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();

/// Names the cert-client binary under test (`harness run --client PATH`), e.g. one built
/// elsewhere that CI verifies. Set once, before the scenarios run.
pub fn use_cert_client(path: PathBuf) -> Result<(), RunError> {
    if !path.is_file() {
        return Err(RunError::SetUp(format!(
            "--client {}: no such file",
            path.display()
        )));
    }
    CLIENT
        .set(path)
        .map_err(|_| RunError::SetUp("the client under test is already chosen".into()))
}

/// How to reach the client binary: the one named by [`use_cert_client`] or
/// `HARNESS_CERT_CLIENT`, else the one beside the harness's own executable, which is built with
/// cargo when the harness runs from this workspace and it is not there yet (a fresh clone's
/// `cargo run -p harness -- run`).
pub fn cert_client_binary() -> Result<PathBuf, RunError> {
    if let Some(path) = CLIENT.get() {
        return Ok(path.clone());
    }
    if let Some(path) = std::env::var_os("HARNESS_CERT_CLIENT") {
        return Ok(PathBuf::from(path));
    }
    FOUND
        .get_or_init(|| {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            // A test (in `deps/`) never takes the binary as it finds it: it may be older than
            // the code (`cargo test -p harness` builds the harness's binary, not the client's).
            let in_a_test = exe
                .parent()
                .is_some_and(|d| d.file_name().is_some_and(|n| n == "deps"));
            if !in_a_test && let Some(found) = beside(&exe) {
                return Ok(found);
            }
            // A fresh clone's `cargo run -p harness -- run`: built the way every test builds the
            // workspace's binaries (same target directory, profile and triple).
            if !in_a_test {
                eprintln!(
                    "harness: cert-client is not built beside the harness; building it with cargo"
                );
            }
            test_support::try_binary("cert-client").map_err(|e| {
                format!("{e}: name a cert-client binary with `harness run --client PATH`")
            })
        })
        .clone()
        .map_err(RunError::SetUp)
}

/// `cert-client` in the directory of `exe` (an installed or built harness's).
fn beside(exe: &std::path::Path) -> Option<PathBuf> {
    let candidate = exe.parent()?.join("cert-client");
    candidate.is_file().then_some(candidate)
}
