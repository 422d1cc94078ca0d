//! End to end across the crates: the `cert-client` binary against the `mock-ca` binary over real
//! TLS, checked from outside with openssl and curl where they are installed; and the client library
//! against an in-process site over real TLS.
//!
//! The binaries are test-support's: built on demand into this test's target directory and
//! profile, so no separate build is needed first.

mod binaries;
mod client;
mod data;
mod in_process;
mod protocol_walkthrough;
mod support;
