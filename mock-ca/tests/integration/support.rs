//! What the areas share: an HTTPS client that trusts the site, the admin API, a CSR.

use mock_ca::MockCa;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_RSA_SHA256};
use reqwest::{Client, Identity, header};
use serde_json::{Value, json};

pub const COMPONENT: &str = "integration-test/1.0 (linux)";

/// A client that trusts only the site's anchor, presenting `identity` (PEM certificate + key).
pub fn client(site_trust_pem: &str, identity: Option<&str>) -> Client {
    let anchors = reqwest::Certificate::from_pem_bundle(site_trust_pem.as_bytes()).unwrap();
    let mut builder = Client::builder()
        .tls_certs_only(anchors)
        .timeout(std::time::Duration::from_secs(60));
    if let Some(pem) = identity {
        builder = builder.identity(Identity::from_pem(pem.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

/// The admin API of one site.
pub struct Admin {
    pub http: Client,
    pub url: String,
    pub token: String,
}

impl Admin {
    pub fn of(site: &MockCa) -> Self {
        Self {
            http: client(site.site_trust_pem(), None),
            url: site.url().to_owned(),
            token: site.admin_token().to_owned(),
        }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}/admin{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    /// Files and approves an application; its id.
    pub async fn approved(&self) -> String {
        let filed = self
            .call(
                reqwest::Method::POST,
                "/applications",
                Some(json!({
                    "applicant": "山田 太郎",
                    "email": "taro@example.jp",
                    "subject": [["C", "JP"], ["O", "Example Securities"], ["CN", "Taro Yamada"]],
                })),
            )
            .await;
        let id = filed["id"].as_str().unwrap().to_owned();
        self.call(
            reqwest::Method::POST,
            &format!("/applications/{id}/approve"),
            None,
        )
        .await;
        id
    }
}

/// The password of the application's MAIL-PASSWORD mail: the line after `認証情報パスワード:`.
pub fn mailed_password(site: &MockCa, id: &str) -> String {
    let registration = site.registration();
    let mail = registration
        .outbox()
        .sent()
        .iter()
        .find(|m| m.mail.catalogue == "MAIL-PASSWORD" && m.mail.application == id)
        .expect("a MAIL-PASSWORD mail")
        .mail
        .body
        .clone();
    let mut lines = mail
        .lines()
        .skip_while(|l| l.trim() != "認証情報パスワード:");
    lines.nth(1).expect("a password line").trim().to_owned()
}

/// A key and a CSR (PEM) for the test subject.
pub fn csr() -> (KeyPair, String) {
    let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "JP");
    dn.push(DnType::OrganizationName, "Example Securities");
    dn.push(DnType::CommonName, "Taro Yamada");
    params.distinguished_name = dn;
    let csr = params.serialize_request(&key).unwrap().pem().unwrap();
    (key, csr)
}

/// Logs in with `password` and presses 発行: the session.
pub async fn at_step_three(http: &Client, url: &str, id: &str, password: &str) -> String {
    let login = http
        .post(format!("{url}/apply/{id}/login"))
        .header(header::ACCEPT, "application/json")
        .json(&json!({ "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let session = login.json::<Value>().await.unwrap()["session"]
        .as_str()
        .unwrap()
        .to_owned();
    let issue = http
        .post(format!("{url}/apply/{id}/issue"))
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, format!("session={session}"))
        .header("X-Enrollment-Component", COMPONENT)
        .send()
        .await
        .unwrap();
    assert_eq!(issue.status(), 200);
    session
}
