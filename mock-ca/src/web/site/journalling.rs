//! The middleware that fills the [`Journal`](crate::enrollment::journal::Journal): each non-admin
//! request, its answer's status and error id, the fault it met, and a JSON answer with its session
//! masked.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};

use super::{
    AnsweredWith, Site,
    faults::{DropConnection, Faulted},
};
use crate::{enrollment::faults::Endpoint, enrollment::journal::Entry};

/// The largest answer the journal keeps.
const BODY_LIMIT: usize = 16 * 1024;

/// The answer as the journal keeps it: parsed, with the session token (a credential) masked.
fn journalled(bytes: &[u8]) -> Option<serde_json::Value> {
    if bytes.len() > BODY_LIMIT {
        return None;
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if let Some(session) = value.get_mut("session")
        && session.is_string()
    {
        *session = serde_json::Value::String("<session>".into());
    }
    Some(value)
}

/// Middleware that records each non-admin request.
pub(crate) async fn record(
    State(site): State<Arc<Site>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let admin = path == "/admin" || path.starts_with("/admin/");
    if !admin {
        // Only whole JSON answers are read back: a faulted one may be meant to break mid-body.
        let is_json = response
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let untouched = response.extensions().get::<Faulted>().is_none()
            && response.extensions().get::<DropConnection>().is_none();
        let mut body = None;
        if is_json && untouched {
            let (parts, whole) = response.into_parts();
            // The site's JSON answers are built in memory, so collecting them cannot fail short of
            // the limit; past it the answer is passed on unread.
            match axum::body::to_bytes(whole, 4 * BODY_LIMIT).await {
                Ok(bytes) => {
                    body = journalled(&bytes);
                    response = Response::from_parts(parts, axum::body::Body::from(bytes));
                }
                Err(_) => {
                    response = Response::from_parts(parts, axum::body::Body::empty());
                }
            }
        }
        let error = response.extensions().get::<AnsweredWith>().map(|a| a.0);
        let fault = response.extensions().get::<Faulted>().map(|f| f.0);
        let status = if response.extensions().get::<DropConnection>().is_some() {
            0
        } else {
            response.status().as_u16()
        };
        let application = Endpoint::of(&path).and_then(|(_, a)| a.map(str::to_owned));
        let now = site.registration().now();
        let at = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        site.journal().record(Entry {
            seq: 0,
            method,
            path,
            status,
            error,
            application,
            fault,
            at,
            body,
        });
    }
    response
}
