//! Running the site: [`MockCa`] binds a port, serves HTTPS and hands back what a test or a script
//! needs to talk to it (its URL, the admin token, the site trust anchor).

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use futures_util::FutureExt as _;

use crate::{
    enrollment::application::ApplicationForm,
    enrollment::authority::{Authority, AuthorityError},
    enrollment::journal,
    enrollment::refusal::Refusal,
    enrollment::registration::{Policy, RegistrationAuthority},
    web::admin,
    web::site::{self, AnsweredWith, Representation, Site, SiteError},
    web::tls::{self, SiteIdentity, TlsError},
    world::clock::Clock,
    world::entropy::{Entropy, SeededEntropy, SystemEntropy, draw_string},
    world::outbox::Outbox,
    world::profile::{Profile, ProfileError},
    world::records::RecordsError,
    world::smtp::{Relay, SmtpError},
};

/// The common name of the issuing root.
pub const ROOT_NAME: &str = "Mock Depository Root CA - G1";

/// The site could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The root CA could not be made or loaded.
    #[error("root CA: {0}")]
    Authority(#[from] AuthorityError),
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The port or the Maildir could not be opened.
    #[error("{what}: {source}")]
    Io {
        /// What was being opened.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An application given at start could not be filed or approved.
    #[error("application: {0}")]
    Application(String),
    /// The records of `--data-dir` could not be read.
    #[error("records: {0}")]
    Records(#[from] RecordsError),
    /// The SMTP relay could not be set up.
    #[error("smtp: {0}")]
    Smtp(#[from] SmtpError),
    /// Demo mode shows every mail to whoever opens the site: only on a loopback address.
    #[error(
        "demo mode serves the mailbox to anyone who connects: bind a loopback address, not {0}"
    )]
    DemoNotOnLoopback(SocketAddr),
    /// The site profile given does not hold together.
    #[error("profile: {0}")]
    Profile(#[from] ProfileError),
}

/// An application to file at start, approved or not.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// What to file.
    pub form: ApplicationForm,
    /// Whether to approve it at once (its mails go out at start).
    pub approve: bool,
}

/// How to start the site. Every default is what a one-off test wants: port 0, a fresh root, mails
/// in memory, the system clock and the system's randomness.
#[derive(Debug)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct Builder {
    bind: SocketAddr,
    confirm_bind: Option<SocketAddr>,
    admin_token: Option<String>,
    ca_dir: Option<PathBuf>,
    authority: Option<Authority>,
    maildir: Option<PathBuf>,
    clock: Arc<Clock>,
    entropy: Option<Box<dyn Entropy>>,
    policy: Option<Policy>,
    profile: Option<Arc<Profile>>,
    hosts: Vec<String>,
    applications: Vec<Seeded>,
    data_dir: Option<PathBuf>,
    smtp: Option<String>,
    auto_approve: bool,
    tick: Duration,
    demo: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            confirm_bind: None,
            admin_token: None,
            ca_dir: None,
            authority: None,
            maildir: None,
            clock: Arc::new(Clock::system()),
            entropy: None,
            policy: None,
            profile: None,
            hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            applications: Vec::new(),
            data_dir: None,
            smtp: None,
            auto_approve: false,
            tick: Duration::from_secs(1),
            demo: false,
        }
    }
}

impl Builder {
    /// The address to listen on (default 127.0.0.1:0, an ephemeral port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// The address of the confirmation site, 証明書確認サイト (default: the issuance site's
    /// address with an ephemeral port).
    pub fn confirm_bind(mut self, addr: SocketAddr) -> Self {
        self.confirm_bind = Some(addr);
        self
    }

    /// The admin API's bearer token (default: random).
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Keep the root CA in `dir`: loaded from it, or made and saved there.
    pub fn ca_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.ca_dir = Some(dir.into());
        self
    }

    /// Use this root CA.
    pub fn authority(mut self, authority: Authority) -> Self {
        self.authority = Some(authority);
        self
    }

    /// Write mails to the Maildir at `dir` too.
    pub fn maildir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.maildir = Some(dir.into());
        self
    }

    /// The site's clock.
    pub fn clock(mut self, clock: Arc<Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Repeatable passwords, session tokens and serials.
    pub fn seed(mut self, seed: u64) -> Self {
        self.entropy = Some(Box::new(SeededEntropy::new(seed)));
        self
    }

    /// What the site requires and decides (default: the profile's `[policy]`).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The site profile: its words, pages, mails and rules (default: the guide v3.10's,
    /// [`Profile::default`]). Its `[policy]` is the site's policy unless [`Builder::policy`] gives
    /// one. Checked at start ([`StartError::Profile`]).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let profile = mock_ca::Profile::load("fixtures/profiles/v3.11")?;
    /// let site = mock_ca::MockCa::builder().profile(profile).start().await?;
    /// # let _ = site; Ok(()) }
    /// ```
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = Some(Arc::new(profile));
        self
    }

    /// Extra host names for the site's server certificate.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.hosts.push(host.into());
        self
    }

    /// File (and perhaps approve) an application at start. With a data directory that already
    /// holds applications, these are not filed again.
    pub fn application(mut self, form: ApplicationForm, approve: bool) -> Self {
        self.applications.push(Seeded { form, approve });
        self
    }

    /// Keep the root CA, the site's TLS identity, the applications, the issued certificates and
    /// the outbox in `dir` across restarts (the root in `dir/ca`, the rest beside it).
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Also deliver every mail to the SMTP server at `url` (`smtp://host:port`).
    pub fn smtp(mut self, url: impl Into<String>) -> Self {
        self.smtp = Some(url.into());
        self
    }

    /// Let the back office approve filed applications by itself, on its processing schedule.
    pub fn auto_approve(mut self, on: bool) -> Self {
        self.auto_approve = on;
        self
    }

    /// Demo mode: the mailbox page (`/mailbox`) shows the outbox as a mail client would, where a
    /// browser demo starts. Refused at start unless the site listens on a loopback address.
    pub fn demo(mut self, on: bool) -> Self {
        self.demo = on;
        self
    }

    /// How often the site looks at its clock for due auto-approvals and reminders (default 1 s).
    pub fn tick_every(mut self, every: Duration) -> Self {
        self.tick = every;
        self
    }

    /// Binds, makes or loads the root, and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<MockCa, StartError> {
        if self.demo && !self.bind.ip().is_loopback() {
            return Err(StartError::DemoNotOnLoopback(self.bind));
        }
        let profile = match self.profile {
            Some(profile) => {
                // A profile changed through its fields since it was loaded is checked again.
                profile.validate()?;
                profile
            }
            None => Profile::shared_default(),
        };
        let policy = self.policy.unwrap_or_else(|| profile.site_policy());
        let now = self.clock.now();
        // The site's identity (two P-256 keys, two signatures) is made on a thread of its own
        // while the root is read: a fifth of the start on two cores.
        let hosts = self.hosts.clone();
        let tls_dir = self.data_dir.as_ref().map(|d| d.join("tls"));
        let identity = std::thread::spawn(move || match tls_dir {
            Some(dir) => SiteIdentity::load_or_generate(&dir, &hosts, now),
            None => SiteIdentity::generate(&hosts, now),
        });
        let ca_dir = self
            .ca_dir
            .clone()
            .or_else(|| self.data_dir.as_ref().map(|d| d.join("ca")));
        let authority = match (self.authority, &ca_dir) {
            (Some(authority), _) => authority,
            (None, Some(dir)) => Authority::load_or_generate(dir, ROOT_NAME, now)?,
            (None, None) => Authority::generate(ROOT_NAME, now)?,
        };

        let io = |what: &str| {
            let what = what.to_owned();
            move |source| StartError::Io { what, source }
        };
        let (listener, base_url) = listen(self.bind)?;
        let confirm_bind = self
            .confirm_bind
            .unwrap_or_else(|| SocketAddr::new(self.bind.ip(), 0));
        let (confirm_listener, confirm_url) = listen(confirm_bind)?;

        let mut outbox = match &self.maildir {
            Some(dir) => Outbox::maildir(dir).map_err(io(&format!("maildir {}", dir.display())))?,
            None => Outbox::memory(),
        };
        if let Some(url) = &self.smtp {
            outbox.relay_to(Relay::spawn(url)?);
        }
        let mut entropy: Box<dyn Entropy> = self.entropy.unwrap_or_else(|| Box::new(SystemEntropy));
        let admin_token = self.admin_token.unwrap_or_else(|| {
            draw_string(
                entropy.as_mut(),
                b"abcdefghijklmnopqrstuvwxyz0123456789",
                32,
            )
        });
        let mut registration = RegistrationAuthority::new(
            authority,
            policy,
            self.clock.clone(),
            entropy,
            outbox,
            base_url.clone(),
        );
        registration.set_profile(profile);
        if let Some(dir) = &self.data_dir {
            registration.keep_records(dir)?;
        }
        let application = |e: crate::Refusal| StartError::Application(e.to_string());
        if self.auto_approve {
            registration.set_auto_approve(true).map_err(application)?;
        }
        // Applications of the configuration are filed once: a restart with kept records has them.
        if registration.applications().next().is_none() {
            for seeded in self.applications {
                let id = registration
                    .file(seeded.form)
                    .map_err(application)?
                    .id
                    .clone();
                if seeded.approve
                    && registration.state_of(&id).map_err(application)?
                        == &crate::enrollment::application::State::Filed
                {
                    registration
                        .approve(&id)
                        .map_err(|e| StartError::Application(format!("{id}: {e}")))?;
                }
            }
        }
        let root_pem = registration.authority().certificate_pem();
        let identity = identity
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let issuance = tls::issuance_config(&identity)?;
        let confirmation =
            tls::confirmation_config(&identity, registration.authority().certificate_der())?;

        let mut site = Site::new(registration, admin_token.clone(), confirm_url.clone());
        site.demo = self.demo;
        let site = Arc::new(site);
        let handle = axum_server::Handle::new();
        let task = serve(
            listener,
            issuance,
            app(site.clone(), Listener::Issuance),
            handle.clone(),
        )
        .map_err(io("listener"))?;
        let confirm_task = serve(
            confirm_listener,
            confirmation,
            app(site.clone(), Listener::Confirmation),
            handle.clone(),
        )
        .map_err(io("confirmation listener"))?;
        let ticker = tokio::spawn(tick(site.clone(), self.tick));
        Ok(MockCa {
            url: base_url,
            confirm_url,
            admin_token,
            site_trust_pem: identity.trust_anchor_pem,
            root_pem,
            site,
            handle,
            tasks: [task, confirm_task],
            ticker,
        })
    }
}

/// A listening socket at `addr` and the `https://` URL it answers at.
fn listen(addr: SocketAddr) -> Result<(std::net::TcpListener, String), StartError> {
    let io = |source| StartError::Io {
        what: format!("bind {addr}"),
        source,
    };
    let listener = std::net::TcpListener::bind(addr).map_err(io)?;
    listener.set_nonblocking(true).map_err(io)?;
    let url = match listener.local_addr().map_err(io)? {
        SocketAddr::V4(v4) => format!("https://{}:{}", v4.ip(), v4.port()),
        SocketAddr::V6(v6) => format!("https://[{}]:{}", v6.ip(), v6.port()),
    };
    Ok((listener, url))
}

/// Serves `router` over TLS on `listener` until `handle` stops it.
fn serve(
    listener: std::net::TcpListener,
    config: rustls::ServerConfig,
    router: Router,
    handle: axum_server::Handle<SocketAddr>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config)),
    )?
    // Without TCP_NODELAY a response written in two segments waits for the client's delayed
    // ACK (~40 ms on Linux) before its second half leaves: most of an enrollment's wall time.
    .map(|tls| tls.acceptor(axum_server::accept::NoDelayAcceptor::new()))
    .handle(handle);
    let service = site::faults::DroppingConnections(router);
    Ok(tokio::spawn(async move {
        if let Err(e) = server.serve(tower::make::Shared::new(service)).await {
            tracing::error!("server stopped: {e}");
        }
    }))
}

/// Looks at the site's clock now and then: auto-approvals and reminders fall due with time.
async fn tick(site: Arc<Site>, every: Duration) {
    let mut interval = tokio::time::interval(every.max(Duration::from_millis(10)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(e) = site.registration().tick() {
            tracing::error!("periodic tick: {e}");
        }
    }
}

/// The largest request body a public page reads (a CSR of the largest RSA key is a few KiB);
/// over it the answer is 413 PAYLOAD-TOO-LARGE. The admin API keeps its own limits.
pub const PUBLIC_BODY_LIMIT: usize = 64 * 1024;

/// Middleware: a panic in a handler becomes an INTERNAL answer and a count, not a dropped
/// connection. `count` is the site's ([`MockCa::panics`]).
async fn catch_panics(
    State(count): State<Arc<AtomicU64>>,
    request: Request,
    next: Next,
) -> Response {
    let representation = Representation::of(request.headers());
    match std::panic::AssertUnwindSafe(next.run(request))
        .catch_unwind()
        .await
    {
        Ok(response) => response,
        Err(_) => {
            count.fetch_add(1, Ordering::Relaxed);
            tracing::error!("a request made the site panic; answered INTERNAL");
            SiteError::new(representation, Refusal::Internal).into_response()
        }
    }
}

/// Middleware: a public request whose `Content-Length` is over [`PUBLIC_BODY_LIMIT`] is answered
/// PAYLOAD-TOO-LARGE at once, without waiting for a body it would refuse anyway (a chunked body is
/// cut at the limit by `DefaultBodyLimit` as it arrives).
async fn limit_bodies(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let admin = path == "/admin" || path.starts_with("/admin/");
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if !admin && declared.is_some_and(|length| length > PUBLIC_BODY_LIMIT as u64) {
        let representation = Representation::of(request.headers());
        return SiteError::new(representation, Refusal::PayloadTooLarge).into_response();
    }
    next.run(request).await
}

/// Middleware: an error answered by the framework rather than the site (a body over the limit, a
/// path that does not decode, an unreadable query) is put in the site's error format with an id.
async fn uniform_errors(request: Request, next: Next) -> Response {
    let representation = Representation::of(request.headers());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<AnsweredWith>().is_some()
    {
        return response;
    }
    let refusal = match status.as_u16() {
        413 => Refusal::PayloadTooLarge,
        404 => Refusal::NotFound,
        405 => Refusal::MethodNotAllowed,
        400..=499 => Refusal::BadRequest(format!("refused with HTTP {}", status.as_u16())),
        _ => Refusal::Internal,
    };
    SiteError::new(representation, refusal).into_response()
}

/// The most of a request body the site reads and throws away after answering without reading it
/// (PAYLOAD-TOO-LARGE, a fault, a refusal before the body): 16 times the public limit.
pub const DRAIN_LIMIT: usize = 16 * PUBLIC_BODY_LIMIT;

/// Middleware: what a request body the answer left unread is read and thrown away (up to
/// [`DRAIN_LIMIT`]) before the answer goes out. Over HTTP/2 an answer to a request whose body
/// has not ended is followed by RST_STREAM(NO_ERROR), and some clients (curl 7.88) then drop
/// the answer they were given; a drained request has ended, so its stream closes cleanly. A body
/// declared over the drain limit is not read: the stream is reset as before.
async fn drain_unread_bodies(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > DRAIN_LIMIT as u64) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let shared = Arc::new(std::sync::Mutex::new(body));
    let lent = axum::body::Body::new(LentBody(shared.clone()));
    let response = next.run(Request::from_parts(parts, lent)).await;
    // The handler is done with the body: what is left of it is ours.
    let left = std::mem::take(&mut *shared.lock().unwrap_or_else(|p| p.into_inner()));
    let mut stream = left.into_data_stream();
    let mut read = 0;
    while let Some(Ok(chunk)) = futures_util::StreamExt::next(&mut stream).await {
        read += chunk.len();
        if read > DRAIN_LIMIT {
            break;
        }
    }
    response
}

/// A request body lent to the handlers: read through it, what they leave stays with
/// [`drain_unread_bodies`].
struct LentBody(Arc<std::sync::Mutex<axum::body::Body>>);

impl http_body::Body for LentBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let mut body = self.0.lock().unwrap_or_else(|p| p.into_inner());
        std::pin::Pin::new(&mut *body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).size_hint()
    }
}

/// Which of the two sites a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listener {
    /// The issuance site: the top page, the repository, the steps, and the admin API.
    Issuance,
    /// The confirmation site (証明書確認サイト): the pages that need a client certificate.
    Confirmation,
}

/// One listener's site as a router, for serving or for driving in-process with
/// `tower::ServiceExt`.
pub(crate) fn app(site: Arc<Site>, listener: Listener) -> Router {
    let router = match listener {
        Listener::Issuance => site::issuance_router()
            .layer(DefaultBodyLimit::max(PUBLIC_BODY_LIMIT))
            .nest("/admin", admin::router(site.clone())),
        Listener::Confirmation => {
            site::confirmation_router().layer(DefaultBodyLimit::max(PUBLIC_BODY_LIMIT))
        }
    };
    let router = match listener {
        Listener::Issuance => router.fallback(site::extra_page),
        Listener::Confirmation => router.fallback(site::not_found),
    };
    router
        .layer(middleware::from_fn_with_state(
            site.panics.clone(),
            catch_panics,
        ))
        .layer(middleware::from_fn(uniform_errors))
        .layer(middleware::from_fn(limit_bodies))
        .layer(middleware::from_fn_with_state(
            site.clone(),
            site::faults::inject,
        ))
        // Outside every layer that refuses: each refusal gets its words here.
        .layer(middleware::from_fn_with_state(
            site.pages.clone(),
            site::render_refusals,
        ))
        .layer(middleware::from_fn_with_state(
            site.clone(),
            site::journalling::record,
        ))
        .layer(middleware::from_fn(drain_unread_bodies))
        .with_state(site)
}

/// A running mock issuance site. Dropping it stops the server.
#[derive(Debug)]
pub struct MockCa {
    url: String,
    confirm_url: String,
    admin_token: String,
    site_trust_pem: String,
    root_pem: String,
    site: Arc<Site>,
    handle: axum_server::Handle<SocketAddr>,
    tasks: [tokio::task::JoinHandle<()>; 2],
    ticker: tokio::task::JoinHandle<()>,
}

impl MockCa {
    /// How to start a site with other than the defaults.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// A site on 127.0.0.1 with an ephemeral port and a fresh root.
    pub async fn start() -> Result<Self, StartError> {
        Self::builder().start().await
    }

    /// Where the issuance site answers, e.g. `https://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the confirmation site (証明書確認サイト) answers, e.g. `https://127.0.0.1:40124`:
    /// `/confirm` and `/documents` are there.
    pub fn confirm_url(&self) -> &str {
        &self.confirm_url
    }

    /// The admin API's bearer token.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The anchor a client must trust to reach the site (PEM).
    pub fn site_trust_pem(&self) -> &str {
        &self.site_trust_pem
    }

    /// The issuing root certificate (PEM).
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// The site's state, for the embedding methods (`applicant.rs`).
    pub(crate) fn site(&self) -> &Site {
        &self.site
    }

    /// The site profile it serves: its words, pages and rules.
    pub fn profile(&self) -> &Profile {
        self.site.profile()
    }

    /// The request journal so far.
    pub fn journal(&self) -> Vec<journal::Entry> {
        self.site.journal().entries()
    }

    /// Stops accepting, lets requests in flight finish (up to a second), and waits. Every change
    /// that was answered is already in the records (`--data-dir`).
    pub async fn shutdown(mut self) {
        self.ticker.abort();
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(1)));
        for task in &mut self.tasks {
            let _ = task.await;
        }
    }
}

impl Drop for MockCa {
    fn drop(&mut self) {
        self.ticker.abort();
        self.handle.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::StatusCode, routing::get};
    use tower::ServiceExt as _;

    use super::*;

    fn layered(router: Router) -> Router {
        layered_counting(router, Arc::default())
    }

    fn layered_counting(router: Router, panics: Arc<AtomicU64>) -> Router {
        let pages = Arc::new(site::page::Pages::new(Profile::shared_default()));
        router
            .layer(middleware::from_fn_with_state(panics, catch_panics))
            .layer(middleware::from_fn(uniform_errors))
            .layer(middleware::from_fn(limit_bodies))
            .layer(middleware::from_fn_with_state(pages, site::render_refusals))
    }

    async fn error_id(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        json["error"]["id"].as_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn a_handler_that_panics_is_answered_internal_and_counted() {
        let panics = Arc::<AtomicU64>::default();
        let app = layered_counting(
            Router::new().route(
                "/boom",
                get(|| async {
                    if true {
                        panic!("a handler bug");
                    }
                    "unreachable"
                }),
            ),
            panics.clone(),
        );
        let request = axum::http::Request::get("/boom")
            .header("Accept", "application/json")
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error_id(response).await, "INTERNAL");
        assert_eq!(panics.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_public_body_declared_over_the_limit_is_payload_too_large_without_being_read() {
        let app = layered(
            Router::new().route("/apply/x/login", axum::routing::post(|| async { "read" })),
        );
        let request = axum::http::Request::post("/apply/x/login")
            .header("Accept", "application/json")
            .header("Content-Length", (PUBLIC_BODY_LIMIT + 1).to_string())
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(error_id(response).await, "PAYLOAD-TOO-LARGE");
    }

    #[tokio::test]
    async fn a_streamed_body_over_the_limit_and_an_undecodable_path_answer_in_the_error_format() {
        let app = layered(
            Router::new()
                .route(
                    "/apply/{application}/csr",
                    axum::routing::post(
                        |_: axum::extract::Path<String>, body: axum::body::Bytes| async move {
                            body.len().to_string()
                        },
                    ),
                )
                .layer(DefaultBodyLimit::max(PUBLIC_BODY_LIMIT)),
        );
        let big = axum::http::Request::post("/apply/x/csr")
            .header("Accept", "application/json")
            .body(Body::from_stream(futures_util::stream::iter([Ok::<
                _,
                std::io::Error,
            >(
                vec![b'a'; PUBLIC_BODY_LIMIT + 10],
            )])))
            .unwrap();
        let response = app.clone().oneshot(big).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(error_id(response).await, "PAYLOAD-TOO-LARGE");
        let bad_path = axum::http::Request::post("/apply/%FF%FE/csr")
            .header("Accept", "application/json")
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(bad_path).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error_id(response).await, "BAD-REQUEST");
    }
}
