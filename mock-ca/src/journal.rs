//! The request journal: every request to the site and its answer, in order, for scenarios and for
//! people debugging a run. Admin requests are left out; passwords and bodies are never recorded.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use serde::Serialize;

use crate::site::{AnsweredWith, Site};

/// One request and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Position in the journal, from 1.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The answer's status.
    pub status: u16,
    /// The error id, when the answer was a refusal.
    pub error: Option<&'static str>,
}

/// The journal.
#[derive(Debug, Default)]
pub struct Journal {
    entries: Vec<Entry>,
    next: u64,
}

impl Journal {
    /// Every entry, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Empties the journal; numbering goes on.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    fn record(&mut self, method: String, path: String, status: u16, error: Option<&'static str>) {
        self.next += 1;
        self.entries.push(Entry {
            seq: self.next,
            method,
            path,
            status,
            error,
        });
    }
}

/// Middleware that records each non-admin request.
pub(crate) async fn record(
    State(site): State<Arc<Site>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let admin = path == "/admin" || path.starts_with("/admin/");
    if !admin {
        let error = response.extensions().get::<AnsweredWith>().map(|a| a.0);
        site.journal
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .record(method, path, response.status().as_u16(), error);
    }
    response
}
