//! The client's steps through a browser: the site's pages and their enrollment component
//! (`mock-ca/assets/component.js`) in headless Chromium, driven as a person would (the mail's URL
//! opened, the password typed, 発行 pressed, the guide's dialogs answered as the step's `answers`
//! say, the PKCS#12 downloaded under a passphrase typed twice, OK pressed).
//!
//! One Chromium serves every browser scenario of the process ([`shared`]), each scenario in
//! browser contexts of its own (one per `store`: another PC's browser), so they run in parallel
//! with the rest. What the pages showed is recorded as text (the title, each message with its
//! catalogue id, message and remedy); screenshots are artifacts under
//! `target/screenshots/harness/<scenario>/`, never snapshot material: what each step ended on, or
//! every page and dialog on the way too ([`Shots`]).
//!
//! Interruptions are those of the binary, at the same checkpoints: a script run before the page's
//! own holds the component there (`key-generation`: WebCrypto's key generation never returns;
//! `csr-sent`: the CSR's answer arrives and is never handed to the page; `certificate-received`:
//! the certificate kept in IndexedDB, the passphrase form shown), then the tab is closed. What the
//! browser kept (IndexedDB) stays in its context for the next step, as it does for a person.
//! With `browser_killed` the browser itself is killed there (SIGKILL): that store's browser is a
//! Chromium of its own on a profile kept on disk (a browser context lives in memory only), and
//! the next step starts a new one on that profile, the person opening the mail's URL again.
//!
//! A step with store expectations records what the browser kept, counted from IndexedDB.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt::Write as _,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use client::enrollment::Checkpoint;
use serde::Deserialize;
use test_support::{Browser, Page};

use super::{Run, RunError, Screenshot, Shots, transcript::Shown};
use crate::scenario::{BrowserSetting, Enroll, ReportedPlatform, Step};

/// The process's Chromium, started by the first browser scenario.
static SHARED: tokio::sync::Mutex<Option<Arc<Browser>>> = tokio::sync::Mutex::const_new(None);

/// How long a page may take to show something the harness knows.
const PATIENCE: Duration = Duration::from_secs(30);

/// The signal [`Browser::kill`] sends.
const SIGKILL: i32 = 9;

/// The passphrase the PKCS#12 files are made under (a person's own choice).
const PASSPHRASE: &str = "harness-p12";

/// The shared Chromium, started now if it is not yet; [`RunError::NoBrowser`] where Chromium or
/// NSS's tools are missing.
pub async fn shared() -> Result<Arc<Browser>, RunError> {
    let mut slot = SHARED.lock().await;
    if let Some(browser) = slot.as_ref() {
        return Ok(browser.clone());
    }
    if let Some(why) = test_support::browser::missing() {
        return Err(RunError::NoBrowser(why));
    }
    let browser = Browser::builder()
        .launch()
        .await
        .map(Arc::new)
        .ok_or_else(|| RunError::NoBrowser("Chromium could not be started".into()))?;
    *slot = Some(browser.clone());
    Ok(browser)
}

/// Closes the shared Chromium, if one was started (its temporary home and profile go with it).
/// Call it once every scenario has run: a browser left to the process's end is not closed.
pub async fn close_shared() {
    let taken = SHARED.lock().await.take();
    if let Some(browser) = taken {
        match Arc::try_unwrap(browser) {
            Ok(browser) => browser.close().await,
            // Still used somewhere: dropped with its last user, which kills it.
            Err(shared) => drop(shared),
        }
    }
}

/// What keeps browser scenarios from running here, if anything (for a skip notice).
pub fn unavailable() -> Option<String> {
    test_support::browser::missing()
}

/// One scenario's browsers: a tab (in a context of its own) per store name.
pub(super) struct Session<'b> {
    browser: &'b Browser,
    /// Where the screenshots go: `screenshots/harness/<scenario>/`.
    name: String,
    tabs: BTreeMap<String, Page<'b>>,
    /// The stores whose tab was opened anew when the last one was closed at its checkpoint, and
    /// has shown nothing since: the next step takes it as it is.
    fresh: BTreeSet<String>,
    /// The PKCS#12 each store's browser downloaded last.
    downloaded: BTreeMap<String, PathBuf>,
    /// The browsers that hold their PKCS#12 (an `install` step imported it): a Chromium each, as
    /// the shared one cannot be given one scenario's client certificate.
    holders: BTreeMap<String, Browser>,
    /// The browsers of a person's own PC (a store whose browser is killed at a checkpoint): a
    /// Chromium each on a profile kept under [`Session::pcs`]; `None` once killed.
    own_pcs: BTreeMap<String, Option<Browser>>,
    /// Where the own PCs' homes and profiles are (the run's temporary directory).
    pcs: PathBuf,
    /// The screenshots taken so far.
    pub(super) shots: Vec<Screenshot>,
    /// Whether every page and dialog is photographed, or only what each step ended on.
    every_page: bool,
}

impl<'b> Session<'b> {
    pub(super) fn new(browser: &'b Browser, scenario: &str, pcs: PathBuf, shots: Shots) -> Self {
        Self {
            browser,
            name: format!("harness/{scenario}"),
            tabs: BTreeMap::new(),
            fresh: BTreeSet::new(),
            downloaded: BTreeMap::new(),
            holders: BTreeMap::new(),
            own_pcs: BTreeMap::new(),
            pcs,
            shots: Vec::new(),
            every_page: shots == Shots::Pages,
        }
    }

    /// A fresh tab in `store`'s browser context (made at its first use): a person opening the
    /// mail's link again, with what the browser kept.
    async fn tab(&mut self, store: &str) -> Page<'b> {
        match self.tabs.remove(store) {
            Some(page) if self.fresh.remove(store) => page,
            Some(page) => page.reopen().await,
            None => self.browser.page_named(&self.name).await,
        }
    }

    /// Closes every tab and its context, and the browsers of the scenario's own.
    pub(super) async fn close(self) -> Vec<Screenshot> {
        for (_, page) in self.tabs {
            page.close().await;
        }
        for (_, holder) in self.holders {
            holder.close().await;
        }
        for browser in self.own_pcs.into_values().flatten() {
            browser.close().await;
        }
        self.shots
    }
}

/// What a page shows, as the harness reads it.
#[derive(Debug, Deserialize)]
struct Seen {
    title: String,
    /// The signs present, most decisive first (see `LOOK`).
    signs: Vec<String>,
    messages: Vec<Message>,
}

/// A message with its catalogue id: a refusal page's, the component's, or a notice.
#[derive(Debug, Deserialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Message {
    id: String,
    /// `page` (the site's refusal page), `error` or `notice` (the component's).
    kind: String,
    message: String,
    remedy: Option<String>,
}

/// What the browser kept for the site (IndexedDB), counted as the store's expectations are.
#[derive(Debug, Deserialize, Clone, Copy, Default)]
pub(super) struct Kept {
    /// Certificates whose PKCS#12 the person downloaded (key and certificate together).
    pub(super) certificates: usize,
    /// Keys inside those files.
    pub(super) keys: usize,
    /// Keys whose certificate is not yet in a downloaded file.
    pub(super) pending: usize,
    /// Downloaded files that hold the root too.
    pub(super) roots: usize,
}

/// Reads the page: ready or not (the component's first look over), the signs the harness acts
/// on, and every message with a catalogue id that a person can see. `SCRIPTS` is replaced by
/// whether the page's scripts run.
const LOOK: &str = r##"(() => {
  const section = document.getElementById("component");
  const ready = document.readyState === "complete" &&
    (!section || !SCRIPTS || section.dataset.ready === "true");
  const visible = (e) => e !== null && !e.closest("[hidden]") && e.getClientRects().length > 0;
  const signs = [];
  if (ready) {
    const look = [
      ["held", "html[data-harness-held]"],
      ["dialog", "dialog#component-dialog[open]"],
      ["error", "#component-status .component-message.error"],
      ["done", "#import-help"],
      ["complete", "#complete"],
      ["p12", "#p12-form"],
      ["resume", "#resume-install"],
      ["client", "#client-install:not([disabled])"],
      ["root", "#root-install:not([disabled])"],
      ["issue", "#issue:not([disabled])"],
      ["refused", "#error[data-catalogue-id]"],
      ["missing", "#component-missing"],
      ["login", "#password"],
    ];
    for (const [name, css] of look) {
      if (visible(document.querySelector(css))) signs.push(name);
    }
  }
  const text = (e, css) => {
    const found = e.querySelector(css);
    return found === null ? null : found.innerText.trim();
  };
  const messages = [];
  for (const e of document.querySelectorAll("[data-catalogue-id]")) {
    if (e.tagName === "SECTION" || !visible(e)) continue;
    const kind = e.id === "error" ? "page" : e.classList.contains("error") ? "error" : "notice";
    messages.push({
      id: e.dataset.catalogueId,
      kind,
      message: text(e, ".message") ?? e.innerText.trim(),
      remedy: text(e, ".remedy"),
    });
  }
  return { title: document.title, signs, messages };
})()"##;

/// What the browser kept for this site, counted (IndexedDB "mock-ca-enrollment", store "pending",
/// as component.js writes it).
const KEPT: &str = r#"new Promise((resolve) => {
  const none = { certificates: 0, keys: 0, pending: 0, roots: 0 };
  const opening = indexedDB.open("mock-ca-enrollment");
  opening.onerror = () => resolve(none);
  opening.onsuccess = () => {
    const db = opening.result;
    if (!db.objectStoreNames.contains("pending")) { db.close(); resolve(none); return; }
    const all = db.transaction("pending").objectStore("pending").getAll();
    all.onerror = () => resolve(none);
    all.onsuccess = () => {
      const entries = all.result;
      const exported = entries.filter((e) => e.certificate && e.exportedAt);
      db.close();
      resolve({
        certificates: exported.length,
        keys: exported.filter((e) => e.keyPkcs8).length,
        pending: entries.length - exported.length,
        roots: exported.filter((e) => e.rootDer).length,
      });
    };
  };
})"#;

/// How many PBKDF2 iterations the PKCS#12 files made in a harness run get: the component's own
/// count (100,000 for the key bag and as many for the MAC, in node-forge's JavaScript) costs about
/// 1.7 s of a core per file, a third of a browser scenario's time, and more than a 20-second wait
/// under load. The count is the file's protection against a guessed passphrase, which no scenario
/// examines: the file is still PBES2/AES-256 with its MAC, checked when a browser imports it
/// (`pk12util`), and mock-ca's browser tests check the component's own count with openssl.
const PKCS12_ITERATIONS: u32 = 2048;

/// Wraps node-forge's `pkcs12.toPkcs12Asn1` as `forge.min.js` defines it (`window.forge = ...`),
/// so that the component's call gets [`PKCS12_ITERATIONS`] and everything else as it gave it.
const FEWER_PKCS12_ITERATIONS: &str = concat!(
    "  let forge;\n",
    "  Object.defineProperty(window, \"forge\", { configurable: true, get: () => forge, set: (value) => {\n",
    "    if (value && value.pkcs12 && value.pkcs12.toPkcs12Asn1) {\n",
    "      const make = value.pkcs12.toPkcs12Asn1;\n",
    "      value.pkcs12.toPkcs12Asn1 = (key, certificates, passphrase, options) =>\n",
    "        make(key, certificates, passphrase, { ...options, count: HARNESS_PKCS12_ITERATIONS });\n",
    "    }\n",
    "    forge = value;\n",
    "  } });\n",
);

/// The script run before the page's own: the checkpoint to hold at, and what this browser lacks.
fn before_scripts(hold: Option<Checkpoint>, setting: BrowserSetting) -> String {
    let mut script = String::from(
        "(() => {\n  const held = (name) => {\n    document.documentElement.dataset.harnessHeld = name;\n    return new Promise(() => {});\n  };\n",
    );
    script.push_str(
        &FEWER_PKCS12_ITERATIONS
            .replace("HARNESS_PKCS12_ITERATIONS", &PKCS12_ITERATIONS.to_string()),
    );
    match hold {
        Some(Checkpoint::KeyGeneration) => script.push_str(
            "  if (window.crypto && crypto.subtle) {\n    crypto.subtle.generateKey = () => held(\"key-generation\");\n  }\n",
        ),
        Some(Checkpoint::CsrSent) => script.push_str(
            "  const fetched = window.fetch.bind(window);\n  window.fetch = (input, init) => {\n    const answer = fetched(input, init);\n    const url = String(input && input.url ? input.url : input);\n    if (init && init.method === \"POST\" && /\\/csr$/.test(url)) {\n      return answer.then((r) => r.arrayBuffer()).then(() => held(\"csr-sent\"));\n    }\n    return answer;\n  };\n",
        ),
        // Seen from outside: the passphrase form comes once the certificate is kept.
        Some(Checkpoint::CertificateReceived) | None => {}
    }
    if setting.platform == Some(ReportedPlatform::Windows81) {
        script.push_str(
            "  Object.defineProperty(Navigator.prototype, \"userAgentData\", { get: () => ({ platform: \"Windows\", getHighEntropyValues: async () => ({ platformVersion: \"0.3.0\" }) }) });\n",
        );
    }
    if !setting.webcrypto {
        script.push_str(
            "  Object.defineProperty(Crypto.prototype, \"subtle\", { get: () => undefined });\n",
        );
    }
    script.push_str("})();");
    script
}

impl Run<'_> {
    /// `enroll` in a browser: what a person does with the two mails, step by step, until the
    /// step 4 view, a message that ends it, or the checkpoint where the tab is closed.
    pub(super) async fn browser(
        &mut self,
        number: usize,
        step: &Step,
        session: &mut Session<'_>,
    ) -> Result<Shown, RunError> {
        let enroll = match step {
            Step::Enroll(enroll) => enroll,
            Step::CheckSite(_) => return self.browse_top(number, session).await,
            Step::Confirm(_) | Step::DataList(_) => {
                return self.browse_confirmation(number, step, session).await;
            }
            Step::Install(_) => return self.import(number, step, session).await,
            _ => {
                return Err(RunError::SetUp(format!(
                    "{:?} has no browser form",
                    step.action()
                )));
            }
        };
        let (url, password) = match &enroll.password {
            Some(password) => (
                self.urls
                    .get(step.application() - 1)
                    .cloned()
                    .unwrap_or_default(),
                password.clone(),
            ),
            None => match client::mailbox::read_invitation(&self.maildir(step.application())) {
                Ok(found) => (found.url, found.password),
                Err(error) => return Ok(Shown::error(&error, Vec::new())),
            },
        };
        let store = enroll.store.as_deref().unwrap_or("default").to_owned();
        let setting = enroll.browser.unwrap_or(BrowserSetting {
            scripts: true,
            webcrypto: true,
            platform: None,
        });
        let downloads = self.temp.path().join(format!("downloads/step-{number}"));
        if enroll.browser_killed || session.own_pcs.contains_key(&store) {
            return self
                .enroll_on_own_pc(number, enroll, setting, (&url, &password), session)
                .await;
        }
        let page = session.tab(&store).await;
        let (page, outcome) = drive(
            page,
            enroll,
            setting,
            number,
            (&url, &password),
            &downloads,
            session,
        )
        .await;
        let (mut shown, mut output) = match outcome {
            Ok(done) => done,
            Err(error) => {
                session.tabs.insert(store, page);
                return Err(error);
            }
        };
        if enroll.expect.store.is_some() {
            shown.kept = Some(page.try_eval::<Kept>(KEPT).await.unwrap_or_default());
        }
        // A tab closed at its checkpoint: the next step's tab is a new one in the same context.
        let page = if shown.held.is_some() {
            session.fresh.insert(store.clone());
            page.reopen().await
        } else {
            page
        };
        session.tabs.insert(store, page);
        output.append(&mut shown.output);
        shown.output = output;
        Ok(shown)
    }

    /// `enroll` in the browser of the person's own PC: a Chromium of its own whose profile stays
    /// on disk, started (again) when the step needs it. At a `browser_killed` checkpoint the
    /// browser is killed (SIGKILL): what it had written to its profile (IndexedDB) is what the
    /// next step's new browser finds when the person opens the mail's URL again.
    async fn enroll_on_own_pc(
        &mut self,
        number: usize,
        enroll: &Enroll,
        setting: BrowserSetting,
        (url, password): (&str, &str),
        session: &mut Session<'_>,
    ) -> Result<Shown, RunError> {
        let store = enroll.store.as_deref().unwrap_or("default").to_owned();
        let downloads = self.temp.path().join(format!("downloads/step-{number}"));
        let dir = session.pcs.join(&store);
        let mut started = Vec::new();
        let slot = session.own_pcs.entry(store.clone()).or_default();
        if slot.is_none() {
            if dir.exists() {
                started.push(
                    "  新しいブラウザを起動しました (a new browser on the same PC: the profile the killed one left on disk)"
                        .to_owned(),
                );
            }
            *slot = Browser::builder()
                .trust(&String::from_utf8_lossy(&self.site.site_trust_pem))
                .own_pc(&dir)
                .launch()
                .await;
        }
        let Some(browser) = slot.as_ref() else {
            return Err(RunError::NoBrowser("Chromium could not be started".into()));
        };
        let page = browser.page_in_profile(&session.name).await;
        let shots = (&mut session.shots, session.every_page);
        let downloaded = &mut session.downloaded;
        let (page, outcome) = drive_into(
            page,
            enroll,
            setting,
            number,
            (url, password),
            &downloads,
            shots,
            downloaded,
            &store,
        )
        .await;
        let (mut shown, mut output) = match outcome {
            Ok(done) => done,
            Err(error) => {
                page.close().await;
                return Err(error);
            }
        };
        if shown.held.is_some() && enroll.browser_killed {
            drop(page);
            if let Some(browser) = session.own_pcs.get_mut(&store).and_then(Option::take) {
                browser.kill();
            }
            shown.output.push(
                "  ブラウザが強制終了されました (kill -9): 開いていたページは失われました"
                    .to_owned(),
            );
            shown.killed = Some(SIGKILL);
        } else {
            if enroll.expect.store.is_some() {
                shown.kept = Some(page.try_eval::<Kept>(KEPT).await.unwrap_or_default());
            }
            page.close().await;
        }
        started.append(&mut output);
        started.append(&mut shown.output);
        shown.output = started;
        Ok(shown)
    }
}

/// A person through one enrollment step at `page`: the page made ready (downloads, the held
/// checkpoint, what the browser lacks), then driven; the page back, and what the step showed
/// with the lines before its result. Screenshots and the PKCS#12 downloaded go to the session.
async fn drive<'x>(
    page: Page<'x>,
    enroll: &Enroll,
    setting: BrowserSetting,
    number: usize,
    credentials: (&str, &str),
    downloads: &std::path::Path,
    session: &mut Session<'_>,
) -> (Page<'x>, Result<(Shown, Vec<String>), RunError>) {
    let store = enroll.store.as_deref().unwrap_or("default").to_owned();
    drive_into(
        page,
        enroll,
        setting,
        number,
        credentials,
        downloads,
        (&mut session.shots, session.every_page),
        &mut session.downloaded,
        &store,
    )
    .await
}

#[expect(
    clippy::too_many_arguments,
    reason = "a session's two fields apart, so that the page may borrow a third"
)]
async fn drive_into<'x>(
    page: Page<'x>,
    enroll: &Enroll,
    setting: BrowserSetting,
    number: usize,
    (url, password): (&str, &str),
    downloads: &std::path::Path,
    (shots, every_page): (&mut Vec<Screenshot>, bool),
    downloaded: &mut BTreeMap<String, PathBuf>,
    store: &str,
) -> (Page<'x>, Result<(Shown, Vec<String>), RunError>) {
    if let Err(error) = std::fs::create_dir_all(downloads) {
        return (page, Err(RunError::SetUp(error.to_string())));
    }
    page.capture_downloads(downloads).await;
    page.before_scripts(&before_scripts(enroll.interrupt, setting))
        .await;
    if !setting.scripts {
        page.disable_scripts().await;
    }
    let mut person = Person {
        page,
        enroll,
        scripts: setting.scripts,
        number,
        output: Vec::new(),
        title: String::new(),
        seen: BTreeSet::new(),
        shots: Vec::new(),
        every_page,
        downloaded: None,
    };
    let outcome = person.enroll(url, password, downloads).await;
    if outcome.is_err() {
        person.shot_of_failure().await;
    }
    let Person {
        page,
        output,
        shots: taken,
        downloaded: file,
        ..
    } = person;
    shots.extend(taken);
    if let Some(file) = file {
        downloaded.insert(store.to_owned(), file);
    }
    (page, outcome.map(|shown| (shown, output)))
}

impl Run<'_> {
    /// `check-site` in a browser: the site's top page, then its link to the repository (the
    /// root's thumbprints as published), each recorded; the repository photographed, and the
    /// top page with [`Shots::Pages`].
    async fn browse_top(
        &mut self,
        number: usize,
        session: &mut Session<'_>,
    ) -> Result<Shown, RunError> {
        let page = session.tab("default").await;
        let mut person = Person::at(page, number, session.every_page);
        person.page.open(&format!("{}/", self.site.url)).await;
        let top = person.look().await?;
        person.record(&top);
        let status = person.page.text("#status").await;
        person.output.push(format!("  {status}"));
        person.shot_on_the_way("top").await;
        person.page.follow("#repository").await;
        let repository = person.look().await?;
        person.record(&repository);
        let notice = person.page.text("#notice").await;
        let sha1 = person.page.text("#sha1").await;
        let sha256 = person.page.text("#sha256").await;
        person.output.push(format!("  {notice}"));
        person
            .output
            .push(format!("  拇印 (sha1): {sha1}\n  拇印 (sha256): {sha256}"));
        person.shot("repository").await;
        let Person {
            page,
            output,
            shots,
            ..
        } = person;
        session.shots.extend(shots);
        session.tabs.insert("default".into(), page);
        Ok(Shown::lines(output))
    }
}

impl Run<'_> {
    /// `confirm` or `data-list` in a browser: the confirmation site (its page, or its download
    /// page) opened as the customer would. A browser that imported its PKCS#12 (an `install`
    /// step) presents the certificate: 証明書確認ページ with the holder and the listing, or the
    /// documents with the DATA-DECRYPT notice. Any other shows what a customer sees who
    /// downloaded the file but has not imported it (CONFIRM-FORBIDDEN).
    async fn browse_confirmation(
        &mut self,
        number: usize,
        step: &Step,
        session: &mut Session<'_>,
    ) -> Result<Shown, RunError> {
        let store = step.store().unwrap_or("default").to_owned();
        let documents = matches!(step, Step::DataList(_));
        let url = format!(
            "{}/{}",
            self.site.confirm_url,
            if documents { "documents" } else { "confirm" }
        );
        let label = if documents {
            "documents"
        } else {
            "confirmation-site"
        };
        if let Some(holder) = session.holders.get(&store) {
            let page = holder.page_named(&session.name).await;
            let mut person = Person::at(page, number, session.every_page);
            person.output.push(if store == "default" {
                "  証明書をインポートしたブラウザで開きます".to_owned()
            } else {
                format!("  証明書をインポートしたブラウザ ({store}) で開きます")
            });
            let outcome = person.confirmation_site(&url, label).await;
            if outcome.is_err() {
                person.shot_of_failure().await;
            }
            let Person {
                page,
                output,
                shots,
                ..
            } = person;
            page.close().await;
            session.shots.extend(shots);
            return outcome.map(|new| Shown::from_page(output, new));
        }
        let page = session.tab(&store).await;
        let mut person = Person::at(page, number, session.every_page);
        let outcome = person.confirmation_site(&url, label).await;
        if outcome.is_err() {
            person.shot_of_failure().await;
        }
        let Person {
            page,
            output,
            shots,
            ..
        } = person;
        session.shots.extend(shots);
        session.tabs.insert(store, page);
        outcome.map(|new| Shown::from_page(output, new))
    }

    /// `install` in a browser: the PKCS#12 this browser downloaded imported into its certificate
    /// store (`pk12util -i`, as step 4's help says, under the passphrase typed when it was made),
    /// the browser started again: from now on its confirmation-site steps run in a Chromium of
    /// their own that holds it and presents it to the confirmation site.
    async fn import(
        &mut self,
        number: usize,
        step: &Step,
        session: &mut Session<'_>,
    ) -> Result<Shown, RunError> {
        let store = step.store().unwrap_or("default").to_owned();
        let file = session.downloaded.get(&store).cloned().ok_or_else(|| {
            RunError::SetUp(format!(
                "step {number}: the browser ({store}) downloaded no PKCS#12 to import"
            ))
        })?;
        let p12 = std::fs::read(&file).map_err(|e| RunError::SetUp(e.to_string()))?;
        let holder = Browser::builder()
            .trust(&String::from_utf8_lossy(&self.site.site_trust_pem))
            .client_certificate(&self.site.confirm_url, &p12, PASSPHRASE)
            .launch()
            .await
            .ok_or_else(|| RunError::NoBrowser("Chromium could not be started".into()))?;
        if let Some(earlier) = session.holders.insert(store, holder) {
            earlier.close().await;
        }
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Shown::lines(vec![
            format!(
                "  PKCS#12 ファイルをブラウザの証明書ストアにインポートしました: pk12util -i {name}"
            ),
            "  ブラウザを起動し直しました (the browser restarted, holding the certificate)".into(),
        ]))
    }
}

impl Shown {
    /// What a page step showed: its lines, and the first new message that is not a notice as
    /// its result.
    fn from_page(output: Vec<String>, new: Vec<Message>) -> Self {
        let mut shown = Self::lines(output);
        if let Some(error) = new.into_iter().find(|m| m.kind != "notice") {
            shown.id = Some(error.id);
            shown.message = Some(error.message);
        }
        shown
    }
}

/// What the confirmation site's pages show beyond their messages: the holder, the listing of
/// the holder's certificates, the documents (empty where the page is not there).
const CONFIRMATION: &str = r##"(() => {
  const text = (e) => (e === null ? "" : e.innerText.trim());
  const holder = document.querySelector("#holder");
  const lines = [];
  if (holder !== null) {
    lines.push(`証明書 (holder): ${text(holder.querySelector(".subject"))} シリアル ${text(holder.querySelector(".serial"))}`);
  }
  const heading = [...document.querySelectorAll("h2")].find((h) => h.innerText.includes("一覧"));
  if (heading && heading.nextElementSibling) lines.push(text(heading.nextElementSibling));
  for (const row of document.querySelectorAll("#certificates tr")) {
    const cells = row.querySelectorAll("td");
    if (cells.length >= 2) lines.push(`一覧 (listed): ${text(cells[0])} シリアル ${text(cells[1])}`);
  }
  for (const row of document.querySelectorAll("table#documents tr")) {
    const cells = row.querySelectorAll("td");
    if (cells.length >= 2) lines.push(`データ (document): ${text(cells[0])} — ${text(cells[1])}`);
  }
  const none = document.querySelector("#no-documents");
  if (none !== null) lines.push(text(none));
  return lines;
})()"##;

/// What a step that is not an enrollment answers: nothing.
static NO_ENROLLMENT: std::sync::LazyLock<Enroll> = std::sync::LazyLock::new(Enroll::nothing);

/// The sign to act on next: the most decisive one not yet acted on nor declined. Step 1's form
/// is for a fresh visit: once the component is at work (an offer taken), its dialog or message
/// comes next, not a login.
fn next<'s>(
    signs: &'s [String],
    acted: &BTreeSet<String>,
    declined: &BTreeSet<String>,
) -> Option<&'s String> {
    signs.iter().find(|s| {
        !acted.contains(*s) && !declined.contains(*s) && (*s != "login" || acted.is_empty())
    })
}

/// A person at one tab, through one enrollment step.
struct Person<'p, 'b> {
    page: Page<'b>,
    enroll: &'p Enroll,
    scripts: bool,
    number: usize,
    output: Vec<String>,
    /// The title last recorded.
    title: String,
    /// The messages recorded so far.
    seen: BTreeSet<Message>,
    shots: Vec<Screenshot>,
    /// Whether the pages and dialogs on the way are photographed too ([`Shots::Pages`]).
    every_page: bool,
    /// The PKCS#12 downloaded in this step.
    downloaded: Option<PathBuf>,
}

impl<'b> Person<'static, 'b> {
    /// A person at `page` for a step that is not an enrollment.
    fn at(page: Page<'b>, number: usize, every_page: bool) -> Self {
        Self {
            page,
            enroll: &NO_ENROLLMENT,
            scripts: true,
            number,
            output: Vec::new(),
            title: String::new(),
            seen: BTreeSet::new(),
            shots: Vec::new(),
            every_page,
            downloaded: None,
        }
    }
}

impl Person<'_, '_> {
    /// The confirmation site's `url` opened: its title, messages and what it lists recorded,
    /// photographed as `label`; the new messages.
    async fn confirmation_site(
        &mut self,
        url: &str,
        label: &str,
    ) -> Result<Vec<Message>, RunError> {
        self.page.open(url).await;
        let seen = self.look().await?;
        let new = self.record(&seen);
        let lines: Vec<String> =
            self.page.try_eval(CONFIRMATION).await.map_err(|e| {
                RunError::SetUp(format!("step {}: reading the page: {e}", self.number))
            })?;
        self.output
            .extend(lines.into_iter().map(|l| format!("  {l}")));
        self.shot(label).await;
        Ok(new)
    }

    async fn enroll(
        &mut self,
        url: &str,
        password: &str,
        downloads: &std::path::Path,
    ) -> Result<Shown, RunError> {
        self.page.open(url).await;
        let mut acted: BTreeSet<String> = BTreeSet::new();
        // Offers seen and not taken: they do not stop a login.
        let mut declined: BTreeSet<String> = BTreeSet::new();
        let mut last_error: Option<Message> = None;
        loop {
            let seen = self.settled(&acted, &declined).await?;
            let new_messages = self.record(&seen);
            if let Some(error) = new_messages.into_iter().rfind(|m| m.kind != "notice") {
                last_error = Some(error);
            }
            let Some(sign) = next(&seen.signs, &acted, &declined).cloned() else {
                continue;
            };
            match sign.as_str() {
                "held" => {
                    let point = self.enroll.interrupt.map_or("?", |p| p.name());
                    self.shot(&format!("held-{point}")).await;
                    return Ok(Shown {
                        held: self.enroll.interrupt,
                        ..Shown::default()
                    });
                }
                "dialog" => self.answer().await,
                "done" => {
                    self.shot("step-4").await;
                    return Ok(Shown::default());
                }
                "p12" if self.enroll.interrupt == Some(Checkpoint::CertificateReceived) => {
                    self.shot("held-certificate-received").await;
                    return Ok(Shown {
                        held: self.enroll.interrupt,
                        ..Shown::default()
                    });
                }
                "p12" => {
                    self.shot_on_the_way("passphrase").await;
                    self.page.type_into("#p12-passphrase", PASSPHRASE).await;
                    self.page
                        .type_into("#p12-passphrase-again", PASSPHRASE)
                        .await;
                    self.page.click("#p12-download").await;
                    let file = self.page.wait_for_download(downloads).await;
                    let name = file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    self.output
                        .push(format!("  PKCS#12 ファイルをダウンロードしました: {name}"));
                    self.downloaded = Some(file);
                }
                "login" => {
                    self.shot_on_the_way("step-1").await;
                    self.page.type_into("#password", password).await;
                    self.page.follow("#login").await;
                }
                // The offer to finish an install cut short is taken; the offer to make the file
                // again (the install was completed) is not what this step is about.
                "resume" if self.page.text("#resume-install").await != "インストールを完了する" =>
                {
                    declined.insert(sign);
                    continue;
                }
                "complete" | "resume" | "client" | "root" | "issue" => {
                    let css = match sign.as_str() {
                        "complete" => "#complete",
                        "resume" => "#resume-install",
                        "client" => "#client-install",
                        "root" => "#root-install",
                        _ => "#issue",
                    };
                    if sign == "issue" {
                        self.shot_on_the_way("step-2").await;
                    }
                    // The offer a person finds on coming back (a closed tab, a new browser).
                    if sign == "resume" {
                        self.shot_on_the_way("resume").await;
                    }
                    let label = self.page.text(css).await;
                    self.output.push(format!("  押す (press): {label}"));
                    self.page.click(css).await;
                }
                // What ends the step: a message that is not a notice.
                "error" | "refused" | "missing" => {
                    self.shot(&sign.clone()).await;
                    let shown = last_error
                        .clone()
                        .or_else(|| seen.messages.iter().find(|m| m.kind != "notice").cloned())
                        .map(|m| Shown {
                            id: Some(m.id),
                            message: Some(m.message),
                            ..Shown::default()
                        })
                        .unwrap_or_default();
                    return Ok(shown);
                }
                other => {
                    return Err(RunError::SetUp(format!("the page showed {other}")));
                }
            }
            // A dialog comes again (the next one); everything else is done once.
            if sign != "dialog" {
                acted.insert(sign);
            }
        }
    }

    /// Waits for the page to settle and show a sign not yet acted on; what it shows then.
    async fn settled(
        &self,
        acted: &BTreeSet<String>,
        declined: &BTreeSet<String>,
    ) -> Result<Seen, RunError> {
        let look = LOOK.replace("SCRIPTS", if self.scripts { "true" } else { "false" });
        // `next` as the page can tell it, so that the page waits for it by itself.
        let json = |set: &BTreeSet<String>| serde_json::to_string(set).unwrap_or_default();
        let actionable = format!(
            "value !== null && value.signs.some((s) => !{acted}.includes(s) && !{declined}.includes(s) && (s !== 'login' || {fresh}))",
            acted = json(acted),
            declined = json(declined),
            fresh = acted.is_empty(),
        );
        let deadline = Instant::now() + PATIENCE;
        loop {
            // A page being replaced cannot be read: that is "not yet".
            if let Ok(seen) = self.page.poll_in_page::<Seen>(&look, &actionable).await
                && next(&seen.signs, acted, declined).is_some()
            {
                return Ok(seen);
            }
            if Instant::now() > deadline {
                let text = self.page.visible_text().await;
                return Err(RunError::SetUp(format!(
                    "step {}: the page ({}) showed nothing to act on within {PATIENCE:?} (done: {acted:?}); it reads:\n{text}",
                    self.number,
                    self.page.url().await,
                )));
            }
        }
    }

    /// The page once loaded, read.
    async fn look(&self) -> Result<Seen, RunError> {
        let look = LOOK.replace("SCRIPTS", "false");
        self.page
            .try_eval::<Seen>(&look)
            .await
            .map_err(|e| RunError::SetUp(format!("step {}: reading the page: {e}", self.number)))
    }

    /// Records the page's title when it changed, and each message not recorded yet; the new
    /// messages.
    fn record(&mut self, seen: &Seen) -> Vec<Message> {
        if seen.title != self.title {
            self.title = seen.title.clone();
            self.output.push(format!("  画面 (page): {}", seen.title));
        }
        let mut new = Vec::new();
        for message in &seen.messages {
            if self.seen.insert(message.clone()) {
                let mut line = format!("  [{}] ({}) {}", message.id, message.kind, message.message);
                if let Some(remedy) = &message.remedy {
                    let _ = write!(line, "\n    → {remedy}");
                }
                self.output.push(line);
                new.push(message.clone());
            }
        }
        new
    }

    /// Answers the guide's dialog that is open, as the step's `answers` say (unanswered: いいえ).
    async fn answer(&mut self) {
        let name: String = self
            .page
            .attribute("dialog#component-dialog[open]", "data-dialog")
            .await
            .unwrap_or_default();
        let title = self.page.text("#component-dialog-title").await;
        let answers = &self.enroll.answers;
        let yes = match name.as_str() {
            "issue" => answers.issue,
            "install-root" => answers.install_root,
            "web-access" => answers.web_access,
            _ => None,
        }
        .unwrap_or(false);
        if self.every_page {
            self.shot_window(&format!("dialog-{name}")).await;
        }
        let said = if yes { "はい" } else { "いいえ" };
        self.output
            .push(format!("  ? {name} → {said}   (ダイアログ: {title})"));
        self.page
            .click(if yes { "#dialog-yes" } else { "#dialog-no" })
            .await;
        // The dialog goes before anything else is looked at.
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline
            && !self
                .page
                .poll_in_page::<bool>(
                    "document.querySelector('dialog#component-dialog[open]') === null",
                    "value",
                )
                .await
                .unwrap_or(false)
        {}
    }

    /// What the page showed when the step could not go on, whatever [`Shots`] says: a run's
    /// picture of where it stopped. A capture that fails as well is left out, not a second error.
    async fn shot_of_failure(&mut self) {
        if let Ok(path) = self.page.try_screenshot("failed").await {
            self.keep_shot("failed", path);
        }
    }

    /// A page on the way, not what the step ended on: photographed with [`Shots::Pages`].
    async fn shot_on_the_way(&mut self, label: &str) {
        if self.every_page {
            self.shot(label).await;
        }
    }

    async fn shot(&mut self, label: &str) {
        let path: PathBuf = self.page.screenshot(label).await;
        self.keep_shot(label, path);
    }

    /// A screenshot of the window only, as the person sees it with a modal dialog open.
    async fn shot_window(&mut self, label: &str) {
        let path: PathBuf = self.page.screenshot_window(label).await;
        self.keep_shot(label, path);
    }

    fn keep_shot(&mut self, label: &str, path: PathBuf) {
        self.shots.push(Screenshot {
            step: self.number,
            caption: if self.title.is_empty() {
                label.to_owned()
            } else {
                format!("{} ({label})", self.title)
            },
            path,
        });
    }
}
