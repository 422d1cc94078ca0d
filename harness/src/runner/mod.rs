//! Runs a scenario: the site set up through its admin API, each step performed (the client through
//! its library or its real binary, the site through its admin API), every check made, and
//! everything that crossed recorded in a transcript.
//!
//! - `locate`: which `cert-client` binary runs;
//! - `site_actions`: the steps the site's admin API performs;
//! - `library` and `binary`: the client's steps, in-process or through the real binary;
//! - `mail`: the site's mails delivered to a Maildir per application;
//! - `checks`: what a step must end with;
//! - `transcript`: what a step showed, and the sections written at the end.

mod binary;
pub mod browser;
mod checks;
mod library;
mod locate;
mod mail;
mod site_actions;
mod transcript;

use std::{
    collections::BTreeSet,
    fmt::Write as _,
    time::{Duration, Instant},
};

use client::Store;
use serde_json::{Value, json};

pub use locate::{cert_client_binary, use_cert_client};
use transcript::{Shown, clock_reading};

use crate::{
    admin::AdminError,
    redact::Redactor,
    scenario::{Scenario, Step, Via},
    site::{SiteError, SiteUnderTest, Target},
};

/// A run could not be carried out (as opposed to a scenario that ran and failed its checks).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The site could not be started or reached.
    #[error(transparent)]
    Site(#[from] SiteError),
    /// The admin API failed.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// A temporary directory, the store or the binary could not be used.
    #[error("set-up: {0}")]
    SetUp(String),
    /// The scenario needs a browser and none can run here (Chromium or NSS's tools missing):
    /// it is skipped with this notice, never passed.
    #[error("no browser: {0}")]
    NoBrowser(String),
}

/// A picture of what the customer saw, taken in a browser step: an artifact, never compared.
#[derive(Debug, Clone)]
pub struct Screenshot {
    /// The step (1-based) it was taken in.
    pub step: usize,
    /// The page's title and what was happening.
    pub caption: String,
    /// The PNG.
    pub path: std::path::PathBuf,
}

/// Which screenshots a browser step takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Shots {
    /// What each step ended on, or where it stopped on an error: a run's artifacts (JUnit
    /// attaches them). A screenshot costs Chromium a frame drawn and a PNG encoded, ~30 ms of
    /// a core, twice that for a page longer than the window; the pages on the way would be
    /// three quarters of them.
    #[default]
    Steps,
    /// Every page and dialog the person saw on the way too, in order: what the report shows
    /// support (`--html`) and `reproduce` writes.
    Pages,
}

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed.
    Passed,
    /// A check failed.
    Failed,
    /// Marked `expect = "fail: …"` and failed, as expected.
    KnownFailure,
    /// Marked as a known failure, but passed: the mark must go.
    UnexpectedPass,
}

impl Verdict {
    /// Whether the run as a whole may succeed with this verdict.
    pub fn is_ok(self) -> bool {
        matches!(self, Self::Passed | Self::KnownFailure)
    }
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct Report {
    /// The scenario's name.
    pub name: String,
    /// Its area.
    pub area: String,
    /// The ids it covers.
    pub covers: Vec<String>,
    /// Its summary.
    pub summary: String,
    /// Its summary in Japanese, for support.
    pub summary_ja: String,
    /// The redacted transcript.
    pub transcript: String,
    /// Checks that failed.
    pub failures: Vec<String>,
    /// The known-failure reason, if marked.
    pub known_failure: Option<String>,
    /// How long it took.
    pub duration: Duration,
    /// What the browser steps showed, in order (none without a browser step).
    pub screenshots: Vec<Screenshot>,
}

impl Report {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The verdict, counting the known-failure mark.
    pub fn verdict(&self) -> Verdict {
        match (self.passed(), self.known_failure.is_some()) {
            (true, false) => Verdict::Passed,
            (false, false) => Verdict::Failed,
            (false, true) => Verdict::KnownFailure,
            (true, true) => Verdict::UnexpectedPass,
        }
    }
}

/// One scenario's run: the site, the client's files, what is known so far and the transcript.
struct Run<'a> {
    scenario: &'a Scenario,
    site: SiteUnderTest,
    temp: tempfile::TempDir,
    store: Store,
    /// The applications' ids on the site, in filing order.
    ids: Vec<String>,
    /// Their URLs.
    urls: Vec<String>,
    /// The mails already delivered, by id.
    delivered: BTreeSet<String>,
    /// The published documents' ids, in publishing order.
    documents: Vec<String>,
    /// `data fetch` steps so far (each writes a file of its own).
    fetches: usize,
    redactor: Redactor,
    out: String,
    failures: Vec<String>,
    screenshots: Vec<Screenshot>,
    shots: Shots,
}

/// Runs `scenario` against `target`, its browser steps photographed as `shots` says.
pub async fn run(scenario: &Scenario, target: &Target, shots: Shots) -> Result<Report, RunError> {
    let started = Instant::now();
    let temp = tempfile::Builder::new()
        .prefix("harness-")
        .tempdir()
        .map_err(|e| RunError::SetUp(e.to_string()))?;
    let site = SiteUnderTest::open(target).await?;
    let store =
        Store::open(temp.path().join("store")).map_err(|e| RunError::SetUp(e.to_string()))?;
    let mut redactor = Redactor::default();
    redactor.literal(temp.path().display().to_string(), "<tmp>");
    // The confirmation site is told apart from the issuance site's `127.0.0.1:<port>`.
    redactor.literal(site.confirm_url.clone(), "https://127.0.0.1:<confirm-port>");
    let mut run = Run {
        scenario,
        site,
        temp,
        store,
        ids: Vec::new(),
        urls: Vec::new(),
        delivered: BTreeSet::new(),
        documents: Vec::new(),
        fetches: 0,
        redactor,
        out: String::new(),
        failures: Vec::new(),
        screenshots: Vec::new(),
        shots,
    };
    let outcome = run.perform().await;
    let Run {
        site,
        redactor,
        out,
        mut failures,
        screenshots,
        ..
    } = run;
    let outcome = match outcome {
        Err(RunError::NoBrowser(why)) => {
            let _ = site.close().await;
            return Err(RunError::NoBrowser(why));
        }
        other => other,
    };
    if let Err(error) = site.close().await {
        failures.push(format!(
            "the site could not be reset after the run: {error}"
        ));
    }
    if let Err(error) = outcome {
        failures.push(format!("the run stopped: {error}"));
    }
    Ok(Report {
        name: scenario.name.clone(),
        area: scenario.area.clone(),
        covers: scenario.covers.clone(),
        summary: scenario.summary.clone(),
        summary_ja: scenario.summary_ja.clone(),
        transcript: redactor.redact(&out),
        failures,
        known_failure: scenario.known_failure().map(str::to_owned),
        duration: started.elapsed(),
        screenshots,
    })
}

impl Run<'_> {
    async fn perform(&mut self) -> Result<(), RunError> {
        let scenario = self.scenario;
        let _ = writeln!(
            self.out,
            "scenario: {}/{}\nsummary: {}\ncovers: {}\n",
            scenario.area,
            scenario.name,
            scenario.summary,
            scenario.covers.join(", ")
        );
        // The shared Chromium first: where there is none, the scenario is skipped before it starts.
        let browser = if scenario.steps.iter().any(|s| s.via() == Some(Via::Browser)) {
            let browser = browser::shared().await?;
            browser.trust(&String::from_utf8_lossy(&self.site.site_trust_pem));
            Some(browser)
        } else {
            None
        };
        let mut session = browser.as_deref().map(|b| {
            browser::Session::new(b, &scenario.name, self.temp.path().join("pcs"), self.shots)
        });
        self.set_up().await?;
        let stepped = self.steps(session.as_mut()).await;
        if let Some(session) = session {
            self.screenshots = session.close().await;
        }
        stepped?;
        self.write_journal().await?;
        self.write_site_state().await?;
        self.out.push_str("\n== store\n");
        let store = transcript::describe_store(&self.store);
        self.out.push_str(&store);
        Ok(())
    }

    /// Each step in order: performed, recorded, checked, its mails delivered.
    async fn steps(
        &mut self,
        mut session: Option<&mut browser::Session<'_>>,
    ) -> Result<(), RunError> {
        let scenario = self.scenario;
        for (index, step) in scenario.steps.iter().enumerate() {
            let number = index + 1;
            let via = match step.via() {
                Some(via) => format!(" (via {})", via.name()),
                None => String::new(),
            };
            let _ = writeln!(self.out, "\n== step {number}: {:?}{via}", step.action());
            let shown = match (step.via(), session.as_deref_mut()) {
                (Some(Via::Browser), Some(session)) => {
                    // test-support's waits panic when Chromium keeps a page waiting: that is
                    // this scenario's failure, not the end of the whole run.
                    use futures_util::FutureExt as _;
                    std::panic::AssertUnwindSafe(self.browser(number, step, session))
                        .catch_unwind()
                        .await
                        .map_err(|panic| {
                            let why = panic
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                                .unwrap_or_default();
                            RunError::SetUp(format!("step {number} in the browser: {why}"))
                        })??
                }
                _ => self.step(step).await?,
            };
            transcript::record_step(&mut self.out, step, &shown);
            self.check(number, step, &shown).await?;
            self.deliver_mails().await?;
        }
        Ok(())
    }

    /// The site's clock and auto-approval, the applications filed (and approved), their mails.
    async fn set_up(&mut self) -> Result<(), RunError> {
        let scenario = self.scenario;
        self.out.push_str("== site set-up\n");
        if let Some(at) = &scenario.site.clock {
            let answer = self
                .site
                .admin
                .put("/clock", json!({ "now": at, "frozen": true }))
                .await?;
            let _ = writeln!(self.out, "clock {}", clock_reading(&answer));
        }
        if let Some(on) = scenario.site.auto_approve {
            self.site
                .admin
                .put("/auto-approve", json!({ "enabled": on }))
                .await?;
            let _ = writeln!(self.out, "auto-approve: {on}");
        }
        for (index, application) in scenario.applications.iter().enumerate() {
            let filed = self.site.admin.file(application).await?;
            let id = text(&filed, "id");
            self.redactor
                .literal(id.clone(), format!("<application-{}>", index + 1));
            self.ids.push(id.clone());
            self.urls.push(text(&filed, "url"));
            let _ = writeln!(
                self.out,
                "file {id}: {} <{}> ({}) → {}",
                application.applicant,
                application.email,
                application.kind,
                text(&filed, "state")
            );
            if application.approve {
                let approved = self.site.admin.approve(&id).await?;
                let _ = writeln!(self.out, "approve {id} → {}", text(&approved, "state"));
            }
        }
        self.deliver_mails().await
    }

    /// Performs a step: the site's through its admin API, the client's through the library or the
    /// binary.
    async fn step(&mut self, step: &Step) -> Result<Shown, RunError> {
        match step.via() {
            None => self.site_action(step).await,
            Some(Via::Library) => self.library(step).await,
            Some(Via::Binary) => self.binary(step).await,
            Some(Via::Browser) => Err(RunError::SetUp(
                "a browser step runs in the scenario's browser session".into(),
            )),
        }
    }

    /// The id of the application a step is about (checked at load to be one filed).
    fn application_id(&self, step: &Step) -> String {
        self.ids
            .get(step.application() - 1)
            .cloned()
            .unwrap_or_default()
    }

    /// The store a step uses: the scenario's own, or another machine's by name.
    fn store(&self, step: &Step) -> Result<Store, RunError> {
        match step.store() {
            None => Ok(self.store.clone()),
            Some(name) => self.other_store(name),
        }
    }

    fn other_store(&self, name: &str) -> Result<Store, RunError> {
        Store::open(self.temp.path().join("stores").join(name))
            .map_err(|e| RunError::SetUp(e.to_string()))
    }
}

/// A text field of an admin API answer, or nothing.
pub(crate) fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}
