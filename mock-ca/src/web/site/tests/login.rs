//! POST /apply/{application}/login: step 2 (or step 3 resumed), and every way a login is refused.

use super::*;

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
