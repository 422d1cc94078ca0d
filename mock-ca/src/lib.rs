//! `mock-ca`: a simulated certificate issuance site and its root CA, for exercising a real
//! enrollment client end to end, over real TLS, with real X.509 and real mail.
//!
//! Start a site with [`MockCa::start`] (or [`MockCa::builder`]), then act as its back office:
//! [`MockCa::file`] an application and hold it as an [`Applicant`] (approve it, read its
//! password from the mail it was sent, see its [`State`]); [`MockCa::arm`] a [`FaultSpec`];
//! read the [`journal`](MockCa::journal) and the [`outbox`](MockCa::outbox) as types. Point the
//! client under test at [`MockCa::url`], trusting [`MockCa::site_trust_pem`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mock_ca::{ApplicationForm, Effect, Endpoint, FaultSpec, MockCa, State};
//!
//! let site = MockCa::start().await?; // 127.0.0.1, ephemeral ports, a fresh root
//! let taro = site.file(ApplicationForm::new("山田 太郎", "taro@example.jp"))?;
//! taro.approve()?; // MAIL-URL and MAIL-PASSWORD are sent
//! let password = taro.password().expect("mailed at approval");
//! assert_eq!(taro.state(), State::Approved);
//!
//! // The client's first CSR will be answered 503.
//! site.arm(FaultSpec::new(Effect::Status { status: 503 }).at(Endpoint::Csr))?;
//!
//! // ... run the client against taro.url() with `password`, trusting site.site_trust_pem() ...
//! # let _ = password;
//! assert!(site.journal().is_empty());
//! assert_eq!(site.panics(), 0);
//! # Ok(()) }
//! ```
//!
//! What the site shows and decides that a version of the guide could change (each id's words,
//! the pages, the mails, the policy) is a [`Profile`]: the guide v3.10's by default, another with
//! [`Builder::profile`] (a directory read with [`Profile::load`], written with
//! [`Profile::export`]); [`profile`] holds its parts and the rules a recorded exchange is matched
//! to a screen or an id by.
//!
//! Inside, the domain is plain Rust (`src/enrollment/`: applications and their state machine,
//! the root CA, the registration desk, the CSR, the 14:00 cut-off, documents sealed to a
//! holder's certificate, passwords kept hashed, refusals, faults, the journal); what touches the
//! world is apart (`src/world/`: the clock and randomness, injected so runs repeat; the outbox to
//! a Maildir and SMTP; the records in SQLite; the config file; the site profile); HTTP and TLS are thin layers over
//! it (`src/web/`). The protocol is in `docs/protocol.md`.

// The layout shows the architecture: the domain, what touches the world, and the HTTP/TLS layer.
// The modules are private; what a test embedding the mock needs is re-exported below (as
// wiremock and instant-acme do), so the layout can change without changing the API.
mod enrollment;
mod web;
mod world;

pub use enrollment::{
    application::{ApplicationForm, Attribute, Kind, State, Subject},
    authority::{Authority, AuthorityError, IssuedCertificate, Thumbprints},
    delivery::{Document, DocumentForm, PublishError},
    faults::{Effect, Endpoint, Fault, FaultError, FaultSpec},
    journal::Entry as JournalEntry,
    processing::Calendar,
    refusal::{IDS as REFUSAL_IDS, Refusal},
    registration::Policy,
    request::KeyDescription,
};
pub use web::{
    applicant::Applicant,
    server::{Builder, MockCa, PUBLIC_BODY_LIMIT, ROOT_NAME, Seeded, StartError},
    site::COMPONENT_HEADER,
    tls::TlsError,
};
pub use world::{
    clock::Clock,
    config::{Config, ConfigError},
    outbox::{Mail, SentMail},
    profile::{Profile, ProfileError},
    records::RecordsError,
    smtp::SmtpError,
};

/// The site profile's parts ([`Profile`]'s fields) and the rules a recording is matched by.
pub mod profile {
    pub use crate::world::profile::{
        About, ExtraPage, LABELS, MailText, Mails, Message, PasswordMail, PolicyRules, Profile,
        ProfileError, SCREENS, Screen, Sites, TEXT_IDS, pattern_matches,
    };
}

/// Not the API: the modules the benchmarks and the fuzz targets drive below [`MockCa`] (the
/// records on their own, a CSR's parser, the desk without a server). Hidden from the docs and
/// free to change with the layout.
#[doc(hidden)]
pub mod internals {
    pub use crate::enrollment::{application, authority, registration, request};
    pub use crate::world::{entropy, records};
}

/// Entry points for the fuzz targets of `fuzz/` (cargo-fuzz), which drive the site in-process.
/// Not an API: it changes with the targets.
#[doc(hidden)]
pub mod fuzzing {
    use std::sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    };

    use crate::{
        enrollment::{
            authority::Authority,
            registration::{Policy, RegistrationAuthority},
        },
        web::{
            server::{Listener, app},
            site::Site,
        },
        world::{clock::Clock, entropy::SeededEntropy, outbox::Outbox},
    };

    /// The bearer token of the admin API of [`routers`]' site.
    pub const ADMIN_TOKEN: &str = "fuzz-admin-token";

    /// A fresh site's two listeners, as the server serves them, and its count of panics.
    pub struct Routers {
        /// The issuance site, with the admin API.
        pub issuance: axum::Router,
        /// The confirmation site.
        pub confirmation: axum::Router,
        panics: Arc<AtomicU64>,
    }

    impl Routers {
        /// How many requests made a handler panic (each answered INTERNAL).
        pub fn panics(&self) -> u64 {
            self.panics.load(Ordering::Relaxed)
        }
    }

    /// The routers of a fresh site's two listeners, exactly as the server serves them:
    /// `authority` as its root, the default policy, the clock frozen at `now`, entropy seeded
    /// with 1, mails kept in memory.
    pub fn routers(authority: Authority, now: time::OffsetDateTime) -> Routers {
        let registration = RegistrationAuthority::new(
            authority,
            Policy::default(),
            Arc::new(Clock::frozen(now)),
            Box::new(SeededEntropy::new(1)),
            Outbox::memory(),
            "https://127.0.0.1:1".into(),
        );
        let site = Arc::new(Site::new(
            registration,
            ADMIN_TOKEN.into(),
            "https://127.0.0.1:2".into(),
        ));
        Routers {
            issuance: app(site.clone(), Listener::Issuance),
            confirmation: app(site.clone(), Listener::Confirmation),
            panics: site.panics.clone(),
        }
    }
}
