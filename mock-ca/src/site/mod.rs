//! The issuance site over HTTP: thin handlers that read a request, call the registration authority
//! and render its answer as HTML or JSON from one view.

mod documents;
pub(crate) mod faults;
mod page;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::{
    Extension, Router,
    body::Bytes,
    extract::{FromRequestParts, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use axum_server::tls::TlsInfo;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{
    application::Kind,
    authority::IssuedCertificate,
    faults::Faults,
    journal::Journal,
    refusal::Refusal,
    registration::{Opened, RegistrationAuthority, StepThree, StepTwo},
};
use page::{button, escape, layout, rows};

/// The header a program that can make keys sends: the guide's enrollment component.
pub const COMPONENT_HEADER: &str = "x-enrollment-component";

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Site {
    pub(crate) registration: Mutex<RegistrationAuthority>,
    pub(crate) journal: Mutex<Journal>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) admin_token: String,
    /// One permit per core: more signatures at once only share the cores, with a blocking
    /// thread and a context switch each.
    pub(crate) signers: tokio::sync::Semaphore,
}

impl Site {
    /// A site around `registration`, with an empty journal and no faults.
    pub(crate) fn new(registration: RegistrationAuthority, admin_token: String) -> Self {
        Self {
            registration: Mutex::new(registration),
            journal: Mutex::new(Journal::default()),
            faults: Mutex::new(Faults::default()),
            admin_token,
            signers: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            ),
        }
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

/// The public pages.
pub(crate) fn router() -> Router<Arc<Site>> {
    Router::new()
        .route("/", get(top))
        .route("/repository", get(repository))
        .route("/repository/root.cer", get(root_certificate))
        .route("/apply/{application}", get(step_one))
        .route("/apply/{application}/login", post(login))
        .route("/apply/{application}/issue", post(press_issue))
        .route("/apply/{application}/csr", post(submit_csr))
        .route("/apply/{application}/complete", post(complete))
        .route("/confirm", get(confirm))
        .route("/documents", get(documents::list))
        .route("/documents/{document}", get(documents::download))
        .method_not_allowed_fallback(method_not_allowed)
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
    pub(crate) site_name: &'static str,
    /// The supported platforms, shown with COMPONENT-UNAVAILABLE and ENV-SUPPORTED.
    pub(crate) supported: Vec<String>,
}

impl SiteError {
    pub(crate) fn new(representation: Representation, refusal: Refusal) -> Self {
        Self {
            representation,
            refusal,
            site_name: Kind::New.site_name(),
            supported: Vec::new(),
        }
    }

    /// The page is framed as the application's site (証明書更新サイト for a renewal).
    pub(crate) fn on(mut self, kind: Kind) -> Self {
        self.site_name = kind.site_name();
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
}

/// How a refusal on one application's pages is answered: in the asker's representation, under
/// the application's site name, naming the supported platforms where the refusal is about them.
struct Refusing {
    representation: Representation,
    kind: Kind,
    platforms: Vec<String>,
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
        })
    }

    fn refuse(&self, refusal: Refusal) -> SiteError {
        SiteError::new(self.representation, refusal)
            .on(self.kind)
            .supporting(&self.platforms)
    }
}

/// The HTTP status of each refusal (protocol document, "Errors").
pub(crate) fn status_of(refusal: &Refusal) -> StatusCode {
    match refusal {
        Refusal::AuthFailed | Refusal::SessionRequired | Refusal::AdminUnauthorized => {
            StatusCode::UNAUTHORIZED
        }
        Refusal::NoValidRequest | Refusal::InstallAbandoned => StatusCode::GONE,
        Refusal::CertRequestFailed(_) | Refusal::BadRequest(_) => StatusCode::BAD_REQUEST,
        Refusal::ConfirmForbidden(_) => StatusCode::FORBIDDEN,
        Refusal::ComponentUnavailable => StatusCode::PRECONDITION_REQUIRED,
        Refusal::PlatformUnsupported(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Refusal::OutOfOrder(_) => StatusCode::CONFLICT,
        Refusal::NotFound => StatusCode::NOT_FOUND,
        Refusal::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Refusal::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Refusal::FaultInjected(status) => {
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        Refusal::StorageUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Refusal::Injected(refusal) => status_of(refusal),
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for SiteError {
    fn into_response(self) -> Response {
        let refusal = &self.refusal;
        let status = status_of(refusal);
        let mut response = match self.representation {
            Representation::Json => {
                let mut error = json!({
                    "id": refusal.id(),
                    "message": refusal.message(),
                    "remedy": refusal.remedy(),
                    "detail": refusal.detail(),
                });
                if !self.supported.is_empty() {
                    error["supported"] = json!(self.supported);
                }
                (status, axum::Json(json!({ "error": error }))).into_response()
            }
            Representation::Html => {
                let remedy = refusal
                    .remedy()
                    .map(|r| format!("<p class=\"remedy\">{}</p>\n", escape(r)))
                    .unwrap_or_default();
                let supported = if self.supported.is_empty() {
                    String::new()
                } else {
                    let items: String = self
                        .supported
                        .iter()
                        .map(|p| format!("<li>{}</li>", escape(p)))
                        .collect();
                    format!(
                        "<p>対応する環境 (supported platforms):</p>\n<ul id=\"supported\">{items}</ul>\n<p>「1.2. 端末動作環境の確認」「1.3. ブラウザの設定」を参照してください。</p>\n"
                    )
                };
                let body = format!(
                    "<div class=\"error\" id=\"error\" data-catalogue-id=\"{id}\">\n<p class=\"message\">{message}</p>\n{remedy}{supported}<p class=\"id\">{id}</p>\n<p class=\"detail\">{detail}</p>\n</div>\n",
                    id = refusal.id(),
                    message = escape(refusal.message()),
                    detail = escape(&refusal.detail()),
                );
                (status, html(layout(self.site_name, "エラー", &body))).into_response()
            }
        };
        response.extensions_mut().insert(AnsweredWith(refusal.id()));
        response
    }
}

fn html(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body)
}

/// One answer, as HTML or JSON.
fn reply(
    representation: Representation,
    status: StatusCode,
    json: Value,
    page: impl FnOnce() -> String,
) -> Response {
    match representation {
        Representation::Json => (status, axum::Json(json)).into_response(),
        Representation::Html => (status, html(page())).into_response(),
    }
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
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix("session="))
        .next()
        .map(str::to_owned)
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

/// A step that needs the enrollment component: it must be declared [COMPONENT-UNAVAILABLE], on a
/// supported platform [ENV-SUPPORTED].
fn require_component(
    registration: &RegistrationAuthority,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    if declared_component(headers).is_none() {
        return Err(Refusal::ComponentUnavailable);
    }
    check_declared_platform(registration, headers)
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// GET / [SITE-REACHABLE]
async fn top(representation: Representation) -> Response {
    reply(
        representation,
        StatusCode::OK,
        json!({"site": "証明書発行サイト", "status": "ok", "repository": "/repository"}),
        || {
            layout(
                "証明書発行サイト",
                "証明書発行サイト",
                "<p id=\"status\">このサイトは稼働しています。</p>\n<p>メールで通知された URL にアクセスしてください。</p>\n<p><a href=\"/repository\">認証局の情報 (リポジトリ)</a></p>\n",
            )
        },
    )
}

/// GET /repository [REPOSITORY-PAGE]
async fn repository(State(site): State<Arc<Site>>, representation: Representation) -> Response {
    let registration = site.registration();
    let authority = registration.authority();
    let thumbprints = authority.thumbprints();
    let notice = "発行元の認証局の情報であり、実際の値は以下に公開されています";
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
    reply(representation, StatusCode::OK, json, || {
        let body = format!(
            "<p id=\"notice\">{}</p>\n{}<p><a id=\"root-download\" href=\"/repository/root.cer\">ルート CA 証明書 (DER)</a></p>\n<pre id=\"root-pem\">{}</pre>\n",
            escape(notice),
            rows(&[
                ("発行者 / Subject", authority.subject()),
                ("拇印 SHA-1", &thumbprints.sha1),
                ("拇印 SHA-256", &thumbprints.sha256),
            ]),
            escape(&authority.certificate_pem()),
        );
        layout("証明書発行サイト", "認証局の情報", &body)
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
    let site_name = kind.site_name();
    let title = format!("{site_name}【ステップ 1】");
    let login = format!("/apply/{id}/login");
    let json = json!({
        "step": 1,
        "site": match kind { Kind::New => "issuance", Kind::Renewal => "renewal" },
        "title": title,
        "login": login,
    });
    Ok(reply(representation, StatusCode::OK, json, || {
        let body = format!(
            "<form method=\"post\" action=\"{}\" id=\"login-form\">\n<p><label for=\"password\">認証情報パスワード</label>\n<input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"off\" required></p>\n<p><button type=\"submit\" id=\"login\">ログイン</button></p>\n</form>\n",
            escape(&login)
        );
        layout(site_name, &title, &body)
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
        let refusing = Refusing::on(&registration, representation, &id)?;
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
            step_two(representation, &id, kind.site_name(), &two),
        ),
        Opened::StepThree(three) => (
            three.session.clone(),
            step_three(representation, &id, kind.site_name(), &three),
        ),
    };
    let cookie = format!("session={session}; Path=/apply/{id}; Secure; HttpOnly; SameSite=Strict");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

fn key_json(key: &crate::request::KeyDescription) -> Value {
    json!({"algorithm": key.algorithm, "length": key.bits})
}

/// Step 2 [STEP2-CSP-KEYLEN]
fn step_two(representation: Representation, id: &str, site_name: &str, two: &StepTwo) -> Response {
    let issue = format!("/apply/{id}/issue");
    let json = json!({
        "step": 2,
        "session": two.session,
        "csp": two.csp,
        "key": key_json(&two.key),
        "issue": issue,
    });
    reply(representation, StatusCode::OK, json, || {
        let body = format!(
            "<p>「CSP」及び「Key 長」の表示を確認し、発行 ボタンを押します</p>\n{}{}",
            rows(&[("CSP", &two.csp), ("Key 長", &two.key.bits.to_string())]),
            button(&issue, "発行", "issue"),
        );
        layout(site_name, &format!("{site_name}【ステップ 2】"), &body)
    })
}

/// Step 3: the root, then the client certificate.
fn step_three(
    representation: Representation,
    id: &str,
    site_name: &str,
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
    reply(representation, StatusCode::OK, json, || {
        let resumed = if three.resumed {
            "<p id=\"resumed\">再度ログインしました。インストールを再開します。</p>\n"
        } else {
            ""
        };
        let body = format!(
            "{resumed}<h2>1. ルート証明書のインストール</h2>\n<p><a id=\"root-install\" href=\"/repository/root.cer\">ルート CA 証明書のインストール</a></p>\n{}<p>【注釈】 発行元の認証局の情報であり、実際の値は以下に公開されています。 <a href=\"/repository\">/repository</a></p>\n<h2>2. クライアント証明書のインストール</h2>\n<p>【注意】 [クライアント証明書のインストール]ボタンを押下した後に操作を中断した場合には、インストールが不完全であっても証明書発行サイトに再ログインができなくなります。</p>\n{}",
            rows(&[
                ("拇印 SHA-1", &three.root.sha1),
                ("拇印 SHA-256", &three.root.sha256)
            ]),
            button(&csr, "クライアント証明書のインストール", "client-install"),
        );
        layout(site_name, &format!("{site_name}【ステップ 3】"), &body)
    })
}

/// POST /apply/{application}/issue — the 発行 button.
async fn press_issue(
    State(site): State<Arc<Site>>,
    representation: Representation,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let session = session_cookie(&headers);
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
    Ok(step_three(representation, &id, kind.site_name(), &three))
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
    body: Bytes,
) -> Answer {
    let session = session_cookie(&headers);
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
    let issued = site.registration().finish_csr(signed).map_err(fail)?;
    let complete = format!("/apply/{id}/complete");
    let json = json!({
        "certificate": issued.pem(),
        "serial": issued.serial,
        "not_before": rfc3339(issued.not_before),
        "not_after": rfc3339(issued.not_after),
        "complete": complete,
    });
    Ok(reply(representation, StatusCode::CREATED, json, || {
        let body = format!(
            "<p>証明書が発行されました。</p>\n{}{}",
            certificate_rows(&issued),
            button(&complete, "OK", "complete"),
        );
        let site_name = kind.site_name();
        layout(site_name, &format!("{site_name}【ステップ 3】"), &body)
    }))
}

fn certificate_rows(certificate: &IssuedCertificate) -> String {
    rows(&[
        ("Subject", &certificate.subject),
        ("シリアル番号", &certificate.serial),
        ("有効期間 (開始)", &rfc3339(certificate.not_before)),
        ("有効期間 (終了)", &rfc3339(certificate.not_after)),
    ])
}

/// POST /apply/{application}/complete → step 4.
async fn complete(
    State(site): State<Arc<Site>>,
    representation: Representation,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let session = session_cookie(&headers);
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
    let json = json!({"step": 4, "confirm": "/confirm"});
    Ok(reply(representation, StatusCode::OK, json, || {
        let body = "<p>正しくインストールされているか確認します。次の URL を押します。</p>\n<p><a id=\"confirm\" href=\"/confirm\">証明書確認ページ</a></p>\n<p>【注意】 インストールが完了した場合には、証明書発行サイトは無効となり、ログインできません。</p>\n";
        layout(
            kind.site_name(),
            &format!("{}【ステップ 4】", kind.site_name()),
            body,
        )
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
        .map_err(|r| SiteError::new(representation, r))?;
    let listing = "アクセスすると、所持する証明書の一覧が表示されます";
    let describe = |c: &IssuedCertificate| {
        json!({
            "subject": c.subject,
            "serial": c.serial,
            "not_before": rfc3339(c.not_before),
            "not_after": rfc3339(c.not_after),
        })
    };
    let json = json!({
        "title": "証明書確認ページ",
        "holder": describe(&confirmation.holder),
        "listing": listing,
        "certificates": confirmation.certificates.iter().map(describe).collect::<Vec<_>>(),
    });
    Ok(reply(representation, StatusCode::OK, json, || {
        let mut list = String::from(
            "<table id=\"certificates\">\n<tr><th>Subject</th><th>シリアル番号</th><th>有効期間 (開始)</th><th>有効期間 (終了)</th></tr>\n",
        );
        for c in &confirmation.certificates {
            list.push_str(&format!(
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                escape(&c.subject),
                escape(&c.serial),
                escape(&rfc3339(c.not_before)),
                escape(&rfc3339(c.not_after)),
            ));
        }
        list.push_str("</table>\n");
        let body = format!(
            "<p>証明書が問題なく取得されています。</p>\n<div id=\"holder\">{}</div>\n<h2>所持する証明書の一覧</h2>\n<p>{}</p>\n{list}",
            certificate_rows(&confirmation.holder),
            escape(listing),
        );
        layout("証明書確認サイト", "証明書確認ページ", &body)
    }))
}

/// Anything else: NOT-FOUND in the site's error format.
pub(crate) async fn not_found(representation: Representation) -> SiteError {
    SiteError::new(representation, Refusal::NotFound)
}

/// A known path with a method it does not answer: METHOD-NOT-ALLOWED in the error format.
pub(crate) async fn method_not_allowed(representation: Representation) -> SiteError {
    SiteError::new(representation, Refusal::MethodNotAllowed)
}

#[cfg(test)]
mod tests;
