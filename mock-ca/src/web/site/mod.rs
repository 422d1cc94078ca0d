//! The issuance site over HTTP: thin handlers that read a request, call the registration authority
//! and render its answer as HTML or JSON from one view.

mod assets;
mod documents;
pub(crate) mod faults;
pub(crate) mod journalling;
mod mailbox;
pub(crate) mod page;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::{
    Extension, Router,
    body::Bytes,
    extract::{FromRequestParts, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use axum_extra::extract::CookieJar;
use axum_server::tls::TlsInfo;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::world::profile::Profile;
use crate::{
    enrollment::application::Kind,
    enrollment::authority::IssuedCertificate,
    enrollment::faults::Faults,
    enrollment::journal::Journal,
    enrollment::refusal::Refusal,
    enrollment::registration::{Opened, RegistrationAuthority, StepThree, StepTwo},
};
use page::{Frame, Pages};

/// The header a program that can make keys sends: the guide's enrollment component.
pub const COMPONENT_HEADER: &str = "x-enrollment-component";

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Site {
    pub(crate) registration: Mutex<RegistrationAuthority>,
    pub(crate) journal: Mutex<Journal>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) admin_token: String,
    /// Where the confirmation site (証明書確認サイト) answers: `https://host:port`, no slash.
    pub(crate) confirm_url: String,
    /// Demo mode: the mailbox page is served (loopback only).
    pub(crate) demo: bool,
    /// One permit per core: more signatures at once only share the cores, with a blocking
    /// thread and a context switch each.
    pub(crate) signers: tokio::sync::Semaphore,
    /// Requests that made a handler panic (each answered INTERNAL): this site's, not the process's.
    pub(crate) panics: Arc<std::sync::atomic::AtomicU64>,
    /// The pages, from the profile the desk was given.
    pub(crate) pages: Arc<Pages>,
}

impl Site {
    /// A site around `registration`, with an empty journal and no faults.
    pub(crate) fn new(
        registration: RegistrationAuthority,
        admin_token: String,
        confirm_url: String,
    ) -> Self {
        let pages = Arc::new(Pages::new(registration.profile().clone()));
        Self {
            pages,
            registration: Mutex::new(registration),
            journal: Mutex::new(Journal::default()),
            faults: Mutex::new(Faults::default()),
            admin_token,
            confirm_url,
            demo: false,
            signers: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            ),
            panics: Arc::default(),
        }
    }

    /// The site's profile: its words, pages and rules.
    pub(crate) fn profile(&self) -> &Arc<Profile> {
        self.pages.profile()
    }

    pub(crate) fn journal(&self) -> MutexGuard<'_, Journal> {
        // Entries are pushed whole: a poisoned lock still holds a consistent journal.
        self.journal.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        // Faults are armed, hit and disarmed whole: a poisoned lock is still consistent.
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn registration(&self) -> MutexGuard<'_, RegistrationAuthority> {
        // A panic while the lock is held cannot leave an application half-moved: every transition
        // checks first and changes state last. So a poisoned lock is still consistent.
        self.registration
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The issuance site's public pages. The confirmation site's paths answer with a redirect to it,
/// so a bookmark or a program that knows one URL still arrives.
pub(crate) fn issuance_router() -> Router<Arc<Site>> {
    Router::new()
        .route("/", get(top))
        .route("/repository", get(repository))
        .route("/repository/root.cer", get(root_certificate))
        .route("/apply/{application}", get(step_one))
        .route("/apply/{application}/login", post(login))
        .route("/apply/{application}/issue", post(press_issue))
        .route("/apply/{application}/csr", post(submit_csr))
        .route("/apply/{application}/complete", post(complete))
        .route("/assets/{name}", get(assets::asset))
        .route("/mailbox", get(mailbox::list))
        .route("/mailbox/{mail}", get(mailbox::show))
        .route("/confirm", get(to_confirmation_site))
        .route("/documents", get(to_confirmation_site))
        .route("/documents/{document}", get(to_confirmation_site))
        .method_not_allowed_fallback(method_not_allowed)
}

/// The confirmation site (証明書確認サイト): the pages that need a client certificate.
pub(crate) fn confirmation_router() -> Router<Arc<Site>> {
    Router::new()
        .route("/", get(confirmation_top))
        .route("/confirm", get(confirm))
        .route("/documents", get(documents::list))
        .route("/documents/{document}", get(documents::download))
        .method_not_allowed_fallback(method_not_allowed)
}

/// GET /confirm or /documents… on the issuance site: 308 to the same path on the confirmation
/// site, which is the one that asks for the client certificate.
async fn to_confirmation_site(State(site): State<Arc<Site>>, uri: axum::http::Uri) -> Response {
    let target = match uri.path_and_query() {
        Some(path) => format!("{}{path}", site.confirm_url),
        None => format!("{}/confirm", site.confirm_url),
    };
    match HeaderValue::from_str(&target) {
        Ok(location) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// HTML for people, JSON for programs: chosen by `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Representation {
    Html,
    Json,
}

impl Representation {
    pub(crate) fn of(headers: &HeaderMap) -> Self {
        let wants_json = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("application/json"));
        if wants_json { Self::Json } else { Self::Html }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Representation {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(&parts.headers))
    }
}

/// The catalogue id of an error answer, left in the response for the journal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AnsweredWith(pub(crate) &'static str);

/// A refusal, rendered the way the request asked.
#[derive(Debug)]
pub(crate) struct SiteError {
    pub(crate) representation: Representation,
    pub(crate) refusal: Refusal,
    /// The site whose name frames the page.
    pub(crate) site: SiteOf,
    /// The supported platforms, shown with COMPONENT-UNAVAILABLE and ENV-SUPPORTED.
    pub(crate) supported: Vec<String>,
    /// What only the page shows (boxed: a refusal travels in every `Result`).
    pub(crate) page: Box<ErrorPage>,
}

/// Which site a page belongs to, named by the profile when it is rendered.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SiteOf {
    /// An application's issuance site (証明書更新サイト for a renewal).
    Application(Kind),
    /// The confirmation site.
    Confirmation,
}

impl SiteOf {
    fn name(self, profile: &Profile) -> &str {
        match self {
            Self::Application(kind) => profile.site_name(kind),
            Self::Confirmation => &profile.sites.confirmation,
        }
    }
}

/// Where an error page's way back leads, labelled by the profile when it is rendered.
#[derive(Debug, Clone)]
pub(crate) enum BackTo {
    /// The site's top page.
    Top,
    /// Step 1 of the application.
    StepOne(String),
    /// The confirmation site's top (`https://host:port`).
    ConfirmationSite(String),
}

impl SiteError {
    pub(crate) fn new(representation: Representation, refusal: Refusal) -> Self {
        Self {
            representation,
            refusal,
            site: SiteOf::Application(Kind::New),
            supported: Vec::new(),
            page: Box::new(ErrorPage {
                back: BackTo::Top,
                application: None,
            }),
        }
    }

    /// The page leads back to `back` (default: the top page).
    pub(crate) fn back_to(mut self, back: BackTo) -> Self {
        self.page.back = back;
        self
    }

    /// The page is framed as the confirmation site's.
    pub(crate) fn on_confirmation_site(mut self) -> Self {
        self.site = SiteOf::Confirmation;
        self
    }

    /// The page is framed as the application's site (証明書更新サイト for a renewal).
    pub(crate) fn on(mut self, kind: Kind) -> Self {
        self.site = SiteOf::Application(kind);
        self
    }

    /// Names the supported platforms, where the refusal is about the environment.
    pub(crate) fn supporting(mut self, platforms: &[String]) -> Self {
        if matches!(
            self.refusal,
            Refusal::ComponentUnavailable | Refusal::PlatformUnsupported(_)
        ) {
            self.supported = platforms.to_vec();
        }
        self
    }

    /// The answer's content type and body, in the words of `pages`' profile.
    fn render(&self, pages: &Pages) -> (&'static str, String) {
        let refusal = &self.refusal;
        let profile = pages.profile();
        let words = refusal.words_in(profile);
        match self.representation {
            Representation::Json => {
                let mut error = json!({
                    "id": refusal.id(),
                    "message": words.text,
                    "remedy": words.remedy,
                    "detail": refusal.detail(),
                });
                if !self.supported.is_empty() {
                    error["supported"] = json!(self.supported);
                }
                ("application/json", json!({ "error": error }).to_string())
            }
            Representation::Html => {
                // What an error page says first: the guide's message; for an id the site adds
                // (whose message is English, for programs), the profile's Japanese headline,
                // the English kept for the support details.
                let (headline, english) = match &words.headline {
                    Some(headline) => (headline.as_str(), Some(words.text.as_str())),
                    None => (words.text.as_str(), None),
                };
                let supported: Vec<Value> = self
                    .supported
                    .iter()
                    .map(|p| json!({"id": p, "name": profile.platform_name(p)}))
                    .collect();
                let site_name = self.site.name(profile);
                // enrollment component: an application whose certificate was issued may have its
                // key and certificate in this browser (CANCEL-RESUME; REINSTALL-NOT-FOUND if not).
                let component_data = match (&self.page.application, refusal) {
                    (Some(id), Refusal::InstallAbandoned | Refusal::NoValidRequest) => json!([
                        ["step", "refused"],
                        ["refusal", refusal.id()],
                        ["application", id],
                        ["site-name", site_name],
                        ["step-one", format!("/apply/{id}")],
                    ]),
                    _ => Value::Null,
                };
                let view = json!({
                    "error": {
                        "id": refusal.id(),
                        "remedy": words.remedy,
                        "detail": refusal.detail(),
                    },
                    "headline": headline,
                    "english": english,
                    "explanation": words.explanation,
                    "supported": supported,
                    "component_data": component_data,
                });
                let back = match &self.page.back {
                    BackTo::Top => pages.back_top(),
                    BackTo::StepOne(id) => pages.back_step_one(id),
                    BackTo::ConfirmationSite(url) => {
                        pages.back(format!("{url}/"), "to_confirmation_site")
                    }
                };
                let frame = Frame {
                    site_name,
                    title: &profile.title("error", site_name),
                    back: Some(back),
                };
                (
                    "text/html; charset=utf-8",
                    pages.render("error.html", &frame, &view),
                )
            }
        }
    }
}

/// What an error page shows beyond the refusal.
#[derive(Debug)]
pub(crate) struct ErrorPage {
    /// Where its way back leads.
    pub(crate) back: BackTo,
    /// The application whose page refused, where known: the STEP3-ONE-WAY and NO-VALID-REQUEST
    /// pages load the enrollment component for it (CANCEL-RESUME).
    pub(crate) application: Option<String>,
}

/// How a refusal on one application's pages is answered: in the asker's representation, under
/// the application's site name, naming the supported platforms where the refusal is about them.
struct Refusing {
    representation: Representation,
    kind: Kind,
    platforms: Vec<String>,
    application: String,
    /// Where a closed application's pages lead (`https://host:port` of the confirmation site).
    confirmation_site: Option<String>,
}

impl Refusing {
    /// For application `id`; an unknown one is NOT-FOUND at once.
    fn on(
        registration: &RegistrationAuthority,
        representation: Representation,
        id: &str,
    ) -> Result<Self, SiteError> {
        let kind = registration
            .kind_of(id)
            .map_err(|r| SiteError::new(representation, r))?;
        Ok(Self {
            representation,
            kind,
            platforms: registration.policy().platforms.clone(),
            application: id.to_owned(),
            confirmation_site: None,
        })
    }

    /// A closed application's refusals (STEP3-ONE-WAY, NO-VALID-REQUEST) lead on to the
    /// confirmation site, where the guide sends the customer, rather than back to the login.
    fn leading_to(mut self, confirmation_site: &str) -> Self {
        self.confirmation_site = Some(confirmation_site.to_owned());
        self
    }

    fn refuse(&self, refusal: Refusal) -> SiteError {
        let mut error = SiteError::new(self.representation, refusal)
            .on(self.kind)
            .supporting(&self.platforms)
            .back_to(BackTo::StepOne(self.application.clone()));
        if let (Some(url), Refusal::InstallAbandoned | Refusal::NoValidRequest) =
            (&self.confirmation_site, &error.refusal)
        {
            error = error.back_to(BackTo::ConfirmationSite(url.clone()));
        }
        error.page.application = Some(self.application.clone());
        error
    }
}

/// A refusal waiting for its words: the answer carries it until [`render_refusals`], which has
/// the site's profile, writes its body.
#[derive(Debug, Clone)]
struct Unrendered(Arc<SiteError>);

impl IntoResponse for SiteError {
    fn into_response(self) -> Response {
        let mut response = self.refusal.status().into_response();
        response
            .extensions_mut()
            .insert(AnsweredWith(self.refusal.id()));
        response.extensions_mut().insert(Unrendered(Arc::new(self)));
        response
    }
}

/// Middleware: a refusal's answer gets its body, in the words of the site's profile. Outside
/// every layer that refuses, so each refusal passes through it; what the inner layers put on the
/// answer (its status, the journal's id, a fault's mark) stays.
pub(crate) async fn render_refusals(
    State(pages): State<Arc<Pages>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    if let Some(Unrendered(error)) = response.extensions_mut().remove::<Unrendered>() {
        let (content_type, body) = error.render(&pages);
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response.headers_mut().remove(header::CONTENT_LENGTH);
        *response.body_mut() = axum::body::Body::from(body);
    }
    response
}

fn html(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body)
}

/// One answer, as HTML or JSON: the page is rendered from the JSON answer's view.
fn reply(
    representation: Representation,
    status: StatusCode,
    json: Value,
    page: impl FnOnce(&Value) -> String,
) -> Response {
    match representation {
        Representation::Json => (status, axum::Json(json)).into_response(),
        Representation::Html => (status, html(page(&json))).into_response(),
    }
}

/// A step's view with what the enrollment component reads from the page: its data attributes
/// (name, value pairs; the contract is at the top of `mock-ca/assets/component.js`) and step 1.
fn with_component(view: &Value, step_one: &str, data: Value) -> Value {
    let mut view = view.clone();
    view["component_data"] = data;
    view["step_one"] = json!(step_one);
    view
}

type Answer = Result<Response, SiteError>;

/// Reads a JSON or form body into `T`.
fn read_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, Refusal> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") {
        serde_json::from_slice(body).map_err(|e| Refusal::BadRequest(format!("bad JSON: {e}")))
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes(body)
            .map_err(|e| Refusal::BadRequest(format!("bad form: {e}")))
    } else {
        Err(Refusal::BadRequest(format!(
            "content type must be application/json or application/x-www-form-urlencoded, not {content_type:?}"
        )))
    }
}

/// The `session` cookie, if any.
fn session_cookie(cookies: &CookieJar) -> Option<String> {
    cookies.get("session").map(|c| c.value().to_owned())
}

/// The declared enrollment component: `None` when absent or blank; its platform is what stands
/// in parentheses, if anything does.
fn declared_component(headers: &HeaderMap) -> Option<(String, Option<String>)> {
    let value = headers.get(COMPONENT_HEADER)?;
    let value = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
    if value.is_empty() {
        return None;
    }
    let platform = value
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(platform, _)| platform.trim().to_owned())
        .filter(|p| !p.is_empty());
    Some((value, platform))
}

/// Checks a declared platform, if one is declared [ENV-SUPPORTED].
fn check_declared_platform(
    registration: &RegistrationAuthority,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    match declared_component(headers) {
        Some((_, Some(platform))) => registration.check_platform(&platform),
        _ => Ok(()),
    }
}

/// A step that needs the enrollment component: it must be declared [COMPONENT-UNAVAILABLE] (where
/// the profile requires it), on a supported platform [ENV-SUPPORTED].
fn require_component(
    registration: &RegistrationAuthority,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    if registration.policy().component_required && declared_component(headers).is_none() {
        return Err(Refusal::ComponentUnavailable);
    }
    check_declared_platform(registration, headers)
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// GET / [SITE-REACHABLE]
async fn top(State(site): State<Arc<Site>>, representation: Representation) -> Response {
    let confirm = format!("{}/confirm", site.confirm_url);
    let profile = site.profile();
    let name = &profile.sites.issuance;
    let mut json =
        json!({"site": name, "status": "ok", "repository": "/repository", "confirm": confirm});
    if site.demo {
        json["mailbox"] = json!("/mailbox");
    }
    reply(representation, StatusCode::OK, json, |view| {
        let frame = Frame {
            site_name: name,
            title: &profile.title("top", name),
            back: None,
        };
        // The page links the confirmation site's top, not its /confirm: before an install, that
        // page would only refuse.
        let mut view = view.clone();
        view["confirmation_site"] = json!(format!("{}/", site.confirm_url));
        site.pages.render("top.html", &frame, &view)
    })
}

/// GET / on the confirmation site.
async fn confirmation_top(
    State(site): State<Arc<Site>>,
    representation: Representation,
) -> Response {
    let issuance = site.registration().base_url().to_owned();
    let profile = site.profile();
    let name = &profile.sites.confirmation;
    let json =
        json!({"site": name, "status": "ok", "confirm": "/confirm", "documents": "/documents"});
    reply(representation, StatusCode::OK, json, |view| {
        let frame = Frame {
            site_name: name,
            title: &profile.title("confirmation_top", name),
            back: Some(site.pages.back(format!("{issuance}/"), "to_issuance_site")),
        };
        site.pages.render("confirmation_top.html", &frame, view)
    })
}

/// GET /repository [REPOSITORY-PAGE]
async fn repository(State(site): State<Arc<Site>>, representation: Representation) -> Response {
    let registration = site.registration();
    let authority = registration.authority();
    let thumbprints = authority.thumbprints();
    let profile = site.profile();
    let notice = profile.text("REPOSITORY-PAGE");
    let json = json!({
        "notice": notice,
        "root": {
            "subject": authority.subject(),
            "certificate": "/repository/root.cer",
            "sha1": thumbprints.sha1,
            "sha256": thumbprints.sha256,
            "pem": authority.certificate_pem(),
        }
    });
    reply(representation, StatusCode::OK, json, |view| {
        let name = &profile.sites.issuance;
        let frame = Frame {
            site_name: name,
            title: &profile.title("repository", name),
            back: Some(site.pages.back_top()),
        };
        site.pages.render("repository.html", &frame, view)
    })
}

/// GET /repository/root.cer
async fn root_certificate(State(site): State<Arc<Site>>) -> Response {
    let der = site.registration().authority().certificate_der().to_vec();
    (
        [
            (header::CONTENT_TYPE, "application/pkix-cert"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"root.cer\"",
            ),
        ],
        der,
    )
        .into_response()
}

/// GET /apply/{application} — step 1 [STEP1-LOGIN]
async fn step_one(
    State(site): State<Arc<Site>>,
    representation: Representation,
    Path(id): Path<String>,
) -> Answer {
    let kind = site
        .registration()
        .kind_of(&id)
        .map_err(|r| SiteError::new(representation, r))?;
    let profile = site.profile();
    let site_name = profile.site_name(kind);
    let title = profile.title("step1", site_name);
    let login = format!("/apply/{id}/login");
    let json = json!({
        "step": 1,
        "site": match kind { Kind::New => "issuance", Kind::Renewal => "renewal" },
        "title": title,
        "login": login,
    });
    Ok(reply(representation, StatusCode::OK, json, |view| {
        let frame = Frame {
            site_name,
            title: &title,
            back: Some(site.pages.back_top()),
        };
        let step_one = format!("/apply/{id}");
        let view = with_component(
            view,
            &step_one,
            json!([
                ["step", "1"],
                ["application", id],
                ["site-name", site_name],
                ["step-one", step_one],
            ]),
        );
        site.pages.render("step1.html", &frame, &view)
    }))
}

#[derive(serde::Deserialize)]
struct LoginForm {
    password: String,
}

/// POST /apply/{application}/login → step 2, or step 3 resumed.
async fn login(
    State(site): State<Arc<Site>>,
    representation: Representation,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (check, form, refusing) = {
        let registration = site.registration();
        let refusing =
            Refusing::on(&registration, representation, &id)?.leading_to(&site.confirm_url);
        let fail = |r| refusing.refuse(r);
        let form: LoginForm = read_body(&headers, &body).map_err(fail)?;
        // A program that declares an unsupported platform learns it before step 2; a plain
        // browser (no declaration) sees step 2 and meets COMPONENT-UNAVAILABLE at 発行.
        check_declared_platform(&registration, &headers).map_err(fail)?;
        (registration.begin_login(&id).map_err(fail)?, form, refusing)
    };
    // The password's hash is checked outside the desk's lock, on a blocking thread, as a
    // signature is: it is the slow part of a login.
    let fail = |r| refusing.refuse(r);
    let checked = tokio::task::spawn_blocking(move || check.check(&form.password))
        .await
        .map_err(|_| fail(Refusal::Internal))?;
    let opened = site.registration().finish_login(checked).map_err(fail)?;
    let kind = refusing.kind;
    let (session, mut response) = match opened {
        Opened::StepTwo(two) => (
            two.session.clone(),
            step_two(&site.pages, representation, &id, kind, &two),
        ),
        Opened::StepThree(three) => (
            three.session.clone(),
            step_three(&site.pages, representation, &id, kind, &three),
        ),
    };
    let cookie = format!("session={session}; Path=/apply/{id}; Secure; HttpOnly; SameSite=Strict");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

fn key_json(key: &crate::enrollment::request::KeyDescription) -> Value {
    json!({"algorithm": key.algorithm, "length": key.bits})
}

/// Step 2 [STEP2-CSP-KEYLEN]
fn step_two(
    pages: &Pages,
    representation: Representation,
    id: &str,
    kind: Kind,
    two: &StepTwo,
) -> Response {
    let issue = format!("/apply/{id}/issue");
    let json = json!({
        "step": 2,
        "session": two.session,
        "csp": two.csp,
        "key": key_json(&two.key),
        "issue": issue,
    });
    reply(representation, StatusCode::OK, json, |view| {
        component_step(
            pages,
            2,
            id,
            kind,
            view,
            json!([
                ["csp", two.csp],
                ["key-algorithm", two.key.algorithm],
                ["key-length", two.key.bits.to_string()],
                ["issue", issue],
            ]),
        )
    })
}

/// Step 3: the root, then the client certificate.
fn step_three(
    pages: &Pages,
    representation: Representation,
    id: &str,
    kind: Kind,
    three: &StepThree,
) -> Response {
    let csr = format!("/apply/{id}/csr");
    let subject: Vec<[&str; 2]> = three
        .subject
        .0
        .iter()
        .map(|(attribute, value)| [attribute.short_name(), value.as_str()])
        .collect();
    let json = json!({
        "step": 3,
        "resumed": three.resumed,
        "session": three.session,
        "root": {
            "certificate": "/repository/root.cer",
            "sha1": three.root.sha1,
            "sha256": three.root.sha256,
        },
        "repository": "/repository",
        "key": key_json(&three.key),
        "subject": subject,
        "csr": csr,
    });
    reply(representation, StatusCode::OK, json, |view| {
        component_step(
            pages,
            3,
            id,
            kind,
            view,
            json!([
                ["resumed", if three.resumed { "true" } else { "false" }],
                ["root-certificate", "/repository/root.cer"],
                ["root-sha1", three.root.sha1],
                ["root-sha256", three.root.sha256],
                ["repository", "/repository"],
                ["key-algorithm", three.key.algorithm],
                ["key-length", three.key.bits.to_string()],
                ["subject", view["subject"].to_string()],
                ["csr", csr],
            ]),
        )
    })
}

/// A step the enrollment component runs (2 or 3): its page, with what the component reads from
/// it (`data`: name, value pairs beside the step, application, site name and step 1).
fn component_step(
    pages: &Pages,
    step: u8,
    id: &str,
    kind: Kind,
    view: &Value,
    data: Value,
) -> String {
    let profile = pages.profile();
    let site_name = profile.site_name(kind);
    let frame = Frame {
        site_name,
        title: &profile.title(&format!("step{step}"), site_name),
        // The component shows its own way back, in each of its states.
        back: None,
    };
    let step_one = format!("/apply/{id}");
    let mut pairs = vec![
        json!(["step", step.to_string()]),
        json!(["application", id]),
        json!(["site-name", site_name]),
        json!(["step-one", step_one]),
    ];
    if let Value::Array(more) = data {
        pairs.extend(more);
    }
    let view = with_component(view, &step_one, Value::Array(pairs));
    pages.render(&format!("step{step}.html"), &frame, &view)
}

/// POST /apply/{application}/issue — the 発行 button.
async fn press_issue(
    State(site): State<Arc<Site>>,
    representation: Representation,
    Path(id): Path<String>,
    headers: HeaderMap,
    cookies: CookieJar,
) -> Answer {
    let session = session_cookie(&cookies);
    let (three, kind) = {
        let mut registration = site.registration();
        let refusing = Refusing::on(&registration, representation, &id)?;
        let fail = |r| refusing.refuse(r);
        // Checked after the application exists, before anything moves: a browser sees the
        // component message on the page where the guide's users saw it.
        registration
            .application(&id)
            .and_then(|a| a.check_session(session.as_deref()))
            .and_then(|()| require_component(&registration, &headers))
            .map_err(fail)?;
        (
            registration
                .press_issue(&id, session.as_deref())
                .map_err(fail)?,
            refusing.kind,
        )
    };
    Ok(step_three(&site.pages, representation, &id, kind, &three))
}

#[derive(serde::Deserialize)]
struct CsrForm {
    csr: String,
}

/// POST /apply/{application}/csr [STEP3-CLIENT-INSTALL]
async fn submit_csr(
    State(site): State<Arc<Site>>,
    representation: Representation,
    Path(id): Path<String>,
    headers: HeaderMap,
    cookies: CookieJar,
    body: Bytes,
) -> Answer {
    let session = session_cookie(&cookies);
    let (signing, refusing) = {
        let mut registration = site.registration();
        let refusing = Refusing::on(&registration, representation, &id)?;
        let fail = |r| refusing.refuse(r);
        registration
            .application(&id)
            .and_then(|a| a.check_session(session.as_deref()))
            .and_then(|()| require_component(&registration, &headers))
            .map_err(fail)?;
        let form: CsrForm = read_body(&headers, &body).map_err(fail)?;
        let signing = registration
            .begin_csr(&id, session.as_deref(), form.csr.as_bytes())
            .map_err(fail)?;
        (signing, refusing)
    };
    // The signature is made outside the desk's lock, on a blocking thread: enrollments in
    // flight sign on every core, and the runtime's workers keep serving meanwhile.
    let fail = |r| refusing.refuse(r);
    let kind = refusing.kind;
    let signed = {
        let _permit = site
            .signers
            .acquire()
            .await
            .map_err(|_| fail(Refusal::Internal))?;
        tokio::task::spawn_blocking(move || signing.sign())
            .await
            .map_err(|_| fail(Refusal::Internal))?
    };
    let (issued, root) = {
        let mut registration = site.registration();
        let issued = registration.finish_csr(signed).map_err(fail)?;
        (issued, registration.authority().certificate_der().to_vec())
    };
    // What CertEnroll's InstallResponse takes: the certificate and the root, certs-only.
    let pkcs7 = crate::enrollment::chain::certs_only(&[&issued.der, &root])
        .map_err(|_| fail(Refusal::Internal))?;
    let complete = format!("/apply/{id}/complete");
    let json = json!({
        "certificate": issued.pem(),
        "pkcs7": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pkcs7),
        "serial": issued.serial,
        "not_before": rfc3339(issued.not_before),
        "not_after": rfc3339(issued.not_after),
        "complete": complete,
    });
    Ok(reply(representation, StatusCode::CREATED, json, |view| {
        let profile = site.profile();
        let site_name = profile.site_name(kind);
        let frame = Frame {
            site_name,
            title: &profile.title("issued", site_name),
            back: None,
        };
        let view = json!({"certificate": describe(&issued), "complete": view["complete"]});
        site.pages.render("issued.html", &frame, &view)
    }))
}

/// A certificate as pages and answers describe it.
pub(crate) fn describe(c: &IssuedCertificate) -> Value {
    json!({
        "subject": c.subject,
        "serial": c.serial,
        "not_before": rfc3339(c.not_before),
        "not_after": rfc3339(c.not_after),
    })
}

/// POST /apply/{application}/complete → step 4.
async fn complete(
    State(site): State<Arc<Site>>,
    representation: Representation,
    Path(id): Path<String>,
    cookies: CookieJar,
) -> Answer {
    let session = session_cookie(&cookies);
    let kind = {
        let mut registration = site.registration();
        let kind = registration
            .kind_of(&id)
            .map_err(|r| SiteError::new(representation, r))?;
        registration
            .complete(&id, session.as_deref())
            .map_err(|r| SiteError::new(representation, r).on(kind))?;
        kind
    };
    let confirm = format!("{}/confirm", site.confirm_url);
    let json = json!({"step": 4, "confirm": confirm});
    Ok(reply(representation, StatusCode::OK, json, |view| {
        let profile = site.profile();
        let site_name = profile.site_name(kind);
        let frame = Frame {
            site_name,
            title: &profile.title("step4", site_name),
            back: None,
        };
        site.pages.render("step4.html", &frame, view)
    }))
}

/// GET /confirm [STEP4-CONFIRM] [CONFIRM-SITE-LISTING]
async fn confirm(
    State(site): State<Arc<Site>>,
    representation: Representation,
    tls: Option<Extension<Arc<TlsInfo>>>,
) -> Answer {
    let presented = tls
        .as_ref()
        .and_then(|Extension(info)| info.peer_certificates.first().cloned());
    let confirmation = site
        .registration()
        .confirm(presented.as_deref())
        .map_err(|r| SiteError::new(representation, r).on_confirmation_site())?;
    let profile = site.profile();
    let name = &profile.sites.confirmation;
    let title = profile.title("confirm", name);
    let listing = profile.text("CONFIRM-SITE-LISTING");
    let json = json!({
        "title": title,
        "holder": describe(&confirmation.holder),
        "listing": listing,
        "certificates": confirmation.certificates.iter().map(describe).collect::<Vec<_>>(),
    });
    Ok(reply(representation, StatusCode::OK, json, |view| {
        let frame = Frame {
            site_name: name,
            title: &title,
            back: Some(site.pages.back("/", "to_confirmation_top")),
        };
        site.pages.render("confirm.html", &frame, view)
    }))
}

/// A page the profile adds (`[[page]]`), on the issuance site; any other path is NOT-FOUND.
pub(crate) async fn extra_page(
    State(site): State<Arc<Site>>,
    representation: Representation,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    let profile = site.profile();
    let Some(page) = profile.page.iter().find(|p| p.path == uri.path()) else {
        return SiteError::new(representation, Refusal::NotFound).into_response();
    };
    if method != axum::http::Method::GET && method != axum::http::Method::HEAD {
        return SiteError::new(representation, Refusal::MethodNotAllowed).into_response();
    }
    let json = json!({"title": page.title, "path": page.path});
    reply(representation, StatusCode::OK, json, |view| {
        let frame = Frame {
            site_name: &profile.sites.issuance,
            title: &page.title,
            back: Some(site.pages.back_top()),
        };
        site.pages.render(&page.template, &frame, view)
    })
}

/// Anything else: NOT-FOUND in the site's error format.
pub(crate) async fn not_found(representation: Representation) -> SiteError {
    SiteError::new(representation, Refusal::NotFound)
}

/// A known path with a method it does not answer: METHOD-NOT-ALLOWED in the error format. A
/// browser that opens a step's POST-only URL (a bookmark, a reload, the 戻る button) is sent back
/// to step 1 of its application instead, where it can go on.
pub(crate) async fn method_not_allowed(
    State(site): State<Arc<Site>>,
    representation: Representation,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    if representation == Representation::Html
        && method == axum::http::Method::GET
        && let Some(rest) = uri.path().strip_prefix("/apply/")
        && let Some((application, _)) = rest.split_once('/')
        && site.registration().kind_of(application).is_ok()
        && let Ok(location) = HeaderValue::from_str(&format!("/apply/{application}"))
    {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    }
    SiteError::new(representation, Refusal::MethodNotAllowed).into_response()
}

#[cfg(test)]
mod tests;
