//! The admin API: scripts and support staff put the site into the state they need. Nested under
//! `/admin`, JSON only, every request with the bearer token.

use std::sync::Arc;

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, Request, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{
    enrollment::application::{Application, ApplicationForm},
    enrollment::delivery::{Document, DocumentForm, MAX_DOCUMENT},
    enrollment::faults::FaultSpec,
    enrollment::journal::Filter,
    enrollment::refusal::Refusal,
    enrollment::registration::RegistrationAuthority,
    web::site::{Representation, Site, SiteError},
};

pub(crate) fn router(site: Arc<Site>) -> Router<Arc<Site>> {
    Router::new()
        .route("/applications", post(file).get(list))
        .route("/applications/{application}", get(inspect))
        .route("/applications/{application}/approve", post(approve))
        .route("/applications/{application}/withdraw", post(withdraw))
        .route("/auto-approve", get(auto_approve).put(set_auto_approve))
        .route("/clock", get(clock).put(set_clock))
        .route("/clock/advance", post(advance_clock))
        .route("/tick", post(tick))
        .route("/faults", get(faults).post(arm_fault).delete(clear_faults))
        .route("/faults/{fault}", axum::routing::delete(disarm_fault))
        .route("/outbox", get(outbox))
        .route("/outbox/{mail}", get(mail))
        .route("/journal", get(journal).delete(clear_journal))
        .route(
            "/documents",
            post(publish)
                // base64 makes a file of MAX_DOCUMENT bytes 4/3 as large, plus its JSON.
                .layer(DefaultBodyLimit::max(MAX_DOCUMENT / 3 * 4 + 64 * 1024))
                .get(documents),
        )
        .route("/documents/{document}", get(document))
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(middleware::from_fn_with_state(site, require_token))
}

async fn method_not_allowed() -> SiteError {
    fail(Refusal::MethodNotAllowed)
}

/// Reads a JSON body into `T`.
fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, SiteError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(fail(Refusal::BadRequest(
            "the admin API takes application/json".into(),
        )));
    }
    serde_json::from_slice(body).map_err(|e| fail(Refusal::BadRequest(format!("bad body: {e}"))))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn fail(refusal: Refusal) -> SiteError {
    SiteError::new(Representation::Json, refusal)
}

async fn require_token(
    State(site): State<Arc<Site>>,
    request: Request,
    next: Next,
) -> Result<Response, SiteError> {
    // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, token)| token.trim());
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
        "filed_at": rfc3339(application.filed_at),
        "approve_at": application.approve_at.map(rfc3339),
        "mailed_at": application.mailed_at.map(rfc3339),
        "reminders": application.reminders,
    })
}

async fn file(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SiteError> {
    let form: ApplicationForm = json_body(&headers, &body)?;
    let mut registration = site.registration();
    let id = registration.file(form).map_err(fail)?.id.clone();
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

async fn withdraw(
    State(site): State<Arc<Site>>,
    Path(id): Path<String>,
) -> Result<Response, SiteError> {
    let mut registration = site.registration();
    registration.withdraw(&id).map_err(fail)?;
    let application = registration.application(&id).map_err(fail)?;
    Ok(axum::Json(describe(&registration, application)).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AutoApprove {
    enabled: bool,
}

async fn auto_approve(State(site): State<Arc<Site>>) -> Response {
    axum::Json(json!({"enabled": site.registration().auto_approve()})).into_response()
}

async fn set_auto_approve(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SiteError> {
    let AutoApprove { enabled } = json_body(&headers, &body)?;
    let mut registration = site.registration();
    registration.set_auto_approve(enabled).map_err(fail)?;
    Ok(axum::Json(json!({"enabled": registration.auto_approve()})).into_response())
}

fn clock_json(registration: &RegistrationAuthority, mails: usize) -> Value {
    json!({
        "now": rfc3339(registration.now()),
        "frozen": registration.clock().is_frozen(),
        "mails_sent": mails,
    })
}

async fn clock(State(site): State<Arc<Site>>) -> Response {
    axum::Json(clock_json(&site.registration(), 0)).into_response()
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    now: String,
    frozen: Option<bool>,
}

async fn set_clock(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SiteError> {
    let SetClock { now, frozen } = json_body(&headers, &body)?;
    let at = OffsetDateTime::parse(&now, &Rfc3339)
        .map_err(|e| fail(Refusal::BadRequest(format!("now is not RFC 3339: {e}"))))?;
    let mut registration = site.registration();
    let clock = registration.clock().clone();
    match frozen {
        Some(true) => clock.freeze(at),
        Some(false) => clock.run_from(at),
        None => clock.set(at),
    }
    let mails = registration.tick().map_err(fail)?;
    Ok(axum::Json(clock_json(&registration, mails)).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    days: i64,
    #[serde(default)]
    hours: i64,
    #[serde(default)]
    minutes: i64,
    #[serde(default)]
    seconds: i64,
}

async fn advance_clock(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SiteError> {
    let by: Advance = json_body(&headers, &body)?;
    let by = [
        by.days.checked_mul(86_400).map(Duration::seconds),
        by.hours.checked_mul(3_600).map(Duration::seconds),
        by.minutes.checked_mul(60).map(Duration::seconds),
        Some(Duration::seconds(by.seconds)),
    ]
    .into_iter()
    .try_fold(Duration::ZERO, |sum, d| d.and_then(|d| sum.checked_add(d)))
    .ok_or_else(|| fail(Refusal::BadRequest("the duration is out of range".into())))?;
    let mut registration = site.registration();
    // The clock's arithmetic panics past year 9999: refuse what would get there.
    if registration.now().checked_add(by).is_none() {
        return Err(fail(Refusal::BadRequest(
            "the clock would leave the calendar".into(),
        )));
    }
    registration.clock().advance(by);
    let mails = registration.tick().map_err(fail)?;
    Ok(axum::Json(clock_json(&registration, mails)).into_response())
}

async fn tick(State(site): State<Arc<Site>>) -> Result<Response, SiteError> {
    let mut registration = site.registration();
    let mails = registration.tick().map_err(fail)?;
    Ok(axum::Json(clock_json(&registration, mails)).into_response())
}

fn fault_json(fault: &crate::enrollment::faults::Fault) -> Value {
    let mut value = serde_json::to_value(&fault.spec).unwrap_or_else(|_| json!({}));
    value["id"] = json!(fault.id);
    value["hits"] = json!(fault.hits);
    value
}

async fn faults(State(site): State<Arc<Site>>) -> Response {
    let faults = site.faults();
    axum::Json(faults.armed().iter().map(fault_json).collect::<Vec<_>>()).into_response()
}

async fn arm_fault(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SiteError> {
    let spec: FaultSpec = json_body(&headers, &body)?;
    let mut faults = site.faults();
    let fault = faults
        .arm(spec)
        .map_err(|e| fail(Refusal::BadRequest(e.to_string())))?;
    Ok((StatusCode::CREATED, axum::Json(fault_json(fault))).into_response())
}

async fn disarm_fault(
    State(site): State<Arc<Site>>,
    Path(id): Path<String>,
) -> Result<StatusCode, SiteError> {
    if site.faults().disarm(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(fail(Refusal::NotFound))
    }
}

async fn clear_faults(State(site): State<Arc<Site>>) -> StatusCode {
    site.faults().clear();
    StatusCode::NO_CONTENT
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OutboxFilter {
    application: Option<String>,
    catalogue: Option<String>,
}

async fn outbox(
    State(site): State<Arc<Site>>,
    filter: Result<Query<OutboxFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, SiteError> {
    let Query(filter) = filter.map_err(|e| fail(Refusal::BadRequest(e.body_text())))?;
    let registration = site.registration();
    let relay = registration.outbox().relay();
    let mails: Vec<Value> = registration
        .outbox()
        .sent()
        .iter()
        .filter(|sent| {
            filter
                .application
                .as_deref()
                .is_none_or(|a| a == sent.mail.application)
                && filter
                    .catalogue
                    .as_deref()
                    .is_none_or(|c| c == sent.mail.catalogue)
        })
        .map(|sent| {
            let mut mail = json!({
                "id": sent.id,
                "to": sent.mail.to,
                "subject": sent.mail.subject,
                "application": sent.mail.application,
                "catalogue": sent.mail.catalogue,
                "path": sent.path.as_ref().map(|p| p.display().to_string()),
                "sent_at": rfc3339(sent.sent_at),
            });
            if let Some(delivery) = relay.and_then(|r| r.delivery(&sent.id)) {
                mail["smtp"] = json!(delivery.describe());
            }
            mail
        })
        .collect();
    Ok(axum::Json(mails).into_response())
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
    // A MAIL-PASSWORD taken back from the records (`--data-dir`) has no copy there: the
    // Maildir's is the one left, if the Maildir is still where it was.
    let raw = match (&sent.raw[..], &sent.path) {
        ([], Some(path)) => std::fs::read(path).map_err(|_| fail(Refusal::NotFound))?,
        ([], None) => return Err(fail(Refusal::NotFound)),
        (raw, _) => raw.to_vec(),
    };
    Ok(([(header::CONTENT_TYPE, "message/rfc822")], raw).into_response())
}

async fn journal(
    State(site): State<Arc<Site>>,
    filter: Result<Query<Filter>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, SiteError> {
    let Query(filter) = filter.map_err(|e| fail(Refusal::BadRequest(e.body_text())))?;
    Ok(axum::Json(site.journal().filtered(&filter)).into_response())
}

async fn clear_journal(State(site): State<Arc<Site>>) -> StatusCode {
    site.journal().clear();
    StatusCode::NO_CONTENT
}

fn document_json(document: &Document) -> Value {
    use aws_lc_rs::digest::{SHA256, digest};
    let sha256: String = digest(&SHA256, &document.content)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    json!({
        "id": document.id,
        "application": document.application,
        "subject": document.subject,
        "title": document.title,
        "file_name": document.file_name,
        "content_type": document.content_type,
        "size": document.content.len(),
        "sha256": sha256,
        "published_at": rfc3339(document.published_at),
        "download": format!("/documents/{}", document.id),
        "deliveries": document.deliveries,
    })
}

/// POST /admin/documents — publish a document for an application's holder [DATA-DECRYPT].
async fn publish(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, SiteError> {
    let body = body.map_err(|e| fail(Refusal::BadRequest(e.body_text())))?;
    let form: DocumentForm = json_body(&headers, &body)?;
    let mut registration = site.registration();
    let document = registration.publish(form).map_err(fail)?;
    Ok((StatusCode::CREATED, axum::Json(document_json(document))).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DocumentFilter {
    application: Option<String>,
}

/// GET /admin/documents — every document published, oldest first.
async fn documents(
    State(site): State<Arc<Site>>,
    filter: Result<Query<DocumentFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, SiteError> {
    let Query(filter) = filter.map_err(|e| fail(Refusal::BadRequest(e.body_text())))?;
    let registration = site.registration();
    let all: Vec<Value> = registration
        .documents()
        .iter()
        .filter(|d| {
            filter
                .application
                .as_deref()
                .is_none_or(|a| a == d.application)
        })
        .map(document_json)
        .collect();
    Ok(axum::Json(all).into_response())
}

/// GET /admin/documents/{document}
async fn document(
    State(site): State<Arc<Site>>,
    Path(id): Path<String>,
) -> Result<Response, SiteError> {
    let registration = site.registration();
    let document = registration
        .documents()
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| fail(Refusal::NotFound))?;
    Ok(axum::Json(document_json(document)).into_response())
}
