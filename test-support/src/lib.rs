//! What the workspace's tests share (publish = false).
//!
//! - [`browser`]: headless Chromium driven over the DevTools protocol (chromiumoxide), with its
//!   own NSS database (a site's TLS anchor trusted, a PKCS#12 imported and presented to one
//!   origin without a prompt), screenshots under `target/screenshots/`, downloads and the
//!   network requests a page made.
//!
//! The helpers are for tests: a step that cannot be done panics with what it was doing, the
//! page's URL and its text, rather than returning an error every test would unwrap.

pub mod browser;

pub use browser::{Browser, Exchange, Launch, Page, pkcs12};
