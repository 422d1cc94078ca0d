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
}
