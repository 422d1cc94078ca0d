//! `cert-client`: the enrollment client for the certificate issuance site, and its certificate store.
//!
//! - [`enrollment`]: the guide's steps, reported as [`Event`]s as they happen;
//! - [`site`]: the protocol (docs/protocol.md) from the client's side, with its own types;
//! - [`store`]: trusted roots, personal certificates with their keys, pending requests; a key is on
//!   disk before its request leaves the machine;
//! - [`prompt`]: the guide's confirmation dialogs as questions (terminal, `--yes`, scripted);
//! - [`mailbox`]: the URL and password from the two mails in a Maildir;
//! - [`export`]: the PKCS#12 export, the one way a key leaves the store;
//! - [`data`] and [`envelope`]: documents the site delivers as CMS EnvelopedData, opened only with a
//!   key of the store [DATA-DECRYPT];
//! - [`error`]: every failure with its stable id and exit code.

/// The binary's terminal output: not for embedding.
#[doc(hidden)]
pub mod console;
pub mod data;
pub mod enrollment;
pub mod envelope;
pub mod error;
pub mod export;
pub mod mailbox;
pub mod prompt;
pub mod site;
pub mod store;
/// Hex and digests the other modules share: not for embedding.
#[doc(hidden)]
pub mod thumbprint;

pub use enrollment::{Event, Invitation, Options, Outcome, confirm, enroll, enroll_with};
pub use error::{Error, Problem};
pub use store::Store;
