//! `mock-ca`: a simulated certificate issuance site and its root CA, for exercising a real
//! enrollment client end to end.
//!
//! The domain is plain Rust: [`application`] (one state machine per 申請), [`authority`] (the root
//! CA and what it signs), [`registration`] (the desk that runs applications), [`outbox`] (mails to a
//! Maildir, and [`smtp`] to a real server), [`processing`] (the 14:00 cut-off), [`faults`] (what
//! the admin API arms), [`delivery`] (documents as CMS
//! EnvelopedData for the holder's certificate), [`records`] (`--data-dir`, SQLite), [`secret`] (passwords kept only hashed), [`clock`] and [`entropy`] (injected, so runs
//! can be repeated). HTTP and TLS are thin
//! layers over it: the public pages and the admin API (private modules), and [`MockCa`], which serves
//! them over rustls.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mock_ca::StartError> {
//! let site = mock_ca::MockCa::start().await?; // 127.0.0.1, ephemeral port, fresh root
//! println!("{} (admin token {})", site.url(), site.admin_token());
//! # Ok(()) }
//! ```
//! The protocol is in `docs/protocol.md`.

mod admin;
pub mod application;
pub mod authority;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod entropy;
pub mod faults;
pub mod journal;
pub mod outbox;
pub mod processing;
pub mod records;
pub mod refusal;
pub mod registration;
pub mod request;
pub mod secret;
mod server;
mod site;
pub mod smtp;
pub mod tls;

pub use refusal::Refusal;
pub use server::{Builder, MockCa, PUBLIC_BODY_LIMIT, ROOT_NAME, Seeded, StartError, panics};
pub use site::COMPONENT_HEADER;

/// Entry points for the fuzz targets of `fuzz/` (cargo-fuzz), which drive the site in-process.
/// Not an API: it changes with the targets.
#[doc(hidden)]
pub mod fuzzing {
    use std::sync::Arc;

    use crate::{
        authority::Authority,
        clock::Clock,
        entropy::SeededEntropy,
        outbox::Outbox,
        registration::{Policy, RegistrationAuthority},
        server::{Listener, app},
        site::Site,
    };

    /// The bearer token of the admin API of [`routers`]' site.
    pub const ADMIN_TOKEN: &str = "fuzz-admin-token";

    /// The routers of a fresh site's two listeners, issuance (with the admin API) then
    /// confirmation, exactly as the server serves them: `authority` as its root, the default
    /// policy, the clock frozen at `now`, entropy seeded with 1, mails kept in memory.
    pub fn routers(
        authority: Authority,
        now: time::OffsetDateTime,
    ) -> (axum::Router, axum::Router) {
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
        (
            app(site.clone(), Listener::Issuance),
            app(site, Listener::Confirmation),
        )
    }
}
