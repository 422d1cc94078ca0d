//! What a step must end with: the error and message shown, the exit code, the output, and the
//! application, its mails and the store afterwards.

use super::{Run, RunError, text, transcript::Shown};
use crate::scenario::{Expect, Step, Via};

impl Run<'_> {
    /// Adds a failure for each expectation of step `number` that what it `shown` (or the site
    /// and the store after it) does not meet.
    pub(super) async fn check(
        &mut self,
        number: usize,
        step: &Step,
        shown: &Shown,
    ) -> Result<(), RunError> {
        let expect: Expect = step.expect();
        let failures = &mut self.failures;
        if let Some(point) = step.interrupt()
            && ((step.via() == Some(Via::Binary) && shown.killed.is_none())
                || (step.via() == Some(Via::Browser) && shown.held.is_none()))
        {
            failures.push(format!(
                "step {number}: the client never reached checkpoint {}",
                point.name()
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
        let id = self.application_id(step);
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
        if let Some(wanted) = &expect.store
            && let Some(kept) = shown.kept
        {
            // A browser keeps its keys and certificates in IndexedDB, its files in Downloads.
            let found = [
                ("certificates", wanted.certificates, kept.certificates),
                ("keys", wanted.keys, kept.keys),
                ("pending", wanted.pending, kept.pending),
                ("roots", wanted.roots, kept.roots),
            ];
            for (what, wanted, count) in found {
                if let Some(wanted) = wanted
                    && wanted != count
                {
                    self.failures.push(format!(
                        "step {number}: the browser kept {count} {what}, expected {wanted}"
                    ));
                }
            }
        } else if let Some(wanted) = &expect.store {
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
