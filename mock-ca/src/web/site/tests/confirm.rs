//! GET /confirm on the confirmation site: the client certificate it accepts, the ones it refuses,
//! and the holder's listing.

use super::*;

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
    let other = Authority::from_pem(
        test_support::pki::OTHER_ROOT_PEM,
        test_support::pki::OTHER_ROOT_KEY_PEM,
    )
    .unwrap();
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
