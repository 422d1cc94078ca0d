//! The pages in a real browser: headless Chromium over the DevTools protocol (test-support's
//! `browser`), trusting the site's TLS anchor through its own NSS database. Skipped, with a
//! printed notice, where Chromium or NSS's tools are absent (`.ci/run` installs them). Each page
//! visited is photographed under `target/screenshots/<test>/`.
//!
//! Chromium offers a site only the client certificates issued by a CA that the site's
//! CertificateRequest names, so a browser holding another CA's certificate presents none.

use mock_ca::MockCa;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, PKCS_RSA_SHA256,
};
use reqwest::header;
use serde_json::{Value, json};
use test_support::{Browser, pkcs12};

use crate::support::{Admin, COMPONENT, at_step_three, client, csr, mailed_password};

/// The 証明書確認サイト's /confirm, on its own listener.
fn confirm_url(site: &MockCa) -> String {
    format!("{}/confirm", site.confirm_url())
}

/// The confirmation site's /documents, beside its /confirm.
fn documents_url(site: &MockCa) -> String {
    let confirm = confirm_url(site);
    let origin = confirm
        .strip_suffix("/confirm")
        .expect("the confirmation URL ends in /confirm");
    format!("{origin}/documents")
}

/// The passphrase the tests' PKCS#12 files are written under.
const PASSPHRASE: &str = "browser-test";

#[tokio::test]
async fn a_person_in_chromium_sees_auth_failed_then_step_2_then_component_unavailable() {
    let site = MockCa::start().await.unwrap();
    let Some(browser) = Browser::builder()
        .trust(site.site_trust_pem())
        .launch()
        .await
    else {
        return;
    };
    let admin = Admin::of(&site);
    let id = admin.approved().await;
    let password = mailed_password(&site, &id);
    let page = browser.page().await;
    let step_one = format!("{}/apply/{id}", site.url());

    // Step 1, a wrong password: AUTH-FAILED's message on the page.
    page.open(&step_one).await;
    assert_eq!(page.text("h1").await, "証明書発行サイト【ステップ 1】");
    page.screenshot("step-1").await;
    page.type_into("#password", "wrong-password").await;
    page.follow("#login").await;
    assert_eq!(
        page.text("#error .message").await,
        "認証に失敗したか、申請が承認されていません"
    );
    assert_eq!(
        page.attribute("#error", "data-catalogue-id")
            .await
            .as_deref(),
        Some("AUTH-FAILED")
    );
    assert_eq!(
        page.text("#error .remedy").await,
        "パスワードを確認の上、正しく入力してください"
    );
    // TODO(lead, issue 12 part 3): the error page has no way back yet. When the templates add
    // one (ステップ 1 に戻る), follow it here and assert step 1's title.
    page.screenshot("auth-failed").await;

    // The right password: step 2 with the CSP, the key length and the 発行 button.
    page.open(&step_one).await;
    page.type_into("#password", &password).await;
    page.follow("#login").await;
    assert_eq!(page.text("h1").await, "証明書発行サイト【ステップ 2】");
    let text = page.text("main").await;
    assert!(
        text.contains("「CSP」及び「Key 長」の表示を確認し、発行 ボタンを押します"),
        "{text}"
    );
    assert!(
        text.contains("Microsoft Enhanced RSA and AES Cryptographic Provider"),
        "{text}"
    );
    assert!(text.contains("Key 長") && text.contains("2048"), "{text}");
    assert_eq!(page.text("#issue").await, "発行");
    page.screenshot("step-2").await;

    // 発行 in a browser, which has no enrollment component: COMPONENT-UNAVAILABLE and the list.
    page.follow("#issue").await;
    assert_eq!(
        page.text("#error .message").await,
        "ActiveX コンポーネントは・・・できません"
    );
    assert_eq!(
        page.attribute("#error", "data-catalogue-id")
            .await
            .as_deref(),
        Some("COMPONENT-UNAVAILABLE")
    );
    assert!(page.text("#supported").await.contains("windows"));
    page.screenshot("component-unavailable").await;

    let states = admin
        .call(reqwest::Method::GET, &format!("/applications/{id}"), None)
        .await;
    assert_eq!(states["state"], "approved", "a browser moved nothing");
}

#[tokio::test]
async fn the_top_page_links_to_the_repository_which_shows_the_roots_thumbprints_and_serves_it() {
    let site = MockCa::start().await.unwrap();
    let Some(browser) = Browser::builder()
        .trust(site.site_trust_pem())
        .launch()
        .await
    else {
        return;
    };
    let page = browser.page().await;
    page.open(&format!("{}/", site.url())).await;
    assert_eq!(page.title().await, "証明書発行サイト");
    assert_eq!(page.text("h1").await, "証明書発行サイト");
    assert_eq!(page.text("#status").await, "このサイトは稼働しています。");
    page.screenshot("top").await;

    page.follow("a[href='/repository']").await;
    assert_eq!(page.text("h1").await, "認証局の情報");
    assert_eq!(
        page.text("#notice").await,
        "発行元の認証局の情報であり、実際の値は以下に公開されています"
    );
    // The thumbprints shown are those of the root the site publishes as JSON.
    let published: Value = client(site.site_trust_pem(), None)
        .get(format!("{}/repository", site.url()))
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = page.visible_text().await;
    for thumbprint in ["sha1", "sha256"] {
        let value = published["root"][thumbprint].as_str().unwrap();
        assert!(text.contains(value), "{thumbprint} {value} not in: {text}");
    }
    assert_eq!(
        page.text("#root-pem").await.trim(),
        site.root_pem().trim(),
        "the page shows the root's PEM"
    );
    page.screenshot("repository").await;

    // The root's link downloads the root itself (DER).
    let downloads = tempfile::tempdir().unwrap();
    page.capture_downloads(downloads.path()).await;
    page.click("#root-download").await;
    let saved = page.wait_for_download(downloads.path()).await;
    assert_eq!(saved.file_name().unwrap(), "root.cer");
    let root_der = pem::parse(site.root_pem()).unwrap().into_contents();
    assert_eq!(std::fs::read(&saved).unwrap(), root_der);
}

#[tokio::test]
async fn the_password_leaves_the_browser_only_in_the_login_form_of_its_application() {
    let site = MockCa::start().await.unwrap();
    let Some(browser) = Browser::builder()
        .trust(site.site_trust_pem())
        .launch()
        .await
    else {
        return;
    };
    let admin = Admin::of(&site);
    let id = admin.approved().await;
    let password = mailed_password(&site, &id);
    let page = browser.page().await;
    page.open(&format!("{}/apply/{id}", site.url())).await;
    page.type_into("#password", &password).await;
    page.follow("#login").await;
    assert_eq!(page.text("h1").await, "証明書発行サイト【ステップ 2】");

    let exchanges = page.exchanges().await;
    let carrying: Vec<_> = exchanges
        .iter()
        .filter(|x| {
            let body = x.post_data.as_deref().unwrap_or_default();
            String::from_utf8_lossy(body).contains(&password) || x.url.contains(&password)
        })
        .collect();
    assert_eq!(carrying.len(), 1, "{exchanges:#?}");
    let login = carrying[0];
    assert_eq!(login.method, "POST");
    assert_eq!(login.url, format!("{}/apply/{id}/login", site.url()));
    assert_eq!(
        login.post_data.as_deref(),
        Some(format!("password={password}").as_bytes()),
        "the form as typed"
    );
    assert_eq!(login.status, Some(200));
}

#[tokio::test]
async fn with_scripts_off_step_1_still_logs_in_to_step_2() {
    let site = MockCa::start().await.unwrap();
    let Some(browser) = Browser::builder()
        .trust(site.site_trust_pem())
        .launch()
        .await
    else {
        return;
    };
    let admin = Admin::of(&site);
    let id = admin.approved().await;
    let password = mailed_password(&site, &id);
    let page = browser.page().await;
    page.disable_scripts().await;
    page.open(&format!("{}/apply/{id}", site.url())).await;
    assert_eq!(page.text("h1").await, "証明書発行サイト【ステップ 1】");
    page.screenshot("step-1-scripts-off").await;
    page.type_into("#password", &password).await;
    page.follow("#login").await;
    assert_eq!(page.text("h1").await, "証明書発行サイト【ステップ 2】");
    page.screenshot("step-2-scripts-off").await;
}

/// A CA the site does not know, and a client certificate it issued for the test subject.
fn another_cas_pkcs12() -> Vec<u8> {
    let mut root = CertificateParams::new(vec![]).unwrap();
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.distinguished_name
        .push(DnType::CommonName, "Elsewhere Root CA");
    let issuer =
        CertifiedIssuer::self_signed(root, KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap())
            .unwrap();
    let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
    let mut leaf = CertificateParams::new(vec![]).unwrap();
    leaf.distinguished_name.push(DnType::CountryName, "JP");
    leaf.distinguished_name
        .push(DnType::OrganizationName, "Example Securities");
    leaf.distinguished_name
        .push(DnType::CommonName, "Taro Yamada");
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let certificate = leaf.signed_by(&key, &issuer).unwrap();
    pkcs12(
        &key.serialize_der(),
        &[certificate.der().to_vec(), issuer.der().to_vec()],
        PASSPHRASE,
    )
}

#[tokio::test]
async fn a_browser_holding_another_cas_certificate_opens_the_issuance_pages() {
    let site = MockCa::start().await.unwrap();
    let Some(browser) = Browser::builder()
        .trust(site.site_trust_pem())
        .client_certificate(site.url(), &another_cas_pkcs12(), PASSPHRASE)
        .launch()
        .await
    else {
        return;
    };
    let id = Admin::of(&site).approved().await;
    let page = browser.page().await;
    page.open(&format!("{}/", site.url())).await;
    assert_eq!(page.text("#status").await, "このサイトは稼働しています。");
    page.screenshot("top").await;
    page.open(&format!("{}/repository", site.url())).await;
    assert_eq!(page.text("h1").await, "認証局の情報");
    page.screenshot("repository").await;
    page.open(&format!("{}/apply/{id}", site.url())).await;
    assert_eq!(page.text("h1").await, "証明書発行サイト【ステップ 1】");
    page.screenshot("step-1").await;
}

/// Chromium, offered the site's CA names in the CertificateRequest, presents none of its
/// certificates (the page's detail says so); a confirmation site that named no CA would be
/// presented this one. Either way the answer is CONFIRM-FORBIDDEN at HTTP level.
#[tokio::test]
async fn a_browser_holding_another_cas_certificate_gets_confirm_forbidden_on_the_confirmation_site()
{
    let site = MockCa::start().await.unwrap();
    let Some(browser) = Browser::builder()
        .trust(site.site_trust_pem())
        .client_certificate(&confirm_url(&site), &another_cas_pkcs12(), PASSPHRASE)
        .launch()
        .await
    else {
        return;
    };
    let page = browser.page().await;
    for (url, step) in [
        (confirm_url(&site), "confirm"),
        (documents_url(&site), "documents"),
    ] {
        page.open(&url).await;
        assert_eq!(
            page.attribute("#error", "data-catalogue-id")
                .await
                .as_deref(),
            Some("CONFIRM-FORBIDDEN"),
            "{url}"
        );
        assert!(
            !page.visible_text().await.contains("証明書確認ページ"),
            "{url}"
        );
        page.screenshot(&format!("{step}-forbidden")).await;
    }
    let answers: Vec<_> = page
        .exchanges()
        .await
        .into_iter()
        .filter(|x| x.resource_type == "Document")
        .map(|x| (x.url, x.status))
        .collect();
    assert_eq!(
        answers,
        [
            (confirm_url(&site), Some(403)),
            (documents_url(&site), Some(403))
        ]
    );
}

/// Enrolls an approved application over HTTPS as the component would and completes it: the
/// holder's PKCS#12 (key, certificate, root) and the certificate's serial.
async fn enrolled_holder(site: &MockCa, id: &str) -> (Vec<u8>, String) {
    let http = client(site.site_trust_pem(), None);
    let password = mailed_password(site, id);
    let session = at_step_three(&http, site.url(), id, &password).await;
    let (key, request) = csr();
    let issued: Value = http
        .post(format!("{}/apply/{id}/csr", site.url()))
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, format!("session={session}"))
        .header("X-Enrollment-Component", COMPONENT)
        .json(&json!({ "csr": request }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let complete = http
        .post(format!("{}/apply/{id}/complete", site.url()))
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, format!("session={session}"))
        .header("X-Enrollment-Component", COMPONENT)
        .send()
        .await
        .unwrap();
    assert_eq!(complete.status(), 200);
    let certificate = pem::parse(issued["certificate"].as_str().unwrap())
        .unwrap()
        .into_contents();
    let root = pem::parse(site.root_pem()).unwrap().into_contents();
    let serial = issued["serial"].as_str().unwrap().to_owned();
    (
        pkcs12(&key.serialize_der(), &[certificate, root], PASSPHRASE),
        serial,
    )
}

#[tokio::test]
async fn a_browser_holding_the_holders_pkcs12_sees_the_confirmation_page_and_the_published_document()
 {
    let site = MockCa::start().await.unwrap();
    let admin = Admin::of(&site);
    let id = admin.approved().await;
    let (p12, serial) = enrolled_holder(&site, &id).await;
    use base64::Engine as _;
    admin
        .call(
            reqwest::Method::POST,
            "/documents",
            Some(json!({
                "application": id,
                "title": "残高証明書 2026年11月",
                "file_name": "balance-2026-11.pdf",
                "content_type": "application/pdf",
                "content": base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 balance"),
            })),
        )
        .await;
    let Some(browser) = Browser::builder()
        .trust(site.site_trust_pem())
        .client_certificate(&confirm_url(&site), &p12, PASSPHRASE)
        .launch()
        .await
    else {
        return;
    };
    let page = browser.page().await;

    page.open(&confirm_url(&site)).await;
    assert_eq!(page.text("h1").await, "証明書確認ページ");
    let holder = page.text("#holder").await;
    assert!(holder.contains("CN=Taro Yamada"), "{holder}");
    assert!(holder.contains(&serial), "{serial} not in: {holder}");
    assert!(
        page.text("#certificates").await.contains(&serial),
        "the listing holds the certificate"
    );
    page.screenshot("confirm").await;

    page.open(&documents_url(&site)).await;
    assert_eq!(
        page.attribute("#notice", "data-catalogue-id")
            .await
            .as_deref(),
        Some("DATA-DECRYPT")
    );
    let documents = page.text("#documents").await;
    assert!(documents.contains("残高証明書 2026年11月"), "{documents}");
    page.screenshot("documents").await;
}

#[tokio::test]
async fn one_browser_serves_two_sites_each_trusted_when_it_comes_each_page_in_its_own_context() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    for n in 1..=2 {
        let site = MockCa::start().await.unwrap();
        let id = Admin::of(&site).approved().await;
        let password = mailed_password(&site, &id);
        browser.trust(site.site_trust_pem());
        let page = browser.page().await;
        page.open(&format!("{}/apply/{id}", site.url())).await;
        page.type_into("#password", &password).await;
        page.follow("#login").await;
        assert_eq!(page.text("h1").await, "証明書発行サイト【ステップ 2】");
        // The session cookie is this context's alone: a fresh page of the same browser has none.
        let fresh = browser.page().await;
        fresh.open(&format!("{}/", site.url())).await;
        assert_eq!(
            fresh.eval::<String>("document.cookie").await,
            "",
            "site {n}"
        );
        page.close().await;
        fresh.close().await;
    }
}
