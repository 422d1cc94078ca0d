//! `harness reproduce ID --target URL` for every catalogue id, one after another against one
//! started site, as support uses it: each case is checked where it was left, through the admin
//! API, the files it wrote, and (for the ids a customer meets on a page) the page in headless
//! Chromium, which is skipped with a notice where Chromium is absent.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use futures_util::{StreamExt, stream};
use tokio::process::Command;

use harness::{admin::Admin, catalogue, fixtures_dir};
use mock_ca::MockCa;
use serde_json::Value;
use test_support::browser::{Browser, Page};

/// What `reproduce` printed for one case.
#[derive(Debug, Default)]
struct Printed {
    /// Application id → (state, password).
    applications: BTreeMap<String, (String, Option<String>)>,
    /// The first application's id.
    first: Option<String>,
    out: String,
}

async fn reproduce(site: &MockCa, ca: &Path, id: &str, out: &Path) -> Printed {
    let output = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["reproduce", id, "--target", site.url()])
        .args(["--admin-token", site.admin_token()])
        .arg("--site-ca")
        .arg(ca)
        .arg("--out")
        .arg(out)
        .output()
        .await
        .expect("the harness runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "reproduce {id}: {text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut printed = Printed {
        out: text.clone(),
        ..Printed::default()
    };
    let mut current = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("申請") {
            // 申請 (application) ap-0001: 状態 (state) approved
            let (_, rest) = rest.split_once("(application) ").unwrap();
            let (app, state) = rest.split_once(": 状態 (state) ").unwrap();
            printed
                .applications
                .insert(app.to_owned(), (state.to_owned(), None));
            printed.first.get_or_insert_with(|| app.to_owned());
            current = Some(app.to_owned());
        } else if let Some(password) = line.trim().strip_prefix("パスワード: ") {
            let app = current.clone().unwrap();
            printed.applications.get_mut(&app).unwrap().1 = Some(password.to_owned());
        }
    }
    assert!(
        text.contains("表示されるもの (what will be seen): "),
        "{id}: {text}"
    );
    printed
}

/// The state the case leaves its (first) application in; `None`: the case files none.
fn expected_state(id: &str) -> Option<&'static str> {
    match id {
        "SITE-REACHABLE" | "REPOSITORY-PAGE" | "CONFIRM-FORBIDDEN" => None,
        "MAIL-CUTOFF" => Some("filed"),
        "CANCEL-RESUME" => Some("issuing"),
        "STEP3-ONE-WAY" => Some("issued"),
        "STEP4-CONFIRM"
        | "CONFIRM-SITE-LISTING"
        | "SITE-ONE-TIME"
        | "NO-VALID-REQUEST"
        | "STORE-LIST"
        | "STORE-NEWEST"
        | "CHAIN-INCOMPLETE"
        | "DATA-DECRYPT"
        | "REINSTALL-NOT-FOUND"
        | "OTHER-PC" => Some("completed"),
        _ => Some("approved"),
    }
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

async fn log_in(page: &Page<'_>, url: &str, password: &str) {
    page.open(url).await;
    page.type_into("#password", password).await;
    page.follow("#login").await;
}

async fn error_id(page: &Page<'_>) -> Option<String> {
    page.attribute("#error", "data-catalogue-id").await
}

/// What the customer sees on the page, for the ids met on a page.
async fn check_page(browser: &Browser, site: &MockCa, id: &str, printed: &Printed) {
    let first = printed.first.clone();
    let application = first.as_ref().map(|a| &printed.applications[a]);
    let url = first
        .as_ref()
        .map(|a| format!("{}/apply/{a}", site.url()))
        .unwrap_or_default();
    let password = application.and_then(|(_, p)| p.clone()).unwrap_or_default();
    const ON_A_PAGE: [&str; 13] = [
        "AUTH-FAILED",
        "STEP1-LOGIN",
        "STEP2-CSP-KEYLEN",
        "MAIL-NO-DEADLINE",
        "STEP2-CSP-HIDDEN",
        "CANCEL-RESUME",
        "STEP3-ONE-WAY",
        "SITE-ONE-TIME",
        "NO-VALID-REQUEST",
        "CONFIRM-FORBIDDEN",
        "SITE-REACHABLE",
        "REPOSITORY-PAGE",
        "STEP3-ROOT-INSTALL",
    ];
    if !ON_A_PAGE.contains(&id) {
        return;
    }
    let page = browser.page_named(&format!("reproduce-{id}")).await;
    match id {
        "AUTH-FAILED" => {
            log_in(&page, &url, "not-the-password").await;
            assert_eq!(error_id(&page).await.as_deref(), Some("AUTH-FAILED"));
            page.screenshot("wrong-password").await;
            assert!(
                page.visible_text()
                    .await
                    .contains("認証に失敗したか、申請が承認されていません")
            );
            // The printed password logs in.
            log_in(&page, &url, &password).await;
            page.wait_for_text("【ステップ 2】").await;
        }
        "STEP1-LOGIN" => {
            page.open(&url).await;
            page.wait_for_text("【ステップ 1】").await;
        }
        "STEP2-CSP-KEYLEN" | "MAIL-NO-DEADLINE" => {
            log_in(&page, &url, &password).await;
            page.wait_for_text("Microsoft Enhanced RSA and AES Cryptographic Provider")
                .await;
        }
        "STEP2-CSP-HIDDEN" => {
            page.disable_scripts().await;
            log_in(&page, &url, &password).await;
            page.wait_for_text("Internet Explorer モード").await;
        }
        "STEP3-ROOT-INSTALL" => {
            log_in(&page, &url, &password).await;
            page.wait_for_text("【ステップ 2】").await;
        }
        "CANCEL-RESUME" => {
            log_in(&page, &url, &password).await;
            page.wait_for_text("【ステップ 3】").await;
        }
        "STEP3-ONE-WAY" | "SITE-ONE-TIME" | "NO-VALID-REQUEST" => {
            log_in(&page, &url, &password).await;
            let shown = error_id(&page).await;
            let wanted = if id == "STEP3-ONE-WAY" {
                "STEP3-ONE-WAY"
            } else {
                "NO-VALID-REQUEST"
            };
            assert_eq!(shown.as_deref(), Some(wanted), "{id}");
        }
        "CONFIRM-FORBIDDEN" => {
            page.open(&format!("{}/confirm", site.confirm_url())).await;
            assert_eq!(error_id(&page).await.as_deref(), Some("CONFIRM-FORBIDDEN"));
        }
        "SITE-REACHABLE" => {
            page.open(site.url()).await;
            assert!(page.title().await.contains("証明書発行サイト"), "{id}");
        }
        "REPOSITORY-PAGE" => {
            page.open(&format!("{}/repository", site.url())).await;
            let thumbprint = site.thumbprints().sha1;
            page.wait_for_text(&thumbprint).await;
        }
        _ => {}
    }
    page.screenshot("seen").await;
    page.close().await;
}

/// The cases that move the site's clock (or turn auto-approval on): run last, one at a time,
/// since the others' sessions and mails would move with it.
const MOVE_THE_CLOCK: [&str; 3] = ["MAIL-NO-DEADLINE", "MAIL-REMINDER", "MAIL-CUTOFF"];

/// Stages one case with `harness reproduce ID --target` and checks where it was left.
async fn stage_and_check(
    site: &MockCa,
    admin: &Admin,
    browser: Option<&Browser>,
    ca: &Path,
    work: &Path,
    id: &str,
) {
    let out: PathBuf = work.join(id);
    let printed = reproduce(site, ca, id, &out).await;

    // The application is where the case needs it, as the admin API tells.
    match (expected_state(id), &printed.first) {
        (None, None) => {}
        (Some(state), Some(first)) => {
            let application = admin.application(first).await.unwrap();
            assert_eq!(text(&application, "state"), state, "{id}: {}", printed.out);
            assert_eq!(printed.applications[first].0, state, "{id}");
        }
        (wanted, first) => panic!("{id}: wanted {wanted:?}, printed {first:?}"),
    }
    let first = printed.first.clone().unwrap_or_default();

    // What else the case needs, where it is kept.
    match id {
        "MAIL-URL" | "MAIL-PASSWORD" => {
            let mails = std::fs::read_dir(out.join(format!("mail-{first}/new")))
                .unwrap()
                .count();
            assert_eq!(mails, 2, "{id}");
        }
        "CERT-REQUEST-FAILED" => {
            let faults = admin.get("/faults").await.unwrap();
            let armed = faults.as_array().unwrap();
            assert!(
                armed
                    .iter()
                    .any(|f| f["spec"]["application"] == first.as_str()
                        || f["application"] == first.as_str()),
                "{faults}"
            );
        }
        "MAIL-REMINDER" => {
            let outbox = admin.outbox().await.unwrap();
            assert!(
                outbox
                    .iter()
                    .any(|m| text(m, "application") == first
                        && text(m, "catalogue") == "MAIL-REMINDER"),
                "{id}"
            );
        }
        "MAIL-CUTOFF" => {
            let application = admin.application(&first).await.unwrap();
            assert!(
                !text(&application, "approve_at").is_empty(),
                "{application}"
            );
            // Leave the site as the next cases expect it.
            admin
                .put("/auto-approve", serde_json::json!({"enabled": false}))
                .await
                .unwrap();
        }
        "DATA-DECRYPT" => {
            let documents = admin.get("/documents").await.unwrap();
            assert!(
                documents
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| text(d, "application") == first),
                "{documents}"
            );
        }
        "STEP4-CONFIRM" | "CONFIRM-SITE-LISTING" => {
            let p12 = std::fs::read(out.join("certificate.p12")).unwrap();
            let keystore = p12_keystore::KeyStore::from_pkcs12(
                &p12,
                harness::staging::PASSPHRASE,
                p12_keystore::Pkcs12ImportPolicy::Strict,
            )
            .expect("the PKCS#12 opens with the printed passphrase");
            assert!(keystore.entries().count() >= 1);
        }
        "STORE-LIST" | "CHAIN-INCOMPLETE" | "STORE-NEWEST" => {
            let store = client::Store::open(out.join("store")).unwrap();
            let listed = store.list().unwrap();
            let wanted = if id == "STORE-NEWEST" { 2 } else { 1 };
            assert_eq!(listed.len(), wanted, "{id}");
            if id == "CHAIN-INCOMPLETE" {
                assert_eq!(listed[0].chain, client::store::Chain::Incomplete);
            }
        }
        "REINSTALL-NOT-FOUND" | "OTHER-PC" => {
            let this_pc = client::Store::open(out.join("this-pc")).unwrap();
            let brought =
                std::fs::read_to_string(out.join("certificate-from-other-pc.pem")).unwrap();
            let error = this_pc.reinstall(&brought).unwrap_err();
            assert_eq!(error.id(), "REINSTALL-NOT-FOUND", "{id}");
        }
        _ => {}
    }
    if let Some(browser) = browser {
        check_page(browser, site, id, &printed).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_catalogue_id_is_staged_in_a_running_site_where_support_can_see_it() {
    let temp = tempfile::tempdir().unwrap();
    let site = MockCa::start().await.unwrap();
    let ca = temp.path().join("site-ca.pem");
    std::fs::write(&ca, site.site_trust_pem()).unwrap();
    let admin = Admin::new(
        site.url(),
        site.admin_token(),
        site.site_trust_pem().as_bytes(),
    )
    .unwrap();
    let browser = Browser::builder()
        .trust(site.site_trust_pem())
        .launch()
        .await;
    if browser.is_none() {
        eprintln!("notice: no Chromium: the pages of the staged cases are not looked at");
    }
    let entries = catalogue::load(&fixtures_dir().join("catalogue.toml")).unwrap();
    assert!(entries.len() >= 30);
    // The cases are independent (each files its own applications; faults are armed for one
    // application), so all but the clock's run four at a time, as several support staff would.
    let (last, first): (Vec<&str>, Vec<&str>) = entries
        .iter()
        .map(|entry| entry.id.as_str())
        .partition(|id| MOVE_THE_CLOCK.contains(id));
    stream::iter(first)
        .for_each_concurrent(4, |id| {
            stage_and_check(&site, &admin, browser.as_ref(), &ca, temp.path(), id)
        })
        .await;
    for id in last {
        stage_and_check(&site, &admin, browser.as_ref(), &ca, temp.path(), id).await;
    }
    if let Some(browser) = browser {
        browser.close().await;
    }
    assert_eq!(site.panics(), 0);
}
