//! A scenario file: the site's set-up, the client's actions with the answers to each prompt, and
//! what must come out. One TOML file per scenario under `fixtures/scenarios/<area>/`.

use std::{collections::BTreeMap, path::Path};

use serde::Deserialize;

/// A scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What it shows, in a line.
    pub summary: String,
    /// The catalogue ids it covers.
    pub covers: Vec<String>,
    /// Applications to file on the site before the steps.
    #[serde(default, rename = "application")]
    pub applications: Vec<Application>,
    /// The client's actions, in order.
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
    /// The name: the file's stem (not written in the file).
    #[serde(skip)]
    pub name: String,
}

/// An application to file through the admin API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// The applicant's name.
    pub applicant: String,
    /// Where the mails go.
    pub email: String,
    /// The subject, outermost first.
    pub subject: Vec<(String, String)>,
    /// `new` or `renewal`.
    #[serde(default = "new_kind")]
    pub kind: String,
    /// Approve it (its mails go out).
    #[serde(default)]
    pub approve: bool,
}

fn new_kind() -> String {
    "new".into()
}

/// A client action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// `enroll` (from the Maildir), `list`, `confirm`.
    pub action: Action,
    /// Answers to the prompts by name (`issue`, `install-root`, `web-access`); unanswered is no.
    #[serde(default)]
    pub answers: BTreeMap<String, bool>,
    /// What must come out.
    #[serde(default)]
    pub expect: Expect,
}

/// The client actions a scenario can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// `cert-client enroll --maildir`
    Enroll,
    /// `cert-client list`
    List,
    /// `cert-client confirm`
    Confirm,
}

/// What a step must end with.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The error id, or none for success.
    pub error: Option<String>,
    /// The message shown, exactly.
    pub message: Option<String>,
    /// Lines the client must have printed (each a substring of some line).
    #[serde(default)]
    pub output: Vec<String>,
}

/// A scenario file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// Not readable.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a scenario.
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: String,
        /// Why.
        source: toml::de::Error,
    },
}

impl Scenario {
    /// Reads a scenario file; its name is the file's stem.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut scenario: Self = toml::from_str(&text).map_err(|source| ScenarioError::Parse {
            path: path.display().to_string(),
            source,
        })?;
        scenario.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(scenario)
    }

    /// Every scenario file under `dir`, sorted by path.
    pub fn discover(dir: &Path) -> Result<Vec<std::path::PathBuf>, ScenarioError> {
        let mut found = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|source| ScenarioError::Io {
                path: dir.display().to_string(),
                source,
            })?;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "toml") {
                    found.push(path);
                }
            }
        }
        found.sort();
        Ok(found)
    }
}
