//! The pages in a real browser: headless Chromium over the DevTools protocol (test-support's
//! `browser`), trusting the site's TLS anchor through its own NSS database. Skipped, with a
//! printed notice, where Chromium or NSS's tools are absent (`.ci/run` installs them). Each page
//! visited is photographed under `target/screenshots/<test>/`.
//!
//! Chromium offers a site only the client certificates issued by a CA that the site's
//! CertificateRequest names, so a browser holding another CA's certificate presents none.

use mock_ca::MockCa;
use rcgen::{CertificateParams, DnType, KeyPair};
use reqwest::header;
use serde_json::{Value, json};
use std::{
    path::{Path, PathBuf},
    process::Command,
};

use base64::Engine as _;
use test_support::{Admin, Browser, Page, pkcs12};

use crate::support::{
    self, COMPONENT, admin_of, approved, at_step_three, client, csr, mailed_password,
};

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

/// A site with one approved application, and a browser that trusts the site.
struct Approved {
    site: MockCa,
    browser: Browser,
    admin: Admin,
    id: String,
    password: String,
    /// The application's step 1 URL (the MAIL-URL mail's).
    step_one: String,
}

impl Approved {
    /// `None` (after a printed notice) where Chromium or NSS's tools are absent.
    async fn in_a_browser() -> Option<Self> {
        let site = support::site().start().await.unwrap();
        let browser = Browser::builder()
            .trust(site.site_trust_pem())
            .launch()
            .await?;
        let admin = admin_of(&site);
        let id = approved(&admin).await;
        let password = admin.password_of(&id).await.unwrap();
        let step_one = format!("{}/apply/{id}", site.url());
        Some(Self {
            site,
            browser,
            admin,
            id,
            password,
            step_one,
        })
    }
}

/// A dialog of the guide (`issue`, `install-root`, `web-access`) as the component shows it,
/// answered はい or いいえ.
async fn answer(page: &Page<'_>, dialog: &str, yes: bool) {
    page.wait_for(&format!(
        "dialog#component-dialog[data-dialog=\"{dialog}\"][open]"
    ))
    .await;
    page.click(if yes { "#dialog-yes" } else { "#dialog-no" })
        .await;
}

/// Step 3's two installs, each dialog answered はい: the root, then the client certificate (the
/// key made, the request sent).
async fn install_root_and_client(page: &Page<'_>) {
    page.click("#root-install").await;
    answer(page, "install-root", true).await;
    page.click("#client-install").await;
    answer(page, "web-access", true).await;
}

/// The application's state, as the admin API tells it.
async fn state_of(admin: &Admin, id: &str) -> String {
    admin.get(&format!("/applications/{id}")).await.unwrap()["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The component's message for catalogue id `id`: its `.message` text.
async fn component_message(page: &Page<'_>, id: &str) -> String {
    page.text(&format!(
        "#component-status .component-message[data-catalogue-id=\"{id}\"] .message"
    ))
    .await
}

/// Logs in at step 1 with `password`.
async fn log_in(page: &Page<'_>, step_one: &str, password: &str) {
    page.open(step_one).await;
    page.type_into("#password", password).await;
    page.follow("#login").await;
}

/// The passphrase typed twice in the component's form, and the PKCS#12 it downloads into `dir`.
async fn download_pkcs12(page: &Page<'_>, dir: &Path) -> PathBuf {
    page.wait_for("#p12-form").await;
    page.type_into("#p12-passphrase", PASSPHRASE).await;
    page.type_into("#p12-passphrase-again", PASSPHRASE).await;
    page.click("#p12-download").await;
    page.wait_for_download(dir).await
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `openssl pkcs12` on the file: its certificate and its key, PEM.
fn open_pkcs12(file: &Path) -> (String, String) {
    let run = |extra: &[&str]| {
        let out = Command::new("openssl")
            .args(["pkcs12", "-in"])
            .arg(file)
            .args(["-passin", &format!("pass:{PASSPHRASE}")])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl pkcs12: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    (run(&["-clcerts", "-nokeys"]), run(&["-nocerts", "-nodes"]))
}

#[tokio::test]
async fn the_whole_flow_in_chromium_from_the_mailbox_to_the_confirmation_site() {
    let site = support::site().demo(true).start().await.unwrap();
    let Some(browser) = Browser::builder()
        .trust(site.site_trust_pem())
        .launch()
        .await
    else {
        return;
    };
    let admin = admin_of(&site);
    let id = approved(&admin).await;
    let downloads = tempfile::tempdir().unwrap();
    let page = browser.page().await;
    page.record_requests().await;
    page.capture_downloads(downloads.path()).await;

    // The mailbox: the password from the second mail, the URL from the first.
    page.open(&format!("{}/mailbox", site.url())).await;
    assert_eq!(page.text("h1").await, "メールボックス (デモ)");
    page.screenshot("mailbox").await;
    page.follow("#mails a[href$=\"m-0002\"]").await;
    assert_eq!(
        page.text("h1").await,
        "電子証明書の発行パスワードのお知らせ"
    );
    let body = page.text("#body").await;
    let password = test_support::mail::password_in_text(&body)
        .expect("the password is on the line after 認証情報パスワード");
    assert_eq!(password, mailed_password(&site, &id).await);
    page.screenshot("password-mail").await;
    page.follow("#back").await;
    page.follow("#mails a[href$=\"m-0001\"]").await;
    page.screenshot("url-mail").await;
    page.follow("#body a").await;
    let step_one = format!("{}/apply/{id}", site.url());
    assert_eq!(page.url().await, step_one);

    // Step 1, a wrong password: AUTH-FAILED, and the way back to step 1.
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
    page.screenshot("auth-failed").await;
    assert_eq!(page.text("#back").await, "ステップ 1 に戻る");
    page.follow("#back").await;
    assert_eq!(page.url().await, step_one);

    // The right password: step 2, the CSP and key length filled in by the component.
    page.type_into("#password", &password).await;
    page.follow("#login").await;
    assert_eq!(page.text("h1").await, "証明書発行サイト【ステップ 2】");
    page.wait_for("#issue:not([hidden]):not([disabled])").await;
    assert_eq!(
        page.text("#csp").await,
        "Microsoft Enhanced RSA and AES Cryptographic Provider"
    );
    assert_eq!(page.text("#key-length").await, "2048");
    page.screenshot("step-2").await;

    // 発行, the root CA (its SHA-1 as the repository publishes it), Web アクセスの確認.
    page.click("#issue").await;
    page.wait_for("dialog#component-dialog[data-dialog=\"issue\"][open]")
        .await;
    page.screenshot("dialog-issue").await;
    answer(&page, "issue", true).await;
    page.wait_for("#root-install:not([disabled])").await;
    assert_eq!(page.text("h1").await, "証明書発行サイト【ステップ 3】");
    page.screenshot("step-3").await;
    page.click("#root-install").await;
    page.wait_for("dialog#component-dialog[data-dialog=\"install-root\"][open]")
        .await;
    let thumbprints = site.thumbprints();
    assert_eq!(page.text("#dialog-sha1").await, thumbprints.sha1);
    page.screenshot("dialog-root").await;
    answer(&page, "install-root", true).await;
    page.wait_for("#client-install:not([disabled])").await;
    page.click("#client-install").await;
    page.wait_for("dialog#component-dialog[data-dialog=\"web-access\"][open]")
        .await;
    page.screenshot("dialog-web-access").await;
    answer(&page, "web-access", true).await;

    // The key, the CSR, the certificate: a PKCS#12 downloaded under the holder's name.
    page.wait_for("#p12-form").await;
    page.screenshot("passphrase").await;
    let p12 = download_pkcs12(&page, downloads.path()).await;
    assert_eq!(p12.file_name().unwrap(), "Taro_Yamada.p12");
    page.wait_for("#complete").await;
    page.click("#complete").await;
    page.wait_for("#confirm").await;
    assert_eq!(page.text("h1").await, "証明書発行サイト【ステップ 4】");
    let confirm = page.attribute("#confirm", "href").await.unwrap();
    assert_eq!(confirm, confirm_url(&site));
    assert!(page.text("#import-help").await.contains("pk12util"));
    page.screenshot("step-4").await;
    let state = admin.get(&format!("/applications/{id}")).await.unwrap();
    assert_eq!(state["state"], "completed");

    // The file opens in openssl, its certificate chains to the root, and its key never left
    // the page in a request.
    let p12_bytes = std::fs::read(&p12).unwrap();
    if have("openssl") {
        let (certificate, key) = open_pkcs12(&p12);
        let work = tempfile::tempdir().unwrap();
        std::fs::write(work.path().join("cert.pem"), &certificate).unwrap();
        std::fs::write(work.path().join("root.pem"), site.root_pem()).unwrap();
        let verified = Command::new("openssl")
            .args(["verify", "-CAfile", "root.pem", "cert.pem"])
            .current_dir(work.path())
            .output()
            .unwrap();
        assert!(
            verified.status.success(),
            "openssl verify: {}",
            String::from_utf8_lossy(&verified.stderr)
        );
        let key_base64: String = key
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN PRIVATE KEY-----"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        let key_der = base64::engine::general_purpose::STANDARD
            .decode(&key_base64)
            .unwrap();
        for exchange in page.exchanges().await {
            let Some(body) = exchange.post_data else {
                continue;
            };
            let text = String::from_utf8_lossy(&body);
            assert!(
                !text.contains(&key_base64[key_base64.len() - 64..])
                    && !body
                        .windows(64)
                        .any(|w| w == &key_der[key_der.len() - 64..]),
                "the private key in a request to {}",
                exchange.url
            );
        }
    } else {
        eprintln!("openssl not on PATH: skipping the PKCS#12's openssl checks");
    }

    // The confirmation site in a browser holding that file: 証明書確認ページ, then the holder's
    // published document.
    let Some(holder) = Browser::builder()
        .trust(site.site_trust_pem())
        .client_certificate(&confirm, &p12_bytes, PASSPHRASE)
        .launch()
        .await
    else {
        return;
    };
    let confirmation = holder.page().await;
    confirmation.open(&confirm).await;
    assert_eq!(confirmation.text("h1").await, "証明書確認ページ");
    assert!(
        confirmation
            .text("#holder")
            .await
            .contains("CN=Taro Yamada,O=Example Securities,C=JP")
    );
    confirmation.screenshot("confirm").await;
    admin
        .post(
            "/documents",
            json!({
                "application": id,
                "title": "残高証明書 2026年11月",
                "file_name": "balance-2026-11.pdf",
                "content_type": "application/pdf",
                "content": "JVBERi0xLjQK",
            }),
        )
        .await
        .unwrap();
    confirmation.follow("#documents").await;
    assert!(
        confirmation
            .text("#documents")
            .await
            .contains("残高証明書 2026年11月")
    );
    confirmation.screenshot("documents").await;

    // The site is closed for this application: a second login.
    log_in(&page, &step_one, &password).await;
    assert_eq!(
        page.text("#error .message").await,
        "有効な証明書申請はありません"
    );
    page.screenshot("no-valid-request").await;
}

#[tokio::test]
async fn no_at_each_dialog_ends_as_the_guide_says_and_a_new_login_goes_on() {
    let Some(Approved {
        site: _running,
        browser,
        admin,
        id,
        password,
        step_one,
    }) = Approved::in_a_browser().await
    else {
        return;
    };
    let state = || state_of(&admin, &id);
    let page = browser.page().await;

    // 発行's dialog answered いいえ: CSR-GENERATION-FAILED, nothing moved.
    log_in(&page, &step_one, &password).await;
    page.click("#issue").await;
    answer(&page, "issue", false).await;
    assert_eq!(
        component_message(&page, "CSR-GENERATION-FAILED").await,
        "CSR の生成に失敗しました"
    );
    page.screenshot("issue-no").await;
    assert_eq!(state().await, "approved");

    // The root's dialog answered いいえ: the install goes on without it, as cert-client does;
    // Web アクセスの確認 answered いいえ: ENROLL-CANCELLED, no key made, the application issuing.
    log_in(&page, &step_one, &password).await;
    page.click("#issue").await;
    answer(&page, "issue", true).await;
    page.click("#root-install").await;
    answer(&page, "install-root", false).await;
    page.screenshot("root-no").await;
    page.click("#client-install").await;
    answer(&page, "web-access", false).await;
    assert!(
        component_message(&page, "ENROLL-CANCELLED")
            .await
            .contains("-2147023673")
    );
    page.screenshot("web-access-no").await;
    assert_eq!(state().await, "issuing");

    // A new login resumes at step 3 (CANCEL-RESUME) and installs.
    log_in(&page, &step_one, &password).await;
    page.wait_for("#resumed").await;
    install_root_and_client(&page).await;
    page.wait_for("#p12-form").await;
    assert_eq!(state().await, "issued");
}

#[tokio::test]
async fn node_forge_is_loaded_only_when_needed_and_a_site_that_cannot_serve_it_loses_no_key() {
    let Some(Approved {
        site: _running,
        browser,
        admin,
        id,
        password,
        step_one,
    }) = Approved::in_a_browser().await
    else {
        return;
    };
    let state = || state_of(&admin, &id);
    let forge_loaded = "typeof window.forge !== 'undefined'";
    let page = browser.page().await;
    page.record_requests().await;
    page.block(&["*://*:*/assets/forge.min.js"]).await;
    // Whether the page asked for node-forge so far: a request (blocked or not), or a script of it.
    let forge_asked = || async {
        page.exchanges()
            .await
            .iter()
            .any(|x| x.url.ends_with("/assets/forge.min.js"))
            || page
                .eval::<bool>("document.querySelector('script[src*=\"forge.min.js\"]') !== null")
                .await
    };

    // Step 1, step 2 and step 3's root do without it: the component runs, the CSP is filled in.
    page.open(&step_one).await;
    page.wait_for("#component[data-ready=\"true\"]").await;
    assert!(!forge_asked().await, "step 1 asked for node-forge");
    page.type_into("#password", &password).await;
    page.follow("#login").await;
    page.wait_for("#issue:not([hidden])").await;
    assert!(!page.text("#csp").await.is_empty());
    assert!(!forge_asked().await, "step 2 asked for node-forge");
    page.click("#issue").await;
    answer(&page, "issue", true).await;
    page.click("#root-install").await;
    answer(&page, "install-root", true).await;
    assert!(!forge_asked().await, "step 3's root asked for node-forge");

    // The client certificate's install needs it for the request: the site cannot serve it, so
    // the component says it cannot reach the site, and the key it made is kept; no CSR left,
    // the application is issuing.
    page.click("#client-install").await;
    answer(&page, "web-access", true).await;
    assert_eq!(
        component_message(&page, "NETWORK").await,
        "サイトに接続できません (ページを表示できません)"
    );
    assert!(
        page.text("#component-status")
            .await
            .contains("鍵はこのブラウザに保存されています"),
        "the person is told the key is kept"
    );
    assert!(forge_asked().await);
    assert!(!page.eval::<bool>(forge_loaded).await);
    page.screenshot("forge-not-served").await;
    // What this browser keeps: (a key, a CSR) for each entry.
    let kept = || async {
        page.eval::<Vec<(bool, bool)>>(
            "new Promise((resolve) => { const open = indexedDB.open('mock-ca-enrollment'); \
             open.onsuccess = () => { const all = open.result.transaction('pending').objectStore('pending').getAll(); \
             all.onsuccess = () => resolve(all.result.map((e) => [e.keyPkcs8 !== undefined, e.csr !== undefined])); }; })",
        )
        .await
    };
    assert_eq!(
        kept().await,
        vec![(true, false)],
        "one key kept, no CSR made"
    );
    assert_eq!(state().await, "issuing");

    // Served again: a new login reuses the kept key and the install goes on.
    page.block(&[]).await;
    log_in(&page, &step_one, &password).await;
    page.wait_for("#resumed").await;
    install_root_and_client(&page).await;
    page.wait_for("#p12-form").await;
    assert!(page.eval::<bool>(forge_loaded).await);
    assert_eq!(
        kept().await,
        vec![(true, true)],
        "the same key, now with its CSR"
    );
    assert_eq!(state().await, "issued");
}

#[tokio::test]
async fn a_browser_without_webcrypto_or_on_windows_8_1_is_told_so_and_offered_no_key() {
    let Some(Approved {
        site: _running,
        browser,
        admin,
        id,
        password,
        step_one,
    }) = Approved::in_a_browser().await
    else {
        return;
    };

    // No WebCrypto: the component cannot make a key [COMPONENT-UNAVAILABLE], and says why.
    let page = browser.page().await;
    page.before_scripts(
        "Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined });",
    )
    .await;
    log_in(&page, &step_one, &password).await;
    assert_eq!(
        component_message(&page, "COMPONENT-UNAVAILABLE").await,
        "ActiveX コンポーネントは・・・できません"
    );
    let hidden: bool = page.eval("document.getElementById('issue').hidden").await;
    assert!(hidden, "no 発行 without a way to make the key");
    page.screenshot("no-webcrypto").await;

    // A browser that reports Windows 8.1 (NT 6.3): the site refuses the component [ENV-SUPPORTED].
    let page = browser.page().await;
    page.before_scripts(
        "Object.defineProperty(Navigator.prototype, 'userAgentData', { get: () => ({ platform: 'Windows', getHighEntropyValues: async () => ({ platformVersion: '0.3.0' }) }) });",
    )
    .await;
    log_in(&page, &step_one, &password).await;
    page.click("#issue").await;
    answer(&page, "issue", true).await;
    assert_eq!(
        component_message(&page, "ENV-SUPPORTED").await,
        "正式サポート OS は、Windows 10 および Windows 11 です。"
    );
    page.screenshot("env-supported").await;
    let journal = admin
        .get(&format!("/journal?application={id}&error=ENV-SUPPORTED"))
        .await
        .unwrap();
    assert_eq!(journal.as_array().unwrap().len(), 1, "{journal}");
}

#[tokio::test]
async fn a_tab_closed_after_the_certificate_arrived_is_installed_from_the_next_visit() {
    let Some(Approved {
        site: _running,
        browser,
        admin,
        id,
        password,
        step_one,
    }) = Approved::in_a_browser().await
    else {
        return;
    };
    let downloads = tempfile::tempdir().unwrap();
    let page = browser.page().await;
    log_in(&page, &step_one, &password).await;
    page.click("#issue").await;
    answer(&page, "issue", true).await;
    install_root_and_client(&page).await;
    page.wait_for("#p12-form").await;

    // The tab is closed with the certificate received but not installed; the same browser
    // comes back: step 1 offers to finish, and a login answers STEP3-ONE-WAY with the offer.
    let page = page.reopen().await;
    page.capture_downloads(downloads.path()).await;
    page.open(&step_one).await;
    page.wait_for("#resume-install").await;
    page.screenshot("step-1-offers-to-finish").await;
    log_in(&page, &step_one, &password).await;
    assert_eq!(
        page.attribute("#error", "data-catalogue-id")
            .await
            .as_deref(),
        Some("STEP3-ONE-WAY")
    );
    page.wait_for("#resume-install").await;
    page.screenshot("step3-one-way-offers-to-finish").await;
    page.click("#resume-install").await;
    answer(&page, "install-root", true).await;
    let p12 = download_pkcs12(&page, downloads.path()).await;
    page.wait_for("#confirm").await;
    page.screenshot("finished").await;
    assert!(std::fs::metadata(&p12).unwrap().len() > 0);
    let state = admin.get(&format!("/applications/{id}")).await.unwrap();
    assert_eq!(
        state["state"], "issued",
        "installed from the browser, not completed"
    );

    // Another browser has no key for it: REINSTALL-NOT-FOUND in the guide's words.
    let other = browser.page().await;
    log_in(&other, &step_one, &password).await;
    assert!(
        component_message(&other, "REINSTALL-NOT-FOUND")
            .await
            .starts_with("unknown_error:-2146885628")
    );
    other.screenshot("reinstall-not-found").await;
}

#[tokio::test]
async fn the_top_page_links_to_the_repository_which_shows_the_roots_thumbprints_and_serves_it() {
    let site = support::site().start().await.unwrap();
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
    let Some(Approved {
        site,
        browser,
        id,
        password,
        step_one,
        ..
    }) = Approved::in_a_browser().await
    else {
        return;
    };
    let page = browser.page().await;
    page.record_requests().await;
    log_in(&page, &step_one, &password).await;
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
    let Some(Approved {
        site,
        browser,
        id,
        password,
        ..
    }) = Approved::in_a_browser().await
    else {
        return;
    };
    let page = browser.page().await;
    page.disable_scripts().await;
    page.open(&format!("{}/apply/{id}", site.url())).await;
    assert_eq!(page.text("h1").await, "証明書発行サイト【ステップ 1】");
    page.screenshot("step-1-scripts-off").await;
    page.type_into("#password", &password).await;
    page.follow("#login").await;
    assert_eq!(page.text("h1").await, "証明書発行サイト【ステップ 2】");
    // The component cannot run: step 2 says so with the FAQ's answer, and offers no 発行.
    assert_eq!(
        page.attribute("#component-missing", "data-catalogue-id")
            .await
            .as_deref(),
        Some("STEP2-CSP-HIDDEN")
    );
    assert_eq!(
        page.text("#component-missing .remedy").await,
        "Microsoft Edge (Internet Explorer モード) の設定により表示されないことがあります。"
    );
    assert!(
        page.visible_text()
            .await
            .contains("JavaScript (アクティブスクリプト) が無効になっています。")
    );
    assert_eq!(page.text("#csp").await, "", "the CSP is not shown");
    let issue_hidden: bool = page.eval("document.getElementById('issue').hidden").await;
    assert!(issue_hidden, "発行 is not offered");
    page.screenshot("step-2-scripts-off").await;
}

/// A CA the site does not know (the checked-in other root), and a client certificate it issued
/// for the test subject.
fn another_cas_pkcs12() -> Vec<u8> {
    let issuer = rcgen::Issuer::from_ca_cert_pem(
        test_support::pki::OTHER_ROOT_PEM,
        KeyPair::from_pem(test_support::pki::OTHER_ROOT_KEY_PEM).unwrap(),
    )
    .unwrap();
    let key = KeyPair::from_pem(test_support::pki::holder_key(1)).unwrap();
    let mut leaf = CertificateParams::new(vec![]).unwrap();
    leaf.distinguished_name.push(DnType::CountryName, "JP");
    leaf.distinguished_name
        .push(DnType::OrganizationName, "Example Securities");
    leaf.distinguished_name
        .push(DnType::CommonName, "Taro Yamada");
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let certificate = leaf.signed_by(&key, &issuer).unwrap();
    let root = rustls_pem_der(test_support::pki::OTHER_ROOT_PEM);
    pkcs12(
        &key.serialize_der(),
        &[certificate.der().to_vec(), root],
        PASSPHRASE,
    )
}

/// The DER of a PEM certificate.
fn rustls_pem_der(pem: &str) -> Vec<u8> {
    use rustls_pki_types::{CertificateDer, pem::PemObject as _};
    CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn a_browser_holding_another_cas_certificate_opens_the_issuance_pages() {
    let site = support::site().start().await.unwrap();
    let Some(browser) = Browser::builder()
        .trust(site.site_trust_pem())
        .client_certificate(site.url(), &another_cas_pkcs12(), PASSPHRASE)
        .launch()
        .await
    else {
        return;
    };
    let id = approved(&admin_of(&site)).await;
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
    let site = support::site().start().await.unwrap();
    let Some(browser) = Browser::builder()
        .trust(site.site_trust_pem())
        .client_certificate(&confirm_url(&site), &another_cas_pkcs12(), PASSPHRASE)
        .launch()
        .await
    else {
        return;
    };
    let page = browser.page().await;
    page.record_requests().await;
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
    let password = mailed_password(site, id).await;
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
    let site = support::site().start().await.unwrap();
    let admin = admin_of(&site);
    let id = approved(&admin).await;
    let (p12, serial) = enrolled_holder(&site, &id).await;
    use base64::Engine as _;
    admin
        .post(
            "/documents",
            json!({
                "application": id,
                "title": "残高証明書 2026年11月",
                "file_name": "balance-2026-11.pdf",
                "content_type": "application/pdf",
                "content": base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 balance"),
            }),
        )
        .await
        .unwrap();
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
        let site = support::site().start().await.unwrap();
        let id = approved(&admin_of(&site)).await;
        let password = mailed_password(&site, &id).await;
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
