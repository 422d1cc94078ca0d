//! How `cert-client` shows what happens: on a terminal a step counter with a spinner while it
//! waits (colour unless `NO_COLOR`), plain lines when piped, JSON lines with `--json` (one object
//! per event, then one result object). The choice is made once, from `std::io::IsTerminal`.

use std::{
    io::{IsTerminal as _, Write as _},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use crate::{Event, error::Error, prompt::Question};

/// How output is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// JSON lines on stdout (`--json`).
    Json,
    /// A terminal: colour (unless `NO_COLOR`) and a spinner on stderr.
    Terminal {
        /// Whether to colour.
        color: bool,
    },
    /// Plain lines (piped, redirected).
    Plain,
}

impl Style {
    /// `--json`, else the terminal if stdout is one, else plain.
    pub fn detect(json: bool) -> Self {
        if json {
            Self::Json
        } else if std::io::stdout().is_terminal() {
            // https://no-color.org: set and not empty means no colour.
            let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            Self::Terminal { color }
        } else {
            Self::Plain
        }
    }
}

/// The CLI's output.
#[derive(Debug, Clone)]
pub struct Console {
    style: Style,
    spinner: Option<Spinner>,
}

impl Console {
    /// Output in `style`; the spinner runs only on a terminal whose stderr is one too.
    pub fn new(style: Style) -> Self {
        let spinner = match style {
            Style::Terminal { .. } if std::io::stderr().is_terminal() => Some(Spinner::start()),
            _ => None,
        };
        Self { style, spinner }
    }

    /// The style chosen.
    pub fn style(&self) -> Style {
        self.style
    }

    fn color(&self, code: &str, text: &str) -> String {
        match self.style {
            Style::Terminal { color: true } => format!("\x1b[{code}m{text}\x1b[0m"),
            _ => text.to_owned(),
        }
    }

    /// Shows an enrollment step as it happens, then waits with the spinner.
    pub fn event(&self, event: &Event) {
        self.pause();
        match self.style {
            Style::Json => println!("{}", event.to_json()),
            _ => {
                let text = event.to_string();
                // The step counter `[n/4]` stands out on a terminal.
                let shown = match text.split_once("] ") {
                    Some((counter, rest)) if text.starts_with('[') => {
                        format!("{} {rest}", self.color("1;36", &format!("{counter}]")))
                    }
                    _ => text,
                };
                println!("{shown}");
            }
        }
        self.working(match event {
            Event::Requirements { .. } | Event::RootVerified { .. } => None,
            _ => Some("処理中 (working)…"),
        });
    }

    /// An informational line: `kind` names it in JSON.
    pub fn say(&self, kind: &str, text: &str) {
        self.pause();
        match self.style {
            Style::Json => println!("{}", serde_json::json!({ "event": kind, "text": text })),
            _ => println!("{text}"),
        }
    }

    /// A question answered without asking (`--yes`, `--answer`), so a log shows what was agreed.
    pub fn answered(&self, question: &Question, answer: bool, by: &str) {
        self.pause();
        let said = if answer { "はい" } else { "いいえ" };
        match self.style {
            Style::Json => println!(
                "{}",
                serde_json::json!({
                    "event": "question",
                    "name": question.name(),
                    "text": question.text(),
                    "answer": answer,
                    "by": by,
                })
            ),
            _ => println!("  ? {}\n    → {said} ({by})", question.text()),
        }
        if answer && matches!(question, Question::WebAccess { .. }) {
            self.working(Some("鍵を生成しています (making the key)…"));
        }
    }

    /// The final result object (JSON only; the other styles have said it already).
    pub fn result(&self, value: &serde_json::Value) {
        self.pause();
        if self.style == Style::Json {
            println!("{value}");
        }
    }

    /// An error: `error[ID]: message`, the remedy and the English on stderr; with `--json` the
    /// error object on stdout as the final result.
    pub fn error(&self, error: &Error) {
        self.pause();
        if self.style == Style::Json {
            println!("{}", error.to_json());
            return;
        }
        let head = self.color("1;31", &format!("error[{}]", error.id()));
        eprintln!("{head}: {}", error.message());
        if let Some(remedy) = error.remedy() {
            eprintln!("  → {remedy}");
        }
        eprintln!("  ({})", error.english());
    }

    /// A warning on stderr (JSON: an event line on stdout).
    pub fn warn(&self, kind: &str, text: &str) {
        self.pause();
        match self.style {
            Style::Json => println!("{}", serde_json::json!({ "event": kind, "text": text })),
            _ => eprintln!("{} {text}", self.color("1;33", "warning:")),
        }
    }

    /// Stops the spinner (before a prompt or a line).
    pub fn pause(&self) {
        if let Some(spinner) = &self.spinner {
            spinner.set(None);
        }
    }

    /// Shows the spinner with `label`, or stops it.
    pub fn working(&self, label: Option<&str>) {
        if let Some(spinner) = &self.spinner {
            spinner.set(label.map(str::to_owned));
        }
    }
}

/// A spinner on stderr, drawn by a thread while a label is set.
#[derive(Debug, Clone)]
struct Spinner {
    state: Arc<Mutex<SpinState>>,
}

#[derive(Debug, Default)]
struct SpinState {
    label: Option<String>,
    drawn: bool,
}

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl Spinner {
    fn start() -> Self {
        let state = Arc::new(Mutex::new(SpinState::default()));
        let shared = state.clone();
        // The thread lives as long as the process; it only draws while a label is set.
        std::thread::spawn(move || {
            for frame in FRAMES.iter().cycle() {
                std::thread::sleep(Duration::from_millis(100));
                let mut state = lock(&shared);
                if let Some(label) = state.label.clone() {
                    eprint!("\r\x1b[2K{frame} {label}");
                    let _ = std::io::stderr().flush();
                    state.drawn = true;
                }
            }
        });
        Self { state }
    }

    fn set(&self, label: Option<String>) {
        let mut state = lock(&self.state);
        if state.drawn {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
            state.drawn = false;
        }
        state.label = label;
    }
}

fn lock(state: &Mutex<SpinState>) -> MutexGuard<'_, SpinState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
