//! Headless Chromium for tests, over the DevTools protocol (chromiumoxide, no chromedriver).
//!
//! [`Browser`] is one Chromium process: Chromium's headless shell (the same engine without the
//! browser's user interface, far cheaper to start and to run) unless it is to present a client
//! certificate, which the shell never does; then the full Chromium. It has a home of its own:
//! `$HOME/.pki/nssdb` is a fresh NSS database, which is where Chromium on Linux looks for trusted
//! anchors and client certificates, and a fresh `--user-data-dir`. Both are temporary
//! directories, removed when the browser is dropped (the process is killed first).
//! [`Browser::launch`] answers `None`, after printing a notice naming what is missing, where
//! Chromium or NSS's tools are absent: the test then skips.
//!
//! What must be known before Chromium starts is given to the [`Launch`] builder:
//! - [`Launch::trust`] (or [`Browser::trust`] later): a site's TLS anchor becomes a trusted CA of
//!   the NSS database (`certutil -A -t "C,,"`); certificate errors are never ignored.
//! - [`Launch::client_certificate`]: a PKCS#12 imported with `pk12util`, presented to one origin
//!   without a prompt. Chromium's AutoSelectCertificateForUrls setting is written into the fresh
//!   profile's `Default/Preferences` (the same content setting the enterprise policy of that name
//!   fills), so nothing is written under `/etc` (a policy file in
//!   `/etc/chromium/policies/managed/` works as well, tried, but needs root and is seen by every
//!   Chromium on the machine). Chromium offers a site only the certificates
//!   whose issuer is among the CAs the server's CertificateRequest names: a certificate of another
//!   CA is held but never presented to a site that names its own.
//!
//! [`Launch::own_pc`] puts the home and the profile in a directory of the caller's that outlives
//! the browser: a person's own PC, where a browser killed ([`Browser::kill`]) and started again
//! finds what the last one kept on disk (IndexedDB, cookies, the NSS database);
//! [`Browser::page_in_profile`] opens a tab in that profile itself (a browser context of its own
//! is kept in memory only, and dies with the process).
//!
//! [`Browser::page`] opens a tab in a browser context of its own (`Target.createBrowserContext`:
//! cookies, storage and cache apart, like a fresh profile), so one Chromium can serve several
//! tests or scenarios at once. Found by experiment (Chromium 156): the profile's certificate
//! auto-selection holds in those contexts too, and without it a site that asks for a client
//! certificate leaves the page waiting for a person's choice. The NSS database (trust, client
//! certificates) is the process's, shared by its contexts. The browser's DevTools connection is
//! served by a task of the tokio runtime that launched it: share a browser within one runtime.
//!
//! [`Page`] is what a test does as a person would (open, click, type, wait for a text) and what
//! it reads back (visible text, attributes, screenshots under `target/screenshots/<test>/`,
//! downloads, and once asked ([`Page::record_requests`]) every request the page made with its
//! body). Waits are bounded ([`WAIT`]) and poll
//! for a condition; a wait that times out panics with the URL and the page's text.
//!
//! The shell's tabs make frames on demand (`Target.createTarget`'s `enableBeginFrameControl`,
//! with `--run-all-compositor-stages-before-draw`): a page is painted, rastered and composited
//! only for a screenshot, which is that frame's picture (`HeadlessExperimental.beginFrame`),
//! one frame at a time in the browser. Nothing else here waits for a frame; a click's mouse move,
//! which would, is sent with its press. The full browser has no such control and draws as usual.
//! A browser whose process ends (a crash, a kill) fails every command waiting on it at once.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use base64::Engine;
use chromiumoxide::{
    BrowserConfig,
    cdp::{
        browser_protocol::{
            browser::{BrowserContextId, SetDownloadBehaviorBehavior, SetDownloadBehaviorParams},
            emulation::SetScriptExecutionDisabledParams,
            headless_experimental::BeginFrameParams,
            input::{
                DispatchMouseEventParams, DispatchMouseEventType, InsertTextParams, MouseButton,
            },
            network::{
                BlockPattern, DisableParams, EnableParams, EventRequestWillBeSent,
                EventResponseReceived, GetRequestPostDataParams, SetBlockedUrLsParams,
            },
            page::{CaptureScreenshotFormat, CaptureScreenshotParams, Viewport},
            storage::GetCookiesParams as StorageGetCookiesParams,
            target::CreateTargetParams,
        },
        js_protocol::runtime::EvaluateParams,
    },
    layout::Point,
};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use tempfile::TempDir;

/// How long a wait (for a page, a selector, a text) may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// The window's size in CSS pixels, and so a screenshot's unless the page is longer. XGA: the
/// site's pages (a column of 770 px) and the component's dialogs fit, and a screenshot costs the
/// browser ~40 % less CPU than at 1280×1000 (it follows the pixels drawn and encoded; a hundred
/// screenshots a harness run).
pub const WINDOW: (u32, u32) = (1024, 768);

/// How long a screenshot asks for frames until one has a picture: the first frame of a new
/// document often has none (its renderer's first frame not yet in the browser's).
const FRAME_PATIENCE: Duration = Duration::from_secs(10);

/// The pause between two frames that drew no picture.
const FRAME_AGAIN: Duration = Duration::from_millis(10);

/// How often a browser's process is looked at, to notice its end ([`Launch::launch`]).
const EXIT_WATCH: Duration = Duration::from_millis(250);

/// How often a wait looks again from outside the page (a new document, a download).
const POLL: Duration = Duration::from_millis(50);

/// How often a wait inside the page ([`Page::poll_in_page`]) looks again, by the page's own timer.
const IN_PAGE_POLL_MS: u64 = 15;

/// How long one wait inside the page lasts before it answers anyway (the caller's deadline is
/// then looked at, and the wait made again).
const IN_PAGE_SLICE_MS: u64 = 1000;

/// How long a download may take: the component's PKCS#12 spends 2 × 100,000 PBKDF2 iterations in
/// node-forge's JavaScript before the file exists, seconds of a core that stretch past [`WAIT`]
/// when every core is busy (several browsers at once under `make test`).
const DOWNLOAD_WAIT: Duration = Duration::from_secs(90);

/// What a browser needs before it starts; [`Browser::builder`] makes one.
#[derive(Default)]
#[must_use = "a Launch does nothing until .launch() is awaited"]
pub struct Launch {
    anchors: Vec<String>,
    identities: Vec<Identity>,
    /// The home and profile's directory when it is the caller's (kept after the browser).
    own_pc: Option<PathBuf>,
}

/// A PKCS#12 to present to one origin.
struct Identity {
    origin: String,
    p12: Vec<u8>,
    passphrase: String,
}

impl Launch {
    /// Trusts `anchor_pem` (one or more PEM certificates) as a CA for TLS servers.
    pub fn trust(mut self, anchor_pem: &str) -> Self {
        self.anchors.push(anchor_pem.to_owned());
        self
    }

    /// Imports `p12` (under `passphrase`) and presents its certificate to `origin` (a URL; its
    /// scheme, host and port count) whenever that origin asks for one, without a prompt.
    pub fn client_certificate(mut self, origin: &str, p12: &[u8], passphrase: &str) -> Self {
        self.identities.push(Identity {
            origin: origin_of(origin),
            p12: p12.to_vec(),
            passphrase: passphrase.to_owned(),
        });
        self
    }

    /// Keeps the home (its NSS database) and the profile in `dir` (`dir/home`, `dir/profile`,
    /// made if absent) rather than in temporary directories: they stay after the browser is
    /// closed or killed, and a browser launched again on `dir` starts from what they hold, as a
    /// person's browser does on their own PC.
    pub fn own_pc(mut self, dir: &Path) -> Self {
        self.own_pc = Some(dir.to_path_buf());
        self
    }

    /// Starts Chromium; `None`, after a printed notice, where a program it needs is missing.
    pub async fn launch(self) -> Option<Browser> {
        if let Some(why) = missing() {
            eprintln!("notice: browser test skipped: {why}");
            return None;
        }
        // The shell where no client certificate is to be presented: it never presents one (its
        // certificate selection answers "none"), and it is the lighter browser by far.
        let (chromium, mode) = match headless_shell() {
            Some(shell) if self.identities.is_empty() => (shell, Headless::Shell),
            _ => (chromium()?, Headless::New),
        };
        if !self.identities.is_empty() && !on_path("pk12util") {
            eprintln!(
                "notice: browser test skipped: pk12util not found \
                 (apt-get install libnss3-tools): no client certificate can be imported"
            );
            return None;
        }
        let (home, profile) = match &self.own_pc {
            Some(dir) => (Dir::Kept(dir.join("home")), Dir::Kept(dir.join("profile"))),
            None => (
                Dir::Temporary(TempDir::with_prefix("browser-home-").expect("a temporary HOME")),
                Dir::Temporary(
                    TempDir::with_prefix("browser-profile-").expect("a temporary profile"),
                ),
            ),
        };
        let nssdb = home.path().join(".pki/nssdb");
        let db = format!("sql:{}", nssdb.display());
        // A kept home already has its database, and the anchors and identities given before.
        let earlier_anchors = count_files(home.path(), "anchor-");
        let earlier_identities = count_files(home.path(), "identity-");
        if !nssdb.join("cert9.db").exists() {
            fs::create_dir_all(&nssdb).expect("the NSS database's directory");
            fs::create_dir_all(profile.path()).expect("the profile's directory");
            run("certutil", ["-N", "--empty-password", "-d", &db]);
        }
        for (n, anchor) in self.anchors.iter().enumerate() {
            add_anchor(home.path(), earlier_anchors + n, anchor);
        }
        for (n, identity) in self.identities.iter().enumerate() {
            let file = home
                .path()
                .join(format!("identity-{}.p12", earlier_identities + n));
            fs::write(&file, &identity.p12).expect("the PKCS#12's file");
            let file = file.display().to_string();
            run(
                "pk12util",
                ["-i", &file, "-d", &db, "-W", &identity.passphrase, "-K", ""],
            );
        }
        write_auto_selection(profile.path(), &self.identities);

        let mut config = BrowserConfig::builder();
        // The shell is headless by itself; chromiumoxide's default is its `--headless`.
        if mode == Headless::New {
            config = config.new_headless_mode();
        }
        let config = config
            .chrome_executable(&chromium)
            .disable_default_args()
            .no_sandbox()
            // Trust comes from the NSS database; a certificate error must fail the page.
            .respect_https_errors()
            .user_data_dir(profile.path())
            .env("HOME", home.path().display().to_string())
            .window_size(WINDOW.0, WINDOW.1)
            .viewport(None)
            .args([
                "disable-gpu",
                "disable-quic",
                "no-first-run",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "disable-dev-shm-usage",
                "password-store=basic",
            ])
            // The full browser's own user interface draws its address bar's suggestions with
            // web pages of its own (chrome://omnibox-popup.top-chrome/), made at the start in
            // renderers of their own: ~1 CPU-second a start, for a popup that never opens here.
            // The shell has no such UI; the flag is harmless there.
            .arg("disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup")
            // The shell's tabs make a frame only when asked (`HeadlessExperimental.beginFrame`,
            // which needs this switch): see [`Browser::tab`].
            .args((mode == Headless::Shell).then_some("run-all-compositor-stages-before-draw"))
            .launch_timeout(Duration::from_secs(60))
            .request_timeout(WAIT)
            .build()
            .expect("a valid Chromium configuration");
        let (mut cdp, mut handler) = chromiumoxide::Browser::launch(config)
            .await
            .unwrap_or_else(|e| panic!("Chromium ({}) did not start: {e}", chromium.display()));
        // The DevTools connection is served by this task for as long as the browser lives.
        // chromiumoxide does not notice a connection that ended: were Chromium to crash, every
        // command would wait out its time and `close` for ever. Its end is watched here instead,
        // and ends the connection's task, which fails what waits for an answer, at once.
        let pid = cdp.get_mut_child().and_then(|child| child.inner.id());
        let handler = tokio::spawn(async move {
            let mut watch = tokio::time::interval(EXIT_WATCH);
            loop {
                tokio::select! {
                    served = handler.next() => if served.is_none() { break },
                    _ = watch.tick() => if let Some(pid) = pid.filter(|&pid| exited(pid)) {
                        eprintln!("Chromium (pid {pid}) ended: the pages it showed are gone");
                        break;
                    },
                }
            }
        });
        Some(Browser {
            cdp,
            handler,
            frames_on_demand: mode == Headless::Shell,
            frames: tokio::sync::Mutex::new(()),
            anchors: AtomicUsize::new(earlier_anchors + self.anchors.len()),
            home: Some(home),
            profile: Some(profile),
        })
    }
}

/// Which headless Chromium a launch starts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Headless {
    /// `chromium-headless-shell`: the same engine without the browser's user interface.
    Shell,
    /// The full browser in its new headless mode: what can present a client certificate.
    New,
}

/// One headless Chromium, killed and its directories removed on drop.
pub struct Browser {
    cdp: chromiumoxide::Browser,
    handler: tokio::task::JoinHandle<()>,
    /// Whether its tabs draw a frame only when one is asked for (the shell; see [`Browser::tab`]).
    frames_on_demand: bool,
    /// Held while a tab's frame is asked for ([`Page::frame_shot`]).
    frames: tokio::sync::Mutex<()>,
    /// Anchors added so far: each gets its own nickname in the NSS database.
    anchors: AtomicUsize,
    home: Option<Dir>,
    profile: Option<Dir>,
}

/// A browser's home or profile: removed with the browser, or the caller's ([`Launch::own_pc`]).
enum Dir {
    Temporary(TempDir),
    Kept(PathBuf),
}

impl Dir {
    fn path(&self) -> &Path {
        match self {
            Self::Temporary(dir) => dir.path(),
            Self::Kept(path) => path,
        }
    }
}

/// How many files in `dir` have a name starting with `prefix`.
fn count_files(dir: &Path, prefix: &str) -> usize {
    fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
            .count()
    })
}

impl Browser {
    /// A browser that trusts nothing but Chromium's defaults and holds no client certificate.
    pub async fn launch() -> Option<Self> {
        Self::builder().launch().await
    }

    /// What the browser should trust and hold before it starts.
    pub fn builder() -> Launch {
        Launch::default()
    }

    /// A new tab whose screenshots go under the current test's name (libtest names the thread
    /// that runs a test after it, and `#[tokio::test]` runs its body on that thread).
    pub async fn page(&self) -> Page<'_> {
        let name = std::thread::current()
            .name()
            .and_then(|n| n.rsplit("::").next())
            .unwrap_or("unnamed")
            .to_owned();
        self.page_named(&name).await
    }

    /// A new tab whose screenshots go under `target/screenshots/<test>/`.
    pub async fn page_named(&self, test: &str) -> Page<'_> {
        let context = bounded(
            "a new browser context",
            self.cdp.create_browser_context(Default::default()),
        )
        .await
        .expect("a new browser context");
        self.tab(Some(context), screenshot_dir(test)).await
    }

    /// A new tab in the profile itself (not a context of its own): what its pages keep is
    /// written to the profile's directory, where a browser started again on the same
    /// [`Launch::own_pc`] finds it. Screenshots go under `target/screenshots/<test>/`.
    pub async fn page_in_profile(&self, test: &str) -> Page<'_> {
        self.tab(None, screenshot_dir(test)).await
    }

    /// A new blank tab in `context` (`None`: the profile itself), its network events off.
    async fn tab(&self, context: Option<BrowserContextId>, screenshots: PathBuf) -> Page<'_> {
        let mut target = CreateTargetParams::new("about:blank");
        target.browser_context_id.clone_from(&context);
        // The shell's tab draws its page only for a screenshot (`Page::frame_shot`): nobody looks
        // at the window in between. A frame otherwise follows every change of the page (its
        // layers painted, rastered, and composited by the GPU process in software): ~4 of the
        // ~29 CPU-seconds of a harness run. Script, layout, input and loading do not wait for
        // frames; `requestAnimationFrame` callbacks and a mouse move alone do (`mouse_click`).
        target.enable_begin_frame_control = Some(self.frames_on_demand);
        let cdp = bounded("a new tab", self.cdp.new_page(target))
            .await
            .expect("a new tab");
        // chromiumoxide enables the Network domain on every tab; its events (five or so a request,
        // with headers) cost Chromium ~5 ms of a core a page load. A page that wants them asks
        // (`record_requests`, `record_har`).
        if let Err(e) = bounded("network events off", cdp.execute(DisableParams::default())).await {
            panic!("a new tab: network events off: {e}");
        }
        let recorder = tokio::sync::Mutex::new(None);
        Page {
            cdp,
            browser: self,
            context,
            screenshots,
            recorder,
            scripts_off: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Kills Chromium (SIGKILL, as a crash or a person ending it from the task manager would):
    /// nothing is closed properly, what it had written stays in a kept home and profile.
    pub fn kill(self) {
        // Drop kills the process first, then removes only temporary directories.
        drop(self);
    }

    /// Trusts `anchor_pem` from now on, as [`Launch::trust`] does before the start: Chromium
    /// reads its NSS database's trust at each verification, so a browser shared by several
    /// tests can trust each one's site when it comes.
    pub fn trust(&self, anchor_pem: &str) {
        let n = self.anchors.fetch_add(1, Ordering::Relaxed);
        let home = self
            .home
            .as_ref()
            .expect("the home lives as long as the browser");
        add_anchor(home.path(), n, anchor_pem);
    }

    /// Closes Chromium and waits for it to exit (dropping the browser kills it instead).
    /// Bounded: a browser that does not close within [`WAIT`] is killed when dropped.
    pub async fn close(mut self) {
        if tokio::time::timeout(WAIT, self.cdp.close()).await.is_ok() {
            let _ = tokio::time::timeout(WAIT, self.cdp.wait()).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Bounded: the directories go once Chromium and its children no longer write in them.
        let deadline = Instant::now() + Duration::from_secs(5);
        // First, so that its watch does not take the kill for a crash.
        self.handler.abort();
        if let Some(child) = self.cdp.get_mut_child() {
            let _ = child.inner.start_kill();
            while matches!(child.inner.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        // Chromium's helper processes outlive the browser process by a moment, and may still
        // create files while the directories are removed: try again until both are gone.
        let temporary = [self.home.take(), self.profile.take()]
            .into_iter()
            .flatten()
            .filter_map(|dir| match dir {
                Dir::Temporary(dir) => Some(dir),
                Dir::Kept(_) => None,
            });
        for dir in temporary {
            let path = dir.path().to_path_buf();
            let mut removed = dir.close().is_ok();
            while !removed && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
                removed = fs::remove_dir_all(&path).is_ok() || !path.exists();
            }
        }
    }
}

/// One tab: what a person does in it, and what a test reads back.
pub struct Page<'b> {
    cdp: chromiumoxide::Page,
    browser: &'b Browser,
    /// The tab's own browser context; `None`: the profile itself.
    context: Option<BrowserContextId>,
    screenshots: PathBuf,
    /// The requests seen since [`Page::record_requests`], if it was called.
    recorder: tokio::sync::Mutex<Option<Recorder>>,
    /// Whether [`Page::disable_scripts`] was called: the page's timers, which a wait inside the
    /// page runs on, are then stopped too.
    scripts_off: std::sync::atomic::AtomicBool,
}

/// One request the page made, and the status of its answer once it came.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// What Chromium loaded it as: `Document` (a navigation, a form), `Image`, `Fetch`, `XHR`...
    pub resource_type: String,
    pub method: String,
    pub url: String,
    pub request_headers: BTreeMap<String, String>,
    /// The request's body as sent (form, JSON, a CSR...), when it had one.
    pub post_data: Option<Vec<u8>>,
    pub status: Option<i64>,
    pub mime_type: Option<String>,
    request_id: String,
}

impl<'b> Page<'b> {
    /// Opens `url` and waits for its document to load.
    pub async fn open(&self, url: &str) -> &Self {
        let before = self.document_id().await;
        // A site that asks for a client certificate no auto-selection covers leaves Chromium
        // waiting for a person to choose: the bounded wait then names it.
        if let Err(e) = bounded(&format!("open {url}"), self.cdp.goto(url)).await {
            panic!("open {url}: {e}");
        }
        self.wait_for_new_document(&before, &format!("{url} to load"))
            .await;
        self
    }

    /// Waits until an element matches `css`.
    pub async fn wait_for(&self, css: &str) -> &Self {
        let selector = js_string(css);
        self.wait_until(
            &format!("an element {css}"),
            &format!("document.querySelector({selector}) !== null"),
        )
        .await;
        self
    }

    /// Waits until the page's visible text contains `text`.
    pub async fn wait_for_text(&self, text: &str) -> &Self {
        let wanted = js_string(text);
        self.wait_until(
            &format!("the text {text:?}"),
            &format!("document.body !== null && document.body.innerText.includes({wanted})"),
        )
        .await;
        self
    }

    /// Clicks the element `css` with the mouse (it is waited for, and scrolled into view).
    pub async fn click(&self, css: &str) -> &Self {
        let selector = js_string(css);
        // One look in the page finds the element, scrolls it to the window's centre where it is
        // not wholly in view (at once, whatever the page's `scroll-behavior`) and measures it:
        // one round trip where the DOM domain took four (document, query, scroll, box), and no
        // DOM domain, whose node tracking then reported every later change of the page to this
        // side. DevTools evaluates with the page's scripts off too. Not yet where the element
        // is not rendered (`hidden`, `display: none`: no box), nor where something else (an
        // overlay, a modal dialog's backdrop) would take the click at its centre.
        let centre = format!(
            "(() => {{ const e = document.querySelector({selector}); \
             if (e === null || e.getClientRects().length === 0) return null; \
             let r = e.getBoundingClientRect(); \
             if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) {{ \
               e.scrollIntoView({{ block: 'center', inline: 'center', behavior: 'instant' }}); \
               r = e.getBoundingClientRect(); }} \
             const x = r.left + r.width / 2, y = r.top + r.height / 2; \
             const hit = document.elementFromPoint(x, y); \
             return hit !== null && (hit === e || e.contains(hit)) ? [x, y] : null; }})()"
        );
        let (x, y) = self
            .wait_for_value::<(f64, f64)>(&format!("an element {css} to click"), &centre)
            .await;
        // The mouse as a person moves it: onto the element, pressed, released.
        if let Err(e) = bounded(&format!("click {css}"), self.mouse_click(x, y)).await {
            panic!("click {css} on {}: {e}", self.url().await);
        }
        self
    }

    /// The mouse moved to (`x`, `y`), pressed and released there. A move reaches the page with its
    /// next frame, or before the next press or key (rAF-aligned input): where frames are made on
    /// demand, the press is sent with it.
    async fn mouse_click(&self, x: f64, y: f64) -> Result<(), chromiumoxide::error::CdpError> {
        if !self.browser.frames_on_demand {
            return self.cdp.click(Point::new(x, y)).await.map(drop);
        }
        let event = |kind| {
            let (button, clicks) = match kind {
                DispatchMouseEventType::MouseMoved => (MouseButton::None, 0),
                _ => (MouseButton::Left, 1),
            };
            DispatchMouseEventParams::builder()
                .r#type(kind)
                .x(x)
                .y(y)
                .button(button)
                .click_count(clicks)
                .build()
                .expect("a mouse event has its type, x and y")
        };
        // Sent together: the press hands the waiting move to the page first, in order (over,
        // move, down), where the move alone would wait for a frame that is not asked for.
        let moved = self.cdp.execute(event(DispatchMouseEventType::MouseMoved));
        let pressed = self
            .cdp
            .execute(event(DispatchMouseEventType::MousePressed));
        let (moved, pressed) = futures_util::join!(moved, pressed);
        moved?;
        pressed?;
        self.cdp
            .execute(event(DispatchMouseEventType::MouseReleased))
            .await?;
        Ok(())
    }

    /// Clicks `css` (a link, a submit button) and waits for the document it leads to.
    pub async fn follow(&self, css: &str) -> &Self {
        let before = self.document_id().await;
        self.click(css).await;
        self.wait_for_new_document(&before, &format!("the page {css} leads to"))
            .await;
        self
    }

    /// Types `text` into the field `css`, after clicking into it (as an input method commits
    /// text: `input` events, any script, any characters).
    pub async fn type_into(&self, css: &str, text: &str) -> &Self {
        self.click(css).await;
        let typed = self.cdp.execute(InsertTextParams::new(text));
        if let Err(e) = bounded(&format!("type into {css}"), typed).await {
            panic!("type into {css} on {}: {e}", self.url().await);
        }
        self
    }

    /// The rendered text of the first element matching `css` (waited for).
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await;
        self.eval(&format!(
            "document.querySelector({}).innerText",
            js_string(css)
        ))
        .await
    }

    /// The page's visible text, as a person reads it (`document.body.innerText`).
    pub async fn visible_text(&self) -> String {
        self.eval("document.body === null ? '' : document.body.innerText")
            .await
    }

    /// The attribute `name` of the first element matching `css` (waited for).
    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        self.wait_for(css).await;
        self.eval(&format!(
            "document.querySelector({}).getAttribute({})",
            js_string(css),
            js_string(name)
        ))
        .await
    }

    /// The document's title.
    pub async fn title(&self) -> String {
        self.eval("document.title").await
    }

    /// The URL the tab shows.
    pub async fn url(&self) -> String {
        self.cdp.url().await.ok().flatten().unwrap_or_default()
    }

    /// Evaluates `expression` in the page (a promise is awaited) and deserialises its value.
    pub async fn eval<T: DeserializeOwned>(&self, expression: &str) -> T {
        match self.try_eval(expression).await {
            Ok(value) => value,
            Err(e) => panic!("evaluate {expression} on {}: {e}", self.url().await),
        }
    }

    /// Writes a PNG of the whole page to `target/screenshots/<test>/<nn>-<step>.png`; its path.
    ///
    /// One capture of the page as laid out, beyond the window where it is longer, encoded for
    /// speed (a larger file, the same pixels): chromiumoxide's `full_page` resizes the window to
    /// the page and back around the capture, two layouts more, and the default encoding costs
    /// Chromium more than the page's own work; both showed as a third of a browser scenario.
    pub async fn screenshot(&self, step: &str) -> PathBuf {
        self.capture(step, true).await
    }

    /// Writes a PNG of the window as the person sees it, the page where it is scrolled to, to
    /// `target/screenshots/<test>/<nn>-<step>.png`; its path. For a modal dialog: its backdrop
    /// covers the window, and a capture of the whole page would show the rest undimmed.
    pub async fn screenshot_window(&self, step: &str) -> PathBuf {
        self.capture(step, false).await
    }

    /// As [`Page::screenshot`], but says why there is none instead of panicking: for a picture
    /// of where something already went wrong, which must not hide that with a panic of its own.
    pub async fn try_screenshot(&self, step: &str) -> Result<PathBuf, String> {
        self.try_capture(step, true).await
    }

    /// A screenshot of the whole page (`whole`) or of the window.
    async fn capture(&self, step: &str, whole: bool) -> PathBuf {
        self.try_capture(step, whole)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn try_capture(&self, step: &str, whole: bool) -> Result<PathBuf, String> {
        let path = self.screenshots.join(format!(
            "{:02}-{step}.png",
            next_shot_number(&self.screenshots)
        ));
        let capture = async {
            let metrics = self.cdp.layout_metrics().await?;
            let (width, height) = (
                metrics.css_layout_viewport.client_width as f64,
                metrics.css_layout_viewport.client_height as f64,
            );
            let content = metrics.css_content_size;
            let beyond = whole && (content.height > height || content.width > width);
            let (width, height) = (content.width.max(width), content.height.max(height));
            let data = if self.browser.frames_on_demand {
                self.frame_shot(beyond.then_some((width, height))).await?
            } else {
                let mut params = CaptureScreenshotParams::builder()
                    .format(CaptureScreenshotFormat::Png)
                    .optimize_for_speed(true);
                if beyond {
                    params = params.capture_beyond_viewport(true).clip(Viewport {
                        x: 0.0,
                        y: 0.0,
                        width,
                        height,
                        scale: 1.0,
                    });
                }
                String::from(self.cdp.execute(params.build()).await?.result.data)
            };
            let png = base64::engine::general_purpose::STANDARD
                .decode(&data)
                .map_err(|e| chromiumoxide::error::CdpError::msg(e.to_string()))?;
            Ok::<_, chromiumoxide::error::CdpError>(png)
        };
        // Not `bounded`, which panics: this says why there is no picture.
        match tokio::time::timeout(WAIT, capture).await {
            // The directory was made with the page (`screenshot_dir`).
            Ok(Ok(png)) => fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?,
            Ok(Err(e)) => return Err(format!("screenshot {}: {e}", path.display())),
            Err(_) => {
                return Err(format!(
                    "screenshot {}: no answer from Chromium within {WAIT:?}",
                    path.display()
                ));
            }
        }
        Ok(path)
    }

    /// A frame drawn now and captured (base64 PNG): the window, or with `whole` (its size) the
    /// whole page, in a view made that size for the frame.
    async fn frame_shot(
        &self,
        whole: Option<(f64, f64)>,
    ) -> Result<String, chromiumoxide::error::CdpError> {
        use chromiumoxide::cdp::browser_protocol::emulation::{
            ClearDeviceMetricsOverrideParams, SetDeviceMetricsOverrideParams,
        };
        if let Some((width, height)) = whole {
            self.cdp
                .execute(SetDeviceMetricsOverrideParams::new(
                    width.ceil() as i64,
                    height.ceil() as i64,
                    1.0,
                    false,
                ))
                .await?;
        }
        let drawn = self.first_picture().await;
        if whole.is_some() {
            // The window's own size again, whatever the frames gave.
            self.cdp
                .execute(ClearDeviceMetricsOverrideParams::default())
                .await?;
        }
        drawn
    }

    /// Frames drawn until one has a picture (base64 PNG), for [`FRAME_PATIENCE`] at most.
    async fn first_picture(&self) -> Result<String, chromiumoxide::error::CdpError> {
        use chromiumoxide::cdp::browser_protocol::headless_experimental::{
            ScreenshotParams, ScreenshotParamsFormat,
        };
        let deadline = Instant::now() + FRAME_PATIENCE;
        let mut tries = 0;
        loop {
            tries += 1;
            let frame = BeginFrameParams::builder()
                .screenshot(
                    ScreenshotParams::builder()
                        .format(ScreenshotParamsFormat::Png)
                        .optimize_for_speed(true)
                        .build(),
                )
                .build();
            // One frame at a time in the whole browser: frames of two tabs at once crash the
            // shell's GPU process ("Got overlapping IssueExternalBeginFrame"), and after the
            // third crash the browser ("GPU process isn't usable").
            let drawn = {
                let _one_at_a_time = self.browser.frames.lock().await;
                self.cdp.execute(frame).await?.result
            };
            if let Some(picture) = drawn.screenshot_data {
                return Ok(picture.into());
            }
            if Instant::now() >= deadline {
                return Err(chromiumoxide::error::CdpError::msg(format!(
                    "{tries} frames in {FRAME_PATIENCE:?} drew no picture"
                )));
            }
            tokio::time::sleep(FRAME_AGAIN).await;
        }
    }

    /// Saves what the page downloads into `dir` under the names the site gives.
    pub async fn capture_downloads(&self, dir: &Path) -> &Self {
        let mut behaviour = SetDownloadBehaviorParams::new(SetDownloadBehaviorBehavior::Allow);
        behaviour.browser_context_id.clone_from(&self.context);
        behaviour.download_path = Some(dir.display().to_string());
        if let Err(e) = self.browser.cdp.execute(behaviour).await {
            panic!("capture downloads into {}: {e}", dir.display());
        }
        self
    }

    /// Waits until a download into `dir` is complete; the file's path.
    pub async fn wait_for_download(&self, dir: &Path) -> PathBuf {
        let deadline = Instant::now() + DOWNLOAD_WAIT;
        loop {
            let names: Vec<PathBuf> = fs::read_dir(dir)
                .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            let partial = names
                .iter()
                .any(|p| p.extension().is_some_and(|e| e == "crdownload"));
            if !partial && let Some(done) = names.into_iter().find(|p| p.is_file()) {
                return done;
            }
            if Instant::now() > deadline {
                panic!(
                    "no download arrived in {} within {DOWNLOAD_WAIT:?} (page {})",
                    dir.display(),
                    self.url().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Starts recording this tab's exchanges as a HAR 1.2 with contents (headers, bodies,
    /// timings), as DevTools' "Save all as HAR with content" writes it: from here on, every
    /// document and request of the tab, until [`crate::har::HarRecorder::finish`].
    pub async fn record_har(&self) -> crate::har::HarRecorder {
        crate::har::HarRecorder::start(&self.cdp).await
    }

    /// Records this tab's requests from now on, for [`Page::exchanges`].
    pub async fn record_requests(&self) -> &Self {
        let mut recorder = self.recorder.lock().await;
        if recorder.is_none() {
            // The listeners first, so that no event of the enabled domain is missed.
            let listening = Recorder::listen(&self.cdp).await;
            network_events_on(&self.cdp, "record requests").await;
            *recorder = Some(listening);
        }
        self
    }

    /// Every request the page has made since [`Page::record_requests`], in order, with its body
    /// and answer's status.
    pub async fn exchanges(&self) -> Vec<Exchange> {
        // A round trip to Chromium: every event sent before its answer is then in the streams.
        let _ = self.document_id().await;
        let mut recorder = self.recorder.lock().await;
        let Some(recorder) = recorder.as_mut() else {
            panic!(
                "exchanges() of a page whose requests are not recorded: call record_requests() first"
            );
        };
        recorder.drain(&self.cdp).await;
        recorder.seen.clone()
    }

    /// The names of the cookies this page's browser context holds, for any site (HttpOnly ones
    /// included), sorted.
    pub async fn cookie_names(&self) -> Vec<String> {
        let params = StorageGetCookiesParams {
            browser_context_id: self.context.clone(),
        };
        match bounded("the cookies", self.browser.cdp.execute(params)).await {
            Ok(answer) => {
                let mut names: Vec<String> = answer
                    .result
                    .cookies
                    .iter()
                    .map(|c| c.name.clone())
                    .collect();
                names.sort();
                names
            }
            Err(e) => panic!("the cookies of {}: {e}", self.url().await),
        }
    }

    /// Runs `script` in each of this tab's next documents before the page's own scripts: a
    /// browser that lacks an API or reports another platform, as a test needs it.
    pub async fn before_scripts(&self, script: &str) -> &Self {
        bounded(
            "a script before the page's own",
            self.cdp.evaluate_on_new_document(script),
        )
        .await
        .expect("the script is registered");
        self
    }

    /// Blocks this page's requests to URLs matching any of `patterns` (URLPattern syntax, absolute,
    /// e.g. `*://*:*/assets/forge.min.js`): the browser fails them as a site that cannot serve
    /// them. An empty list lifts the block.
    pub async fn block(&self, patterns: &[&str]) -> &Self {
        let params = SetBlockedUrLsParams::builder()
            .url_patterns(patterns.iter().map(|p| BlockPattern::new(*p, true)))
            .build();
        // Blocking is the Network domain's: on for this page from here.
        network_events_on(&self.cdp, "block").await;
        if let Err(e) = self.cdp.execute(params).await {
            panic!("block {patterns:?}: {e}");
        }
        self
    }

    /// Turns JavaScript off for this page's next documents (a person with scripts disabled).
    pub async fn disable_scripts(&self) -> &Self {
        if let Err(e) = self
            .cdp
            .execute(SetScriptExecutionDisabledParams::new(true))
            .await
        {
            panic!("disable scripts: {e}");
        }
        self.scripts_off
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self
    }

    /// Closes this tab and opens a new one in the same browser context, as a person who closed the
    /// tab and came back later: what the site's pages kept in the browser (IndexedDB, cookies)
    /// stays, whatever the closed tab's scripts were doing is gone, and so is what was asked of
    /// the closed tab itself (`record_requests`, `block`, scripts off).
    pub async fn reopen(self) -> Page<'b> {
        let _ = bounded("closing a tab", self.cdp.clone().close()).await;
        self.browser.tab(self.context, self.screenshots).await
    }

    /// Closes the tab and disposes of its browser context, if it has one of its own.
    pub async fn close(self) {
        let _ = self.cdp.clone().close().await;
        if let Some(context) = self.context {
            let _ = self.browser.cdp.dispose_browser_context(context).await;
        }
    }

    /// Evaluates `expression` as [`Page::eval`] does, but says why it could not (a page being
    /// replaced has no context to evaluate in) instead of panicking: for a caller's own waits.
    pub async fn try_eval<T: DeserializeOwned>(&self, expression: &str) -> Result<T, String> {
        let params = EvaluateParams::builder()
            .expression(expression)
            .return_by_value(true)
            .await_promise(true)
            .build()
            .map_err(|e| e.to_string())?;
        let result = bounded(expression, self.cdp.evaluate_expression(params))
            .await
            .map_err(|e| e.to_string())?;
        // `undefined` has no value: read it as JSON null.
        let value = result.value().cloned().unwrap_or(serde_json::Value::Null);
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    /// Evaluates `value` in the page, again by the page's own timer every few milliseconds, until
    /// `done` (a JavaScript expression over the value, named `value`) holds or a second has passed;
    /// the last value. A look from outside crosses the DevTools connection, the browser process
    /// and the renderer each time: this is one round trip per second of waiting instead of twenty,
    /// and the wait ends within milliseconds of the change instead of up to 50 ms after it.
    /// An error where the page could not be read (a page being replaced has no context).
    pub async fn poll_in_page<T: DeserializeOwned>(
        &self,
        value: &str,
        done: &str,
    ) -> Result<T, String> {
        // One look: the value, and whether `done` holds for it.
        let look = format!(
            "const look = () => {{ let value = null; try {{ value = ({value}); }} catch (_) {{}} \
             let held = false; try {{ held = Boolean({done}); }} catch (_) {{}} \
             return [value, held]; }};"
        );
        if self.scripts_off.load(std::sync::atomic::Ordering::Relaxed) {
            // No timer runs in the page: one look, and the wait is this side's.
            let looked = self
                .try_eval::<(T, bool)>(&format!("(() => {{ {look} return look(); }})()"))
                .await;
            if !matches!(looked, Ok((_, true))) {
                tokio::time::sleep(POLL).await;
            }
            return looked.map(|(value, _)| value);
        }
        let waiting = format!(
            r#"new Promise((resolve) => {{
  {look}
  const until = Date.now() + {IN_PAGE_SLICE_MS};
  const again = () => {{
    const [value, held] = look();
    if (held || Date.now() >= until) resolve(value); else setTimeout(again, {IN_PAGE_POLL_MS});
  }};
  again();
}})"#
        );
        let answer = self.try_eval::<T>(&waiting).await;
        if answer.is_err() {
            // No context yet: the next document is on its way.
            tokio::time::sleep(POLL).await;
        }
        answer
    }

    async fn wait_until(&self, what: &str, condition: &str) {
        self.wait_for_value::<bool>(what, &format!("({condition}) || null"))
            .await;
    }

    /// Waits until `value` (a JavaScript expression) is not null or undefined; what it then is.
    async fn wait_for_value<T: DeserializeOwned>(&self, what: &str, value: &str) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            // A page being replaced has no context to evaluate in: that is "not yet".
            if let Ok(Some(found)) = self.poll_in_page::<Option<T>>(value, "value != null").await {
                return found;
            }
            if Instant::now() > deadline {
                let text = self.try_eval::<String>("document.body.innerText").await;
                panic!(
                    "waited {WAIT:?} for {what} on {}; the page reads: {}",
                    self.url().await,
                    text.unwrap_or_default()
                );
            }
        }
    }

    /// The main frame's loader id: a new document gets a new one.
    async fn document_id(&self) -> String {
        use chromiumoxide::cdp::browser_protocol::page::GetFrameTreeParams;
        match bounded(
            "the frame tree",
            self.cdp.execute(GetFrameTreeParams::default()),
        )
        .await
        {
            Ok(tree) => tree.result.frame_tree.frame.loader_id.inner().clone(),
            Err(e) => panic!("the frame tree of {}: {e}", self.url().await),
        }
    }

    async fn wait_for_new_document(&self, before: &str, what: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.document_id().await != before
                && let Ok(true) = self
                    .try_eval::<bool>("document.readyState === 'complete'")
                    .await
            {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "waited {WAIT:?} for {what}; the tab shows {}",
                    self.url().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// The page's network events, turned into [`Exchange`]s when a test asks.
struct Recorder {
    requests: chromiumoxide::listeners::EventStream<EventRequestWillBeSent>,
    responses: chromiumoxide::listeners::EventStream<EventResponseReceived>,
    seen: Vec<Exchange>,
}

impl Recorder {
    async fn listen(cdp: &chromiumoxide::Page) -> Self {
        let requests = cdp
            .event_listener::<EventRequestWillBeSent>()
            .await
            .expect("a listener for requests");
        let responses = cdp
            .event_listener::<EventResponseReceived>()
            .await
            .expect("a listener for responses");
        Self {
            requests,
            responses,
            seen: Vec::new(),
        }
    }

    async fn drain(&mut self, cdp: &chromiumoxide::Page) {
        use futures_util::FutureExt;
        while let Some(Some(event)) = self.requests.next().now_or_never() {
            let request = &event.request;
            let post_data = request_body(cdp, &event).await;
            let request_headers = match serde_json::to_value(&request.headers) {
                Ok(serde_json::Value::Object(map)) => map
                    .into_iter()
                    .map(|(k, v)| (k, v.as_str().map(str::to_owned).unwrap_or_default()))
                    .collect(),
                _ => BTreeMap::new(),
            };
            let resource_type = event
                .r#type
                .as_ref()
                .map(|t| t.as_ref().to_owned())
                .unwrap_or_default();
            self.seen.push(Exchange {
                resource_type,
                method: request.method.clone(),
                url: request.url.clone(),
                request_headers,
                post_data,
                status: None,
                mime_type: None,
                request_id: event.request_id.inner().clone(),
            });
        }
        while let Some(Some(event)) = self.responses.next().now_or_never() {
            let id = event.request_id.inner();
            if let Some(exchange) = self.seen.iter_mut().rev().find(|x| &x.request_id == id) {
                exchange.status = Some(event.response.status);
                exchange.mime_type = Some(event.response.mime_type.clone());
            }
        }
    }
}

/// `work`, or a panic naming `what` once it has taken longer than [`WAIT`]: no DevTools call
/// may hang a test.
async fn bounded<T>(what: &str, work: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, work).await {
        Ok(done) => done,
        Err(_) => panic!("{what}: no answer from Chromium within {WAIT:?}"),
    }
}

/// Whether the process `pid` (a child of this one) has ended: gone, or a zombie not yet reaped.
fn exited(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        // The state follows the command's name, which is in parentheses and may hold any byte.
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X']))
    })
}

/// Adds `anchor_pem` to the NSS database under `home` as a CA trusted for TLS servers.
fn add_anchor(home: &Path, n: usize, anchor_pem: &str) {
    let db = format!("sql:{}", home.join(".pki/nssdb").display());
    let file = home.join(format!("anchor-{n}.pem"));
    fs::write(&file, anchor_pem).expect("the anchor's file");
    let name = format!("anchor-{n}");
    let file = file.display().to_string();
    run(
        "certutil",
        ["-A", "-n", &name, "-t", "C,,", "-a", "-i", &file, "-d", &db],
    );
}

/// Runs an NSS tool; a failure is the test's (the database is the test's own).
fn run<const N: usize>(program: &str, args: [&str; N]) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} did not run: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Chromium's AutoSelectCertificateForUrls for each identity's origin, in the profile's
/// preferences: `{}` as the filter takes the first certificate Chromium would offer, i.e. one
/// issued by a CA the server names.
fn write_auto_selection(profile: &Path, identities: &[Identity]) {
    if identities.is_empty() {
        return;
    }
    let exceptions: serde_json::Map<String, serde_json::Value> = identities
        .iter()
        .map(|identity| {
            (
                format!("{},*", identity.origin),
                serde_json::json!({ "setting": { "filters": [{}] } }),
            )
        })
        .collect();
    let preferences = serde_json::json!({
        "profile": { "content_settings": { "exceptions": {
            "auto_select_certificate": exceptions,
        } } }
    });
    let dir = profile.join("Default");
    fs::create_dir_all(&dir).expect("the profile's Default directory");
    fs::write(dir.join("Preferences"), preferences.to_string()).expect("the profile's preferences");
}

/// `scheme://host:port` of a URL.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    format!("{scheme}://{authority}")
}

/// What keeps a browser (without client certificates) from starting here, said for a notice;
/// `None` when Chromium and `certutil` are both there. Cheap: nothing is started.
pub fn missing() -> Option<String> {
    if chromium().is_none() {
        return Some(
            "Chromium not found (apt-get install chromium, or set CHROMIUM to its binary)".into(),
        );
    }
    if !on_path("certutil") {
        return Some(
            "certutil not found (apt-get install libnss3-tools): Chromium's NSS database cannot be made"
                .into(),
        );
    }
    None
}

/// `CHROMIUM` if set, else Debian's and others' usual paths: the full browser.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        let path = PathBuf::from(path);
        return path.exists().then_some(path);
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Chromium's headless shell, where installed: `CHROMIUM_HEADLESS_SHELL` if set (empty: none),
/// else Debian's `chromium-headless-shell` (the program, not a script that starts it). Where
/// `CHROMIUM` is set and this is not, none: a browser chosen by hand is the one every test gets.
fn headless_shell() -> Option<PathBuf> {
    match std::env::var_os("CHROMIUM_HEADLESS_SHELL") {
        Some(path) if path.is_empty() => None,
        Some(path) => Some(PathBuf::from(path)).filter(|p| p.exists()),
        None if std::env::var_os("CHROMIUM").is_some() => None,
        // The binary itself, not Debian's `/usr/bin` script, which runs it without `exec`: the
        // process killed at the end would be the script's, and the browser would live on.
        None => {
            Some(PathBuf::from("/usr/lib/chromium/chromium-headless-shell")).filter(|p| p.exists())
        }
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// A string as a JavaScript literal (JSON's syntax is JavaScript's).
fn js_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// `target/screenshots/<test>/`, emptied the first time this process uses it.
fn screenshot_dir(test: &str) -> PathBuf {
    let dir = target_dir().join("screenshots").join(test);
    let mut emptied = SHOTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !emptied.contains_key(&dir) {
        let _ = fs::remove_dir_all(&dir);
        emptied.insert(dir.clone(), 0);
    }
    fs::create_dir_all(&dir).expect("the screenshots' directory");
    dir
}

/// Screenshots taken so far per directory: pages of one test number theirs in one sequence.
static SHOTS: Mutex<BTreeMap<PathBuf, usize>> = Mutex::new(BTreeMap::new());

fn next_shot_number(dir: &Path) -> usize {
    let mut shots = SHOTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let n = shots.entry(dir.to_path_buf()).or_insert(0);
    *n += 1;
    *n
}

/// Turns `cdp`'s network events on, which tabs start without ([`Browser`]'s `tab`): for `what`,
/// which needs them (recording requests, a HAR, blocking URLs).
pub(crate) async fn network_events_on(cdp: &chromiumoxide::Page, what: &str) {
    if let Err(e) = cdp.execute(EnableParams::default()).await {
        panic!("{what}: network events on: {e}");
    }
}

/// Cargo's target directory the test runs from (so any `CARGO_TARGET_DIR` works).
fn target_dir() -> PathBuf {
    crate::binary::target_dir()
}

/// A PKCS#12 (PBES2/AES-256, as `cert-client export --p12` writes) of a PKCS#8 key and its
/// certificate chain (DER, the key's certificate first), for [`Launch::client_certificate`].
pub fn pkcs12(key_pkcs8_der: &[u8], chain_der: &[Vec<u8>], passphrase: &str) -> Vec<u8> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    let chain: Vec<Certificate> = chain_der
        .iter()
        .map(|der| Certificate::from_der(der).expect("a DER certificate"))
        .collect();
    let key = PrivateKey::from_der(key_pkcs8_der).expect("a PKCS#8 key");
    // The local key id pairs the key bag with its certificate bag: the certificate's SHA-1, as
    // Windows and openssl make it.
    let leaf = chain_der.first().expect("the key's certificate");
    let id = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, leaf);
    let mut keystore = KeyStore::new();
    keystore.add_entry(
        "test-support",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(id.as_ref(), key, chain)),
    );
    keystore
        .writer(passphrase)
        .write()
        .expect("a PKCS#12 written")
}

/// The body a request sent, as bytes: from the event, else asked of Chromium, which leaves a
/// long one out of the event.
pub(crate) async fn request_body(
    cdp: &chromiumoxide::Page,
    event: &EventRequestWillBeSent,
) -> Option<Vec<u8>> {
    let from_event = event.request.post_data_entries.as_ref().map(|entries| {
        entries
            .iter()
            .filter_map(|e| e.bytes.as_ref())
            .flat_map(|b| {
                let encoded: &str = b.as_ref();
                base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .unwrap_or_default()
            })
            .collect::<Vec<u8>>()
    });
    if from_event.is_some() || event.request.has_post_data != Some(true) {
        return from_event;
    }
    cdp.execute(GetRequestPostDataParams::new(event.request_id.clone()))
        .await
        .ok()
        .map(|answer| answer.result.post_data.clone().into_bytes())
}
