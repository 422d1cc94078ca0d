//! The domain, plain Rust: applications (申請) and their state machine, the registration desk that
//! runs them, the root CA that signs, the certificate request, the processing calendar, passwords
//! kept hashed, documents for a holder, and what the admin API scripts (faults) and reads (the
//! journal). Nothing here opens a socket or a file of its own: time, randomness, the outbox and
//! the records come from [`crate::world`]; HTTP is [`crate::web`]'s.

pub mod application;
pub mod authority;
pub(crate) mod chain;
pub mod delivery;
pub mod faults;
pub mod journal;
pub mod processing;
pub mod refusal;
pub mod registration;
pub mod request;
pub mod secret;
