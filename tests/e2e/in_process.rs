//! The client library against a site started in-process, over real TLS.

use client::{Error, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmation_page_over_tls_without_a_client_certificate_is_forbidden() {
    let site = crate::support::site().start().await.unwrap();
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open(temp.path()).unwrap(); // empty: no certificate to present
    let url = format!("{}/confirm", site.confirm_url());
    let error = client::confirm(&url, site.site_trust_pem().as_bytes(), &store, &mut |_| {})
        .await
        .unwrap_err();
    match error {
        Error::Site { status, problem } => {
            assert_eq!(status, 403);
            assert_eq!(problem.id, "CONFIRM-FORBIDDEN");
            assert_eq!(problem.message, "このページの表示は認められていません");
        }
        other => panic!("expected CONFIRM-FORBIDDEN, got {other:?}"),
    }
    assert_eq!(
        site.journal().last().unwrap().error,
        Some("CONFIRM-FORBIDDEN")
    );
}

/// A client certificate of a CA the site does not know.
fn stranger_identity() -> String {
    let stranger = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let certificate = rcgen::CertificateParams::new(vec![])
        .unwrap()
        .self_signed(&stranger)
        .unwrap();
    format!("{}{}", certificate.pem(), stranger.serialize_pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_cas_certificate_is_answered_confirm_forbidden_not_refused_at_the_handshake() {
    // The confirmation site lets any certificate through the handshake once its key is proven,
    // and judges it over HTTP: a browser holding another CA's certificate sees a page.
    let site = crate::support::site().start().await.unwrap();
    let url = format!("{}/confirm", site.confirm_url());
    let http = client::site::SiteClient::new(
        &url,
        site.site_trust_pem().as_bytes(),
        Some(&stranger_identity()),
    )
    .unwrap();
    match http.confirm(&url).await.unwrap_err() {
        Error::Site { status, problem } => {
            assert_eq!(status, 403);
            assert_eq!(problem.id, "CONFIRM-FORBIDDEN");
        }
        other => panic!("expected CONFIRM-FORBIDDEN, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issuance_site_asks_for_no_client_certificate() {
    // rustls's client sends a certificate only when asked: with the issuance site the handshake
    // carries none, so the stranger's certificate never reaches it and its pages answer.
    let site = crate::support::site().start().await.unwrap();
    let http = client::site::SiteClient::new(
        site.url(),
        site.site_trust_pem().as_bytes(),
        Some(&stranger_identity()),
    )
    .unwrap();
    let top = http.top().await.unwrap();
    assert_eq!(top.site, "証明書発行サイト");
    assert_eq!(
        top.confirm.as_deref(),
        Some(format!("{}/confirm", site.confirm_url()).as_str())
    );
}
