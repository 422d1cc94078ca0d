//! The demo's mailbox (/mailbox): served only in demo mode, and demo mode only on loopback.

use super::*;

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
