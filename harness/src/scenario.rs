//! A scenario file: the site's set-up, a list of steps (client actions with the answers to each
//! prompt, and site actions through the admin API), and what must come out of each. One TOML file
//! per scenario under `fixtures/scenarios/<area>/`; its name is the file's stem.
//!
//! ```toml
//! summary = "A wrong password is refused with the guide's message."
//! covers = ["AUTH-FAILED"]
//! # expect = "fail: why this is known to fail"   # a known failure: the run fails when it passes
//!
//! [site]                          # optional, before anything is filed
//! clock = "2026-11-18T14:05:00+09:00"   # freeze the site's clock here
//! auto_approve = true             # the back office approves on its schedule (14:00 cut-off)
//!
//! [[application]]                 # filed through the admin API before the steps
//! applicant = "山田 太郎"
//! email = "taro@example.jp"
//! subject = [["C", "JP"], ["O", "Example Securities"], ["CN", "Taro Yamada"]]
//! approve = true
//!
//! [[step]]
//! action = "enroll"               # enroll | list | confirm | check-site | install | data-list | data-fetch | approve | withdraw | set-clock | advance-clock | real-clock | fault | publish
//! via = "binary"                  # the real cert-client binary, or "library" (default)
//! password = "wrong"              # log in with this instead of the mailed password
//! answers = { issue = true }      # prompts: issue, install-root, web-access; unanswered is いいえ
//! # interrupt = "csr-sent"        # key-generation | csr-sent | certificate-received: killed (binary) or stopped (library) there
//! expect = { error = "AUTH-FAILED", message = "認証に失敗したか、申請が承認されていません", exit = 3 }
//! ```

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde::Deserialize;

/// A scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What it shows, in a line.
    pub summary: String,
    /// The catalogue ids it covers.
    pub covers: Vec<String>,
    /// `fail: reason` marks a known failure.
    #[serde(default)]
    pub expect: Option<String>,
    /// The site's state before anything is filed.
    #[serde(default)]
    pub site: SiteSetUp,
    /// Applications to file on the site before the steps.
    #[serde(default, rename = "application")]
    pub applications: Vec<Application>,
    /// The steps, in order.
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
    /// The name: the file's stem.
    #[serde(skip)]
    pub name: String,
    /// The area: the directory under `scenarios/`.
    #[serde(skip)]
    pub area: String,
    /// Where the file is.
    #[serde(skip)]
    pub path: PathBuf,
}

/// The site's state before anything is filed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSetUp {
    /// Freeze the site's clock at this RFC 3339 time first.
    pub clock: Option<String>,
    /// Turn the back office's auto-approval on (with its 14:00 cut-off) or off.
    pub auto_approve: Option<bool>,
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
    /// Approve it at once (its mails go out).
    #[serde(default)]
    pub approve: bool,
}

fn new_kind() -> String {
    "new".into()
}

/// One step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What to do.
    pub action: Action,
    /// Through the real binary or the library (client actions).
    #[serde(default)]
    pub via: Via,
    /// Which application (1-based, in filing order) the step is about; default the first.
    #[serde(default = "first")]
    pub application: usize,
    /// Log in with this password instead of the mailed one (`enroll`).
    #[serde(default)]
    pub password: Option<String>,
    /// Answers to the prompts by name (`issue`, `install-root`, `web-access`); unanswered is no.
    #[serde(default)]
    pub answers: BTreeMap<String, bool>,
    /// Interrupt the client at a checkpoint: `key-generation`, `csr-sent`,
    /// `certificate-received`. Through the binary the process is killed (SIGKILL) there; through
    /// the library the enrollment stops there.
    #[serde(default)]
    pub interrupt: Option<String>,
    /// Extra arguments for the binary.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment for the binary (e.g. `CERT_CLIENT_PLATFORM`).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Which store the client uses: the scenario's own (default) or another one by name, e.g.
    /// `other-pc`, standing for another machine.
    #[serde(default)]
    pub store: Option<String>,
    /// For `install`: install the current certificate of this other store (`other-pc`).
    #[serde(default)]
    pub certificate_from: Option<String>,
    /// For `publish`: the document the site publishes for the step's application.
    #[serde(default)]
    pub publish: Option<Publication>,
    /// For `data-fetch`: which published document (1-based, in publishing order).
    #[serde(default = "first")]
    pub document: usize,
    /// For `data-fetch`: keep the encrypted CMS file (`--raw`).
    #[serde(default)]
    pub raw: bool,
    /// For `set-clock`: an RFC 3339 time; for `advance-clock`: a duration like `90m`, `25h`, `3d`.
    #[serde(default)]
    pub clock: Option<String>,
    /// For `fault`: the admin API's fault body, as TOML.
    #[serde(default)]
    pub fault: Option<toml::Table>,
    /// What must come out.
    #[serde(default)]
    pub expect: Expect,
}

fn first() -> usize {
    1
}

/// A document to publish.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    /// Its title, e.g. 残高証明書.
    pub title: String,
    /// Its file name.
    pub file_name: String,
    /// Its media type.
    #[serde(default = "octet_stream")]
    pub content_type: String,
    /// Its content, as text.
    pub content: String,
}

fn octet_stream() -> String {
    "application/octet-stream".into()
}

/// The actions a step can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// `cert-client enroll` with the application's two mails (or `password`).
    Enroll,
    /// `cert-client list`
    List,
    /// `cert-client confirm`
    Confirm,
    /// `cert-client check-site` on the site's URL.
    CheckSite,
    /// `cert-client install --certificate` (binary only).
    Install,
    /// Admin: approve the application (its mails go out).
    Approve,
    /// Admin: withdraw the application.
    Withdraw,
    /// Admin: set the site's clock.
    SetClock,
    /// Admin: move the site's clock forward.
    AdvanceClock,
    /// Admin: arm a fault.
    Fault,
    /// Admin: publish a document for the step's application (DATA-DECRYPT).
    Publish,
    /// `cert-client data list` (binary only).
    DataList,
    /// `cert-client data fetch` (binary only): the decrypted file's content is shown.
    DataFetch,
    /// Admin: let the site's clock run from the real time again (certificates issued after it are
    /// valid for the TLS handshake, which uses the real time).
    RealClock,
}

impl Action {
    /// Whether the client performs it (as opposed to the site's admin API).
    pub fn is_client(self) -> bool {
        matches!(
            self,
            Self::Enroll
                | Self::List
                | Self::Confirm
                | Self::CheckSite
                | Self::Install
                | Self::DataList
                | Self::DataFetch
        )
    }
}

/// How a client step is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The `client` library, in-process, with a scripted prompter.
    #[default]
    Library,
    /// The real `cert-client` binary, answers fed to its prompts.
    Binary,
}

/// What a step must end with.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The error id shown, or none for success.
    pub error: Option<String>,
    /// The message shown, exactly.
    pub message: Option<String>,
    /// The binary's exit code.
    pub exit: Option<i32>,
    /// Texts the client must have printed (each a substring of the output).
    #[serde(default)]
    pub output: Vec<String>,
    /// The application's state on the site after the step.
    pub state: Option<String>,
    /// How many mails the site has sent for the application after the step.
    pub mails: Option<usize>,
    /// The subjects of the mails sent for the application, in order, after the step.
    pub mail_subjects: Option<Vec<String>>,
    /// The store's contents after the step.
    pub store: Option<StoreExpect>,
}

/// What the store holds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreExpect {
    /// Personal certificates.
    pub certificates: Option<usize>,
    /// Personal certificates whose key is present.
    pub keys: Option<usize>,
    /// Pending requests.
    pub pending: Option<usize>,
    /// Trusted roots.
    pub roots: Option<usize>,
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
    /// Read, but not usable.
    #[error("{path}: {why}")]
    Invalid {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
}

impl Scenario {
    /// Reads a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: shown.clone(),
            source,
        })?;
        let mut scenario: Self = toml::from_str(&text).map_err(|source| ScenarioError::Parse {
            path: shown.clone(),
            source,
        })?;
        scenario.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        scenario.area = path
            .parent()
            .and_then(Path::file_name)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        scenario.path = path.to_path_buf();
        let invalid = |why: String| ScenarioError::Invalid {
            path: shown.clone(),
            why,
        };
        if let Some(expect) = &scenario.expect
            && !expect.starts_with("fail: ")
        {
            return Err(invalid(format!(
                "expect must be \"fail: <reason>\", not {expect:?}"
            )));
        }
        for (i, step) in scenario.steps.iter().enumerate() {
            if let Some(point) = &step.interrupt
                && client::enrollment::Checkpoint::from_name(point).is_none()
            {
                return Err(invalid(format!("step {}: no checkpoint {point:?}", i + 1)));
            }
            if step.application == 0 || step.application > scenario.applications.len().max(1) {
                return Err(invalid(format!(
                    "step {}: no application {}",
                    i + 1,
                    step.application
                )));
            }
        }
        Ok(scenario)
    }

    /// The known-failure reason, if the scenario is marked as one.
    pub fn known_failure(&self) -> Option<&str> {
        self.expect
            .as_deref()
            .and_then(|e| e.strip_prefix("fail: "))
    }

    /// Every scenario under `dir`, sorted by path.
    pub fn discover(dir: &Path) -> Result<Vec<Self>, ScenarioError> {
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
        found.iter().map(|p| Self::load(p)).collect()
    }
}

/// Parses a duration like `90m`, `25h`, `3d`, `45s`.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return None,
    };
    Some(std::time::Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let text: String = include_str!("scenario.rs")
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        let scenario: Scenario = toml::from_str(&text).unwrap();
        assert_eq!(scenario.steps[0].via, Via::Binary);
        assert_eq!(scenario.steps[0].expect.exit, Some(3));
    }

    #[test]
    fn durations_read_as_written() {
        assert_eq!(
            parse_duration("90m"),
            Some(std::time::Duration::from_secs(5400))
        );
        assert_eq!(
            parse_duration("3d"),
            Some(std::time::Duration::from_secs(259_200))
        );
        assert_eq!(parse_duration("3w"), None);
    }
}
