//! What the workspace's tests, the soak and the benchmarks share (publish = false). It speaks to
//! the site over HTTP as docs/protocol.md describes it and depends on neither mock-ca nor
//! cert-client, so what it checks is the protocol, not a shared implementation.
//!
//! - [`admin`]: the admin API over HTTPS with its bearer token ([`Admin`]).
//! - [`mail`]: the site's mails decoded (MIME, quoted-printable, charset) and the URL and the
//!   password read from them ([`Mail`]).
//! - [`binary`]: the workspace's binaries, built on demand into the caller's target directory.
//! - [`pki`]: the checked-in test PKI (`fixtures/pki/`): the site's root, another root, holders'
//!   RSA keys.
//! - `browser` (feature `browser`, on by default; the workspace takes test-support without it
//!   unless a crate asks): headless Chromium driven over the DevTools protocol (chromiumoxide), with its
//!   own NSS database (a site's TLS anchor trusted, a PKCS#12 imported and presented to one
//!   origin without a prompt), screenshots under `target/screenshots/`, downloads and, once
//!   asked, the network requests a page made; [`har`] records a tab's traffic as a HAR 1.2 with contents, as
//!   DevTools' "Save all as HAR with content" does (what `harness drift` reads).
//!
//! The browser helpers are for tests: a step that cannot be done panics with what it was doing,
//! the page's URL and its text, rather than returning an error every test would unwrap. The
//! others return errors, as the soak and the benchmarks report them; [`binary()`] panics (its
//! [`try_binary`] does not).

pub mod admin;
mod binary;
#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "browser")]
pub mod har;
pub mod mail;
pub mod pki;

pub use admin::{Admin, AdminError, NewApplication};
pub use binary::{BinaryError, binary, try_binary};
#[cfg(feature = "browser")]
pub use browser::{Browser, Exchange, Launch, Page, pkcs12};
#[cfg(feature = "browser")]
pub use har::HarRecorder;
pub use mail::{Mail, MailError};
