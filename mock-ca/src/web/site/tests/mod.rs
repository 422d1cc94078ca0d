//! The site's HTTP layer, driven in-process: requests go through the same router the server serves
//! (journal middleware, admin API, fallback included), without TLS. A client certificate is handed
//! to `/confirm` the way the TLS acceptor does it, as an `Arc<TlsInfo>` request extension.
//!
//! One module per endpoint (or family of endpoints); what they share, a [`TestSite`] and its
//! requests, is set up here.

use std::sync::Arc;

use axum::{
    Router,
    body::{Body, Bytes},
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use axum_server::tls::TlsInfo;
use http_body_util::BodyExt as _;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_RSA_SHA256, PublicKeyData as _,
    RsaKeySize,
};
use serde_json::{Value, json};
use time::{Duration, macros::datetime};
use tower::ServiceExt as _;
use x509_parser::{certificate::X509Certificate, prelude::FromDer};

use super::{COMPONENT_HEADER, Site};
use crate::{
    enrollment::application::{Attribute, Subject},
    enrollment::authority::{Authority, Thumbprints},
    enrollment::registration::RegistrationAuthority,
    enrollment::request::CertificateRequest,
    web::server::{Listener, ROOT_NAME, app},
    world::clock::Clock,
    world::entropy::SeededEntropy,
    world::outbox::Outbox,
    world::profile::Profile,
};

mod admin;
mod assets;
mod certificate;
mod confirm;
mod documents;
mod faults;
mod journal;
mod login;
mod mailbox;
mod pages;
mod processing;
mod profile;
mod steps;
mod top;

const ADMIN_TOKEN: &str = "test-admin-token";
const COMPONENT: &str = "cert-client/0.1.0 (linux)";
const JSON: &str = "application/json";

const AUTH_FAILED: &str = "認証に失敗したか、申請が承認されていません";
const NO_VALID_REQUEST: &str = "有効な証明書申請はありません";
const STEP3_ONE_WAY: &str =
    "インストールが不完全であっても証明書発行サイトに再ログインができなくなります";
const CERT_REQUEST_FAILED: &str = "証明書生成要求に失敗しました";
const CONFIRM_FORBIDDEN: &str = "このページの表示は認められていません";
const COMPONENT_UNAVAILABLE: &str = "ActiveX コンポーネントは・・・できません";
const REPOSITORY_NOTICE: &str = "発行元の認証局の情報であり、実際の値は以下に公開されています";

/// Where the test site's confirmation listener would be.
const CONFIRM_URL: &str = "https://127.0.0.1:2";

/// A site with a fresh root, a frozen clock and repeatable entropy, and the routers of its two
/// listeners: `send` hands the confirmation site's paths to the second, as the two ports would.
struct TestSite {
    site: Arc<Site>,
    app: Router,
    confirmation: Router,
}

/// An answer, read whole.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).expect("a UTF-8 body")
    }

    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a refusal in JSON: status, id and the verbatim message.
    fn assert_refused(&self, status: StatusCode, id: &str, message: &str) -> &Self {
        let body = self.json();
        assert_eq!(self.status, status, "{body}");
        assert_eq!(body["error"]["id"], id, "{body}");
        assert_eq!(body["error"]["message"], message, "{body}");
        assert!(body["error"]["detail"].is_string(), "{body}");
        self
    }

    /// Asserts a refusal as an HTML page: status, id and the verbatim message.
    fn assert_refused_html(&self, status: StatusCode, id: &str, message: &str) -> &Self {
        let page = self.text();
        assert_eq!(self.status, status, "{page}");
        assert!(
            self.content_type().starts_with("text/html"),
            "{}",
            self.content_type()
        );
        assert!(
            page.contains(&format!("data-catalogue-id=\"{id}\"")),
            "{page}"
        );
        assert!(
            page.contains(&format!("<p class=\"message\">{message}</p>")),
            "{page}"
        );
        self
    }

    /// The `session` token of the `Set-Cookie` header.
    fn session_cookie(&self) -> String {
        let cookie = self
            .headers
            .get(header::SET_COOKIE)
            .expect("a Set-Cookie header")
            .to_str()
            .unwrap();
        cookie
            .strip_prefix("session=")
            .and_then(|rest| rest.split(';').next())
            .unwrap_or_else(|| panic!("not a session cookie: {cookie}"))
            .to_owned()
    }
}

fn subject() -> Value {
    json!([
        ["C", "JP"],
        ["O", "Example Securities"],
        ["CN", "山田 太郎"]
    ])
}

impl TestSite {
    fn new() -> Self {
        Self::with_demo(false)
    }

    /// A site in demo mode (the mailbox page) or not.
    fn with_demo(demo: bool) -> Self {
        Self::with(demo, Profile::default())
    }

    /// A site serving `profile` (its policy included).
    fn with_profile(profile: Profile) -> Self {
        Self::with(false, profile)
    }

    fn with(demo: bool, profile: Profile) -> Self {
        let now = datetime!(2026-11-25 10:00 +9);
        let mut registration = RegistrationAuthority::new(
            // The checked-in test root (fixtures/pki): no RSA key made per test site.
            Authority::from_pem(test_support::pki::ROOT_PEM, test_support::pki::ROOT_KEY_PEM)
                .unwrap(),
            profile.site_policy(),
            Arc::new(Clock::frozen(now)),
            Box::new(SeededEntropy::new(1)),
            Outbox::memory(),
            "https://127.0.0.1:1".into(),
        );
        registration.set_profile(Arc::new(profile));
        let mut site = Site::new(registration, ADMIN_TOKEN.into(), CONFIRM_URL.into());
        site.demo = demo;
        let site = Arc::new(site);
        Self {
            app: app(site.clone(), Listener::Issuance),
            confirmation: app(site.clone(), Listener::Confirmation),
            site,
        }
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let path = request.uri().path();
        let router = if path == "/confirm" || path.starts_with("/documents") {
            &self.confirmation
        } else {
            &self.app
        };
        self.send_to(router, request).await
    }

    /// Sends to the issuance site whatever the path.
    async fn send_to_issuance(&self, request: Request<Body>) -> Answer {
        self.send_to(&self.app, request).await
    }

    async fn send_to(&self, router: &Router, request: Request<Body>) -> Answer {
        let response = router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes(),
        }
    }

    /// A GET, as a program (`json`) or a browser.
    async fn get(&self, path: &str, json: bool) -> Answer {
        let mut request = Request::get(path);
        if json {
            request = request.header(header::ACCEPT, JSON);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"));
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, JSON)
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        };
        self.send(request.unwrap()).await
    }

    /// Files an application through the admin API; its id.
    async fn file(&self) -> String {
        let answer = self
            .admin(
                Method::POST,
                "/admin/applications",
                Some(json!({
                    "applicant": "山田 太郎",
                    "email": "taro@example.jp",
                    "subject": subject(),
                })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        let application = answer.json();
        assert_eq!(application["state"], "filed");
        application["id"].as_str().unwrap().to_owned()
    }

    /// Files and approves an application through the admin API; its id and the password from its
    /// MAIL-PASSWORD mail.
    async fn approved(&self) -> (String, String) {
        let id = self.file().await;
        let answer = self
            .admin(
                Method::POST,
                &format!("/admin/applications/{id}/approve"),
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        assert_eq!(answer.json()["state"], "approved");
        let password = self.mailed_password(&id);
        (id, password)
    }

    /// The password, the line after `認証情報パスワード:` of the application's MAIL-PASSWORD mail.
    fn mailed_password(&self, id: &str) -> String {
        let registration = self.site.registration();
        let mail = registration
            .outbox()
            .sent()
            .iter()
            .find(|sent| sent.mail.catalogue == "MAIL-PASSWORD" && sent.mail.application == id)
            .expect("a MAIL-PASSWORD mail for the application");
        let mut lines = mail.mail.body.lines();
        lines
            .by_ref()
            .find(|line| line.trim() == "認証情報パスワード:")
            .expect("a 認証情報パスワード: line");
        let password = lines
            .next()
            .expect("a line after 認証情報パスワード:")
            .trim();
        assert!(!password.is_empty());
        password.to_owned()
    }

    async fn login(&self, id: &str, password: &str, json: bool) -> Answer {
        let mut request =
            Request::post(format!("/apply/{id}/login")).header(header::CONTENT_TYPE, JSON);
        if json {
            request = request.header(header::ACCEPT, JSON);
        }
        let body = json!({ "password": password }).to_string();
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// A step after login, as the enrollment client sends it (with the component header when
    /// `component`).
    async fn step(
        &self,
        id: &str,
        step: &str,
        session: &str,
        component: bool,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::post(format!("/apply/{id}/{step}"))
            .header(header::ACCEPT, JSON)
            .header(header::COOKIE, format!("session={session}"));
        if component {
            request = request.header(COMPONENT_HEADER, COMPONENT);
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, JSON)
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        };
        self.send(request.unwrap()).await
    }

    /// Logs in and presses 発行: the session, at step 3.
    async fn at_step_three(&self, id: &str, password: &str) -> String {
        let login = self.login(id, password, true).await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.text());
        let session = login.session_cookie();
        let issue = self.step(id, "issue", &session, true, None).await;
        assert_eq!(issue.status, StatusCode::OK, "{}", issue.text());
        assert_eq!(issue.json()["step"], 3);
        session
    }

    async fn submit_csr(&self, id: &str, session: &str, csr: &str) -> Answer {
        self.step(id, "csr", session, true, Some(json!({ "csr": csr })))
            .await
    }

    /// GET /confirm, in a TLS session described by `tls` when given.
    async fn confirm(&self, tls: Option<TlsInfo>, json: bool) -> Answer {
        let mut request = Request::get("/confirm");
        if json {
            request = request.header(header::ACCEPT, JSON);
        }
        let mut request = request.body(Body::empty()).unwrap();
        if let Some(info) = tls {
            request.extensions_mut().insert(Arc::new(info));
        }
        self.send(request).await
    }

    fn state_of(&self, id: &str) -> &'static str {
        self.site.registration().state_of(id).unwrap().name()
    }

    fn root_der(&self) -> Vec<u8> {
        self.site
            .registration()
            .authority()
            .certificate_der()
            .to_vec()
    }

    /// Runs a whole enrollment; the certificate's DER.
    async fn enrolled(&self) -> Vec<u8> {
        let (id, password) = self.approved().await;
        let session = self.at_step_three(&id, &password).await;
        let (_, csr) = csr_for(&subject(), RsaKeySize::_2048);
        let issued = self.submit_csr(&id, &session, &csr).await;
        assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text());
        let complete = self.step(&id, "complete", &session, true, None).await;
        assert_eq!(complete.status, StatusCode::OK, "{}", complete.text());
        certificate_der(issued.json()["certificate"].as_str().unwrap())
    }
}

/// A TLS session in which the client presented `der`.
fn presenting(der: Vec<u8>) -> TlsInfo {
    let mut info = TlsInfo::default();
    info.peer_certificates = vec![der];
    info
}

/// A fresh RSA key and a CSR (PEM) for `subject` as step 3 gives it: `[[attribute, value], …]`,
/// outermost first, every value a UTF8String.
fn csr_for(subject: &Value, size: RsaKeySize) -> (KeyPair, String) {
    let key = match size {
        // Checked-in keys, taken in turn (fixtures/pki/holders): no RSA-2048 key made per CSR.
        RsaKeySize::_2048 => {
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            KeyPair::from_pem(test_support::pki::holder_key(n))
        }
        other => KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, other),
    }
    .unwrap();
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    for pair in subject.as_array().expect("a subject list") {
        let (attribute, value) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
        let dn_type = match attribute {
            "C" => DnType::CountryName,
            "ST" => DnType::StateOrProvinceName,
            "L" => DnType::LocalityName,
            "O" => DnType::OrganizationName,
            "OU" => DnType::OrganizationalUnitName,
            "CN" => DnType::CommonName,
            other => panic!("unexpected attribute {other}"),
        };
        dn.push(dn_type, value);
    }
    params.distinguished_name = dn;
    let csr = params.serialize_request(&key).unwrap().pem().unwrap();
    (key, csr)
}

fn certificate_der(pem_text: &str) -> Vec<u8> {
    let parsed = pem::parse(pem_text).expect("a PEM certificate");
    assert_eq!(parsed.tag(), "CERTIFICATE");
    parsed.into_contents()
}

const ENV_SUPPORTED: &str = "正式サポート OS は、Windows 10 および Windows 11 です。";
const MAIL_REMINDER: &str = "電子証明書発行手続きのお願い";

impl TestSite {
    /// Files an application of `kind` through the admin API; its id.
    async fn file_kind(&self, kind: &str) -> String {
        let answer = self
            .admin(
                Method::POST,
                "/admin/applications",
                Some(json!({
                    "applicant": "山田 太郎",
                    "email": "taro@example.jp",
                    "subject": subject(),
                    "kind": kind,
                })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        answer.json()["id"].as_str().unwrap().to_owned()
    }

    /// The catalogue ids of the mails sent for `id`, in order.
    fn mails_of(&self, id: &str) -> Vec<String> {
        self.site
            .registration()
            .outbox()
            .sent()
            .iter()
            .filter(|m| m.mail.application == id)
            .map(|m| m.mail.catalogue.clone())
            .collect()
    }

    /// POST the admin clock endpoint `path` with `body`; the answer's JSON.
    async fn clock(&self, method: Method, path: &str, body: Value) -> Value {
        let answer = self.admin(method, path, Some(body)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        answer.json()
    }

    /// Arms a fault; its id.
    async fn arm(&self, fault: Value) -> String {
        let answer = self.admin(Method::POST, "/admin/faults", Some(fault)).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        answer.json()["id"].as_str().unwrap().to_owned()
    }

    /// Logs in, declaring the enrollment component `component`.
    async fn login_as(&self, id: &str, password: &str, component: &str) -> Answer {
        let request = Request::post(format!("/apply/{id}/login"))
            .header(header::CONTENT_TYPE, JSON)
            .header(header::ACCEPT, JSON)
            .header(COMPONENT_HEADER, component)
            .body(Body::from(json!({ "password": password }).to_string()))
            .unwrap();
        self.send(request).await
    }
}
