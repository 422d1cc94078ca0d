//! The site's HTTP layer, driven in-process: requests go through the same router the server serves
//! (journal middleware, admin API, fallback included), without TLS. A client certificate is handed
//! to `/confirm` the way the TLS acceptor does it, as an `Arc<TlsInfo>` request extension.

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
    enrollment::registration::{Policy, RegistrationAuthority},
    enrollment::request::CertificateRequest,
    web::server::{Listener, ROOT_NAME, app},
    world::clock::Clock,
    world::entropy::SeededEntropy,
    world::outbox::Outbox,
};

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
        let now = datetime!(2026-11-25 10:00 +9);
        let registration = RegistrationAuthority::new(
            Authority::generate(ROOT_NAME, now).unwrap(),
            Policy::default(),
            Arc::new(Clock::frozen(now)),
            Box::new(SeededEntropy::new(1)),
            Outbox::memory(),
            "https://127.0.0.1:1".into(),
        );
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
        RsaKeySize::_2048 => KeyPair::generate_for(&PKCS_RSA_SHA256),
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

// ---------------------------------------------------------------------------------------------
// 1. The whole flow.

#[tokio::test]
async fn a_client_enrolls_through_login_issue_csr_and_complete_and_a_second_login_finds_no_valid_request()
 {
    let site = TestSite::new();
    let (id, password) = site.approved().await;

    // Step 1 → step 2.
    let login = site.login(&id, &password, true).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text());
    let body = login.json();
    assert_eq!(body["step"], 2);
    assert_eq!(
        body["csp"],
        "Microsoft Enhanced RSA and AES Cryptographic Provider"
    );
    assert_eq!(body["key"], json!({"algorithm": "RSA", "length": 2048}));
    assert_eq!(body["issue"], format!("/apply/{id}/issue"));
    let session = login.session_cookie();
    assert_eq!(body["session"], session.as_str());
    let cookie = login.headers[header::SET_COOKIE].to_str().unwrap();
    assert_eq!(
        cookie,
        format!("session={session}; Path=/apply/{id}; Secure; HttpOnly; SameSite=Strict")
    );

    // 発行 → step 3.
    let issue = site.step(&id, "issue", &session, true, None).await;
    assert_eq!(issue.status, StatusCode::OK, "{}", issue.text());
    let three = issue.json();
    assert_eq!(three["step"], 3);
    assert_eq!(three["resumed"], false);
    assert_eq!(three["subject"], subject());
    assert_eq!(three["key"], json!({"algorithm": "RSA", "length": 2048}));
    assert_eq!(three["csr"], format!("/apply/{id}/csr"));
    let thumbprints = Thumbprints::of(&site.root_der());
    assert_eq!(three["root"]["sha1"], thumbprints.sha1.as_str());
    assert_eq!(three["root"]["sha256"], thumbprints.sha256.as_str());
    assert_eq!(site.state_of(&id), "issuing");

    // The CSR, with the subject step 3 asked for → the certificate.
    let (key, csr) = csr_for(&three["subject"], RsaKeySize::_2048);
    let issued = site.submit_csr(&id, &session, &csr).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text());
    let certificate = issued.json();
    let pem_text = certificate["certificate"].as_str().unwrap();
    assert!(
        pem_text.starts_with("-----BEGIN CERTIFICATE-----\n"),
        "{pem_text}"
    );
    assert_eq!(certificate["not_before"], "2026-11-25T10:00:00+09:00");
    assert_eq!(certificate["not_after"], "2028-11-24T10:00:00+09:00"); // + 730 days
    assert_eq!(certificate["complete"], format!("/apply/{id}/complete"));
    let der = certificate_der(pem_text);
    let (_, parsed) = X509Certificate::from_der(&der).unwrap();
    let root_der = site.root_der();
    let (_, root) = X509Certificate::from_der(&root_der).unwrap();
    parsed.verify_signature(Some(root.public_key())).unwrap();
    assert_eq!(
        parsed.public_key().raw,
        key.subject_public_key_info().as_slice()
    );
    assert_eq!(
        parsed.subject().to_string(),
        "C=JP, O=Example Securities, CN=山田 太郎"
    );
    assert_eq!(
        certificate["serial"],
        crate::enrollment::authority::hex_pairs(parsed.raw_serial()).as_str()
    );
    assert_eq!(site.state_of(&id), "issued");

    // Install finished → step 4.
    let complete = site.step(&id, "complete", &session, false, None).await;
    assert_eq!(complete.status, StatusCode::OK, "{}", complete.text());
    assert_eq!(
        complete.json(),
        json!({"step": 4, "confirm": format!("{CONFIRM_URL}/confirm")})
    );
    assert_eq!(site.state_of(&id), "completed");

    // The site is closed for this application [SITE-ONE-TIME].
    site.login(&id, &password, true).await.assert_refused(
        StatusCode::GONE,
        "NO-VALID-REQUEST",
        NO_VALID_REQUEST,
    );
    site.login(&id, &password, false).await.assert_refused_html(
        StatusCode::GONE,
        "NO-VALID-REQUEST",
        NO_VALID_REQUEST,
    );
    // Only to the holder of the password: anyone else with the URL learns nothing of the
    // application, not even that its certificate was installed.
    site.login(&id, &format!("{password}x"), true)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "AUTH-FAILED", AUTH_FAILED);
}

#[tokio::test]
async fn a_login_after_a_cancel_in_step_3_resumes_step_3_with_a_new_session() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let first = site.at_step_three(&id, &password).await;

    let again = site.login(&id, &password, true).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    let body = again.json();
    assert_eq!(body["step"], 3);
    assert_eq!(body["resumed"], true);
    assert_eq!(body["subject"], subject());
    let second = again.session_cookie();
    assert_eq!(body["session"], second.as_str());
    assert_ne!(first, second);

    // The new login replaced the old session.
    let (_, csr) = csr_for(&subject(), RsaKeySize::_2048);
    let stale = site.submit_csr(&id, &first, &csr).await;
    stale.assert_refused(
        StatusCode::UNAUTHORIZED,
        "SESSION-REQUIRED",
        "Please log in again (no valid session).",
    );
    let issued = site.submit_csr(&id, &second, &csr).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text());
}

// ---------------------------------------------------------------------------------------------
// 2, 3. Logins refused.

#[tokio::test]
async fn a_wrong_password_is_refused_with_auth_failed_in_json_and_in_html() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let wrong = format!("{password}x");

    let answer = site.login(&id, &wrong, true).await;
    answer.assert_refused(StatusCode::UNAUTHORIZED, "AUTH-FAILED", AUTH_FAILED);
    assert_eq!(
        answer.json()["error"]["remedy"],
        "パスワードを確認の上、正しく入力してください"
    );
    assert!(answer.headers.get(header::SET_COOKIE).is_none());

    let page = site.login(&id, &wrong, false).await;
    page.assert_refused_html(StatusCode::UNAUTHORIZED, "AUTH-FAILED", AUTH_FAILED);
    assert!(
        page.text()
            .contains("パスワードを確認の上、正しく入力してください")
    );
    assert_eq!(site.state_of(&id), "approved");
}

#[tokio::test]
async fn a_login_to_an_application_filed_but_not_approved_is_refused_with_auth_failed_whatever_the_password()
 {
    let site = TestSite::new();
    let id = site.file().await;
    // Not approved: it has no password yet (one is made at approval), so any guess is refused.
    let password = "Abcdefgh2345";
    assert!(
        site.site
            .registration()
            .application(&id)
            .unwrap()
            .password
            .is_none()
    );
    assert!(site.site.registration().outbox().sent().is_empty());

    site.login(&id, password, true).await.assert_refused(
        StatusCode::UNAUTHORIZED,
        "AUTH-FAILED",
        AUTH_FAILED,
    );
    site.login(&id, password, false).await.assert_refused_html(
        StatusCode::UNAUTHORIZED,
        "AUTH-FAILED",
        AUTH_FAILED,
    );
    assert_eq!(site.state_of(&id), "filed");
}

// ---------------------------------------------------------------------------------------------
// 4, 5. The confirmation page.

#[tokio::test]
async fn the_confirmation_page_without_a_client_certificate_is_forbidden_in_json_and_in_html() {
    let site = TestSite::new();
    // No TLS information at all, and a TLS session without a client certificate.
    for tls in [None, Some(TlsInfo::default())] {
        site.confirm(tls.clone(), true).await.assert_refused(
            StatusCode::FORBIDDEN,
            "CONFIRM-FORBIDDEN",
            CONFIRM_FORBIDDEN,
        );
        site.confirm(tls, false).await.assert_refused_html(
            StatusCode::FORBIDDEN,
            "CONFIRM-FORBIDDEN",
            CONFIRM_FORBIDDEN,
        );
    }
}

#[tokio::test]
async fn the_confirmation_page_shows_the_holder_of_a_certificate_of_the_issuing_root() {
    let site = TestSite::new();
    let der = site.enrolled().await;
    let (_, parsed) = X509Certificate::from_der(&der).unwrap();
    let serial = crate::enrollment::authority::hex_pairs(parsed.raw_serial());

    let answer = site.confirm(Some(presenting(der.clone())), true).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["title"], "証明書確認ページ");
    assert_eq!(
        body["holder"]["subject"],
        "CN=山田 太郎,O=Example Securities,C=JP"
    );
    assert_eq!(body["holder"]["serial"], serial.as_str());
    assert_eq!(body["holder"]["not_before"], "2026-11-25T10:00:00+09:00");
    assert_eq!(
        body["listing"],
        "アクセスすると、所持する証明書の一覧が表示されます"
    );
    assert_eq!(body["certificates"], json!([body["holder"]]));

    let page = site.confirm(Some(presenting(der)), false).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(text.contains("<h1>証明書確認ページ</h1>"), "{text}");
    assert!(
        text.contains("CN=山田 太郎,O=Example Securities,C=JP"),
        "{text}"
    );
    assert!(text.contains(&serial), "{text}");
}

#[tokio::test]
async fn the_confirmation_page_refuses_a_certificate_from_another_root_even_with_the_same_names_and_serial()
 {
    let site = TestSite::new();
    let genuine = site.enrolled().await;
    let (_, parsed) = X509Certificate::from_der(&genuine).unwrap();

    // Another root with the same name signs a certificate with the same subject and serial.
    let now = site.site.registration().now();
    let other = Authority::generate(ROOT_NAME, now).unwrap();
    let (_, csr) = csr_for(&subject(), RsaKeySize::_2048);
    let request = CertificateRequest::parse(csr.as_bytes()).unwrap();
    let application_subject = Subject(vec![
        (Attribute::C, "JP".into()),
        (Attribute::O, "Example Securities".into()),
        (Attribute::CN, "山田 太郎".into()),
    ]);
    let forged = other
        .issue(
            &request,
            &application_subject,
            parsed.raw_serial(),
            now,
            now + Duration::days(30),
        )
        .unwrap();

    let answer = site
        .confirm(Some(presenting(forged.der.clone())), true)
        .await;
    answer.assert_refused(
        StatusCode::FORBIDDEN,
        "CONFIRM-FORBIDDEN",
        CONFIRM_FORBIDDEN,
    );
    let detail = answer.json()["error"]["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("not issued by this site's root"),
        "{detail}"
    );
    site.confirm(Some(presenting(forged.der)), false)
        .await
        .assert_refused_html(
            StatusCode::FORBIDDEN,
            "CONFIRM-FORBIDDEN",
            CONFIRM_FORBIDDEN,
        );
    // Bytes that are no certificate at all.
    site.confirm(Some(presenting(b"not a certificate".to_vec())), true)
        .await
        .assert_refused(
            StatusCode::FORBIDDEN,
            "CONFIRM-FORBIDDEN",
            CONFIRM_FORBIDDEN,
        );
}

#[tokio::test]
async fn the_confirmation_page_refuses_a_certificate_that_has_expired_by_the_sites_clock() {
    let site = TestSite::new();
    let der = site.enrolled().await;
    // Still valid on its last day...
    site.site
        .registration()
        .clock()
        .advance(Duration::days(729));
    let answer = site.confirm(Some(presenting(der.clone())), true).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    // ...not after it.
    site.site.registration().clock().advance(Duration::days(2));
    let answer = site.confirm(Some(presenting(der)), true).await;
    answer.assert_refused(
        StatusCode::FORBIDDEN,
        "CONFIRM-FORBIDDEN",
        CONFIRM_FORBIDDEN,
    );
    let detail = answer.json()["error"]["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("expired"), "{detail}");
}

// ---------------------------------------------------------------------------------------------
// 6. Step 3 refused.

#[tokio::test]
async fn issue_without_the_enrollment_component_is_refused_with_component_unavailable() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let session = site.login(&id, &password, true).await.session_cookie();

    site.step(&id, "issue", &session, false, None)
        .await
        .assert_refused(
            StatusCode::PRECONDITION_REQUIRED,
            "COMPONENT-UNAVAILABLE",
            COMPONENT_UNAVAILABLE,
        );
    // A browser sees the message on the page.
    let page = site
        .send(
            Request::post(format!("/apply/{id}/issue"))
                .header(header::COOKIE, format!("session={session}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    page.assert_refused_html(
        StatusCode::PRECONDITION_REQUIRED,
        "COMPONENT-UNAVAILABLE",
        COMPONENT_UNAVAILABLE,
    );
    assert_eq!(site.state_of(&id), "approved");

    // A CSR without the component is refused the same way.
    let session = site.at_step_three(&id, &password).await;
    let (_, csr) = csr_for(&subject(), RsaKeySize::_2048);
    site.step(&id, "csr", &session, false, Some(json!({ "csr": csr })))
        .await
        .assert_refused(
            StatusCode::PRECONDITION_REQUIRED,
            "COMPONENT-UNAVAILABLE",
            COMPONENT_UNAVAILABLE,
        );
    assert_eq!(site.state_of(&id), "issuing");
}

#[tokio::test]
async fn a_csr_with_an_rsa_3072_key_is_refused_with_cert_request_failed() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let session = site.at_step_three(&id, &password).await;

    let (_, csr) = csr_for(&subject(), RsaKeySize::_3072);
    let answer = site.submit_csr(&id, &session, &csr).await;
    answer.assert_refused(
        StatusCode::BAD_REQUEST,
        "CERT-REQUEST-FAILED",
        CERT_REQUEST_FAILED,
    );
    let detail = answer.json()["error"]["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("RSA 3072") && detail.contains("RSA 2048"),
        "{detail}"
    );
    assert_eq!(
        site.state_of(&id),
        "issuing",
        "a refused CSR does not move the application"
    );
}

#[tokio::test]
async fn a_csr_whose_subject_is_not_the_applications_is_refused_with_cert_request_failed() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let session = site.at_step_three(&id, &password).await;

    for wrong in [
        json!([
            ["C", "JP"],
            ["O", "Example Securities"],
            ["CN", "山田 花子"]
        ]),
        json!([["C", "JP"], ["CN", "山田 太郎"]]),
        json!([
            ["CN", "山田 太郎"],
            ["O", "Example Securities"],
            ["C", "JP"]
        ]),
    ] {
        let (_, csr) = csr_for(&wrong, RsaKeySize::_2048);
        let answer = site.submit_csr(&id, &session, &csr).await;
        answer.assert_refused(
            StatusCode::BAD_REQUEST,
            "CERT-REQUEST-FAILED",
            CERT_REQUEST_FAILED,
        );
        let detail = answer.json()["error"]["detail"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(detail.contains("subject"), "{detail}");
    }
    // In HTML too.
    let (_, csr) = csr_for(&json!([["CN", "someone else"]]), RsaKeySize::_2048);
    let page = site
        .send(
            Request::post(format!("/apply/{id}/csr"))
                .header(header::COOKIE, format!("session={session}"))
                .header(COMPONENT_HEADER, COMPONENT)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(
                    serde_urlencoded::to_string([("csr", csr.as_str())]).unwrap(),
                ))
                .unwrap(),
        )
        .await;
    page.assert_refused_html(
        StatusCode::BAD_REQUEST,
        "CERT-REQUEST-FAILED",
        CERT_REQUEST_FAILED,
    );
    assert_eq!(site.state_of(&id), "issuing");
}

#[tokio::test]
async fn a_csr_that_is_not_a_certificate_request_is_refused_with_cert_request_failed() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let session = site.at_step_three(&id, &password).await;

    let not_pem = "garbage";
    let bad_der =
        "-----BEGIN CERTIFICATE REQUEST-----\nAAECAwQF\n-----END CERTIFICATE REQUEST-----\n";
    for csr in [not_pem, bad_der] {
        site.submit_csr(&id, &session, csr).await.assert_refused(
            StatusCode::BAD_REQUEST,
            "CERT-REQUEST-FAILED",
            CERT_REQUEST_FAILED,
        );
    }
    assert_eq!(site.state_of(&id), "issuing");

    // The application still takes a good CSR after the refusals.
    let (_, csr) = csr_for(&subject(), RsaKeySize::_2048);
    let issued = site.submit_csr(&id, &session, &csr).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text());
}

#[tokio::test]
async fn a_login_after_a_csr_was_accepted_but_before_complete_is_refused_with_step3_one_way() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let session = site.at_step_three(&id, &password).await;
    let (_, csr) = csr_for(&subject(), RsaKeySize::_2048);
    let issued = site.submit_csr(&id, &session, &csr).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text());

    let answer = site.login(&id, &password, true).await;
    answer.assert_refused(StatusCode::GONE, "STEP3-ONE-WAY", STEP3_ONE_WAY);
    assert_eq!(
        answer.json()["error"]["remedy"],
        "電子証明書の発行申請からやり直してください"
    );
    site.login(&id, &password, false).await.assert_refused_html(
        StatusCode::GONE,
        "STEP3-ONE-WAY",
        STEP3_ONE_WAY,
    );
    // A wrong password learns nothing of the state: AUTH-FAILED, as for any application.
    site.login(&id, "wrong", false).await.assert_refused_html(
        StatusCode::UNAUTHORIZED,
        "AUTH-FAILED",
        AUTH_FAILED,
    );
    assert_eq!(site.state_of(&id), "issued");
}

// ---------------------------------------------------------------------------------------------
// 7. Admin API, unknown paths, the journal.

#[tokio::test]
async fn admin_requests_without_the_right_bearer_token_are_refused_with_admin_unauthorized() {
    let site = TestSite::new();
    let message = "The admin API needs its bearer token.";
    for authorization in [
        None,
        Some("Bearer wrong"),
        Some(ADMIN_TOKEN),
        Some("Basic dGVzdA=="),
    ] {
        let mut request = Request::get("/admin/applications");
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        site.send(request.body(Body::empty()).unwrap())
            .await
            .assert_refused(StatusCode::UNAUTHORIZED, "ADMIN-UNAUTHORIZED", message);
    }
    // Filing without the token files nothing.
    let filing = Request::post("/admin/applications")
        .header(header::CONTENT_TYPE, JSON)
        .body(Body::from(
            json!({"applicant": "x", "email": "x@example.jp", "subject": subject()}).to_string(),
        ))
        .unwrap();
    site.send(filing)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "ADMIN-UNAUTHORIZED", message);
    assert_eq!(site.site.registration().applications().count(), 0);
}

#[tokio::test]
async fn an_unknown_path_or_application_answers_not_found_in_the_error_format() {
    let site = TestSite::new();
    site.get("/no/such/page", true).await.assert_refused(
        StatusCode::NOT_FOUND,
        "NOT-FOUND",
        "Not found.",
    );
    // A person reads Japanese first; the English message is kept for support.
    let page = site.get("/no/such/page", false).await;
    page.assert_refused_html(
        StatusCode::NOT_FOUND,
        "NOT-FOUND",
        "お探しのページは見つかりませんでした",
    );
    assert!(page.text().contains("<p class=\"english\">Not found.</p>"));
    assert!(page.text().contains("id=\"back\""), "a way back");
    site.get("/apply/ap-9999", true).await.assert_refused(
        StatusCode::NOT_FOUND,
        "NOT-FOUND",
        "Not found.",
    );
    site.login("ap-9999", "password", true)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "NOT-FOUND", "Not found.");
}

#[tokio::test]
async fn the_journal_lists_public_requests_with_their_error_ids_and_leaves_out_admin_requests() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    assert_eq!(
        site.get(&format!("/apply/{id}"), true).await.status,
        StatusCode::OK
    );
    site.login(&id, "wrong", true).await;
    site.login(&id, &password, false).await;
    site.get("/nowhere", true).await;
    site.get("/administrator", true).await; // a public path, not the admin API
    site.send(Request::get("/admin/journal").body(Body::empty()).unwrap())
        .await; // refused, and still not journalled

    let journal = site.admin(Method::GET, "/admin/journal", None).await;
    assert_eq!(journal.status, StatusCode::OK, "{}", journal.text());
    let entries: Vec<Value> = journal
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            json!([
                entry["method"],
                entry["path"],
                entry["status"],
                entry["error"]
            ])
        })
        .collect();
    let login = format!("/apply/{id}/login");
    assert_eq!(
        entries,
        vec![
            json!(["GET", format!("/apply/{id}"), 200, null]),
            json!(["POST", login, 401, "AUTH-FAILED"]),
            json!(["POST", login, 200, null]),
            json!(["GET", "/nowhere", 404, "NOT-FOUND"]),
            json!(["GET", "/administrator", 404, "NOT-FOUND"]),
        ]
    );
    let seqs: Vec<u64> = journal
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);

    // DELETE empties it; numbering goes on.
    let cleared = site.admin(Method::DELETE, "/admin/journal", None).await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    site.get("/", true).await;
    let journal = site.admin(Method::GET, "/admin/journal", None).await.json();
    assert_eq!(
        journal,
        json!([{"seq": 6, "method": "GET", "path": "/", "status": 200, "error": null,
                "at": "2026-11-25T10:00:00+09:00",
                "body": {"site": "証明書発行サイト", "status": "ok", "repository": "/repository",
                         "confirm": format!("{CONFIRM_URL}/confirm")}}])
    );
}

// ---------------------------------------------------------------------------------------------
// 8. The public pages.

#[tokio::test]
async fn the_top_page_answers_that_the_site_is_reachable() {
    let site = TestSite::new();
    let answer = site.get("/", true).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({"site": "証明書発行サイト", "status": "ok", "repository": "/repository",
               "confirm": format!("{CONFIRM_URL}/confirm")})
    );
    let page = site.get("/", false).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type().starts_with("text/html"));
    assert!(page.text().contains("<h1>証明書発行サイト</h1>"));
}

#[tokio::test]
async fn the_repository_page_publishes_the_issuing_roots_thumbprints() {
    let site = TestSite::new();
    let root_der = site.root_der();
    let thumbprints = Thumbprints::of(&root_der);

    let answer = site.get("/repository", true).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["notice"], REPOSITORY_NOTICE);
    assert_eq!(body["root"]["certificate"], "/repository/root.cer");
    assert_eq!(body["root"]["sha1"], thumbprints.sha1.as_str());
    assert_eq!(body["root"]["sha256"], thumbprints.sha256.as_str());
    assert_eq!(thumbprints.sha1.len(), 20 * 3 - 1);
    assert_eq!(thumbprints.sha256.len(), 32 * 3 - 1);
    assert!(
        body["root"]["subject"]
            .as_str()
            .unwrap()
            .contains(ROOT_NAME)
    );
    assert_eq!(
        certificate_der(body["root"]["pem"].as_str().unwrap()),
        root_der
    );

    let page = site.get("/repository", false).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(text.contains(REPOSITORY_NOTICE), "{text}");
    assert!(
        text.contains(&thumbprints.sha1) && text.contains(&thumbprints.sha256),
        "{text}"
    );
}

#[tokio::test]
async fn the_root_certificate_downloads_as_der() {
    let site = TestSite::new();
    let answer = site.get("/repository/root.cer", false).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), "application/pkix-cert");
    assert_eq!(answer.body.to_vec(), site.root_der());
    let (_, root) = X509Certificate::from_der(&answer.body).unwrap();
    assert!(root.is_ca());
}

// ---------------------------------------------------------------------------------------------
// 9. Issue 3: every server answer of the guide, the admin API's scripting, the mails by the clock.

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

#[tokio::test]
async fn a_program_declaring_an_unsupported_platform_is_refused_with_env_supported_and_the_supported_list()
 {
    let site = TestSite::new();
    let (id, password) = site.approved().await;

    let answer = site
        .login_as(&id, &password, "cert-client/0.1.0 (haiku)")
        .await;
    answer.assert_refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        "ENV-SUPPORTED",
        ENV_SUPPORTED,
    );
    assert_eq!(
        answer.json()["error"]["supported"],
        json!(["windows 10", "windows 11", "linux", "macos"])
    );
    assert_eq!(site.state_of(&id), "approved", "nothing moved");

    // Supported ones, whatever their case and version, log in.
    let answer = site
        .login_as(&id, &password, "cert-client/0.1.0 (Windows 11)")
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let session = answer.session_cookie();

    // 発行 with an unsupported platform: refused, in HTML too, with the list.
    let page = site
        .send(
            Request::post(format!("/apply/{id}/issue"))
                .header(header::COOKIE, format!("session={session}"))
                .header(COMPONENT_HEADER, "some-browser/1.0 (freebsd)")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    page.assert_refused_html(
        StatusCode::UNPROCESSABLE_ENTITY,
        "ENV-SUPPORTED",
        ENV_SUPPORTED,
    );
    assert!(
        page.text()
            .contains("<ul id=\"supported\"><li data-platform=\"windows 10\">Windows 10</li><li data-platform=\"windows 11\">Windows 11</li><li data-platform=\"linux\">Linux</li><li data-platform=\"macos\">macOS</li></ul>"),
        "{}",
        page.text()
    );
    assert_eq!(site.state_of(&id), "approved");
}

#[tokio::test]
async fn a_visitor_without_the_component_gets_component_unavailable_with_the_supported_list_instead_of_step_3()
 {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let session = site.login(&id, &password, true).await.session_cookie();
    let answer = site.step(&id, "issue", &session, false, None).await;
    answer.assert_refused(
        StatusCode::PRECONDITION_REQUIRED,
        "COMPONENT-UNAVAILABLE",
        COMPONENT_UNAVAILABLE,
    );
    assert_eq!(
        answer.json()["error"]["supported"],
        json!(["windows 10", "windows 11", "linux", "macos"])
    );
    assert_eq!(
        answer.json()["error"]["remedy"],
        "Microsoft Edge (Internet Explorer モード) の設定が行われていません。(「1.3. ブラウザの設定」を参照してください)"
    );
}

#[tokio::test]
async fn a_csr_with_a_bad_signature_is_refused_with_cert_request_failed() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let session = site.at_step_three(&id, &password).await;

    let (_, csr) = csr_for(&subject(), RsaKeySize::_2048);
    let mut der = pem::parse(&csr).unwrap().into_contents();
    // The signature is the last bytes of the request: flip one.
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let tampered = crate::enrollment::authority::pem_encode("CERTIFICATE REQUEST", &der);
    let answer = site.submit_csr(&id, &session, &tampered).await;
    answer.assert_refused(
        StatusCode::BAD_REQUEST,
        "CERT-REQUEST-FAILED",
        CERT_REQUEST_FAILED,
    );
    assert_eq!(
        answer.json()["error"]["remedy"],
        "お使いのブラウザの設定を確認してください"
    );
    let detail = answer.json()["error"]["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("signature"), "{detail}");
    assert_eq!(site.state_of(&id), "issuing");
}

#[tokio::test]
async fn the_confirmation_page_refuses_a_certificate_not_yet_valid_by_the_sites_clock() {
    let site = TestSite::new();
    let der = site.enrolled().await;
    site.site
        .registration()
        .clock()
        .advance(-Duration::minutes(1));
    let answer = site.confirm(Some(presenting(der)), true).await;
    answer.assert_refused(
        StatusCode::FORBIDDEN,
        "CONFIRM-FORBIDDEN",
        CONFIRM_FORBIDDEN,
    );
    let detail = answer.json()["error"]["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("not yet valid"), "{detail}");
}

#[tokio::test]
async fn the_confirmation_page_lists_every_certificate_of_the_holder_newest_first() {
    let site = TestSite::new();
    let first = site.enrolled().await;
    // A renewal a month later, for the same subject (OTHER-PC: 更新・再発行).
    site.site.registration().clock().advance(Duration::days(30));
    let id = site.file_kind("renewal").await;
    site.admin(
        Method::POST,
        &format!("/admin/applications/{id}/approve"),
        None,
    )
    .await;
    let password = site.mailed_password(&id);
    let session = site.at_step_three(&id, &password).await;
    let (_, csr) = csr_for(&subject(), RsaKeySize::_2048);
    let issued = site.submit_csr(&id, &session, &csr).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text());
    let second = issued.json();

    // Presenting the older one lists both, the newer first.
    let answer = site.confirm(Some(presenting(first)), true).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let body = answer.json();
    assert_eq!(
        body["listing"],
        "アクセスすると、所持する証明書の一覧が表示されます"
    );
    let listed: Vec<&str> = body["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["not_before"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        ["2026-12-25T10:00:00+09:00", "2026-11-25T10:00:00+09:00"]
    );
    assert_eq!(body["certificates"][0]["serial"], second["serial"]);
    let page = site
        .confirm(
            Some(presenting(certificate_der(
                second["certificate"].as_str().unwrap(),
            ))),
            false,
        )
        .await;
    let text = page.text();
    let newer = text.find("2026-12-25T10:00:00+09:00").unwrap();
    let older = text.rfind("2026-11-25T10:00:00+09:00").unwrap();
    assert!(newer < older, "{text}");
}

#[tokio::test]
async fn a_renewal_application_is_served_as_the_renewal_site_with_its_error_pages() {
    let site = TestSite::new();
    let id = site.file_kind("renewal").await;
    site.admin(
        Method::POST,
        &format!("/admin/applications/{id}/approve"),
        None,
    )
    .await;
    let password = site.mailed_password(&id);

    let step_one = site.get(&format!("/apply/{id}"), true).await.json();
    assert_eq!(step_one["site"], "renewal");
    assert_eq!(step_one["title"], "証明書更新サイト【ステップ 1】");
    let page = site.get(&format!("/apply/{id}"), false).await.text();
    assert!(
        page.contains("<h1>証明書更新サイト【ステップ 1】</h1>"),
        "{page}"
    );
    assert!(site.mails_of(&id).len() == 2);
    let mail = &site.site.registration().outbox().sent()[0]
        .mail
        .body
        .clone();
    assert!(mail.contains("証明書更新サイト"), "{mail}");

    // A refusal is framed as the renewal site.
    let refused = site.login(&id, "wrong", false).await;
    refused.assert_refused_html(StatusCode::UNAUTHORIZED, "AUTH-FAILED", AUTH_FAILED);
    assert!(
        refused.text().contains("<header>証明書更新サイト</header>"),
        "{}",
        refused.text()
    );

    let login = site.login(&id, &password, false).await;
    assert!(
        login
            .text()
            .contains("<h1>証明書更新サイト【ステップ 2】</h1>")
    );
    let session = login.session_cookie();
    let no_component = site
        .send(
            Request::post(format!("/apply/{id}/issue"))
                .header(header::COOKIE, format!("session={session}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    no_component.assert_refused_html(
        StatusCode::PRECONDITION_REQUIRED,
        "COMPONENT-UNAVAILABLE",
        COMPONENT_UNAVAILABLE,
    );
    assert!(
        no_component
            .text()
            .contains("<header>証明書更新サイト</header>")
    );
}

#[tokio::test]
async fn a_withdrawn_application_answers_no_valid_request_and_gets_no_reminders() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let withdrawn = site
        .admin(
            Method::POST,
            &format!("/admin/applications/{id}/withdraw"),
            None,
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());
    assert_eq!(withdrawn.json()["state"], "withdrawn");
    site.login(&id, &password, true).await.assert_refused(
        StatusCode::GONE,
        "NO-VALID-REQUEST",
        NO_VALID_REQUEST,
    );
    site.clock(Method::POST, "/admin/clock/advance", json!({"days": 30}))
        .await;
    assert_eq!(site.mails_of(&id), ["MAIL-URL", "MAIL-PASSWORD"]);
    // Twice is out of order.
    let again = site
        .admin(
            Method::POST,
            &format!("/admin/applications/{id}/withdraw"),
            None,
        )
        .await;
    again.assert_refused(
        StatusCode::CONFLICT,
        "OUT-OF-ORDER",
        "This step is not available now.",
    );
}

#[tokio::test]
async fn an_application_filed_at_14_00_with_auto_approval_gets_its_mails_on_the_next_processing_day()
 {
    let site = TestSite::new();
    let on = site
        .admin(
            Method::PUT,
            "/admin/auto-approve",
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(on.json(), json!({"enabled": true}));

    // 13:59 on a Wednesday: processed at once.
    site.clock(
        Method::PUT,
        "/admin/clock",
        json!({"now": "2026-11-25T13:59:00+09:00"}),
    )
    .await;
    let early = site.file_kind("new").await;
    assert_eq!(site.state_of(&early), "approved");
    assert_eq!(site.mails_of(&early), ["MAIL-URL", "MAIL-PASSWORD"]);

    // 14:00: filed, not approved, no mails, and a login says so (AUTH-FAILED).
    site.clock(Method::POST, "/admin/clock/advance", json!({"minutes": 1}))
        .await;
    let late = site.file_kind("new").await;
    let inspected = site
        .admin(Method::GET, &format!("/admin/applications/{late}"), None)
        .await
        .json();
    assert_eq!(inspected["state"], "filed");
    assert_eq!(inspected["filed_at"], "2026-11-25T14:00:00+09:00");
    assert_eq!(inspected["approve_at"], "2026-11-26T09:00:00+09:00");
    assert!(site.mails_of(&late).is_empty());
    let password = "Abcdefgh2345";
    site.login(&late, password, true).await.assert_refused(
        StatusCode::UNAUTHORIZED,
        "AUTH-FAILED",
        AUTH_FAILED,
    );

    // Still nothing at 08:59 the next day; the mails at 09:00.
    let clock = site
        .clock(
            Method::PUT,
            "/admin/clock",
            json!({"now": "2026-11-26T08:59:59+09:00"}),
        )
        .await;
    assert_eq!(clock["mails_sent"], 0);
    assert!(site.mails_of(&late).is_empty());
    let clock = site
        .clock(Method::POST, "/admin/clock/advance", json!({"seconds": 1}))
        .await;
    assert_eq!(clock["now"], "2026-11-26T09:00:00+09:00");
    assert_eq!(clock["mails_sent"], 2);
    assert_eq!(site.mails_of(&late), ["MAIL-URL", "MAIL-PASSWORD"]);
    assert_eq!(site.state_of(&late), "approved");
    let sent_at = site
        .site
        .registration()
        .outbox()
        .sent()
        .last()
        .unwrap()
        .sent_at;
    assert_eq!(sent_at, datetime!(2026-11-26 09:00 +9));
}

#[tokio::test]
async fn an_application_filed_on_friday_afternoon_is_processed_on_monday_by_the_periodic_tick() {
    let site = TestSite::new();
    site.site.registration().set_auto_approve(true).unwrap();
    site.site
        .registration()
        .clock()
        .set(datetime!(2026-11-27 15:00 +9)); // Friday
    let id = site.file_kind("new").await;
    site.site
        .registration()
        .clock()
        .set(datetime!(2026-11-29 23:59 +9)); // Sunday
    assert_eq!(site.site.registration().tick().unwrap(), 0);
    site.site
        .registration()
        .clock()
        .set(datetime!(2026-11-30 09:00 +9)); // Monday
    assert_eq!(site.site.registration().tick().unwrap(), 2);
    assert_eq!(site.mails_of(&id), ["MAIL-URL", "MAIL-PASSWORD"]);
}

#[tokio::test]
async fn an_approved_application_not_completed_is_reminded_once_per_interval() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let done = site.enrolled().await; // a second application, completed: never reminded
    drop(done);

    let advance =
        |days: i64| site.clock(Method::POST, "/admin/clock/advance", json!({"days": days}));
    assert_eq!(advance(6).await["mails_sent"], 0);
    assert_eq!(advance(1).await["mails_sent"], 1); // day 7
    assert_eq!(
        site.mails_of(&id),
        ["MAIL-URL", "MAIL-PASSWORD", "MAIL-REMINDER"]
    );
    assert_eq!(advance(6).await["mails_sent"], 0); // day 13: once per interval
    // A jump over several intervals sends one reminder, not a pile.
    assert_eq!(advance(30).await["mails_sent"], 1);
    let reminders = site
        .admin(
            Method::GET,
            &format!("/admin/outbox?application={id}&catalogue=MAIL-REMINDER"),
            None,
        )
        .await
        .json();
    assert_eq!(reminders.as_array().unwrap().len(), 2, "{reminders}");
    assert_eq!(reminders[0]["subject"], MAIL_REMINDER);
    assert_eq!(reminders[0]["sent_at"], "2026-12-02T10:00:00+09:00");

    // A real RFC 5322 message with its subject RFC 2047-encoded, the URL inside.
    let raw = site
        .admin(
            Method::GET,
            &format!("/admin/outbox/{}", reminders[0]["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(raw.content_type(), "message/rfc822");
    let text = raw.text();
    assert!(
        text.is_ascii() && text.contains("Subject: =?utf-8?"),
        "{text}"
    );
    assert!(text.contains("X-Catalogue-Id: MAIL-REMINDER"), "{text}");
    let sent = site.site.registration().outbox().sent().to_vec();
    let body = &sent
        .iter()
        .find(|m| m.mail.catalogue == "MAIL-REMINDER")
        .unwrap()
        .mail
        .body;
    assert!(
        body.contains(&format!("https://127.0.0.1:1/apply/{id}")),
        "{body}"
    );

    // The login still works (MAIL-NO-DEADLINE), and once completed the reminders stop.
    let session = site.at_step_three(&id, &password).await;
    let (_, csr) = csr_for(&subject(), RsaKeySize::_2048);
    assert_eq!(
        site.submit_csr(&id, &session, &csr).await.status,
        StatusCode::CREATED
    );
    site.step(&id, "complete", &session, true, None).await;
    assert_eq!(advance(60).await["mails_sent"], 0);
}

#[tokio::test]
async fn the_url_and_password_never_expire() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    site.site.registration().set_auto_approve(false).unwrap();
    site.clock(Method::POST, "/admin/clock/advance", json!({"days": 3650}))
        .await;
    let page = site.get(&format!("/apply/{id}"), true).await;
    assert_eq!(page.status, StatusCode::OK);
    let login = site.login(&id, &password, true).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text());
    assert_eq!(login.json()["step"], 2);
}

#[tokio::test]
async fn the_admin_clock_reads_sets_freezes_and_advances() {
    let site = TestSite::new();
    let read = site.admin(Method::GET, "/admin/clock", None).await.json();
    assert_eq!(read["now"], "2026-11-25T10:00:00+09:00");
    assert_eq!(read["frozen"], true);
    let set = site
        .clock(
            Method::PUT,
            "/admin/clock",
            json!({"now": "2027-01-04T00:00:00Z", "frozen": true}),
        )
        .await;
    assert_eq!(set["now"], "2027-01-04T09:00:00+09:00");
    let advanced = site
        .clock(
            Method::POST,
            "/admin/clock/advance",
            json!({"days": 1, "hours": 2, "minutes": 3, "seconds": 4}),
        )
        .await;
    assert_eq!(advanced["now"], "2027-01-05T11:03:04+09:00");
    site.admin(
        Method::PUT,
        "/admin/clock",
        Some(json!({"now": "yesterday"})),
    )
    .await
    .assert_refused(
        StatusCode::BAD_REQUEST,
        "BAD-REQUEST",
        "The request could not be read.",
    );
    // Beyond the calendar is refused, not a panic.
    site.admin(
        Method::POST,
        "/admin/clock/advance",
        Some(json!({"days": 9_000_000})),
    )
    .await
    .assert_refused(
        StatusCode::BAD_REQUEST,
        "BAD-REQUEST",
        "The request could not be read.",
    );
    // Running from a time set.
    let running = site
        .clock(
            Method::PUT,
            "/admin/clock",
            json!({"now": "2030-01-01T00:00:00+09:00", "frozen": false}),
        )
        .await;
    assert_eq!(running["frozen"], false);
}

#[tokio::test]
async fn an_armed_fault_answers_a_catalogue_error_for_the_next_n_requests_of_its_endpoint() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let fault = site
        .arm(json!({"endpoint": "login", "times": 2, "effect": {"kind": "error", "id": "NO-VALID-REQUEST"}}))
        .await;
    let listed = site.admin(Method::GET, "/admin/faults", None).await.json();
    assert_eq!(listed[0]["id"], fault.as_str());
    assert_eq!(listed[0]["hits"], 0);

    assert_eq!(
        site.get("/", true).await.status,
        StatusCode::OK,
        "other endpoints are untouched"
    );
    for _ in 0..2 {
        let answer = site.login(&id, &password, true).await;
        answer.assert_refused(StatusCode::GONE, "NO-VALID-REQUEST", NO_VALID_REQUEST);
        assert_eq!(answer.json()["error"]["detail"], "injected fault");
        assert_eq!(
            answer.json()["error"]["remedy"],
            "既に URL にアクセスして証明書を発行された後ではありませんか"
        );
    }
    assert_eq!(
        site.login(&id, &password, true).await.status,
        StatusCode::OK
    );
    assert_eq!(
        site.admin(Method::GET, "/admin/faults", None).await.json(),
        json!([])
    );

    let journal = site
        .admin(
            Method::GET,
            &format!("/admin/journal?path=/apply/{id}/login"),
            None,
        )
        .await
        .json();
    let faults: Vec<&Value> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["fault"])
        .collect();
    assert_eq!(faults, [&json!("error"), &json!("error"), &Value::Null]);
}

#[tokio::test]
async fn an_armed_status_fault_scoped_to_one_application_leaves_the_others_alone() {
    let site = TestSite::new();
    let (first, _) = site.approved().await;
    let (second, _) = site.approved().await;
    site.arm(json!({"application": second, "forever": true, "effect": {"kind": "status", "status": 503}}))
        .await;
    assert_eq!(
        site.get(&format!("/apply/{first}"), true).await.status,
        StatusCode::OK
    );
    for _ in 0..3 {
        site.get(&format!("/apply/{second}"), true)
            .await
            .assert_refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "FAULT-INJECTED",
                "Injected fault.",
            );
    }
    let cleared = site.admin(Method::DELETE, "/admin/faults", None).await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    assert_eq!(
        site.get(&format!("/apply/{second}"), true).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn faults_that_cannot_be_carried_out_are_refused_and_one_can_be_disarmed_by_id() {
    let site = TestSite::new();
    for bad in [
        json!({"effect": {"kind": "error", "id": "NOT-AN-ID"}}),
        json!({"effect": {"kind": "status", "status": 200}}),
        json!({"effect": {"kind": "reset"}, "probability": 1.5}),
        json!({"effect": {"kind": "explode"}}),
        json!({"endpoint": "nowhere", "effect": {"kind": "reset"}}),
    ] {
        site.admin(Method::POST, "/admin/faults", Some(bad))
            .await
            .assert_refused(
                StatusCode::BAD_REQUEST,
                "BAD-REQUEST",
                "The request could not be read.",
            );
    }
    let id = site.arm(json!({"effect": {"kind": "reset"}})).await;
    let gone = site
        .admin(Method::DELETE, &format!("/admin/faults/{id}"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    site.admin(Method::DELETE, &format!("/admin/faults/{id}"), None)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "NOT-FOUND", "Not found.");
}

#[tokio::test(start_paused = true)]
async fn a_delay_fault_holds_the_answer_for_its_time_then_answers_normally() {
    let site = TestSite::new();
    site.arm(json!({"endpoint": "top", "effect": {"kind": "delay", "ms": 1500}}))
        .await;
    // The clock of this test runtime is paused: it moves only by the fault's sleep.
    let start = tokio::time::Instant::now();
    let answer = site.get("/", true).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(start.elapsed(), std::time::Duration::from_millis(1500));
    let start = tokio::time::Instant::now();
    site.get("/", true).await;
    assert_eq!(start.elapsed(), std::time::Duration::ZERO);
}

#[tokio::test]
async fn reset_and_truncate_faults_mark_the_answer_for_the_server_and_the_journal() {
    let site = TestSite::new();
    site.arm(json!({"endpoint": "repository", "effect": {"kind": "reset"}}))
        .await;
    let response = site
        .app
        .clone()
        .oneshot(Request::get("/repository").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(
        response
            .extensions()
            .get::<super::faults::DropConnection>()
            .is_some()
    );

    site.arm(json!({"endpoint": "repository", "effect": {"kind": "truncate"}}))
        .await;
    let response = site
        .app
        .clone()
        .oneshot(Request::get("/repository").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let length: usize = response.headers()[header::CONTENT_LENGTH]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(length > 0);
    assert!(
        response.into_body().collect().await.is_err(),
        "the body breaks off"
    );

    let journal = site
        .admin(Method::GET, "/admin/journal?path=/repository", None)
        .await
        .json();
    let seen: Vec<Value> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| json!([e["status"], e["fault"]]))
        .collect();
    assert_eq!(seen, [json!([0, "reset"]), json!([200, "truncate"])]);
}

#[tokio::test]
async fn the_journal_filters_by_method_status_error_application_and_sequence() {
    let site = TestSite::new();
    let (first, password) = site.approved().await;
    let (second, _) = site.approved().await;
    site.login(&first, "wrong", true).await;
    site.login(&first, &password, true).await;
    site.login(&second, "wrong", true).await;
    site.get("/", true).await;

    let site = &site;
    let pick = |query: &'static str| async move {
        site.admin(Method::GET, &format!("/admin/journal?{query}"), None)
            .await
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(pick("method=post").await, [1, 2, 3]);
    assert_eq!(pick("error=AUTH-FAILED").await, [1, 3]);
    assert_eq!(pick("status=200").await, [2, 4]);
    assert_eq!(pick("application=ap-0002").await, [3]);
    assert_eq!(pick("since=2").await, [3, 4]);
    assert_eq!(pick("path=/apply/ap-0001&status=401").await, [1]);
    site.admin(Method::GET, "/admin/journal?colour=red", None)
        .await
        .assert_refused(
            StatusCode::BAD_REQUEST,
            "BAD-REQUEST",
            "The request could not be read.",
        );
}

#[tokio::test]
async fn a_wrong_method_answers_method_not_allowed_in_the_error_format() {
    let site = TestSite::new();
    let (id, _) = site.approved().await;
    let answer = site.get(&format!("/apply/{id}/login"), true).await;
    answer.assert_refused(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD-NOT-ALLOWED",
        "Method not allowed.",
    );
    // A browser opening a step's POST-only URL goes back to step 1 instead.
    let page = site.get(&format!("/apply/{id}/login"), false).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers[header::LOCATION],
        format!("/apply/{id}").as_str()
    );
    // Only to an application that exists: anything else is refused as before.
    let unknown = site.get("/apply/ap-9999/login", false).await;
    assert_eq!(unknown.status, StatusCode::METHOD_NOT_ALLOWED);
    let request = Request::delete("/repository").body(Body::empty()).unwrap();
    site.send(request).await.assert_refused_html(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD-NOT-ALLOWED",
        "このページは、この方法では開けません",
    );
    site.admin(Method::DELETE, "/admin/applications", None)
        .await
        .assert_refused(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD-NOT-ALLOWED",
            "Method not allowed.",
        );
}

#[tokio::test]
async fn the_admin_bearer_scheme_is_case_insensitive() {
    let site = TestSite::new();
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let answer = site
            .send(
                Request::get("/admin/applications")
                    .header(header::AUTHORIZATION, format!("{scheme} {ADMIN_TOKEN}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{scheme}: {}", answer.text());
    }
}

#[tokio::test]
async fn windows_versions_the_guide_no_longer_supports_are_refused_and_windows_11_is_not() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    for old in ["Windows 8.1", "Windows 7", "windows10x"] {
        site.login_as(&id, &password, &format!("cert-client/0.1.0 ({old})"))
            .await
            .assert_refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ENV-SUPPORTED",
                ENV_SUPPORTED,
            );
    }
    let answer = site
        .login_as(&id, &password, "cert-client/0.1.0 (Windows 11 23H2)")
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

mod assets;
mod documents;

#[tokio::test]
async fn the_journal_keeps_json_answers_with_the_session_masked_and_never_the_password() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let answer = site.login(&id, &password, true).await;
    let session = answer.json()["session"].as_str().unwrap().to_owned();
    site.login(&id, "wrong", true).await;

    let journal = site.admin(Method::GET, "/admin/journal", None).await;
    let text = journal.text();
    assert!(
        !text.contains(&password),
        "the password is never journalled"
    );
    assert!(!text.contains(&session), "the session token is masked");
    let entries = journal.json();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries[0]["body"]["step"], 2);
    assert_eq!(entries[0]["body"]["session"], "<session>");
    assert_eq!(entries[1]["body"]["error"]["id"], "AUTH-FAILED");
}

// ---------------------------------------------------------------------------------------------
// The two listeners.

#[tokio::test]
async fn the_issuance_site_sends_the_confirmation_pages_to_the_confirmation_site() {
    let site = TestSite::new();
    for path in ["/confirm", "/documents", "/documents/doc-0001?x=1"] {
        let answer = site
            .send_to_issuance(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(answer.status, StatusCode::PERMANENT_REDIRECT, "{path}");
        assert_eq!(
            answer.headers[header::LOCATION],
            format!("{CONFIRM_URL}{path}").as_str()
        );
    }
}

#[tokio::test]
async fn the_confirmation_site_serves_only_its_own_pages_and_names_them_at_its_top() {
    let site = TestSite::new();
    let top = site
        .send_to(
            &site.confirmation,
            Request::get("/")
                .header(header::ACCEPT, JSON)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(top.status, StatusCode::OK);
    assert_eq!(
        top.json(),
        json!({"site": "証明書確認サイト", "status": "ok", "confirm": "/confirm", "documents": "/documents"})
    );
    for path in ["/repository", "/apply/ap-0001", "/admin/applications"] {
        let answer = site
            .send_to(
                &site.confirmation,
                Request::get(path)
                    .header(header::ACCEPT, JSON)
                    .header(header::AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.json()["error"]["id"], "NOT-FOUND");
    }
}

// ---------------------------------------------------------------------------------------------
// The demo's mailbox.

#[tokio::test]
async fn the_mailbox_is_served_only_in_demo_mode() {
    let site = TestSite::new();
    site.approved().await;
    site.get("/mailbox", true).await.assert_refused(
        StatusCode::NOT_FOUND,
        "NOT-FOUND",
        "Not found.",
    );
    site.get("/mailbox/m-0001", true).await.assert_refused(
        StatusCode::NOT_FOUND,
        "NOT-FOUND",
        "Not found.",
    );
    assert!(site.get("/", true).await.json().get("mailbox").is_none());
}

#[tokio::test]
async fn the_demo_mailbox_lists_the_mails_newest_first_and_shows_each_decoded_with_its_url_clickable()
 {
    let site = TestSite::with_demo(true);
    let (id, password) = site.approved().await;
    assert_eq!(site.get("/", true).await.json()["mailbox"], "/mailbox");

    let list = site.get("/mailbox", true).await;
    assert_eq!(list.status, StatusCode::OK);
    let mails = list.json()["mails"].as_array().unwrap().clone();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0]["subject"], "電子証明書の発行パスワードのお知らせ");
    assert_eq!(mails[1]["subject"], "電子証明書の発行 URL のお知らせ");

    let url_mail = site
        .get(
            &format!("/mailbox/{}", mails[1]["id"].as_str().unwrap()),
            false,
        )
        .await;
    assert_eq!(url_mail.status, StatusCode::OK);
    let page = url_mail.text();
    assert!(page.contains("電子証明書の発行 URL のお知らせ"), "{page}");
    assert!(
        page.contains("証明書発行サイト &lt;no-reply@mock-ca.invalid&gt;"),
        "{page}"
    );
    let url = format!("https:&#x2f;&#x2f;127.0.0.1:1&#x2f;apply&#x2f;{id}");
    assert!(
        page.contains(&format!("<a href=\"{url}\">{url}</a>")),
        "{page}"
    );

    let password_mail = site
        .get(
            &format!("/mailbox/{}", mails[0]["id"].as_str().unwrap()),
            true,
        )
        .await;
    assert!(
        password_mail.json()["mail"]["body"]
            .as_str()
            .unwrap()
            .contains(&password)
    );
}

#[tokio::test]
async fn demo_mode_is_refused_on_an_address_other_than_loopback() {
    let error = crate::MockCa::builder()
        .bind("0.0.0.0:0".parse().unwrap())
        .demo(true)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(error, crate::StartError::DemoNotOnLoopback(_)),
        "{error}"
    );
}

#[tokio::test]
async fn filing_an_application_with_an_unknown_field_is_refused_with_bad_request_and_files_nothing()
{
    let site = TestSite::new();
    let answer = site
        .admin(
            Method::POST,
            "/admin/applications",
            Some(
                json!({"applicant": "x", "email": "x@example.jp", "subject": [["CN", "x"]],
                        "kind": "new", "approve": true}),
            ),
        )
        .await;
    answer.assert_refused(
        StatusCode::BAD_REQUEST,
        "BAD-REQUEST",
        "The request could not be read.",
    );
    assert!(
        answer.json()["error"]["detail"]
            .as_str()
            .unwrap()
            .contains("unknown field")
    );
    assert_eq!(
        site.admin(Method::GET, "/admin/applications", None)
            .await
            .json(),
        json!([])
    );
}

#[tokio::test]
async fn the_ids_the_site_adds_carry_a_remedy_in_json_and_on_their_pages() {
    let site = TestSite::new();
    let json = site.get("/no/such/page", true).await;
    json.assert_refused(StatusCode::NOT_FOUND, "NOT-FOUND", "Not found.");
    assert!(
        json.json()["error"]["remedy"]
            .as_str()
            .unwrap()
            .contains("URL")
    );
    let page = site.get("/no/such/page", false).await;
    let remedy = crate::Refusal::NotFound.remedy().unwrap();
    assert!(
        page.text()
            .contains(&format!("<p class=\"remedy\">{remedy}</p>")),
        "{}",
        page.text()
    );
}
