//! The workspace's binaries (`mock-ca`, `cert-client`, `harness`), found or built on demand.
//!
//! The first call for a name in a process runs `cargo build --workspace --bin NAME` against this
//! checkout's workspace, into the target directory and profile the caller itself runs from (so any
//! checkout, any `CARGO_TARGET_DIR` and `--release` work), and answers the binary cargo made. A
//! fresh binary costs cargo's no-op check; a stale or missing one is rebuilt, so a test never runs
//! a binary older than the code, and `make test` needs no separate build first. `--workspace`
//! keeps the features those of `cargo build --workspace`, so the dependencies are not built twice.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Command,
    sync::{Mutex, OnceLock},
};

/// A binary could not be found nor built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BinaryError {
    /// `cargo build` could not be run, or failed.
    #[error("building {name}: {why}")]
    Build {
        /// The binary.
        name: String,
        /// What cargo said.
        why: String,
    },
}

/// The path of the workspace binary `name`, built first if it is missing or stale. Panics with
/// cargo's message when it cannot be built (for tests).
pub fn binary(name: &str) -> PathBuf {
    try_binary(name).unwrap_or_else(|e| panic!("{e}"))
}

/// The same, as a result (for the soak and the benchmarks).
pub fn try_binary(name: &str) -> Result<PathBuf, BinaryError> {
    static BUILT: OnceLock<Mutex<HashMap<String, Result<PathBuf, BinaryError>>>> = OnceLock::new();
    // One build per name and process; tests asking at once wait for the first.
    let mut built = BUILT
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    built
        .entry(name.to_owned())
        .or_insert_with(|| build_once_per_run(name))
        .clone()
}

/// Under nextest each test is a process of its own, so "once per process" would be a `cargo build`
/// (a no-op costing ~0.3 s of CPU, serialised on cargo's lock) for each test that runs a binary.
/// Within one nextest run (`NEXTEST_RUN_ID`) the first process builds, under a file lock, and
/// leaves the run's id beside the binary; the others wait on the lock and find it. The sources do
/// not change within a run, so what the first one built is what each would build.
fn build_once_per_run(name: &str) -> Result<PathBuf, BinaryError> {
    let Some(run) = std::env::var_os("NEXTEST_RUN_ID") else {
        return build(name);
    };
    let run = run.to_string_lossy().into_owned();
    let layout = caller();
    let path = layout
        .bin_dir()
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let stamps = layout.target_dir.join("tmp").join("test-support-builds");
    let key = format!(
        "{}-{}-{name}",
        layout.triple.as_deref().unwrap_or("host"),
        layout.profile
    );
    // Without a place for the stamp, building in each process is still right, only slower.
    if std::fs::create_dir_all(&stamps).is_err() {
        return build(name);
    }
    let Ok(lock) = std::fs::File::create(stamps.join(format!("{key}.lock"))) else {
        return build(name);
    };
    if lock.lock().is_err() {
        return build(name);
    }
    let stamp = stamps.join(format!("{key}.run"));
    if path.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|seen| seen == run) {
        return Ok(path);
    }
    let built = build(name)?;
    // A stamp that cannot be written only costs the next process a no-op build.
    let _ = std::fs::write(&stamp, &run);
    Ok(built)
    // The lock is released when `lock` drops.
}

/// Where the caller runs from: cargo's target directory, the target triple's directory if any,
/// and the profile's directory name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    target_dir: PathBuf,
    triple: Option<String>,
    profile: String,
}

impl Layout {
    /// From an executable's path: `<target>/[<triple>/]<profile>/[deps/]<exe>`. The profile's
    /// directory holds cargo's `.cargo-lock`; the target directory, above it, cargo's
    /// `.rustc_info.json` or `CACHEDIR.TAG` (a target directory made by copying may lack the tag).
    fn of(exe: &Path) -> Option<Self> {
        let mut dir = exe.parent()?;
        if dir.ends_with("deps") || dir.ends_with("examples") {
            dir = dir.parent()?;
        }
        if !dir.join(".cargo-lock").is_file() {
            return None;
        }
        let target_dir =
            dir.ancestors().skip(1).take(2).find(|d| {
                d.join(".rustc_info.json").is_file() || d.join("CACHEDIR.TAG").is_file()
            })?;
        let profile = dir.file_name()?.to_str()?.to_owned();
        let between = dir.parent()?;
        let triple = if between == target_dir {
            None
        } else {
            Some(between.file_name()?.to_str()?.to_owned())
        };
        Some(Self {
            target_dir: target_dir.to_path_buf(),
            triple,
            profile,
        })
    }

    /// Outside a target directory: `CARGO_TARGET_DIR`, else the workspace's `target`, debug.
    fn fallback(workspace: &Path) -> Self {
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
            Some(dir) if dir.is_absolute() => dir,
            Some(dir) => workspace.join(dir),
            None => workspace.join("target"),
        };
        Self {
            target_dir,
            triple: None,
            profile: "debug".into(),
        }
    }

    fn bin_dir(&self) -> PathBuf {
        let mut dir = self.target_dir.clone();
        if let Some(triple) = &self.triple {
            dir.push(triple);
        }
        dir.join(&self.profile)
    }

    /// The `--profile` name of the directory (`debug` is the `dev` profile's).
    fn cargo_profile(&self) -> &str {
        match self.profile.as_str() {
            "debug" => "dev",
            other => other,
        }
    }
}

/// Cargo's target directory the caller runs from (any `CARGO_TARGET_DIR`), else the fallback's.
#[cfg_attr(
    not(feature = "browser"),
    expect(dead_code, reason = "only the browser's screenshots use it")
)]
pub(crate) fn target_dir() -> PathBuf {
    caller().target_dir
}

/// Where the caller runs from.
fn caller() -> Layout {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Layout::of(&exe))
        .unwrap_or_else(|| Layout::fallback(&workspace()))
}

/// This checkout's workspace: test-support is compiled from it.
fn workspace() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

fn build(name: &str) -> Result<PathBuf, BinaryError> {
    let fail = |why: String| BinaryError::Build {
        name: name.to_owned(),
        why,
    };
    let workspace = workspace();
    let layout = caller();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&layout.target_dir)
        .args(["--profile", layout.cargo_profile()])
        .args(["--workspace", "--bin", name]);
    if let Some(triple) = &layout.triple {
        command.args(["--target", triple]);
    }
    let out = command
        .output()
        .map_err(|e| fail(format!("cargo did not run: {e}")))?;
    if !out.status.success() {
        return Err(fail(String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    let path = layout
        .bin_dir()
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if path.is_file() {
        Ok(path)
    } else {
        Err(fail(format!("cargo built no {}", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_in_deps_of_a_target_dir_runs_from_its_profile_there() {
        let target = tempfile::tempdir().unwrap();
        std::fs::write(target.path().join(".rustc_info.json"), "{}").unwrap();
        for profile in ["debug", "x86_64-unknown-linux-gnu/release"] {
            std::fs::create_dir_all(target.path().join(profile)).unwrap();
            std::fs::write(target.path().join(profile).join(".cargo-lock"), "").unwrap();
        }
        let exe = target.path().join("debug/deps/e2e-0123");
        assert_eq!(
            Layout::of(&exe),
            Some(Layout {
                target_dir: target.path().to_path_buf(),
                triple: None,
                profile: "debug".into(),
            })
        );
        let exe = target.path().join("x86_64-unknown-linux-gnu/release/bench");
        let layout = Layout::of(&exe).unwrap();
        assert_eq!(layout.triple.as_deref(), Some("x86_64-unknown-linux-gnu"));
        assert_eq!(layout.cargo_profile(), "release");
        assert_eq!(
            layout.bin_dir(),
            target.path().join("x86_64-unknown-linux-gnu/release")
        );
    }

    #[test]
    fn an_executable_outside_any_target_dir_has_no_layout() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Layout::of(&dir.path().join("bin/tool")), None);
    }

    #[test]
    fn a_binary_of_the_workspace_is_built_where_this_test_runs_from() {
        let path = binary("cert-client");
        let exe = std::env::current_exe().unwrap();
        assert_eq!(
            path.parent(),
            Layout::of(&exe).map(|l| l.bin_dir()).as_deref()
        );
        let out = Command::new(&path).arg("--version").output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
}
