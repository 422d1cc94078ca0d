//! The transcript: what each step showed, and the sections written after the steps (the site's
//! journal, its state, the store).

use std::fmt::Write as _;

use client::Store;
use serde_json::Value;

use super::{Run, RunError, text};
use crate::scenario::Step;

/// What a step showed.
#[derive(Debug, Clone, Default)]
pub(super) struct Shown {
    /// The error id, if it failed.
    pub(super) id: Option<String>,
    /// The message shown with it.
    pub(super) message: Option<String>,
    /// The binary's exit code.
    pub(super) exit: Option<i32>,
    /// The signal that killed the binary or the browser (an interrupt at a checkpoint).
    pub(super) killed: Option<i32>,
    /// What it printed (events, listing, stderr lines), what the pages showed, or what the site
    /// answered.
    pub(super) output: Vec<String>,
    /// The checkpoint at which the browser's tab was closed (or the browser killed: `killed`).
    pub(super) held: Option<client::enrollment::Checkpoint>,
    /// What the browser kept, counted (a browser step with store expectations).
    pub(super) kept: Option<super::browser::Kept>,
}

impl Shown {
    /// A client error as the library reports it, after what was `output` before it.
    pub(super) fn error(error: &client::Error, mut output: Vec<String>) -> Self {
        if let Some(remedy) = error.remedy() {
            output.push(format!("  → {remedy}"));
        }
        Self {
            id: Some(error.id().to_owned()),
            message: Some(error.message()),
            output,
            ..Self::default()
        }
    }

    /// Lines of output and nothing else (a site action's answer).
    pub(super) fn lines(output: Vec<String>) -> Self {
        Self {
            output,
            ..Self::default()
        }
    }
}

/// Writes what `step` showed: its output, exit code and result.
pub(super) fn record_step(out: &mut String, step: &Step, shown: &Shown) {
    for line in &shown.output {
        let _ = writeln!(out, "{line}");
    }
    if let Some(code) = shown.exit {
        let _ = writeln!(out, "exit: {code}");
    }
    if let Some(kept) = shown.kept {
        let _ = writeln!(
            out,
            "ブラウザに保存 (kept in the browser): 証明書 (certificates) {}, 鍵 (keys) {}, PKCS#12 未作成の鍵 (pending) {}, ルート (roots) {}",
            kept.certificates, kept.keys, kept.pending, kept.roots
        );
    }
    match (&shown.id, &shown.message, shown.killed) {
        (_, _, Some(signal)) if shown.held.is_some() => {
            let _ = writeln!(
                out,
                "result: the browser killed (signal {signal}) at checkpoint {}",
                shown.held.map_or("?", |point| point.name())
            );
        }
        _ if shown.held.is_some() => {
            let _ = writeln!(
                out,
                "result: the tab closed at checkpoint {}",
                shown.held.map_or("?", |point| point.name())
            );
        }
        (_, _, Some(signal)) => {
            let _ = writeln!(
                out,
                "result: killed (signal {signal}) at checkpoint {}",
                step.interrupt().map_or("?", |point| point.name())
            );
        }
        (Some(id), Some(message), None) => {
            let _ = writeln!(out, "result: error[{id}] {message}");
        }
        _ if step.via().is_some() => out.push_str("result: ok\n"),
        _ => {}
    }
}

impl Run<'_> {
    /// Every request the site answered during the scenario, from its journal.
    pub(super) async fn write_journal(&mut self) -> Result<(), RunError> {
        self.out.push_str("\n== http (site journal)\n");
        for entry in self.site.admin.journal().await? {
            // A browser fetches a page's scripts and the site's icon when and in the order it
            // pleases (in parallel, or from its cache): not the customer's doing, and no client's.
            let path = text(&entry, "path");
            if path == "/favicon.ico" || path.starts_with("/assets/") {
                continue;
            }
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
        Ok(())
    }

    /// Each application's state on the site and its certificates.
    pub(super) async fn write_site_state(&mut self) -> Result<(), RunError> {
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
        Ok(())
    }
}

/// The store's files (with their modes) and its listing.
pub(super) fn describe_store(store: &Store) -> String {
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
pub(super) fn clock_reading(answer: &Value) -> String {
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
