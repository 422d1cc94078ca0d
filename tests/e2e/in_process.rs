//! The client library against a site started in-process, over real TLS.

use client::{Error, Store};
use mock_ca::MockCa;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmation_page_over_tls_without_a_client_certificate_is_forbidden() {
    let site = MockCa::start().await.unwrap();
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open(temp.path()).unwrap(); // empty: no certificate to present
    let url = format!("{}/confirm", site.url());
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_trusts_no_certificate_from_another_ca_at_the_handshake() {
    // A client certificate from a CA the site does not know is refused in the TLS handshake; with
    // TLS 1.3 the client sees it on its first request as an alert or a closed connection.
    let site = MockCa::start().await.unwrap();
    let stranger = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let certificate = rcgen::CertificateParams::new(vec![])
        .unwrap()
        .self_signed(&stranger)
        .unwrap();
    let identity = format!("{}{}", certificate.pem(), stranger.serialize_pem());
    let url = format!("{}/confirm", site.url());
    let http =
        client::site::SiteClient::new(&url, site.site_trust_pem().as_bytes(), Some(&identity))
            .unwrap();
    let error = http.confirm(&url).await.unwrap_err();
    assert!(matches!(error, Error::Network(_)), "{error:?}");
}
