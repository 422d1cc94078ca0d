//! mock-ca over its real listener: TLS, faults that break connections, restarts with
//! `--data-dir`, signals, SMTP delivery, and the pages in headless Chromium. One test binary
//! (a module per area), every site on port 0 with its own temporary directories.

mod browser;
mod certenroll;
mod http2;
mod listener;
mod pki;
mod profile;
mod restart;
mod signals;
mod smtp;
mod storage;
mod support;
