//! The confirmations the guide shows as dialogs, as questions the user answers: on a terminal, with
//! `--yes`, or from a script (the harness).

use std::{
    collections::VecDeque,
    io::{self, BufRead, Write},
};

/// A question the enrollment asks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Question {
    /// 発行: make the key and the request now?
    Issue {
        /// The CSP the site names.
        csp: String,
        /// The key length.
        length: u64,
    },
    /// Install the root CA into the trusted roots? (the Windows security warning, with its SHA-1)
    InstallRoot {
        /// The root's subject.
        subject: String,
        /// Its SHA-1 thumbprint.
        sha1: String,
    },
    /// Web アクセスの確認: let the site have a certificate request made on this machine?
    WebAccess {
        /// The site.
        site: String,
    },
}

impl Question {
    /// A short stable name: `issue`, `install-root`, `web-access`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Issue { .. } => "issue",
            Self::InstallRoot { .. } => "install-root",
            Self::WebAccess { .. } => "web-access",
        }
    }

    /// The question as the guide's dialog puts it, with English beside it.
    pub fn text(&self) -> String {
        match self {
            Self::Issue { csp, length } => format!(
                "発行しますか? CSP: {csp}, Key 長: {length} (issue a certificate with this key?)"
            ),
            Self::InstallRoot { subject, sha1 } => format!(
                "発行者が次であると主張する証明機関 (CA) から証明書をインストールしようとしています: {subject}\n    拇印 (sha1): {sha1}\n    この証明書をインストールしますか? (install this root CA as trusted?)"
            ),
            Self::WebAccess { site } => format!(
                "Web アクセスの確認: この Web サイトはユーザーの代わりにデジタル証明書の操作を実行します: {site}\n    この操作を許可しますか? (allow the site to request a certificate for you?)"
            ),
        }
    }
}

/// Who answers the questions.
pub trait Prompter: Send {
    /// The answer: yes (はい) or no (いいえ).
    fn confirm(&mut self, question: &Question) -> bool;
}

impl Prompter for Box<dyn Prompter> {
    fn confirm(&mut self, question: &Question) -> bool {
        self.as_mut().confirm(question)
    }
}

/// Answers yes to everything (`--yes`).
#[derive(Debug, Default)]
pub struct AssumeYes;

impl Prompter for AssumeYes {
    fn confirm(&mut self, _: &Question) -> bool {
        true
    }
}

/// Answers from a script, in order; a question beyond the script is answered no, and recorded.
#[derive(Debug, Default)]
pub struct Scripted {
    answers: VecDeque<(String, bool)>,
    /// Every question asked, with the answer given.
    pub asked: Vec<(String, bool)>,
}

impl Scripted {
    /// Answers given by question name (`issue`, `install-root`, `web-access`), in order.
    pub fn new(answers: impl IntoIterator<Item = (String, bool)>) -> Self {
        Self {
            answers: answers.into_iter().collect(),
            asked: Vec::new(),
        }
    }
}

impl Prompter for Scripted {
    fn confirm(&mut self, question: &Question) -> bool {
        let position = self
            .answers
            .iter()
            .position(|(name, _)| name == question.name());
        let answer = position
            .and_then(|i| self.answers.remove(i))
            .is_some_and(|(_, yes)| yes);
        self.asked.push((question.name().to_owned(), answer));
        answer
    }
}

/// Parses a scripted answer `NAME=yes|no` (also `y`, `n`, `はい`, `いいえ`), NAME one of the
/// questions' names (`issue`, `install-root`, `web-access`).
pub fn parse_answer(text: &str) -> Result<(String, bool), String> {
    let (name, answer) = text
        .split_once('=')
        .ok_or_else(|| format!("{text}: expected NAME=yes or NAME=no"))?;
    if !["issue", "install-root", "web-access"].contains(&name) {
        return Err(format!(
            "{name}: the questions are issue, install-root and web-access"
        ));
    }
    let yes = match answer.to_lowercase().as_str() {
        "y" | "yes" | "はい" => true,
        "n" | "no" | "いいえ" => false,
        other => return Err(format!("{other}: answer yes or no")),
    };
    Ok((name.to_owned(), yes))
}

/// Answers the questions named on the command line (`--answer web-access=no`) from them, every
/// time they are asked, and leaves the others to another prompter.
#[derive(Debug)]
pub struct Overriding<P> {
    answers: Vec<(String, bool)>,
    rest: P,
}

impl<P: Prompter> Overriding<P> {
    /// `answers` by question name; the rest go to `rest`.
    pub fn new(answers: Vec<(String, bool)>, rest: P) -> Self {
        Self { answers, rest }
    }

    /// The answer given on the command line for `question`, if any.
    pub fn given(&self, question: &Question) -> Option<bool> {
        self.answers
            .iter()
            .rev()
            .find(|(name, _)| name == question.name())
            .map(|(_, yes)| *yes)
    }
}

impl<P: Prompter> Prompter for Overriding<P> {
    fn confirm(&mut self, question: &Question) -> bool {
        match self.given(question) {
            Some(answer) => answer,
            None => self.rest.confirm(question),
        }
    }
}

/// Asks on the terminal: はい/いいえ, y/n.
#[derive(Debug, Default)]
pub struct Terminal;

impl Prompter for Terminal {
    fn confirm(&mut self, question: &Question) -> bool {
        let stdin = io::stdin();
        loop {
            eprint!("  ? {}\n    [はい(y)/いいえ(n)] ", question.text());
            let _ = io::stderr().flush();
            let mut line = String::new();
            match stdin.lock().read_line(&mut line) {
                Ok(0) | Err(_) => return false, // end of input: nobody said yes
                Ok(_) => {}
            }
            match line.trim().to_lowercase().as_str() {
                "y" | "yes" | "はい" => return true,
                "n" | "no" | "いいえ" => return false,
                _ => eprintln!("    y か n で答えてください (answer y or n)"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_answers_by_name_and_says_no_beyond_the_script() {
        let mut prompter =
            Scripted::new([("web-access".to_owned(), false), ("issue".to_owned(), true)]);
        let issue = Question::Issue {
            csp: "x".into(),
            length: 2048,
        };
        let web = Question::WebAccess { site: "s".into() };
        assert!(prompter.confirm(&issue));
        assert!(!prompter.confirm(&web));
        assert!(!prompter.confirm(&issue));
        assert_eq!(prompter.asked.len(), 3);
    }

    #[test]
    fn answers_on_the_command_line_override_and_leave_the_rest_to_the_fallback() {
        let answers = vec![parse_answer("web-access=no").unwrap()];
        let mut prompter = Overriding::new(answers, AssumeYes);
        assert!(!prompter.confirm(&Question::WebAccess { site: "s".into() }));
        assert!(prompter.confirm(&Question::Issue {
            csp: "x".into(),
            length: 2048
        }));
        assert!(parse_answer("issue=maybe").is_err());
        assert!(parse_answer("reboot=yes").is_err());
        assert_eq!(
            parse_answer("install-root=いいえ").unwrap(),
            ("install-root".into(), false)
        );
    }
}
