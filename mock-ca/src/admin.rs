//! The admin API: scripts and support staff put the site into the state they need. Nested under
//! `/admin`, JSON only, every request with the bearer token.

use std::sync::Arc;

use axum::{
    Router,
    body::Bytes,
    extract::{Path, Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

use crate::{
    application::{Application, ApplicationForm},
    refusal::Refusal,
    registration::RegistrationAuthority,
    site::{Representation, Site, SiteError},
};

pub(crate) fn router(site: Arc<Site>) -> Router<Arc<Site>> {
    Router::new()
        .route("/applications", post(file).get(list))
        .route("/applications/{application}", get(inspect))
        .route("/applications/{application}/approve", post(approve))
        .route("/outbox", get(outbox))
        .route("/outbox/{mail}", get(mail))
        .route("/journal", get(journal).delete(clear_journal))
        .route_layer(middleware::from_fn_with_state(site, require_token))
}

fn fail(refusal: Refusal) -> SiteError {
    SiteError::new(Representation::Json, refusal)
}

async fn require_token(
    State(site): State<Arc<Site>>,
    request: Request,
    next: Next,
) -> Result<Response, SiteError> {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let expected = site.admin_token.as_bytes();
    let equal = given.len() == expected.len()
        && given
            .bytes()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if equal {
        Ok(next.run(request).await)
    } else {
        Err(fail(Refusal::AdminUnauthorized))
    }
}

fn describe(registration: &RegistrationAuthority, application: &Application) -> Value {
    let subject: Vec<[&str; 2]> = application
        .form
        .subject
        .0
        .iter()
        .map(|(a, v)| [a.short_name(), v.as_str()])
        .collect();
    json!({
        "id": application.id,
        "applicant": application.form.applicant,
        "email": application.form.email,
        "kind": application.form.kind,
        "state": application.state.name(),
        "url": registration.application_url(&application.id),
        "subject": subject,
        "certificates": registration.serials_of(&application.id),
    })
}

async fn file(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SiteError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(fail(Refusal::BadRequest(
            "the admin API takes application/json".into(),
        )));
    }
    let form: ApplicationForm = serde_json::from_slice(&body)
        .map_err(|e| fail(Refusal::BadRequest(format!("bad application: {e}"))))?;
    let mut registration = site.registration();
    let id = registration.file(form).id.clone();
    let application = registration.application(&id).map_err(fail)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(describe(&registration, application)),
    )
        .into_response())
}

async fn list(State(site): State<Arc<Site>>) -> Response {
    let registration = site.registration();
    let all: Vec<Value> = registration
        .applications()
        .map(|a| describe(&registration, a))
        .collect();
    axum::Json(all).into_response()
}

async fn inspect(
    State(site): State<Arc<Site>>,
    Path(id): Path<String>,
) -> Result<Response, SiteError> {
    let registration = site.registration();
    let application = registration.application(&id).map_err(fail)?;
    Ok(axum::Json(describe(&registration, application)).into_response())
}

async fn approve(
    State(site): State<Arc<Site>>,
    Path(id): Path<String>,
) -> Result<Response, SiteError> {
    let mut registration = site.registration();
    registration.approve(&id).map_err(fail)?;
    let application = registration.application(&id).map_err(fail)?;
    Ok(axum::Json(describe(&registration, application)).into_response())
}

async fn outbox(State(site): State<Arc<Site>>) -> Response {
    let registration = site.registration();
    let mails: Vec<Value> = registration
        .outbox()
        .sent()
        .iter()
        .map(|sent| {
            json!({
                "id": sent.id,
                "to": sent.mail.to,
                "subject": sent.mail.subject,
                "application": sent.mail.application,
                "catalogue": sent.mail.catalogue,
                "path": sent.path.as_ref().map(|p| p.display().to_string()),
            })
        })
        .collect();
    axum::Json(mails).into_response()
}

async fn mail(
    State(site): State<Arc<Site>>,
    Path(id): Path<String>,
) -> Result<Response, SiteError> {
    let registration = site.registration();
    let sent = registration
        .outbox()
        .sent()
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| fail(Refusal::NotFound))?;
    Ok(([(header::CONTENT_TYPE, "message/rfc822")], sent.raw.clone()).into_response())
}

async fn journal(State(site): State<Arc<Site>>) -> Response {
    let journal = site.journal.lock().unwrap_or_else(|p| p.into_inner());
    axum::Json(journal.entries().to_vec()).into_response()
}

async fn clear_journal(State(site): State<Arc<Site>>) -> StatusCode {
    site.journal
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clear();
    StatusCode::NO_CONTENT
}
