//! Everything that can stop the client, each with a stable id: the catalogue's where the guide has
//! the case, and a documented exit code for each class.
//!
//! The guide's texts are written here by the client itself (not read from the catalogue), so the
//! harness can check them against the catalogue from outside.

use std::fmt;

use crate::store::StoreError;

/// A refusal the site sent: its error body (protocol document, "Errors").
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Problem {
    /// The site's stable id (a catalogue id where the guide has the case).
    pub id: String,
    /// What the user sees, as the guide words it.
    pub message: String,
    /// What the guide tells the user to do.
    #[serde(default)]
    pub remedy: Option<String>,
    /// English detail; never matched on.
    #[serde(default)]
    pub detail: Option<String>,
}

/// An enrollment or store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The site refused the request with one of its errors.
    #[error("the site refused: [{}] {}", .problem.id, .problem.message)]
    Site {
        /// The HTTP status.
        status: u16,
        /// The site's error body.
        problem: Problem,
    },
    /// CSR-GENERATION-FAILED: 発行 was answered いいえ, or the key and CSR could not be made.
    #[error("the key and certificate request were not made: {0}")]
    CsrGenerationFailed(String),
    /// ENROLL-CANCELLED: the Web access confirmation was refused.
    #[error("the web access confirmation was refused")]
    EnrollCancelled,
    /// REINSTALL-NOT-FOUND: the returned certificate matches no pending key in the store.
    #[error("the certificate matches no pending key in the store")]
    ReinstallNotFound,
    /// ROOT-MISMATCH: the root downloaded does not match the repository's thumbprints.
    #[error("the root certificate's thumbprint {found} does not match the published {published}")]
    RootMismatch {
        /// The SHA-256 thumbprint the repository page publishes.
        published: String,
        /// The SHA-256 thumbprint of what was downloaded.
        found: String,
    },
    /// KEY-UNSUPPORTED: the site asked for a key this client cannot make.
    #[error("the site asks for {algorithm} {length} ({csp}), which this client cannot make")]
    KeyUnsupported {
        /// The CSP named.
        csp: String,
        /// The algorithm named.
        algorithm: String,
        /// The length named.
        length: u64,
    },
    /// NETWORK: the site could not be reached.
    #[error("cannot reach the site: {0}")]
    Network(String),
    /// PROTOCOL: the site answered something the protocol does not allow.
    #[error("unexpected answer from the site: {0}")]
    Protocol(String),
    /// STORE: the certificate store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// MAILDIR: the mails with the URL and password could not be read.
    #[error("mail: {0}")]
    Mail(String),
}

/// Exit codes of `cert-client`, one per class of failure (README, "Exit codes").
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Internal error.
    pub const INTERNAL: u8 = 1;
    /// Bad usage (clap's own).
    pub const USAGE: u8 = 2;
    /// The site refused (AUTH-FAILED, NO-VALID-REQUEST, …).
    pub const SITE_REFUSED: u8 = 3;
    /// The user said no (CSR-GENERATION-FAILED, ENROLL-CANCELLED).
    pub const CANCELLED: u8 = 4;
    /// A trust check failed (ROOT-MISMATCH).
    pub const TRUST: u8 = 5;
    /// The site could not be reached, or answered outside the protocol.
    pub const NETWORK: u8 = 6;
    /// The store (REINSTALL-NOT-FOUND, a broken store, an unwritable file).
    pub const STORE: u8 = 7;
    /// The mails could not be read, or the key the site asks for cannot be made.
    pub const INPUT: u8 = 8;
}

impl Error {
    /// The stable id.
    pub fn id(&self) -> &str {
        match self {
            Self::Site { problem, .. } => &problem.id,
            Self::CsrGenerationFailed(_) => "CSR-GENERATION-FAILED",
            Self::EnrollCancelled => "ENROLL-CANCELLED",
            Self::ReinstallNotFound => "REINSTALL-NOT-FOUND",
            Self::RootMismatch { .. } => "ROOT-MISMATCH",
            Self::KeyUnsupported { .. } => "KEY-UNSUPPORTED",
            Self::Network(_) => "NETWORK",
            Self::Protocol(_) => "PROTOCOL",
            Self::Store(_) => "STORE",
            Self::Mail(_) => "MAILDIR",
        }
    }

    /// What the user sees, in the form the guide prints it where it has the case.
    pub fn message(&self) -> String {
        match self {
            Self::Site { problem, .. } => problem.message.clone(),
            Self::CsrGenerationFailed(_) => "CSR の生成に失敗しました".into(),
            Self::EnrollCancelled => "[-2147023673]・・・CX509Enrollment".into(),
            Self::ReinstallNotFound => "unknown_error:-2146885628 証明書の状態を確認する必要があります。 確認サイトへアクセスしてください。".into(),
            Self::RootMismatch { .. } => "ルート CA 証明書の拇印が公開されている値と一致しません".into(),
            other => other.to_string(),
        }
    }

    /// What to do about it.
    pub fn remedy(&self) -> Option<String> {
        match self {
            Self::Site { problem, .. } => problem.remedy.clone(),
            Self::CsrGenerationFailed(_) => Some(
                "再度、URL にアクセスして、証明書発行サイトにログインを行い、インストールを完了してください".into(),
            ),
            Self::EnrollCancelled => Some(
                "Web アクセスの確認で「はい」を選んでください (0x800704C7 ERROR_CANCELLED). Answer yes to the web access confirmation.".into(),
            ),
            Self::ReinstallNotFound => Some(
                "「OK」ボタンで先に進み、証明書の存在が確認できればそのままご利用いただけます。 Check with `cert-client list` and `cert-client confirm`.".into(),
            ),
            Self::RootMismatch { .. } => Some(
                "Do not install this root. The site or the connection is not the one published; contact the issuer.".into(),
            ),
            _ => None,
        }
    }

    /// English explanation, beside the guide's Japanese.
    pub fn english(&self) -> String {
        self.to_string()
    }

    /// The exit code of `cert-client` for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Site { .. } => exit::SITE_REFUSED,
            Self::CsrGenerationFailed(_) | Self::EnrollCancelled => exit::CANCELLED,
            Self::RootMismatch { .. } => exit::TRUST,
            Self::Network(_) | Self::Protocol(_) => exit::NETWORK,
            Self::ReinstallNotFound | Self::Store(_) => exit::STORE,
            Self::KeyUnsupported { .. } | Self::Mail(_) => exit::INPUT,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.id, self.message)
    }
}
