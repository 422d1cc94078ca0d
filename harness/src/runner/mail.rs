//! The site's mails: each new one for this scenario's applications delivered into a Maildir per
//! application (as a mail client would receive it) and recorded, its password redacted.

use std::{fmt::Write as _, path::PathBuf};

use mail_parser::MessageParser;

use super::{Run, RunError, text};

impl Run<'_> {
    /// The Maildir of an application (1-based).
    pub(super) fn maildir(&self, application: usize) -> PathBuf {
        self.temp.path().join("mail").join(application.to_string())
    }

    /// Copies the site's new mails for this scenario's applications into one Maildir per
    /// application, as a mail client would receive them, and records them.
    pub(super) async fn deliver_mails(&mut self) -> Result<(), RunError> {
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
}
