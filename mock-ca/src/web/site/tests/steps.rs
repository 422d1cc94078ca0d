//! The steps after login: the whole enrollment (login, 発行, CSR, complete), and POST .../issue (発行)
//! refused without the enrollment component.

use super::*;

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
