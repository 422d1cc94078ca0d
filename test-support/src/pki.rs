//! The checked-in test PKI (`fixtures/pki/`, see its README): made once by
//! `cargo run -p test-support --example make-pki`, so tests load a root and keys instead of
//! generating RSA-2048 ones (tens to hundreds of milliseconds each).
//!
//! Test-only material: these private keys are public.

use std::path::PathBuf;

/// The site's root, as `mock-ca --ca-dir` and `MockCa::builder().ca_dir(..)` load it
/// (`root.pem`, `root.key.pem`): the subject and profile of the root mock-ca generates.
pub fn root_dir() -> PathBuf {
    fixtures().join("root")
}

/// The site's root certificate, PEM.
pub const ROOT_PEM: &str = include_str!("../../fixtures/pki/root/root.pem");

/// The site's root key, PKCS#8 PEM.
pub const ROOT_KEY_PEM: &str = include_str!("../../fixtures/pki/root/root.key.pem");

/// Another root of the same subject and profile (an impostor), for the wrong-CA cases: what it
/// signs the site does not accept.
pub fn other_root_dir() -> PathBuf {
    fixtures().join("other-root")
}

/// The other root's certificate, PEM.
pub const OTHER_ROOT_PEM: &str = include_str!("../../fixtures/pki/other-root/root.pem");

/// The other root's key, PKCS#8 PEM.
pub const OTHER_ROOT_KEY_PEM: &str = include_str!("../../fixtures/pki/other-root/root.key.pem");

/// RSA-2048 keys for holders' CSRs (PKCS#8 PEM), `holder-1.key.pem` to `holder-4.key.pem`.
pub const HOLDER_KEYS: [&str; 4] = [
    include_str!("../../fixtures/pki/holders/holder-1.key.pem"),
    include_str!("../../fixtures/pki/holders/holder-2.key.pem"),
    include_str!("../../fixtures/pki/holders/holder-3.key.pem"),
    include_str!("../../fixtures/pki/holders/holder-4.key.pem"),
];

/// The `n`th holder key (from 0, wrapping around), PKCS#8 PEM.
pub fn holder_key(n: usize) -> &'static str {
    HOLDER_KEYS[n % HOLDER_KEYS.len()]
}

/// `fixtures/pki` of this checkout.
pub fn fixtures() -> PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).join("fixtures").join("pki")
}
