//! The HTML pages and the error format: unknown paths and methods, the remedies of the ids the site
//! adds, and a renewal framed as the renewal site.

use super::*;

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
