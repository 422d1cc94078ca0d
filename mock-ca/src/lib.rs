//! `mock-ca`: a simulated certificate issuance site and its root CA, for exercising a real
//! enrollment client end to end.
//!
//! The domain is plain Rust (`src/enrollment/`): [`application`] (one state machine per 申請),
//! [`authority`] (the root CA and what it signs), [`registration`] (the desk that runs
//! applications), [`request`] (the CSR as the site reads it), [`processing`] (the 14:00 cut-off),
//! [`delivery`] (documents as CMS EnvelopedData for the holder's certificate), [`secret`]
//! (passwords kept only hashed), [`refusal`] (every answer the site refuses with), [`faults`] (what
//! the admin API arms) and [`journal`] (what the site answered). What touches the world is apart
//! (`src/world/`): [`outbox`] (mails to a Maildir, and [`smtp`] to a real server), [`records`]
//! (`--data-dir`, SQLite), [`config`], [`clock`] and [`entropy`] (injected, so runs can be
//! repeated). HTTP and TLS are thin layers over it (`src/web/`): the public pages and the admin
//! API (private modules), [`tls`], and [`MockCa`], which serves them over rustls.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mock_ca::StartError> {
//! let site = mock_ca::MockCa::start().await?; // 127.0.0.1, ephemeral port, fresh root
//! println!("{} (admin token {})", site.url(), site.admin_token());
//! # Ok(()) }
//! ```
//! The protocol is in `docs/protocol.md`.

// The layout shows the architecture: the domain, what touches the world, and the HTTP/TLS layer.
// Each module keeps the public path it has always had (`mock_ca::records`, …) through the
// re-exports below, so that no crate embedding the mock changes with the layout.
mod enrollment;
mod web;
mod world;

pub use application::{ApplicationForm, Attribute, Kind, State, Subject};
pub use enrollment::{
    application, authority, delivery, faults, journal, processing, refusal, registration, request,
    secret,
};
pub use faults::{Effect, Endpoint, Fault, FaultError, FaultSpec};
pub use refusal::Refusal;
pub use web::{
    applicant::Applicant,
    server::{Builder, MockCa, PUBLIC_BODY_LIMIT, ROOT_NAME, Seeded, StartError},
    site::COMPONENT_HEADER,
    tls,
};
pub use world::{clock, config, entropy, outbox, records, smtp};
