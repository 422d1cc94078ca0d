//! A scenario file: the site's set-up, a list of steps (client actions with the answers to each
//! prompt, and site actions through the admin API), and what must come out of each. One TOML file
//! per scenario under `fixtures/scenarios/<area>/`; its name is the file's stem.
//!
//! ```toml
//! summary = "A wrong password is refused with the guide's message."
//! summary_ja = "パスワードを間違えた場合です。ガイドのメッセージが表示されます。"   # the report's, for support
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
//! via = "binary"                  # the real cert-client binary, "browser" (the page's component in headless Chromium) or "library" (default)
//! password = "wrong"              # log in with this instead of the mailed password
//! answers = { issue = true }      # prompts: issue, install-root, web-access; unanswered is いいえ
//! # interrupt = "csr-sent"        # key-generation | csr-sent | certificate-received: killed (binary), stopped (library) or the tab closed (browser) there
//! # browser_killed = true         # through a browser: the browser killed (SIGKILL) there, not the tab closed
//! expect = { error = "AUTH-FAILED", message = "認証に失敗したか、申請が承認されていません", exit = 3 }
//! ```
//!
//! Each action takes only the fields that mean something for it, so a step with a field its action
//! does not use, a missing field it needs, or an unknown action fails when the file is read, with
//! its file and line ([`Scenario::parse`]):
//!
//! | action | fields besides `expect` (and `application`, which every step may name) |
//! |---|---|
//! | `enroll` | `via`, `password`, `answers`, `interrupt`, `browser_killed`, `store`, `args`, `env`, `browser` |
//! | `list`, `confirm` (also in a browser) | `via`, `store`, `args`, `env` |
//! | `check-site`, `data-list` (binary or browser) | `via`, `store`, `args`, `env` |
//! | `install` (binary or browser) | `via`, `certificate_from` (the binary's, required there), `store`, `args`, `env` |
//! | `data-fetch` (binary only) | `document`, `raw`, `store`, `args`, `env` |
//! | `approve`, `withdraw`, `real-clock` | — |
//! | `set-clock` | `clock` (required): an RFC 3339 time |
//! | `advance-clock` | `clock` (required): a duration like `90m`, `25h`, `3d` |
//! | `fault` | `fault` (required): the admin API's fault body |
//! | `publish` | `publish` (required): `{ title, file_name, content, content_type }` |
//!
//! A site action's `expect` takes only `state`, `mails` and `mail_subjects`; `args`, `env` and
//! `expect.exit` need `via = "binary"`, `browser` (`{ scripts = false }`, `{ webcrypto = false }`)
//! needs `via = "browser"`.
//!
//! Through a browser (`via = "browser"`) the step is what a person does in headless Chromium: the
//! mail's URL opened, the password typed, 発行 and the guide's dialogs answered as `answers` says,
//! the PKCS#12 downloaded; `store` names the browser profile (another PC's browser), and the
//! store's counts are what the browser kept (see `runner/browser.rs`). The confirmation site
//! (`confirm`, `data-list`) is opened in a browser that holds no client certificate until an
//! `install` step imports the PKCS#12 that browser downloaded: from then on, in a Chromium of its
//! own holding it.
//!
//! A scenario that means the same for several clients says so at the top, and runs once per
//! client, each run with its own name and snapshot (`<name>.<client>`); its client steps that
//! name no `via` take the run's:
//!
//! ```toml
//! clients = ["library", "binary", "browser"]
//! ```

use std::{
    collections::BTreeMap,
    ops::Range,
    path::{Path, PathBuf},
    time::Duration,
};

use client::enrollment::Checkpoint;
use serde::{Deserialize, Deserializer};

/// A scenario.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Scenario {
    /// What it shows, in a line (for developers, in the transcript).
    pub summary: String,
    /// The same in Japanese, as support would say it to a customer (the report's case pages).
    pub summary_ja: String,
    /// The catalogue ids it covers.
    pub covers: Vec<String>,
    /// `fail: reason` marks a known failure.
    pub expect: Option<String>,
    /// The client this run of a `clients = [...]` scenario is for (its name ends `.<client>`).
    pub client: Option<Via>,
    /// The clients a file runs for, before [`Scenario::expand`] (empty after it).
    pub clients: Vec<Via>,
    /// The site's state before anything is filed.
    pub site: SiteSetUp,
    /// Applications to file on the site before the steps.
    pub applications: Vec<Application>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The name: the file's stem.
    pub name: String,
    /// The area: the directory under `scenarios/`.
    pub area: String,
    /// Where the file is.
    pub path: PathBuf,
}

/// The file as written; [`Scenario::parse`] turns it into a [`Scenario`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    summary: String,
    summary_ja: String,
    covers: Vec<String>,
    #[serde(default, deserialize_with = "known_failure_mark")]
    expect: Option<String>,
    #[serde(default)]
    clients: Vec<Via>,
    #[serde(default)]
    site: SiteSetUp,
    #[serde(default)]
    application: Vec<Application>,
    step: Vec<toml::Spanned<Located>>,
}

/// One step, read so that an error in it carries the step's place in the file. An internally
/// tagged enum is read from a buffered copy of the table, which has no place of its own; toml
/// gives its errors the place of the value being read only through a newtype's visit, hence this.
struct Located(Step);

impl<'de> Deserialize<'de> for Located {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Located;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a step: a table with an `action`")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Located, D::Error> {
                Step::deserialize(deserializer).map(Located)
            }
        }
        deserializer.deserialize_newtype_struct("Located", Visitor)
    }
}

fn known_failure_mark<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let mark = String::deserialize(d)?;
    if mark.starts_with("fail: ") {
        Ok(Some(mark))
    } else {
        Err(serde::de::Error::custom(format!(
            "expect must be \"fail: <reason>\", not {mark:?}"
        )))
    }
}

/// The site's state before anything is filed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
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

fn first() -> usize {
    1
}

/// One step: what to do, with only the fields that action uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Step {
    /// `cert-client enroll` with the application's two mails (or `password`).
    Enroll(Enroll),
    /// `cert-client list`
    List(ClientCommand),
    /// `cert-client confirm`
    Confirm(ClientCommand),
    /// `cert-client check-site` on the site's URL (binary or browser).
    CheckSite(BinaryCommand),
    /// `cert-client install --certificate`, or the downloaded PKCS#12 imported into a browser.
    Install(Install),
    /// `cert-client data list`, or the confirmation site's download page in a browser holding
    /// the certificate.
    DataList(BinaryCommand),
    /// `cert-client data fetch` (binary only): the decrypted file's content is shown.
    DataFetch(DataFetch),
    /// Admin: approve the application (its mails go out).
    Approve(SiteAction),
    /// Admin: withdraw the application.
    Withdraw(SiteAction),
    /// Admin: set the site's clock (frozen there).
    SetClock(SetClock),
    /// Admin: move the site's clock forward.
    AdvanceClock(AdvanceClock),
    /// Admin: let the site's clock run from the real time again (certificates issued after it are
    /// valid for the TLS handshake, which uses the real time).
    RealClock(SiteAction),
    /// Admin: arm a fault.
    Fault(Fault),
    /// Admin: publish a document for the step's application (DATA-DECRYPT).
    Publish(Publish),
}

/// `enroll`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Enroll {
    /// Through the real binary, a browser or the library (default; or the scenario's client).
    pub via: Option<Via>,
    /// Which application (1-based, in filing order); default the first.
    #[serde(default = "first")]
    pub application: usize,
    /// Log in with this password instead of the mailed one.
    pub password: Option<String>,
    /// Answers to the prompts; unanswered is no.
    #[serde(default)]
    pub answers: Answers,
    /// Interrupt the client at a checkpoint: `key-generation`, `csr-sent`,
    /// `certificate-received`. Through the binary the process is killed (SIGKILL) there; through
    /// the library the enrollment stops there.
    #[serde(default, deserialize_with = "checkpoint")]
    pub interrupt: Option<Checkpoint>,
    /// Through a browser: at the checkpoint the browser itself is killed (SIGKILL), not the tab
    /// closed. The store's browser is then a Chromium of its own on a profile kept on disk (the
    /// person's PC), and the next step starts a new one on it.
    #[serde(default)]
    pub browser_killed: bool,
    /// Which store: the scenario's own (default) or another one by name, e.g. `other-pc`.
    pub store: Option<String>,
    /// Extra arguments for the binary.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment for the binary (e.g. `CERT_CLIENT_PLATFORM`).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// What the browser lacks (`via = "browser"` only).
    pub browser: Option<BrowserSetting>,
    /// What must come out.
    #[serde(default)]
    pub expect: Expect,
}

impl Enroll {
    /// An enrollment that answers nothing and expects nothing (what a browser step that is not
    /// one stands on).
    pub fn nothing() -> Self {
        Self {
            via: None,
            application: 1,
            password: None,
            answers: Answers::default(),
            interrupt: None,
            browser_killed: false,
            store: None,
            args: Vec::new(),
            env: BTreeMap::new(),
            browser: None,
            expect: Expect::default(),
        }
    }
}

/// A browser as some customers have it: scripts off, or too old for WebCrypto.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BrowserSetting {
    /// JavaScript on (default) or off (STEP2-CSP-HIDDEN).
    #[serde(default = "yes")]
    pub scripts: bool,
    /// WebCrypto present (default) or absent (COMPONENT-UNAVAILABLE).
    #[serde(default = "yes")]
    pub webcrypto: bool,
    /// The platform the browser reports, when not its own: `"Windows 8.1"` (ENV-SUPPORTED).
    #[serde(default, deserialize_with = "reported_platform")]
    pub platform: Option<ReportedPlatform>,
}

/// A platform a browser may report that the harness knows how to feign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportedPlatform {
    /// Windows 8.1 (NT 6.3): User-Agent Client Hints' platformVersion 0.3.0.
    Windows81,
}

fn reported_platform<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<ReportedPlatform>, D::Error> {
    let name = String::deserialize(d)?;
    match name.as_str() {
        "Windows 8.1" => Ok(Some(ReportedPlatform::Windows81)),
        _ => Err(serde::de::Error::custom(format!(
            "`platform`: the harness cannot feign {name:?} (\"Windows 8.1\")"
        ))),
    }
}

fn yes() -> bool {
    true
}

/// `list` or `confirm`, through the library or the binary.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ClientCommand {
    /// Through the real binary or the library (default; or the scenario's client).
    pub via: Option<Via>,
    /// Which application the expectations are about; default the first.
    #[serde(default = "first")]
    pub application: usize,
    /// Which store: the scenario's own (default) or another one by name.
    pub store: Option<String>,
    /// Extra arguments for the binary.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment for the binary.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// What must come out.
    #[serde(default)]
    pub expect: Expect,
}

/// A command of the binary (`check-site`, `data list`); `check-site` also in a browser (the top
/// page opened, its link to the repository followed).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BinaryCommand {
    /// The binary (default) or, for `check-site`, a browser.
    pub via: Option<Via>,
    /// Which application the expectations are about; default the first.
    #[serde(default = "first")]
    pub application: usize,
    /// Which store: the scenario's own (default) or another one by name.
    pub store: Option<String>,
    /// Extra arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// What must come out.
    #[serde(default)]
    pub expect: Expect,
}

/// `install --certificate` through the binary; in a browser, the PKCS#12 that browser downloaded
/// imported into it (`pk12util -i`, as step 4 says), the browser started again holding it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Install {
    /// The binary (default) or a browser.
    pub via: Option<Via>,
    /// Install the current certificate of this other store (`other-pc`); the binary's only.
    pub certificate_from: Option<String>,
    /// Which application the expectations are about; default the first.
    #[serde(default = "first")]
    pub application: usize,
    /// Which store installs it: the scenario's own (default) or another one by name.
    pub store: Option<String>,
    /// Extra arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// What must come out.
    #[serde(default)]
    pub expect: Expect,
}

/// `data fetch` (binary only).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DataFetch {
    /// Which published document (1-based, in publishing order).
    #[serde(default = "first")]
    pub document: usize,
    /// Keep the encrypted CMS file (`--raw`).
    #[serde(default)]
    pub raw: bool,
    /// Which application the expectations are about; default the first.
    #[serde(default = "first")]
    pub application: usize,
    /// Which store: the scenario's own (default) or another one by name.
    pub store: Option<String>,
    /// Extra arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// What must come out.
    #[serde(default)]
    pub expect: Expect,
}

/// `approve`, `withdraw`, `real-clock`: the admin API, nothing to say but which application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SiteAction {
    /// Which application; default the first.
    #[serde(default = "first")]
    pub application: usize,
    /// What must hold after it.
    #[serde(default)]
    pub expect: SiteExpect,
}

/// `set-clock`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SetClock {
    /// The time to freeze the clock at (RFC 3339).
    #[serde(deserialize_with = "rfc3339")]
    pub clock: String,
    /// Which application the expectations are about; default the first.
    #[serde(default = "first")]
    pub application: usize,
    /// What must hold after it.
    #[serde(default)]
    pub expect: SiteExpect,
}

/// `advance-clock`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AdvanceClock {
    /// How far: `45s`, `90m`, `25h`, `3d`.
    #[serde(deserialize_with = "duration")]
    pub clock: Duration,
    /// Which application the expectations are about; default the first.
    #[serde(default = "first")]
    pub application: usize,
    /// What must hold after it.
    #[serde(default)]
    pub expect: SiteExpect,
}

/// `fault`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Fault {
    /// The admin API's fault body; `application = "this"` scopes it to the step's application.
    pub fault: toml::Table,
    /// Which application `"this"` is; default the first.
    #[serde(default = "first")]
    pub application: usize,
    /// What must hold after it.
    #[serde(default)]
    pub expect: SiteExpect,
}

/// `publish`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Publish {
    /// The document.
    pub publish: Publication,
    /// For which application; default the first.
    #[serde(default = "first")]
    pub application: usize,
    /// What must hold after it.
    #[serde(default)]
    pub expect: SiteExpect,
}

fn checkpoint<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Checkpoint>, D::Error> {
    let name = String::deserialize(d)?;
    Checkpoint::from_name(&name).map(Some).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "`interrupt`: no checkpoint {name:?} (key-generation, csr-sent or certificate-received)"
        ))
    })
}

fn rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
        .map(|_| text.clone())
        .map_err(|e| serde::de::Error::custom(format!("`clock`: {text:?} is not RFC 3339: {e}")))
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "`clock`: {text:?} is not a duration like \"45s\", \"90m\", \"25h\", \"3d\""
        ))
    })
}

/// The prompts' answers; an unanswered prompt is answered no.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Answers {
    /// 発行しますか
    pub issue: Option<bool>,
    /// The root's installation.
    pub install_root: Option<bool>,
    /// Web アクセスの確認.
    pub web_access: Option<bool>,
}

impl Answers {
    /// The given answers by prompt name, in the order the guide asks.
    pub fn given(&self) -> Vec<(String, bool)> {
        [
            ("issue", self.issue),
            ("install-root", self.install_root),
            ("web-access", self.web_access),
        ]
        .into_iter()
        .filter_map(|(name, answer)| answer.map(|yes| (name.to_owned(), yes)))
        .collect()
    }
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

/// What a step does, without its fields: the name the transcript shows (`{:?}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `enroll`
    Enroll,
    /// `list`
    List,
    /// `confirm`
    Confirm,
    /// `check-site`
    CheckSite,
    /// `install`
    Install,
    /// `approve`
    Approve,
    /// `withdraw`
    Withdraw,
    /// `set-clock`
    SetClock,
    /// `advance-clock`
    AdvanceClock,
    /// `fault`
    Fault,
    /// `publish`
    Publish,
    /// `data-list`
    DataList,
    /// `data-fetch`
    DataFetch,
    /// `real-clock`
    RealClock,
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
    /// The site's pages and their enrollment component in headless Chromium.
    Browser,
}

impl Via {
    /// Its name in a scenario file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Library => "library",
            Self::Binary => "binary",
            Self::Browser => "browser",
        }
    }
}

/// What a client step must end with.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
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

/// What must hold after a site action: the application and its mails.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SiteExpect {
    /// The application's state on the site after the step.
    pub state: Option<String>,
    /// How many mails the site has sent for the application after the step.
    pub mails: Option<usize>,
    /// The subjects of the mails sent for the application, in order, after the step.
    pub mail_subjects: Option<Vec<String>>,
}

impl From<&SiteExpect> for Expect {
    fn from(site: &SiteExpect) -> Self {
        Self {
            state: site.state.clone(),
            mails: site.mails,
            mail_subjects: site.mail_subjects.clone(),
            ..Self::default()
        }
    }
}

/// What the store holds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
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

impl Step {
    /// What it does.
    pub fn action(&self) -> Action {
        match self {
            Self::Enroll(_) => Action::Enroll,
            Self::List(_) => Action::List,
            Self::Confirm(_) => Action::Confirm,
            Self::CheckSite(_) => Action::CheckSite,
            Self::Install(_) => Action::Install,
            Self::DataList(_) => Action::DataList,
            Self::DataFetch(_) => Action::DataFetch,
            Self::Approve(_) => Action::Approve,
            Self::Withdraw(_) => Action::Withdraw,
            Self::SetClock(_) => Action::SetClock,
            Self::AdvanceClock(_) => Action::AdvanceClock,
            Self::RealClock(_) => Action::RealClock,
            Self::Fault(_) => Action::Fault,
            Self::Publish(_) => Action::Publish,
        }
    }

    /// How the client performs it; `None` for the site's actions (the admin API).
    pub fn via(&self) -> Option<Via> {
        match self {
            Self::Enroll(step) => Some(step.via.unwrap_or_default()),
            Self::List(step) | Self::Confirm(step) => Some(step.via.unwrap_or_default()),
            Self::CheckSite(step) | Self::DataList(step) => Some(step.via.unwrap_or(Via::Binary)),
            Self::Install(step) => Some(step.via.unwrap_or(Via::Binary)),
            Self::DataFetch(_) => Some(Via::Binary),
            Self::Approve(_)
            | Self::Withdraw(_)
            | Self::SetClock(_)
            | Self::AdvanceClock(_)
            | Self::RealClock(_)
            | Self::Fault(_)
            | Self::Publish(_) => None,
        }
    }

    /// Which application (1-based, in filing order) the step is about.
    pub fn application(&self) -> usize {
        match self {
            Self::Enroll(step) => step.application,
            Self::List(step) | Self::Confirm(step) => step.application,
            Self::CheckSite(step) | Self::DataList(step) => step.application,
            Self::Install(step) => step.application,
            Self::DataFetch(step) => step.application,
            Self::Approve(step) | Self::Withdraw(step) | Self::RealClock(step) => step.application,
            Self::SetClock(step) => step.application,
            Self::AdvanceClock(step) => step.application,
            Self::Fault(step) => step.application,
            Self::Publish(step) => step.application,
        }
    }

    /// What must come out of it.
    pub fn expect(&self) -> Expect {
        match self {
            Self::Enroll(step) => step.expect.clone(),
            Self::List(step) | Self::Confirm(step) => step.expect.clone(),
            Self::CheckSite(step) | Self::DataList(step) => step.expect.clone(),
            Self::Install(step) => step.expect.clone(),
            Self::DataFetch(step) => step.expect.clone(),
            Self::Approve(step) | Self::Withdraw(step) | Self::RealClock(step) => {
                (&step.expect).into()
            }
            Self::SetClock(step) => (&step.expect).into(),
            Self::AdvanceClock(step) => (&step.expect).into(),
            Self::Fault(step) => (&step.expect).into(),
            Self::Publish(step) => (&step.expect).into(),
        }
    }

    /// The other store the client uses (`other-pc`), if not the scenario's own.
    pub fn store(&self) -> Option<&str> {
        match self {
            Self::Enroll(step) => step.store.as_deref(),
            Self::List(step) | Self::Confirm(step) => step.store.as_deref(),
            Self::CheckSite(step) | Self::DataList(step) => step.store.as_deref(),
            Self::Install(step) => step.store.as_deref(),
            Self::DataFetch(step) => step.store.as_deref(),
            _ => None,
        }
    }

    /// Extra arguments and environment for the binary.
    pub fn binary_options(&self) -> (&[String], Option<&BTreeMap<String, String>>) {
        match self {
            Self::Enroll(step) => (&step.args, Some(&step.env)),
            Self::List(step) | Self::Confirm(step) => (&step.args, Some(&step.env)),
            Self::CheckSite(step) | Self::DataList(step) => (&step.args, Some(&step.env)),
            Self::Install(step) => (&step.args, Some(&step.env)),
            Self::DataFetch(step) => (&step.args, Some(&step.env)),
            _ => (&[], None),
        }
    }

    /// The step as `client` runs it: a client step that names no `via` takes it (a step the
    /// client cannot do, e.g. `list` in a browser, stays with the library).
    fn for_client(&self, client: Via) -> Self {
        let mut step = self.clone();
        match &mut step {
            Self::Enroll(enroll) => {
                enroll.via.get_or_insert(client);
            }
            Self::List(command) | Self::Confirm(command) if client != Via::Browser => {
                command.via.get_or_insert(client);
            }
            Self::CheckSite(command) if client != Via::Library => {
                command.via.get_or_insert(client);
            }
            _ => {}
        }
        step
    }

    /// Whether the step's `browser` setting turns scripts or WebCrypto off.
    pub fn browser_setting(&self) -> Option<BrowserSetting> {
        match self {
            Self::Enroll(step) => step.browser,
            _ => None,
        }
    }

    /// Where the client is interrupted, if anywhere.
    pub fn interrupt(&self) -> Option<Checkpoint> {
        match self {
            Self::Enroll(step) => step.interrupt,
            _ => None,
        }
    }

    /// A combination the types allow but a run cannot honour.
    fn inconsistency(&self, applications: usize) -> Option<String> {
        if self.application() == 0 || self.application() > applications.max(1) {
            return Some(format!(
                "no application {} (the scenario files {applications})",
                self.application()
            ));
        }
        let via = self.via();
        if matches!(via, Some(Via::Library | Via::Browser)) {
            let (args, env) = self.binary_options();
            if !args.is_empty() || env.is_some_and(|e| !e.is_empty()) {
                return Some("`args` and `env` need via = \"binary\"".into());
            }
            if self.expect().exit.is_some() {
                return Some(format!(
                    "`expect.exit` needs via = \"binary\": the {} has no exit code",
                    via.map_or("", Via::name)
                ));
            }
        }
        if via != Some(Via::Browser) && matches!(self, Self::Enroll(e) if e.browser.is_some()) {
            return Some("`browser` needs via = \"browser\"".into());
        }
        if let Self::Enroll(enroll) = self
            && enroll.browser_killed
            && (via != Some(Via::Browser) || enroll.interrupt.is_none())
        {
            return Some(
                "`browser_killed` needs via = \"browser\" and an `interrupt` (the checkpoint where it is killed)".into(),
            );
        }
        if let Self::Enroll(enroll) = self
            && enroll.browser_killed
            && enroll.expect.store.is_some()
        {
            return Some(
                "`expect.store` after a killed browser: a dead browser cannot be asked; the next step counts what the new one finds".into(),
            );
        }
        if via == Some(Via::Browser)
            && !matches!(
                self,
                Self::Enroll(_)
                    | Self::CheckSite(_)
                    | Self::Confirm(_)
                    | Self::Install(_)
                    | Self::DataList(_)
            )
        {
            return Some(format!(
                "{:?} has no browser form: a browser enrolls (`enroll`), opens the top page (`check-site`), imports the PKCS#12 it downloaded (`install`), opens the confirmation site (`confirm`) and its download page (`data-list`)",
                self.action()
            ));
        }
        if let Self::Install(install) = self {
            match (via, &install.certificate_from) {
                (Some(Via::Browser), Some(_)) => {
                    return Some(
                        "`certificate_from` is the binary's: a browser imports the PKCS#12 it downloaded".into(),
                    );
                }
                (Some(Via::Binary), None) => {
                    return Some(
                        "`install` through the binary needs `certificate_from` (the store whose certificate to install)".into(),
                    );
                }
                _ => {}
            }
        }
        if via == Some(Via::Library) && matches!(self, Self::CheckSite(_) | Self::DataList(_)) {
            return Some(format!("{:?} has no library form", self.action()));
        }
        None
    }
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
    /// Not a scenario: bad TOML, an unknown action or field, a missing field, a field its action
    /// does not take, or a step that names what the scenario does not have.
    #[error("{path}:{line}:{column}: {message}\n{excerpt}")]
    Invalid {
        /// The file.
        path: String,
        /// Where (1-based).
        line: usize,
        /// The column (1-based, in characters).
        column: usize,
        /// Why.
        message: String,
        /// The line in question, marked.
        excerpt: String,
    },
}

impl ScenarioError {
    fn at(path: &Path, text: &str, span: Option<Range<usize>>, message: String) -> Self {
        let start = span.map_or(0, |s| s.start).min(text.len());
        // A span from toml is on a character boundary; falling back to the line's start if not.
        let before = text.get(..start).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text
            .get(line_start..start)
            .map_or(1, |s| s.chars().count() + 1);
        let shown = text[line_start..].lines().next().unwrap_or_default();
        Self::Invalid {
            path: path.display().to_string(),
            line,
            column,
            message,
            excerpt: format!("{line:>5} | {shown}"),
        }
    }
}

impl Scenario {
    /// Reads a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses a scenario's TOML `text`; `path` names it (its stem is the scenario's name, its
    /// directory the area) and is shown in errors. Every error says where in the text it is.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ScenarioError> {
        let file: File = toml::from_str(text).map_err(|error| {
            let message = error.message().trim().to_owned();
            let span = error.span().map(|span| within_step(text, span, &message));
            ScenarioError::at(path, text, span, message)
        })?;
        let mut steps = Vec::with_capacity(file.step.len());
        for (index, located) in file.step.into_iter().enumerate() {
            let span = located.span();
            let Located(step) = located.into_inner();
            // With `clients`, each client's run is checked as it will run.
            let runs: Vec<Step> = if file.clients.is_empty() {
                vec![step.clone()]
            } else {
                file.clients.iter().map(|c| step.for_client(*c)).collect()
            };
            if let Some(why) = runs
                .iter()
                .find_map(|s| s.inconsistency(file.application.len()))
            {
                return Err(ScenarioError::at(
                    path,
                    text,
                    Some(span),
                    format!("step {}: {why}", index + 1),
                ));
            }
            steps.push(step);
        }
        let stem = |p: Option<&std::ffi::OsStr>| {
            p.map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        Ok(Self {
            summary: file.summary,
            summary_ja: file.summary_ja,
            covers: file.covers,
            expect: file.expect,
            client: None,
            clients: file.clients,
            site: file.site,
            applications: file.application,
            steps,
            name: stem(path.file_stem()),
            area: stem(path.parent().and_then(Path::file_name)),
            path: path.to_path_buf(),
        })
    }

    /// One scenario per client of its `clients` list (named `<name>.<client>`), or itself.
    pub fn expand(self) -> Vec<Self> {
        if self.clients.is_empty() {
            return vec![self];
        }
        self.clients
            .iter()
            .map(|client| {
                let mut run = self.clone();
                run.name = format!("{}.{}", self.name, client.name());
                run.client = Some(*client);
                run.clients = Vec::new();
                run.steps = self.steps.iter().map(|s| s.for_client(*client)).collect();
                run
            })
            .collect()
    }

    /// The runs a scenario file makes (one per client of its `clients` list).
    pub fn load_all(path: &Path) -> Result<Vec<Self>, ScenarioError> {
        Ok(Self::load(path)?.expand())
    }

    /// Whether a step runs in a browser.
    pub fn uses_browser(&self) -> bool {
        self.steps.iter().any(|s| s.via() == Some(Via::Browser))
    }

    /// Roughly how long the scenario keeps a core busy, in seconds of one core alone, for
    /// ordering a run (the longest first). The weights are this machine's measured costs: an
    /// enrollment through the browser ~0.8 s (its pages, key generation, screenshots), a browser
    /// that imports a PKCS#12 ~4 s (a full Chromium of its own), a killed browser's new start
    /// ~1 s, any other page ~0.5 s, a step of the library, the binary or the admin API ~0.1 s.
    pub fn cost(&self) -> f64 {
        self.steps
            .iter()
            .map(|step| match (step, step.via()) {
                (Step::Install(_), Some(Via::Browser)) => 4.0,
                (Step::Enroll(enroll), Some(Via::Browser)) if enroll.browser_killed => 1.8,
                (Step::Enroll(_), Some(Via::Browser)) => 0.8,
                (_, Some(Via::Browser)) => 0.5,
                _ => 0.1,
            })
            .sum()
    }

    /// The known-failure reason, if the scenario is marked as one.
    pub fn known_failure(&self) -> Option<&str> {
        self.expect
            .as_deref()
            .and_then(|e| e.strip_prefix("fail: "))
    }

    /// Every scenario file under `dir`, sorted.
    pub fn files(dir: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
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

    /// Every scenario under `dir`, sorted by path, a `clients = [...]` file once per client.
    pub fn discover(dir: &Path) -> Result<Vec<Self>, ScenarioError> {
        let mut all = Vec::new();
        for path in Self::files(dir)? {
            all.extend(Self::load_all(&path)?);
        }
        Ok(all)
    }
}

/// An error in a step is placed by toml on the step's `[[step]]` (a step is read from a buffered
/// copy, see [`Located`]); when it names a field (``unknown field `x` ``, or ``x`: …``) that the
/// step sets exactly once, the field's line is the better place.
fn within_step(text: &str, span: Range<usize>, message: &str) -> Range<usize> {
    let Some(step) = text.get(span.start..).filter(|s| s.starts_with("[[")) else {
        return span;
    };
    let named = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix('`'))
        .and_then(|rest| rest.split('`').next())
        .filter(|name| !name.is_empty());
    let Some(name) = named else {
        return span;
    };
    // The step's own text: up to the next table header.
    let end = step[2..].find("\n[").map_or(step.len(), |i| i + 2);
    let body = &step[..end];
    let found: Vec<usize> = body
        .match_indices(name)
        .filter(|(at, _)| {
            let before = body[..*at].chars().next_back();
            let after = body[at + name.len()..].trim_start_matches([' ', '\t']);
            matches!(before, None | Some('\n' | ' ' | '{' | ',' | '\t')) && after.starts_with('=')
        })
        .map(|(at, _)| at)
        .collect();
    match found.as_slice() {
        [at] => span.start + at..span.start + at + name.len(),
        _ => span,
    }
}

/// Parses a duration like `90m`, `25h`, `3d`, `45s`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let seconds = match unit {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documented_example() -> String {
        include_str!("scenario.rs")
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").trim_start())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn error(text: &str) -> String {
        Scenario::parse(text, Path::new("scenarios/login/bad.toml"))
            .unwrap_err()
            .to_string()
    }

    const HEAD: &str = "summary = \"s\"\nsummary_ja = \"s\"\ncovers = []\n\n[[application]]\napplicant = \"a\"\nemail = \"a@example.jp\"\nsubject = [[\"CN\", \"A\"]]\n\n[[step]]\naction = \"approve\"\n\n";

    #[test]
    fn the_documented_example_parses() {
        let scenario =
            Scenario::parse(&documented_example(), Path::new("login/example.toml")).unwrap();
        let Step::Enroll(step) = &scenario.steps[0] else {
            panic!("{:?}", scenario.steps[0]);
        };
        assert_eq!(step.via, Some(Via::Binary));
        assert_eq!(step.expect.exit, Some(3));
        assert_eq!(step.answers.given(), vec![("issue".to_owned(), true)]);
        assert_eq!(
            (scenario.area.as_str(), scenario.name.as_str()),
            ("login", "example")
        );
    }

    #[test]
    fn a_run_starts_with_the_costliest_scenario_a_browser_importing_its_certificate() {
        let parse = |steps: &str| {
            Scenario::parse(&format!("{HEAD}{steps}"), Path::new("browser/x.toml")).unwrap()
        };
        let binary = parse("[[step]]\naction = \"enroll\"\n");
        let browser = parse("[[step]]\naction = \"enroll\"\nvia = \"browser\"\n");
        let killed = parse(
            "[[step]]\naction = \"enroll\"\nvia = \"browser\"\ninterrupt = \"csr-sent\"\nbrowser_killed = true\n",
        );
        let holder = parse(
            "[[step]]\naction = \"enroll\"\nvia = \"browser\"\n\n[[step]]\naction = \"install\"\nvia = \"browser\"\n",
        );
        assert!(
            binary.cost() < browser.cost(),
            "{} {}",
            binary.cost(),
            browser.cost()
        );
        assert!(browser.cost() < killed.cost());
        assert!(killed.cost() < holder.cost());
    }

    #[test]
    fn a_field_its_action_does_not_take_fails_at_load_with_the_file_and_the_fields_line() {
        // `clock` belongs to set-clock and advance-clock, not to enroll.
        let text = format!("{HEAD}[[step]]\naction = \"enroll\"\nclock = \"90m\"\n");
        let error = error(&text);
        assert!(
            error.starts_with("scenarios/login/bad.toml:15:1: unknown field `clock`"),
            "{error}"
        );
        assert!(error.contains("15 | clock = \"90m\""), "{error}");
    }

    #[test]
    fn an_install_names_the_store_to_take_from_through_the_binary_and_none_in_a_browser() {
        let binary = error(&format!("{HEAD}[[step]]\naction = \"install\"\n"));
        assert!(binary.contains("needs `certificate_from`"), "{binary}");
        let browser = error(&format!(
            "{HEAD}[[step]]\naction = \"install\"\nvia = \"browser\"\ncertificate_from = \"other-pc\"\n"
        ));
        assert!(
            browser.contains("a browser imports the PKCS#12 it downloaded"),
            "{browser}"
        );
        let imported = Scenario::parse(
            &format!("{HEAD}[[step]]\naction = \"install\"\nvia = \"browser\"\n"),
            Path::new("browser/import.toml"),
        )
        .unwrap();
        assert_eq!(imported.steps[1].via(), Some(Via::Browser));
    }

    #[test]
    fn a_killed_browser_needs_a_browser_a_checkpoint_and_no_count_of_what_it_kept() {
        let enroll = format!("{HEAD}[[step]]\naction = \"enroll\"\nbrowser_killed = true\n");
        let no_browser = error(&enroll);
        assert!(
            no_browser.contains("`browser_killed` needs"),
            "{no_browser}"
        );
        let no_checkpoint = error(&format!("{enroll}via = \"browser\"\n"));
        assert!(
            no_checkpoint.contains("`browser_killed` needs"),
            "{no_checkpoint}"
        );
        let counted = error(&format!(
            "{enroll}via = \"browser\"\ninterrupt = \"csr-sent\"\nexpect = {{ store = {{ pending = 1 }} }}\n"
        ));
        assert!(
            counted.contains("a dead browser cannot be asked"),
            "{counted}"
        );
    }

    #[test]
    fn an_unknown_action_fails_at_load_naming_it_with_the_file_and_line() {
        let text = format!("{HEAD}[[step]]\naction = \"enrol\"\n");
        let error = error(&text);
        assert!(
            error.starts_with("scenarios/login/bad.toml:14:10: unknown variant `enrol`"),
            "{error}"
        );
        assert!(
            error.contains("`enroll`"),
            "the actions are listed: {error}"
        );
    }

    #[test]
    fn a_missing_field_fails_at_load_with_the_file_and_line() {
        // advance-clock needs clock: said when the file is read, not when the step runs.
        let text = format!("{HEAD}[[step]]\naction = \"advance-clock\"\n");
        let error = error(&text);
        assert!(
            error.starts_with("scenarios/login/bad.toml:13:1: missing field `clock`"),
            "{error}"
        );
    }

    #[test]
    fn a_bad_value_fails_at_load_with_the_file_and_line() {
        let text = format!("{HEAD}[[step]]\naction = \"advance-clock\"\nclock = \"3w\"\n");
        assert!(
            error(&text)
                .starts_with("scenarios/login/bad.toml:15:1: `clock`: \"3w\" is not a duration"),
            "{}",
            error(&text)
        );
        let text = format!("{HEAD}[[step]]\naction = \"enroll\"\ninterrupt = \"csr-send\"\n");
        assert!(
            error(&text).contains(":15:1: `interrupt`: no checkpoint \"csr-send\""),
            "{}",
            error(&text)
        );
    }

    #[test]
    fn a_site_action_refuses_a_client_expectation() {
        let text = format!("{HEAD}[[step]]\naction = \"approve\"\nexpect = {{ exit = 0 }}\n");
        assert!(
            error(&text).contains(":15:12: unknown field `exit`"),
            "{}",
            error(&text)
        );
    }

    #[test]
    fn a_library_step_refuses_what_only_the_binary_has() {
        let text = format!("{HEAD}[[step]]\naction = \"list\"\nexpect = {{ exit = 0 }}\n");
        let error = error(&text);
        assert!(
            error.contains(":13:1: step 2: `expect.exit` needs via = \"binary\""),
            "{error}"
        );
        let text = format!("{HEAD}[[step]]\naction = \"list\"\nargs = [\"-v\"]\n");
        assert!(
            Scenario::parse(&text, Path::new("x.toml")).is_err(),
            "args on a library step"
        );
    }

    #[test]
    fn a_step_naming_an_application_not_filed_fails_at_load_with_its_line() {
        let text = format!("{HEAD}[[step]]\naction = \"withdraw\"\napplication = 2\n");
        assert!(
            error(&text).contains(":13:1: step 2: no application 2"),
            "{}",
            error(&text)
        );
    }

    #[test]
    fn a_mark_that_is_not_fail_colon_reason_is_refused_on_its_line() {
        let text = HEAD.replace("covers = []\n", "covers = []\nexpect = \"flaky\"\n");
        assert!(
            error(&text)
                .starts_with("scenarios/login/bad.toml:4:10: expect must be \"fail: <reason>\""),
            "{}",
            error(&text)
        );
    }

    #[test]
    fn bad_toml_is_placed_too() {
        let error = error("summary = \"s\"\ncovers = [\n");
        assert!(error.starts_with("scenarios/login/bad.toml:"), "{error}");
    }

    #[test]
    fn a_file_cut_anywhere_is_refused_at_a_line_it_has_never_with_a_panic() {
        // What a fuzzer would try first: every truncation of a real scenario.
        let path = crate::fixtures_dir().join("scenarios/data/data-decrypt.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(Scenario::parse(&text, &path).is_ok());
        for (cut, _) in text.char_indices().step_by(7) {
            let part = &text[..cut];
            if let Err(ScenarioError::Invalid { line, column, .. }) = Scenario::parse(part, &path) {
                assert!(line <= part.lines().count() + 1, "{line} in {part:?}");
                assert!(column >= 1);
            }
        }
    }

    #[test]
    fn durations_read_as_written() {
        assert_eq!(parse_duration("90m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("3d"), Some(Duration::from_secs(259_200)));
        assert_eq!(parse_duration("3w"), None);
        assert_eq!(parse_duration("99999999999999999999d"), None);
    }
}
