//! POST /apply/{application}/csr: the certificate request, and every CSR the site refuses with
//! CERT-REQUEST-FAILED.

use super::*;

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
