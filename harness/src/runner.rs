//! Runs a scenario: the site set up through its admin API, each step performed (the client through
//! its library or its real binary, the site through its admin API), every check made, and
//! everything that crossed recorded in a transcript.

use std::{
    collections::BTreeSet,
    fmt::Write as _,
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use client::{
    Store,
    prompt::{Prompter, Question, Scripted},
};
use mail_parser::MessageParser;
use serde_json::{Value, json};

use crate::{
    admin::AdminError,
    redact::Redactor,
    scenario::{Action, Expect, Scenario, Step, Via, parse_duration},
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
    /// The redacted transcript.
    pub transcript: String,
    /// Checks that failed.
    pub failures: Vec<String>,
    /// The known-failure reason, if marked.
    pub known_failure: Option<String>,
    /// How long it took.
    pub duration: Duration,
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

struct Run<'a> {
    scenario: &'a Scenario,
    site: SiteUnderTest,
    temp: tempfile::TempDir,
    store: Store,
    ids: Vec<String>,
    urls: Vec<String>,
    delivered: BTreeSet<String>,
    documents: Vec<String>,
    fetches: usize,
    redactor: Redactor,
    out: String,
    failures: Vec<String>,
}

/// Runs `scenario` against `target`.
pub async fn run(scenario: &Scenario, target: &Target) -> Result<Report, RunError> {
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
    };
    let outcome = run.perform().await;
    let Run {
        site,
        redactor,
        out,
        mut failures,
        ..
    } = run;
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
        transcript: redactor.redact(&out),
        failures,
        known_failure: scenario.known_failure().map(str::to_owned),
        duration: started.elapsed(),
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
        self.deliver_mails().await?;

        for (index, step) in scenario.steps.iter().enumerate() {
            let number = index + 1;
            let via = if step.action.is_client() {
                format!(
                    " (via {})",
                    if step.via == Via::Binary
                        || matches!(
                            step.action,
                            Action::CheckSite
                                | Action::Install
                                | Action::DataList
                                | Action::DataFetch
                        )
                    {
                        "binary"
                    } else {
                        "library"
                    }
                )
            } else {
                String::new()
            };
            let _ = writeln!(self.out, "\n== step {number}: {:?}{via}", step.action);
            let shown = self.step(step).await?;
            self.check(number, step, &shown).await?;
            self.deliver_mails().await?;
        }

        self.out.push_str("\n== http (site journal)\n");
        for entry in self.site.admin.journal().await? {
            let error = entry
                .get("error")
                .and_then(Value::as_str)
                .map(|e| format!(" {e}"))
                .unwrap_or_default();
            let _ = writeln!(
                self.out,
                "{} {} → {}{error}",
                text(&entry, "method"),
                text(&entry, "path"),
                entry["status"]
            );
            if let Some(body) = entry.get("body").filter(|b| !b.is_null()) {
                let _ = writeln!(self.out, "  ← {body}");
            }
        }

        self.out.push_str("\n== site state\n");
        for id in self.ids.clone() {
            let application = self.site.admin.application(&id).await?;
            let certificates: Vec<String> = application["certificates"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let _ = writeln!(
                self.out,
                "{id} {} certificates: [{}]",
                text(&application, "state"),
                certificates.join(", ")
            );
        }

        self.out.push_str("\n== store\n");
        let store = describe_store(&self.store);
        self.out.push_str(&store);
        Ok(())
    }

    fn maildir(&self, application: usize) -> PathBuf {
        self.temp.path().join("mail").join(application.to_string())
    }

    /// Copies the site's new mails for this scenario's applications into one Maildir per
    /// application, as a mail client would receive them, and records them.
    async fn deliver_mails(&mut self) -> Result<(), RunError> {
        let outbox = self.site.admin.outbox().await?;
        for mail in outbox {
            let id = text(&mail, "id");
            let application = text(&mail, "application");
            let Some(index) = self.ids.iter().position(|a| *a == application) else {
                continue; // another scenario's mail, on a shared remote site
            };
            if !self.delivered.insert(id.clone()) {
                continue;
            }
            let raw = self.site.admin.mail(&id).await?;
            let dir = self.maildir(index + 1);
            for sub in ["tmp", "new", "cur"] {
                std::fs::create_dir_all(dir.join(sub))
                    .map_err(|e| RunError::SetUp(e.to_string()))?;
            }
            std::fs::write(dir.join("new").join(format!("{id}.eml")), &raw)
                .map_err(|e| RunError::SetUp(e.to_string()))?;
            // Numbered per scenario, as a fresh site numbers them: a shared site's ids run on.
            let _ = writeln!(
                self.out,
                "mail m-{:04} {} to {}: {}",
                self.delivered.len(),
                text(&mail, "catalogue"),
                text(&mail, "to"),
                text(&mail, "subject")
            );
            match MessageParser::default().parse(&raw) {
                Some(message) => {
                    let _ = writeln!(
                        self.out,
                        "  Subject (decoded): {}",
                        message.subject().unwrap_or_default()
                    );
                    let body = message.body_text(0).unwrap_or_default();
                    let mut after_label = false;
                    for line in body.lines() {
                        // The password is a secret: never in a transcript.
                        let line = if after_label && !line.trim().is_empty() {
                            after_label = false;
                            self.redactor.literal(line.trim(), "<password>");
                            "<password>".to_owned()
                        } else {
                            line.to_owned()
                        };
                        if line.starts_with("認証情報パスワード") {
                            after_label = true;
                        }
                        let _ = writeln!(self.out, "  | {line}");
                    }
                }
                None => self
                    .failures
                    .push(format!("mail {id} is not a parsable RFC 5322 message")),
            }
        }
        Ok(())
    }

    async fn step(&mut self, step: &Step) -> Result<Shown, RunError> {
        let index = step.application - 1;
        let id = self.ids.get(index).cloned().unwrap_or_default();
        let admin = &self.site.admin;
        let site_action = |answer: Value| {
            let said = match (answer.get("state"), answer.get("now"), answer.get("effect")) {
                (Some(state), _, _) => {
                    format!("site: application {}", state.as_str().unwrap_or_default())
                }
                // The mails that fell due are listed below as this scenario's mails; the site's
                // own count would include other scenarios' on a shared site.
                (None, Some(_), _) => format!("site: clock {}", clock_reading(&answer)),
                (None, None, Some(effect)) => format!(
                    "site: fault armed on {} ({}) for {} request(s)",
                    answer
                        .get("endpoint")
                        .and_then(Value::as_str)
                        .unwrap_or("every endpoint"),
                    effect
                        .get("kind")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    answer["times"]
                ),
                _ => format!("site: {answer}"),
            };
            Shown {
                output: vec![said],
                ..Shown::default()
            }
        };
        let shown = match step.action {
            Action::Approve => site_action(admin.approve(&id).await?),
            Action::Withdraw => site_action(
                admin
                    .post(&format!("/applications/{id}/withdraw"), json!({}))
                    .await?,
            ),
            Action::SetClock => {
                let at = step.clock.clone().unwrap_or_default();
                // Frozen: a scenario's time moves only when a step moves it.
                site_action(
                    admin
                        .put("/clock", json!({ "now": at, "frozen": true }))
                        .await?,
                )
            }
            Action::AdvanceClock => {
                let by = step
                    .clock
                    .as_deref()
                    .and_then(parse_duration)
                    .ok_or_else(|| {
                        RunError::SetUp(format!(
                            "advance-clock needs clock = \"<n>s|m|h|d\", not {:?}",
                            step.clock
                        ))
                    })?;
                site_action(
                    admin
                        .post("/clock/advance", json!({ "seconds": by.as_secs() }))
                        .await?,
                )
            }
            Action::RealClock => {
                let now = time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .map_err(|e| RunError::SetUp(e.to_string()))?;
                let answer = admin
                    .put("/clock", json!({ "now": now, "frozen": false }))
                    .await?;
                Shown {
                    output: vec![format!("site: clock {}", clock_reading(&answer))],
                    ..Shown::default()
                }
            }
            Action::Publish => {
                use base64::Engine as _;
                let document = step.publish.clone().ok_or_else(|| {
                    RunError::SetUp("publish needs publish = { title, file_name, content }".into())
                })?;
                let answer = admin
                    .post(
                        "/documents",
                        json!({
                            "application": id,
                            "title": document.title,
                            "file_name": document.file_name,
                            "content_type": document.content_type,
                            "content": base64::engine::general_purpose::STANDARD
                                .encode(document.content.as_bytes()),
                        }),
                    )
                    .await?;
                let published = text(&answer, "id");
                self.documents.push(published.clone());
                self.redactor.literal(
                    published.clone(),
                    format!("<document-{}>", self.documents.len()),
                );
                Shown {
                    output: vec![format!(
                        "site: published {published} for {}: {} ({}, {} bytes)",
                        text(&answer, "subject"),
                        document.title,
                        document.file_name,
                        answer["size"]
                    )],
                    ..Shown::default()
                }
            }
            Action::Fault => {
                let mut fault = serde_json::to_value(step.fault.clone().unwrap_or_default())
                    .map_err(|e| RunError::SetUp(e.to_string()))?;
                // `application = "this"` scopes the fault to the step's application, whatever its id.
                if fault.get("application").and_then(Value::as_str) == Some("this") {
                    fault["application"] = Value::String(id.clone());
                }
                site_action(admin.post("/faults", fault).await?)
            }
            Action::Enroll | Action::List | Action::Confirm => match step.via {
                Via::Library => self.library(step).await?,
                Via::Binary => self.binary(step).await?,
            },
            // Commands of the binary only.
            Action::CheckSite | Action::Install | Action::DataList | Action::DataFetch => {
                self.binary(step).await?
            }
        };
        for line in &shown.output {
            let _ = writeln!(self.out, "{line}");
        }
        if let Some(code) = shown.exit {
            let _ = writeln!(self.out, "exit: {code}");
        }
        match (&shown.id, &shown.message, shown.killed) {
            (_, _, Some(signal)) => {
                let _ = writeln!(
                    self.out,
                    "result: killed (signal {signal}) at checkpoint {}",
                    step.interrupt.as_deref().unwrap_or("?")
                );
            }
            (Some(id), Some(message), None) => {
                let _ = writeln!(self.out, "result: error[{id}] {message}");
            }
            _ if step.action.is_client() => self.out.push_str("result: ok\n"),
            _ => {}
        }
        Ok(shown)
    }

    /// The store a step uses: the scenario's own, or another machine's by name.
    fn store(&self, step: &Step) -> Result<Store, RunError> {
        match &step.store {
            None => Ok(self.store.clone()),
            Some(name) => self.other_store(name),
        }
    }

    fn other_store(&self, name: &str) -> Result<Store, RunError> {
        Store::open(self.temp.path().join("stores").join(name))
            .map_err(|e| RunError::SetUp(e.to_string()))
    }

    async fn library(&mut self, step: &Step) -> Result<Shown, RunError> {
        let store = self.store(step)?;
        let shared = Arc::new(Mutex::new(Vec::new()));
        let sink = shared.clone();
        let mut observe = move |event: &client::Event| lines(&sink).push(event.to_string());
        let trust = self.site.site_trust_pem.clone();
        let result = match step.action {
            Action::Enroll => {
                let invitation = match self.invitation(step) {
                    Ok(invitation) => invitation,
                    Err(error) => return Ok(shown_error(&error, Vec::new())),
                };
                let mut prompter = Recording {
                    script: Scripted::new(step.answers.iter().map(|(k, v)| (k.clone(), *v))),
                    lines: shared.clone(),
                };
                let stop_at = step
                    .interrupt
                    .as_deref()
                    .and_then(client::enrollment::Checkpoint::from_name);
                let options =
                    client::enrollment::Options::default().on_checkpoint(move |reached| {
                        if Some(reached) == stop_at {
                            std::ops::ControlFlow::Break(())
                        } else {
                            std::ops::ControlFlow::Continue(())
                        }
                    });
                client::enrollment::enroll_with(
                    &invitation,
                    &options,
                    &store,
                    &mut prompter,
                    &mut observe,
                )
                .await
                .map(|_| ())
            }
            Action::List => self
                .store
                .list()
                .map(|listed| {
                    for entry in listed {
                        lines(&shared).push(entry.to_string());
                    }
                })
                .map_err(client::Error::from),
            _ => {
                let url = format!("{}/confirm", self.site.confirm_url);
                client::confirm(&url, &trust, &store, &mut observe)
                    .await
                    .map(|_| ())
            }
        };
        let output = lines(&shared).clone();
        Ok(match result {
            Ok(()) => Shown {
                output,
                ..Shown::default()
            },
            Err(error) => shown_error(&error, output),
        })
    }

    fn invitation(&self, step: &Step) -> Result<client::Invitation, client::Error> {
        let index = step.application - 1;
        let (url, password) = match &step.password {
            Some(password) => (
                self.urls.get(index).cloned().unwrap_or_default(),
                password.clone(),
            ),
            None => {
                let found = client::mailbox::read_invitation(&self.maildir(step.application))?;
                (found.url, found.password)
            }
        };
        Ok(client::Invitation {
            url,
            password,
            site_trust_pem: self.site.site_trust_pem.clone(),
        })
    }

    async fn binary(&mut self, step: &Step) -> Result<Shown, RunError> {
        let binary = cert_client_binary()?;
        let site_ca = self.temp.path().join("site-ca.pem");
        std::fs::write(&site_ca, &self.site.site_trust_pem)
            .map_err(|e| RunError::SetUp(e.to_string()))?;
        let store = self.store(step)?;
        // Where `data fetch` writes: a fresh name per step, so "not written" means not written.
        let fetched = (step.action == Action::DataFetch).then(|| {
            self.fetches += 1;
            self.temp.path().join(format!("fetched-{}", self.fetches))
        });
        let mut command = std::process::Command::new(&binary);
        command.arg("--store").arg(store.path()).envs(&step.env);
        match step.action {
            Action::Enroll => {
                command.arg("enroll").arg("--site-ca").arg(&site_ca);
                match &step.password {
                    Some(password) => {
                        let url = self
                            .urls
                            .get(step.application - 1)
                            .cloned()
                            .unwrap_or_default();
                        command
                            .arg("--url")
                            .arg(url)
                            .arg("--password")
                            .arg(password);
                    }
                    None => {
                        command.arg("--maildir").arg(self.maildir(step.application));
                    }
                }
            }
            Action::List => {
                command.arg("list");
            }
            Action::CheckSite => {
                command
                    .arg("check-site")
                    .arg(&self.site.url)
                    .arg("--site-ca")
                    .arg(&site_ca);
            }
            Action::DataList => {
                command
                    .args(["data", "list", "--url", &self.site.url, "--site-ca"])
                    .arg(&site_ca);
            }
            Action::DataFetch => {
                let document = self
                    .documents
                    .get(step.document - 1)
                    .cloned()
                    .ok_or_else(|| {
                        RunError::SetUp(format!("no document {} was published", step.document))
                    })?;
                let out = fetched.clone().unwrap_or_default();
                command
                    .args([
                        "data",
                        "fetch",
                        &document,
                        "--url",
                        &self.site.url,
                        "--site-ca",
                    ])
                    .arg(&site_ca)
                    .arg("--out")
                    .arg(out);
                if step.raw {
                    command.arg("--raw");
                }
            }
            Action::Install => {
                let from = step.certificate_from.as_deref().ok_or_else(|| {
                    RunError::SetUp("install needs certificate_from = \"<store>\"".into())
                })?;
                let (_, certificate, _) = self
                    .other_store(from)?
                    .identity()
                    .map_err(|e| RunError::SetUp(e.to_string()))?
                    .ok_or_else(|| RunError::SetUp(format!("store {from} holds no certificate")))?;
                let file = self.temp.path().join(format!("{from}-certificate.pem"));
                std::fs::write(&file, certificate).map_err(|e| RunError::SetUp(e.to_string()))?;
                command.arg("install").arg("--certificate").arg(file);
            }
            _ => {
                command
                    .arg("confirm")
                    .arg("--url")
                    .arg(format!("{}/confirm", self.site.confirm_url))
                    .arg("--site-ca")
                    .arg(&site_ca);
            }
        }
        command.args(&step.args);
        // The answers, in the order the guide asks: 発行, the root install, Web アクセスの確認.
        let mut answers = String::new();
        for name in ["issue", "install-root", "web-access"] {
            if let Some(yes) = step.answers.get(name) {
                answers.push_str(if *yes { "y\n" } else { "n\n" });
            }
        }
        // One pipe for stdout and stderr: the transcript shows them interleaved, as a terminal would.
        let (mut reader, writer) = std::io::pipe().map_err(|e| RunError::SetUp(e.to_string()))?;
        let stderr = writer
            .try_clone()
            .map_err(|e| RunError::SetUp(e.to_string()))?;
        command
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(writer)
            .stderr(stderr);
        if let Some(point) = &step.interrupt {
            command.env("CERT_CLIENT_HOLD_AT", point);
        }
        let mut child = command
            .spawn()
            .map_err(|e| RunError::SetUp(format!("{}: {e}", binary.display())))?;
        // The command holds the pipe's write ends; the reader sees the end only once they close.
        drop(command);
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write as _;
            let _ = stdin.write_all(answers.as_bytes());
        }
        let finished = tokio::task::spawn_blocking(move || {
            use std::io::BufRead as _;
            // Line by line, so a client held at its checkpoint is killed the moment it says so.
            let mut bytes = Vec::new();
            let mut lines = std::io::BufReader::new(&mut reader);
            let read = loop {
                let start = bytes.len();
                match lines.read_until(b'\n', &mut bytes) {
                    Ok(0) => break Ok(()),
                    Ok(_) => {
                        if bytes[start..].starts_with(client::enrollment::HOLDING.as_bytes()) {
                            let _ = child.kill(); // SIGKILL: no destructor, no flush runs
                        }
                    }
                    Err(e) => break Err(e),
                }
            };
            let status = child.wait();
            (bytes, read, status)
        });
        let (bytes, read, status) = tokio::time::timeout(Duration::from_secs(120), finished)
            .await
            .map_err(|_| RunError::SetUp("cert-client did not finish in 120 s".into()))?
            .map_err(|e| RunError::SetUp(e.to_string()))?;
        read.map_err(|e| RunError::SetUp(e.to_string()))?;
        let status = status.map_err(|e| RunError::SetUp(e.to_string()))?;
        let mut shown = Shown {
            exit: status.code(),
            ..Shown::default()
        };

        for line in String::from_utf8_lossy(&bytes).lines() {
            // A prompt leaves no newline before what follows it: an error may start mid-line.
            let (before, error) = match line.find("error[") {
                Some(at) => (&line[..at], Some(&line[at + "error[".len()..])),
                None => (line, None),
            };
            if !before.trim().is_empty() || error.is_none() {
                shown.output.push(before.trim_end().to_owned());
            }
            if let Some((id, message)) = error.and_then(|rest| rest.split_once("]: ")) {
                shown.id = Some(id.to_owned());
                shown.message = Some(message.to_owned());
            }
        }
        {
            use std::os::unix::process::ExitStatusExt as _;
            shown.killed = status.signal();
        }
        if let Some(path) = &fetched {
            shown.output.push(match std::fs::read(path) {
                Ok(bytes) if step.raw => format!("file: {} bytes kept encrypted", bytes.len()),
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => format!("file: {text}"),
                    Err(e) => format!("file: {} bytes", e.as_bytes().len()),
                },
                Err(_) => "file: (not written)".to_owned(),
            });
        }
        Ok(shown)
    }

    async fn check(&mut self, number: usize, step: &Step, shown: &Shown) -> Result<(), RunError> {
        let expect: &Expect = &step.expect;
        let failures = &mut self.failures;
        if let Some(point) = &step.interrupt
            && step.via == Via::Binary
            && shown.killed.is_none()
        {
            failures.push(format!(
                "step {number}: the client never reached checkpoint {point}"
            ));
        }
        match (&expect.error, &shown.id) {
            (None, Some(id)) => failures.push(format!(
                "step {number}: expected success, got error[{id}] {}",
                shown.message.clone().unwrap_or_default()
            )),
            (Some(wanted), None) => failures.push(format!(
                "step {number}: expected error[{wanted}], got success"
            )),
            (Some(wanted), Some(id)) if wanted != id => {
                failures.push(format!(
                    "step {number}: expected error[{wanted}], got error[{id}]"
                ));
            }
            _ => {}
        }
        if let Some(wanted) = &expect.message
            && shown.message.as_ref() != Some(wanted)
        {
            failures.push(format!(
                "step {number}: message {:?} is not exactly {wanted:?}",
                shown.message
            ));
        }
        if let Some(wanted) = expect.exit
            && shown.exit != Some(wanted)
        {
            failures.push(format!(
                "step {number}: exit code {:?}, expected {wanted}",
                shown.exit
            ));
        }
        for wanted in &expect.output {
            if !shown
                .output
                .iter()
                .any(|line| line.contains(wanted.as_str()))
            {
                failures.push(format!("step {number}: no output contains {wanted:?}"));
            }
        }
        let id = self
            .ids
            .get(step.application - 1)
            .cloned()
            .unwrap_or_default();
        if let Some(wanted) = &expect.state {
            let application = self.site.admin.application(&id).await?;
            let state = text(&application, "state");
            if &state != wanted {
                self.failures.push(format!(
                    "step {number}: application state is {state:?}, expected {wanted:?}"
                ));
            }
        }
        if expect.mails.is_some() || expect.mail_subjects.is_some() {
            let subjects: Vec<String> = self
                .site
                .admin
                .outbox()
                .await?
                .iter()
                .filter(|m| text(m, "application") == id)
                .map(|m| text(m, "subject"))
                .collect();
            if let Some(wanted) = expect.mails
                && subjects.len() != wanted
            {
                self.failures.push(format!(
                    "step {number}: {} mails sent, expected {wanted}",
                    subjects.len()
                ));
            }
            if let Some(wanted) = &expect.mail_subjects
                && &subjects != wanted
            {
                self.failures.push(format!(
                    "step {number}: mail subjects {subjects:?}, expected {wanted:?}"
                ));
            }
        }
        if let Some(wanted) = &expect.store {
            let store = self.store(step)?;
            let listed = store.list().map_err(|e| RunError::SetUp(e.to_string()))?;
            let pending = store
                .pending()
                .map_err(|e| RunError::SetUp(e.to_string()))?;
            let roots = store.roots().map_err(|e| RunError::SetUp(e.to_string()))?;
            let found = [
                ("certificates", wanted.certificates, listed.len()),
                (
                    "keys",
                    wanted.keys,
                    listed.iter().filter(|l| l.key_present).count(),
                ),
                ("pending", wanted.pending, pending.len()),
                ("roots", wanted.roots, roots.len()),
            ];
            for (what, wanted, count) in found {
                if let Some(wanted) = wanted
                    && wanted != count
                {
                    self.failures.push(format!(
                        "step {number}: the store holds {count} {what}, expected {wanted}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// What a client step showed.
#[derive(Debug, Clone, Default)]
struct Shown {
    /// The error id, if it failed.
    id: Option<String>,
    /// The message shown with it.
    message: Option<String>,
    /// The binary's exit code.
    exit: Option<i32>,
    /// The signal that killed the binary (an interrupt at a checkpoint).
    killed: Option<i32>,
    /// What it printed (events, listing, stderr lines).
    output: Vec<String>,
}

fn shown_error(error: &client::Error, mut output: Vec<String>) -> Shown {
    if let Some(remedy) = error.remedy() {
        output.push(format!("  → {remedy}"));
    }
    Shown {
        id: Some(error.id().to_owned()),
        message: Some(error.message()),
        output,
        ..Shown::default()
    }
}

/// Records each prompt and its scripted answer.
struct Recording {
    script: Scripted,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Prompter for Recording {
    fn confirm(&mut self, question: &Question) -> bool {
        let answer = self.script.confirm(question);
        let said = if answer { "はい" } else { "いいえ" };
        lines(&self.lines).push(format!("  ? {} → {said}", question.name()));
        answer
    }
}

fn lines(shared: &Arc<Mutex<Vec<String>>>) -> std::sync::MutexGuard<'_, Vec<String>> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// The store's files (with their modes) and its listing.
fn describe_store(store: &Store) -> String {
    use std::os::unix::fs::PermissionsExt as _;
    let mut out = String::new();
    let mut stack = vec![store.path().to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(meta) = entry.metadata() {
                files.push((path, meta.permissions().mode() & 0o777));
            }
        }
    }
    files.sort();
    for (path, mode) in files {
        let relative = path.strip_prefix(store.path()).unwrap_or(&path);
        let _ = writeln!(out, "{mode:04o} {}", relative.display());
    }
    match store.list() {
        Ok(listed) => {
            for entry in listed {
                let _ = writeln!(out, "{entry}");
            }
        }
        Err(e) => {
            let _ = writeln!(out, "listing failed: {e}");
        }
    }
    out
}

/// The site's clock as the admin API reported it. A frozen clock's time is the scenario's and is
/// shown to the minute (in a form the time redaction leaves alone); a running clock's is not.
fn clock_reading(answer: &Value) -> String {
    if answer["frozen"] != Value::Bool(true) {
        return "running from the real time".into();
    }
    let now = text(answer, "now");
    match time::OffsetDateTime::parse(&now, &time::format_description::well_known::Rfc3339) {
        Ok(at) => format!(
            "frozen at {:04}-{:02}-{:02} {:02}:{:02} ({}) JST",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.weekday()
        ),
        Err(_) => format!("frozen at {now}"),
    }
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}
