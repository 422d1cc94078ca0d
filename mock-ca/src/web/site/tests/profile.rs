//! A site serving another profile: its words, pages, policy and extra pages, and the fixture of a
//! changed guide (`fixtures/profiles/v3.11`).

use super::*;

/// The v3.11 fixture: Windows 10 dropped, AUTH-FAILED reworded, a notice page.
fn v3_11() -> Profile {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/profiles/v3.11");
    Profile::load(&dir).unwrap_or_else(|e| panic!("{e}"))
}

const V3_11_AUTH_FAILED: &str = "パスワードが正しくないか、申請がまだ承認されていません";
const V3_11_ENV_SUPPORTED: &str = "正式サポート OS は、Windows 11 です。";
const NOTICE_TITLE: &str = "Windows 10 のサポート終了のお知らせ";

#[tokio::test]
async fn the_v3_11_site_links_its_notice_page_from_the_top_page_and_serves_it() {
    let site = TestSite::with_profile(v3_11());
    let top = site.get("/", false).await;
    assert_eq!(top.status, StatusCode::OK);
    assert!(
        top.text()
            // minijinja escapes the slash in an attribute: `&#x2f;`.
            .contains(&format!(
                "<a class=\"page\" href=\"&#x2f;notice\">{NOTICE_TITLE}</a>"
            )),
        "{}",
        top.text()
    );
    let notice = site.get("/notice", false).await;
    assert_eq!(notice.status, StatusCode::OK, "{}", notice.text());
    let page = notice.text();
    assert!(page.contains(&format!("<h1>{NOTICE_TITLE}</h1>")), "{page}");
    assert!(
        page.contains("Windows 10 は、証明書発行サイトの正式サポート OS ではなくなりました。"),
        "{page}"
    );
    assert!(page.contains("<header>証明書発行サイト</header>"), "{page}");
    let json = site.get("/notice", true).await.json();
    assert_eq!(json, json!({"title": NOTICE_TITLE, "path": "/notice"}));
}

#[tokio::test]
async fn the_default_site_has_no_notice_page_and_links_none() {
    let site = TestSite::new();
    assert!(!site.get("/", false).await.text().contains("class=\"page\""));
    site.get("/notice", true).await.assert_refused(
        StatusCode::NOT_FOUND,
        "NOT-FOUND",
        "Not found.",
    );
}

#[tokio::test]
async fn the_v3_11_site_refuses_windows_10_with_its_reworded_message_and_takes_windows_11() {
    let site = TestSite::with_profile(v3_11());
    let (id, password) = site.approved().await;
    let refused = site
        .login_as(&id, &password, "cert-client/0.1.0 (windows 10)")
        .await;
    refused.assert_refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        "ENV-SUPPORTED",
        V3_11_ENV_SUPPORTED,
    );
    assert_eq!(
        refused.json()["error"]["supported"],
        json!(["windows 11", "linux", "macos"])
    );
    let accepted = site
        .login_as(&id, &password, "cert-client/0.1.0 (windows 11)")
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
}

#[tokio::test]
async fn the_default_site_takes_windows_10() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let answer = site
        .login_as(&id, &password, "cert-client/0.1.0 (windows 10)")
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test]
async fn a_wrong_password_on_the_v3_11_site_is_answered_in_its_words_on_the_page_and_in_json() {
    let site = TestSite::with_profile(v3_11());
    let (id, _) = site.approved().await;
    site.login(&id, "wrong-password", true)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "AUTH-FAILED", V3_11_AUTH_FAILED);
    let page = site.login(&id, "wrong-password", false).await;
    page.assert_refused_html(StatusCode::UNAUTHORIZED, "AUTH-FAILED", V3_11_AUTH_FAILED);
    assert!(!page.text().contains(AUTH_FAILED), "{}", page.text());
}

#[tokio::test]
async fn a_profiles_site_names_labels_mails_and_titles_are_what_the_site_shows() {
    let mut profile = Profile::default();
    profile.sites.issuance = "テスト発行サイト".into();
    profile.sites.confirmation = "テスト確認サイト".into();
    profile.labels.insert("login".into(), "サインイン".into());
    profile.labels.insert("back_top".into(), "最初へ".into());
    profile.message.get_mut("MAIL-URL").unwrap().text = "URL のご案内".into();
    profile.mail.url.body = "{name} 様\n{site}: {url}\n".into();
    profile.message.get_mut("REPOSITORY-PAGE").unwrap().text = "認証局の公開情報".into();
    profile.validate().unwrap();
    let site = TestSite::with_profile(profile);

    let top = site.get("/", true).await.json();
    assert_eq!(top["site"], "テスト発行サイト");
    let repository = site.get("/repository", false).await.text();
    assert!(repository.contains("認証局の公開情報"), "{repository}");
    assert!(repository.contains(">最初へ</a>"), "{repository}");
    let (id, _) = site.approved().await;
    let step_one = site.get(&format!("/apply/{id}"), false).await.text();
    assert!(
        step_one.contains("<h1>テスト発行サイト【ステップ 1】</h1>"),
        "{step_one}"
    );
    assert!(step_one.contains(">サインイン</button>"), "{step_one}");
    let url_mail = site
        .site
        .registration()
        .outbox()
        .sent()
        .iter()
        .find(|m| m.mail.catalogue == "MAIL-URL")
        .cloned()
        .unwrap();
    assert_eq!(url_mail.mail.subject, "URL のご案内");
    assert_eq!(
        url_mail.mail.body,
        format!("山田 太郎 様\nテスト発行サイト: https://127.0.0.1:1/apply/{id}\n")
    );
    let forbidden = site.confirm(None, false).await.text();
    assert!(
        forbidden.contains("<header>テスト確認サイト</header>"),
        "{forbidden}"
    );
}

#[tokio::test]
async fn a_profile_that_does_not_require_the_component_lets_a_plain_client_press_issue() {
    let mut profile = Profile::default();
    profile.policy.component_required = false;
    let site = TestSite::with_profile(profile);
    let (id, password) = site.approved().await;
    let session = site.login(&id, &password, true).await.session_cookie();
    let answer = site.step(&id, "issue", &session, false, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["step"], 3);

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
}
