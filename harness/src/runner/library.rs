//! The client's steps through its library, in-process, with a scripted prompter that records each
//! question and its answer.

use std::sync::{Arc, Mutex};

use client::prompt::{Prompter, Question, Scripted};

use super::{Run, RunError, transcript::Shown};
use crate::scenario::Step;

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

impl Run<'_> {
    /// `enroll`, `list` or `confirm` through the library.
    pub(super) async fn library(&mut self, step: &Step) -> Result<Shown, RunError> {
        let store = self.store(step)?;
        let shared = Arc::new(Mutex::new(Vec::new()));
        let sink = shared.clone();
        let mut observe = move |event: &client::Event| lines(&sink).push(event.to_string());
        let trust = self.site.site_trust_pem.clone();
        let result = match step {
            Step::Enroll(enroll) => {
                let invitation = match self.invitation(step, enroll.password.as_deref()) {
                    Ok(invitation) => invitation,
                    Err(error) => return Ok(Shown::error(&error, Vec::new())),
                };
                let mut prompter = Recording {
                    script: Scripted::new(enroll.answers.given()),
                    lines: shared.clone(),
                };
                let stop_at = enroll.interrupt;
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
            // The scenario's own store, whatever the step names (as it has always listed).
            Step::List(_) => self
                .store
                .list()
                .map(|listed| {
                    for entry in listed {
                        lines(&shared).push(entry.to_string());
                    }
                })
                .map_err(client::Error::from),
            Step::Confirm(_) => {
                let url = format!("{}/confirm", self.site.confirm_url);
                client::confirm(&url, &trust, &store, &mut observe)
                    .await
                    .map(|_| ())
            }
            _ => {
                return Err(RunError::SetUp(format!(
                    "{:?} has no library form",
                    step.action()
                )));
            }
        };
        let output = lines(&shared).clone();
        Ok(match result {
            Ok(()) => Shown::lines(output),
            Err(error) => Shown::error(&error, output),
        })
    }

    /// The invitation the two mails make (or the application's URL with `password`).
    fn invitation(
        &self,
        step: &Step,
        password: Option<&str>,
    ) -> Result<client::Invitation, client::Error> {
        let (url, password) = match password {
            Some(password) => (
                self.urls
                    .get(step.application() - 1)
                    .cloned()
                    .unwrap_or_default(),
                password.to_owned(),
            ),
            None => {
                let found = client::mailbox::read_invitation(&self.maildir(step.application()))?;
                (found.url, found.password)
            }
        };
        Ok(client::Invitation {
            url,
            password,
            site_trust_pem: self.site.site_trust_pem.clone(),
        })
    }
}
