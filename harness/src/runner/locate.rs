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
            if let Some(found) = beside(&exe) {
                return Ok(found);
            }
            build_cert_client(&exe)?;
            beside(&exe).ok_or_else(|| {
                format!(
                    "cert-client was built but is not beside the harness ({}); name it with `harness run --client PATH`",
                    exe.display()
                )
            })
        })
        .clone()
        .map_err(RunError::SetUp)
}

/// `cert-client` in the directory of `exe`, or of its `deps/` parent (a test binary's).
fn beside(exe: &std::path::Path) -> Option<PathBuf> {
    let mut dir = exe.parent();
    while let Some(d) = dir {
        let candidate = d.join("cert-client");
        if candidate.is_file() {
            return Some(candidate);
        }
        // From target/debug/deps/<test> look in target/debug.
        if d.file_name().is_some_and(|n| n == "deps") {
            dir = d.parent();
        } else {
            break;
        }
    }
    None
}

/// Builds cert-client with the profile the harness was built with, in this workspace (where the
/// harness was compiled), into the same target directory (cargo's own `CARGO_TARGET_DIR` rules).
fn build_cert_client(exe: &std::path::Path) -> Result<(), String> {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    if !workspace.join("Cargo.toml").is_file() {
        return Err(format!(
            "cert-client is not built beside the harness ({}) and the workspace it was built in is gone: name it with `harness run --client PATH`",
            exe.display()
        ));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let release = exe
        .parent()
        .and_then(|d| d.file_name())
        .is_some_and(|n| n == "release");
    eprintln!(
        "harness: cert-client is not built beside the harness; building it (cargo build -p cert-client)"
    );
    let mut command = std::process::Command::new(cargo);
    command.current_dir(workspace).args([
        "build",
        "--quiet",
        "-p",
        "cert-client",
        "--bin",
        "cert-client",
    ]);
    if release {
        command.arg("--release");
    }
    let status = command
        .status()
        .map_err(|e| format!("running cargo to build cert-client: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "building cert-client failed ({status}): run `cargo build --workspace --bins`, or name a binary with `harness run --client PATH`"
        ))
    }
}
