//! What the areas share: a site on the checked-in root, an HTTPS client that trusts it, the
//! admin API (test-support's), a CSR on a checked-in key.

use mock_ca::MockCa;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use reqwest::{Client, Identity, header};
use serde_json::{Value, json};
use test_support::{Admin, NewApplication, pki};

pub const COMPONENT: &str = "integration-test/1.0 (linux)";

/// A site builder on the checked-in root (fixtures/pki/root): no test makes a root of its own.
pub fn site() -> mock_ca::Builder {
    MockCa::builder().ca_dir(pki::root_dir())
}

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
pub fn admin_of(site: &MockCa) -> Admin {
    Admin::new(
        site.url(),
        site.admin_token(),
        site.site_trust_pem().as_bytes(),
    )
    .unwrap()
}

/// Files and approves Taro Yamada's application; its id.
pub async fn approved(admin: &Admin) -> String {
    admin
        .approved(NewApplication::for_cn("Taro Yamada"))
        .await
        .unwrap()
}

/// The password of the application's MAIL-PASSWORD mail, read as its holder reads it.
pub async fn mailed_password(site: &MockCa, id: &str) -> String {
    admin_of(site).password_of(id).await.unwrap()
}

/// A key (the first checked-in holder key) and a CSR (PEM) for the test subject.
pub fn csr() -> (KeyPair, String) {
    let key = KeyPair::from_pem(pki::holder_key(0)).unwrap();
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
