//! The harness's client of the site's admin API: test-support's, written from docs/protocol.md
//! apart from the site's code, so the harness checks the site rather than agreeing with it.

pub use test_support::admin::{Admin, AdminError, Method, NewApplication};

use crate::scenario::Application;

impl From<&Application> for NewApplication {
    fn from(application: &Application) -> Self {
        Self {
            applicant: application.applicant.clone(),
            email: application.email.clone(),
            subject: application.subject.clone(),
            kind: application.kind.clone(),
        }
    }
}
