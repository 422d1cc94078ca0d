//! What touches the world outside the process, each behind a type the domain is handed (so tests
//! and scenarios inject their own): the clock, entropy, the outbox (a Maildir, and a real SMTP
//! server through [`smtp`]), the records on disk (SQLite), the configuration file, and the site
//! profile (the words, pages and rules a version of the guide gives the site).

pub mod clock;
pub mod config;
pub mod entropy;
pub mod outbox;
pub mod profile;
pub mod records;
pub mod smtp;
