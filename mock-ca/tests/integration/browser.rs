//! The pages in a real browser: headless Chromium driven through chromedriver's W3C WebDriver API
//! with plain HTTP. Skipped, with a printed notice, where `chromium` or `chromedriver` is absent
//! (`.ci/run` installs both). No screenshots are taken.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use mock_ca::MockCa;
use reqwest::Client;
use serde_json::{Value, json};

use crate::support::{Admin, mailed_password};

/// The W3C name of an element reference in answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn program(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path));
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// A running chromedriver, killed on drop.
struct Driver {
    child: Child,
    url: String,
    http: Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start(chromedriver: &Path) -> Self {
        // chromedriver takes no port 0: borrow a free port from the kernel and hand it over.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: Client::new(),
        };
        // Ready when /status says so; bounded so that a broken install fails instead of hanging.
        for _ in 0..300 {
            if let Ok(response) = driver
                .http
                .get(format!("{}/status", driver.url))
                .send()
                .await
                && let Ok(status) = response.json::<Value>().await
                && status["value"]["ready"] == true
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not become ready");
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(answer["value"].get("error").is_none(), "{path}: {answer}");
        answer["value"].clone()
    }
}

/// One browser session.
struct Browser<'a> {
    driver: &'a Driver,
    session: String,
}

impl Browser<'_> {
    async fn open<'a>(driver: &'a Driver, chromium: &Path, profile: &Path) -> Browser<'a> {
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--ignore-certificate-errors", "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let session = driver
            .call(reqwest::Method::POST, "/session", Some(capabilities))
            .await;
        let browser = Browser {
            driver,
            session: session["sessionId"].as_str().unwrap().to_owned(),
        };
        // Elements are looked for until they appear (a submitted form loads the next page).
        browser
            .call(
                reqwest::Method::POST,
                "/timeouts",
                Some(json!({"implicit": 10_000})),
            )
            .await;
        browser
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.driver
            .call(method, &format!("/session/{}{path}", self.session), body)
            .await
    }

    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{css}: {found}"))
            .to_owned()
    }

    async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{element}/text"),
            None,
        )
        .await
        .as_str()
        .unwrap()
        .to_owned()
    }

    async fn attribute(&self, css: &str, name: &str) -> Value {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{element}/attribute/{name}"),
            None,
        )
        .await
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn close(self) {
        self.call(reqwest::Method::DELETE, "", None).await;
    }
}

#[tokio::test]
async fn a_person_in_chromium_sees_auth_failed_then_step_2_filled_in_by_the_component_then_says_no_to_issue()
 {
    let (Some(chromium), Some(chromedriver)) = (
        program(
            "CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        ),
        program("CHROMEDRIVER", &["/usr/bin/chromedriver"]),
    ) else {
        eprintln!(
            "notice: browser test skipped: chromium or chromedriver not found \
             (apt-get install chromium chromium-driver, or set CHROMIUM and CHROMEDRIVER)"
        );
        return;
    };
    let site = MockCa::start().await.unwrap();
    let admin = Admin::of(&site);
    let id = admin.approved().await;
    let password = mailed_password(&site, &id);
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(&chromedriver).await;
    let browser = Browser::open(&driver, &chromium, profile.path()).await;
    let step_one = format!("{}/apply/{id}", site.url());

    // Step 1, a wrong password: AUTH-FAILED's message on the page.
    browser.go(&step_one).await;
    assert_eq!(browser.text("h1").await, "証明書発行サイト【ステップ 1】");
    browser.type_into("#password", "wrong-password").await;
    browser.click("#login").await;
    assert_eq!(
        browser.text("#error .message").await,
        "認証に失敗したか、申請が承認されていません"
    );
    assert_eq!(
        browser.attribute("#error", "data-catalogue-id").await,
        "AUTH-FAILED"
    );
    assert_eq!(
        browser.text("#error .remedy").await,
        "パスワードを確認の上、正しく入力してください"
    );

    // The right password: step 2 with the CSP, the key length and the 発行 button.
    browser.go(&step_one).await;
    browser.type_into("#password", &password).await;
    browser.click("#login").await;
    assert_eq!(browser.text("h1").await, "証明書発行サイト【ステップ 2】");
    let page = browser.text("main").await;
    assert!(
        page.contains("「CSP」及び「Key 長」の表示を確認し、発行 ボタンを押します"),
        "{page}"
    );
    assert!(
        page.contains("Microsoft Enhanced RSA and AES Cryptographic Provider"),
        "{page}"
    );
    assert!(page.contains("Key 長") && page.contains("2048"), "{page}");
    assert_eq!(browser.text("#issue").await, "発行");

    // 発行: the in-page enrollment component asks as the guide's dialog does; いいえ ends with
    // CSR-GENERATION-FAILED and nothing moves.
    browser.click("#issue").await;
    assert_eq!(
        browser.attribute("#component-dialog", "data-dialog").await,
        "issue"
    );
    browser.click("#dialog-no").await;
    assert_eq!(
        browser
            .text("#component-status .component-message .message")
            .await,
        "CSR の生成に失敗しました"
    );
    assert_eq!(
        browser
            .attribute("#component-status .component-message", "data-catalogue-id")
            .await,
        "CSR-GENERATION-FAILED"
    );
    browser.close().await;

    let states = admin
        .call(reqwest::Method::GET, &format!("/applications/{id}"), None)
        .await;
    assert_eq!(states["state"], "approved", "a browser moved nothing");
}
