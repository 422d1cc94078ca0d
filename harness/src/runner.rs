//! Runs a scenario: a fresh site in-process, the applications filed through the admin API, the
//! client driven step by step with scripted answers, and everything recorded in a transcript.

use std::{
    fmt::Write as _,
    path::Path,
    sync::{Arc, Mutex},
};

use client::{
    Store,
    prompt::{Prompter, Question, Scripted},
};
use mail_parser::MessageParser;
use mock_ca::MockCa;
use serde_json::Value;

use crate::{
    admin::{Admin, AdminError},
    redact::Redactor,
    scenario::{Action, Expect, Scenario, Step},
};

/// A run could not be carried out (as opposed to a scenario that ran and failed its checks).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The site did not start.
    #[error("mock-ca: {0}")]
    Site(#[from] mock_ca::StartError),
    /// The admin API failed.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// A temporary directory or the store could not be made.
    #[error("set-up: {0}")]
    SetUp(String),
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct Report {
    /// The scenario's name.
    pub name: String,
    /// The redacted transcript.
    pub transcript: String,
    /// Checks that failed; empty when the scenario passed.
    pub failures: Vec<String>,
}

impl Report {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Records each prompt and its scripted answer into the transcript.
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

/// Runs `scenario` against a fresh in-process site.
pub async fn run(scenario: &Scenario) -> Result<Report, RunError> {
    let temp = tempfile::Builder::new()
        .prefix("harness-")
        .tempdir()
        .map_err(|e| RunError::SetUp(e.to_string()))?;
    let maildir = temp.path().join("maildir");
    let site = MockCa::builder().maildir(&maildir).seed(1).start().await?;
    let admin = Admin::new(
        site.url(),
        site.admin_token(),
        site.site_trust_pem().as_bytes(),
    )?;
    let store =
        Store::open(temp.path().join("store")).map_err(|e| RunError::SetUp(e.to_string()))?;

    let mut redactor = Redactor::default();
    redactor.literal(temp.path().display().to_string(), "<tmp>");
    let mut out = String::new();
    let mut failures = Vec::new();
    let _ = writeln!(
        out,
        "scenario: {}\nsummary: {}\ncovers: {}\n",
        scenario.name,
        scenario.summary,
        scenario.covers.join(", ")
    );

    out.push_str("== site set-up\n");
    for application in &scenario.applications {
        let filed = admin.file(application).await?;
        let id = text(&filed, "id");
        let _ = writeln!(
            out,
            "file {id}: {} <{}> ({}) → {}",
            application.applicant,
            application.email,
            application.kind,
            text(&filed, "state")
        );
        if application.approve {
            let approved = admin.approve(&id).await?;
            let _ = writeln!(out, "approve {id} → {}", text(&approved, "state"));
        }
    }

    out.push_str("\n== mails\n");
    for mail in admin.outbox().await? {
        let id = text(&mail, "id");
        let raw = admin.mail(&id).await?;
        let _ = writeln!(
            out,
            "{id} {} to {}: {}",
            text(&mail, "catalogue"),
            text(&mail, "to"),
            text(&mail, "subject")
        );
        match MessageParser::default().parse(&raw) {
            Some(message) => {
                let _ = writeln!(
                    out,
                    "  Subject (decoded): {}",
                    message.subject().unwrap_or_default()
                );
                let body = message.body_text(0).unwrap_or_default();
                let mut after_password_label = false;
                for line in body.lines() {
                    // The password varies with the seed only, but it is a secret: never in a snapshot.
                    let line = if after_password_label && !line.trim().is_empty() {
                        after_password_label = false;
                        redactor.literal(line.trim(), "<password>");
                        "<password>".to_owned()
                    } else {
                        line.to_owned()
                    };
                    if line.starts_with("認証情報パスワード") {
                        after_password_label = true;
                    }
                    let _ = writeln!(out, "  | {line}");
                }
                if !text(&mail, "path").contains("/new/") {
                    failures.push(format!("mail {id} is not in the Maildir's new/"));
                }
            }
            None => failures.push(format!("mail {id} is not a parsable RFC 5322 message")),
        }
    }

    for (index, step) in scenario.steps.iter().enumerate() {
        let _ = writeln!(out, "\n== step {}: {:?}", index + 1, step.action);
        let shared = Arc::new(Mutex::new(Vec::new()));
        let result = perform(step, &site, &store, &maildir, &shared).await;
        let printed = lines(&shared).clone();
        for line in &printed {
            let _ = writeln!(out, "{line}");
        }
        let shown = match &result {
            Ok(()) => {
                out.push_str("result: ok\n");
                None
            }
            Err(error) => {
                let _ = writeln!(out, "result: error[{}] {}", error.id(), error.message());
                if let Some(remedy) = error.remedy() {
                    let _ = writeln!(out, "  → {remedy}");
                }
                Some((error.id().to_owned(), error.message()))
            }
        };
        check(
            index + 1,
            &step.expect,
            shown.as_ref(),
            &printed,
            &mut failures,
        );
    }

    out.push_str("\n== http (site journal)\n");
    for entry in admin.journal().await? {
        let error = entry
            .get("error")
            .and_then(Value::as_str)
            .map(|e| format!(" {e}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} {} → {}{error}",
            text(&entry, "method"),
            text(&entry, "path"),
            entry["status"]
        );
    }

    out.push_str("\n== site state\n");
    for application in admin.applications().await? {
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
            out,
            "{} {} certificates: [{}]",
            text(&application, "id"),
            text(&application, "state"),
            certificates.join(", ")
        );
    }

    out.push_str("\n== store\n");
    out.push_str(&describe_store(&store));
    site.shutdown().await;

    Ok(Report {
        name: scenario.name.clone(),
        transcript: redactor.redact(&out),
        failures,
    })
}

async fn perform(
    step: &Step,
    site: &MockCa,
    store: &Store,
    maildir: &Path,
    shared: &Arc<Mutex<Vec<String>>>,
) -> Result<(), client::Error> {
    let trust = site.site_trust_pem().as_bytes().to_vec();
    let sink = shared.clone();
    let mut observe = move |event: &client::Event| lines(&sink).push(event.to_string());
    match step.action {
        Action::Enroll => {
            let found = client::mailbox::read_invitation(maildir)?;
            let invitation = client::Invitation {
                url: found.url,
                password: found.password,
                site_trust_pem: trust,
            };
            let mut prompter = Recording {
                script: Scripted::new(step.answers.iter().map(|(k, v)| (k.clone(), *v))),
                lines: shared.clone(),
            };
            client::enroll(&invitation, store, &mut prompter, &mut observe).await?;
        }
        Action::List => {
            for listed in store.list()? {
                lines(shared).push(listed.to_string());
            }
        }
        Action::Confirm => {
            client::confirm(
                &format!("{}/confirm", site.url()),
                &trust,
                store,
                &mut observe,
            )
            .await?;
        }
    }
    Ok(())
}

fn check(
    step: usize,
    expect: &Expect,
    shown: Option<&(String, String)>,
    printed: &[String],
    failures: &mut Vec<String>,
) {
    match (&expect.error, shown) {
        (None, Some((id, message))) => failures.push(format!(
            "step {step}: expected success, got error[{id}] {message}"
        )),
        (Some(wanted), None) => failures.push(format!(
            "step {step}: expected error[{wanted}], got success"
        )),
        (Some(wanted), Some((id, _))) if wanted != id => {
            failures.push(format!(
                "step {step}: expected error[{wanted}], got error[{id}]"
            ));
        }
        _ => {}
    }
    if let (Some(wanted), Some((_, message))) = (&expect.message, shown)
        && wanted != message
    {
        failures.push(format!(
            "step {step}: message {message:?} is not exactly {wanted:?}"
        ));
    }
    for wanted in &expect.output {
        if !printed.iter().any(|line| line.contains(wanted.as_str())) {
            failures.push(format!("step {step}: no output line contains {wanted:?}"));
        }
    }
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

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}
