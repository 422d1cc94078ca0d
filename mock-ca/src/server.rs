//! Running the site: [`MockCa`] binds a port, serves HTTPS and hands back what a test or a script
//! needs to talk to it (its URL, the admin token, the site trust anchor).

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard},
};

use axum::{Router, middleware};

use crate::{
    admin,
    application::ApplicationForm,
    authority::{Authority, AuthorityError},
    clock::Clock,
    entropy::{Entropy, SeededEntropy, SystemEntropy, draw_string},
    journal::{self, Journal},
    outbox::Outbox,
    registration::{Policy, RegistrationAuthority},
    site::{self, Site},
    tls::{self, SiteIdentity, TlsError},
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
    admin_token: Option<String>,
    ca_dir: Option<PathBuf>,
    authority: Option<Authority>,
    maildir: Option<PathBuf>,
    clock: Arc<Clock>,
    entropy: Option<Box<dyn Entropy>>,
    policy: Policy,
    hosts: Vec<String>,
    applications: Vec<Seeded>,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_token: None,
            ca_dir: None,
            authority: None,
            maildir: None,
            clock: Arc::new(Clock::system()),
            entropy: None,
            policy: Policy::default(),
            hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            applications: Vec::new(),
        }
    }
}

impl Builder {
    /// The address to listen on (default 127.0.0.1:0, an ephemeral port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
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

    /// What the site requires and decides.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Extra host names for the site's server certificate.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.hosts.push(host.into());
        self
    }

    /// File (and perhaps approve) an application at start.
    pub fn application(mut self, form: ApplicationForm, approve: bool) -> Self {
        self.applications.push(Seeded { form, approve });
        self
    }

    /// Binds, makes or loads the root, and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<MockCa, StartError> {
        let now = self.clock.now();
        let authority = match (self.authority, &self.ca_dir) {
            (Some(authority), _) => authority,
            (None, Some(dir)) => Authority::load_or_generate(dir, ROOT_NAME, now)?,
            (None, None) => Authority::generate(ROOT_NAME, now)?,
        };
        let identity = SiteIdentity::generate(&self.hosts, now)?;
        let config = tls::server_config(&identity, authority.certificate_der())?;

        let listener = std::net::TcpListener::bind(self.bind).map_err(|source| StartError::Io {
            what: format!("bind {}", self.bind),
            source,
        })?;
        let io = |what: &str| {
            let what = what.to_owned();
            move |source| StartError::Io { what, source }
        };
        listener.set_nonblocking(true).map_err(io("listener"))?;
        let addr = listener.local_addr().map_err(io("listener"))?;
        let base_url = match addr {
            SocketAddr::V4(v4) => format!("https://{}:{}", v4.ip(), v4.port()),
            SocketAddr::V6(v6) => format!("https://[{}]:{}", v6.ip(), v6.port()),
        };

        let outbox = match &self.maildir {
            Some(dir) => Outbox::maildir(dir).map_err(io(&format!("maildir {}", dir.display())))?,
            None => Outbox::memory(),
        };
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
            self.policy,
            self.clock.clone(),
            entropy,
            outbox,
            base_url.clone(),
        );
        for seeded in self.applications {
            let id = registration.file(seeded.form).id.clone();
            if seeded.approve {
                registration
                    .approve(&id)
                    .map_err(|e| StartError::Application(format!("{id}: {e}")))?;
            }
        }
        let root_pem = registration.authority().certificate_pem();

        let site = Arc::new(Site {
            registration: Mutex::new(registration),
            journal: Mutex::new(Journal::default()),
            admin_token: admin_token.clone(),
        });
        let handle = axum_server::Handle::new();
        let server = axum_server::from_tcp_rustls(
            listener,
            axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config)),
        )
        .map_err(io("listener"))?
        .handle(handle.clone());
        let service = app(site.clone()).into_make_service();
        let task = tokio::spawn(async move {
            if let Err(e) = server.serve(service).await {
                tracing::error!("server stopped: {e}");
            }
        });
        Ok(MockCa {
            url: base_url,
            admin_token,
            site_trust_pem: identity.trust_anchor_pem,
            root_pem,
            site,
            handle,
            task,
        })
    }
}

/// The whole site as a router, for serving or for driving in-process with `tower::ServiceExt`.
pub(crate) fn app(site: Arc<Site>) -> Router {
    Router::new()
        .merge(site::router())
        .nest("/admin", admin::router(site.clone()))
        .fallback(site::not_found)
        .layer(middleware::from_fn_with_state(
            site.clone(),
            journal::record,
        ))
        .with_state(site)
}

/// A running mock issuance site. Dropping it stops the server.
#[derive(Debug)]
pub struct MockCa {
    url: String,
    admin_token: String,
    site_trust_pem: String,
    root_pem: String,
    site: Arc<Site>,
    handle: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<()>,
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

    /// Where the site answers, e.g. `https://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
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

    /// The registration authority, for in-process inspection. Do not hold it across an await.
    pub fn registration(&self) -> MutexGuard<'_, RegistrationAuthority> {
        self.site.registration()
    }

    /// The request journal so far.
    pub fn journal(&self) -> Vec<journal::Entry> {
        self.site
            .journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries()
            .to_vec()
    }

    /// Stops accepting, lets requests in flight finish (up to a second), and waits.
    pub async fn shutdown(mut self) {
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(1)));
        let _ = (&mut self.task).await;
    }
}

impl Drop for MockCa {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}
