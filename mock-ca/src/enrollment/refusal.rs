//! Why the site refuses a request: one variant per answer the guide shows, plus the few the site
//! needs that the guide does not have.
//!
//! A refusal's id and HTTP status are the protocol's, here; its words (the guide's message, byte
//! for byte, and the remedy) are the site profile's (`[message.ID]` of `mock-ca/profile/profile.toml`
//! for the default), which a test holds to the catalogue; the site writes them on its own rather
//! than reading the catalogue, so that a drift between the two is caught instead of hidden.

use std::fmt;

use axum::http::StatusCode;

use crate::world::profile::{Message, Profile};

/// A refusal of the site, with its stable catalogue id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// AUTH-FAILED: a wrong password, or an application that is not approved.
    #[error("authentication failed or the application is not approved")]
    AuthFailed,
    /// NO-VALID-REQUEST: the certificate was installed; the site is closed for this application.
    #[error("the application has no open certificate request")]
    NoValidRequest,
    /// STEP3-ONE-WAY: a certificate was issued but the install never completed.
    #[error(
        "a certificate was already issued for this application; the install cannot be restarted"
    )]
    InstallAbandoned,
    /// CERT-REQUEST-FAILED: the CSR was refused.
    #[error("the certificate request was refused: {0}")]
    CertRequestFailed(CsrDefect),
    /// CONFIRM-FORBIDDEN: the confirmation page without an acceptable client certificate.
    #[error("the confirmation page needs a valid client certificate of this site: {0}")]
    ConfirmForbidden(String),
    /// COMPONENT-UNAVAILABLE: a step that needs the enrollment component, without it.
    #[error("this step needs the enrollment component (X-Enrollment-Component)")]
    ComponentUnavailable,
    /// ENV-SUPPORTED: the enrollment component declared a platform the site does not support.
    #[error("the declared platform {0:?} is not supported")]
    PlatformUnsupported(String),
    /// SESSION-REQUIRED: a step after login without a valid session.
    #[error("log in first: no valid session")]
    SessionRequired,
    /// OUT-OF-ORDER: a step the application's state does not allow.
    #[error("not allowed while the application is {0}")]
    OutOfOrder(&'static str),
    /// BAD-REQUEST: a body that cannot be read.
    #[error("the request cannot be read: {0}")]
    BadRequest(String),
    /// NOT-FOUND: an unknown application or path.
    #[error("no such page or application")]
    NotFound,
    /// METHOD-NOT-ALLOWED: a known path asked with a method it does not answer.
    #[error("this path does not answer this method")]
    MethodNotAllowed,
    /// FAULT-INJECTED: an HTTP status armed through the admin API's faults.
    #[error("an injected fault answered HTTP {0}")]
    FaultInjected(u16),
    /// ADMIN-UNAUTHORIZED: an admin request without the right token.
    #[error("the admin API needs its bearer token")]
    AdminUnauthorized,
    /// PAYLOAD-TOO-LARGE: a request body over the site's limit.
    #[error("the request body is over the site's limit")]
    PayloadTooLarge,
    /// INTERNAL: the site failed; the detail is logged, never sent.
    #[error("internal error")]
    Internal,
    /// STORAGE-UNAVAILABLE: the change could not be recorded (`--data-dir`, the Maildir), so it
    /// was refused and nothing of it remains; the site goes on serving what it can.
    #[error(
        "the change could not be recorded ({}); nothing was changed, retry later",
        if *full { "the disk is full" } else { "a write failed" }
    )]
    StorageUnavailable {
        /// Whether the disk was full (it may succeed once space returns).
        full: bool,
    },
    /// A refusal armed as a fault through the admin API: answered as the site would answer it,
    /// with `injected fault` as its detail.
    #[error("injected fault")]
    Injected(Box<Refusal>),
}

impl Refusal {
    /// How the protocol answers this refusal: its stable id (a catalogue id where the guide has
    /// the case) and its HTTP status (protocol document, "Errors"). One arm per variant and no
    /// wildcard, so a new refusal does not build until it has both; a profile that lacks its
    /// words does not load.
    fn answer(&self) -> (&'static str, StatusCode) {
        match self {
            Self::AuthFailed => ("AUTH-FAILED", StatusCode::UNAUTHORIZED),
            Self::NoValidRequest => ("NO-VALID-REQUEST", StatusCode::GONE),
            Self::InstallAbandoned => ("STEP3-ONE-WAY", StatusCode::GONE),
            Self::CertRequestFailed(_) => ("CERT-REQUEST-FAILED", StatusCode::BAD_REQUEST),
            Self::ConfirmForbidden(_) => ("CONFIRM-FORBIDDEN", StatusCode::FORBIDDEN),
            Self::ComponentUnavailable => {
                ("COMPONENT-UNAVAILABLE", StatusCode::PRECONDITION_REQUIRED)
            }
            Self::PlatformUnsupported(_) => ("ENV-SUPPORTED", StatusCode::UNPROCESSABLE_ENTITY),
            Self::SessionRequired => ("SESSION-REQUIRED", StatusCode::UNAUTHORIZED),
            Self::OutOfOrder(_) => ("OUT-OF-ORDER", StatusCode::CONFLICT),
            Self::BadRequest(_) => ("BAD-REQUEST", StatusCode::BAD_REQUEST),
            Self::NotFound => ("NOT-FOUND", StatusCode::NOT_FOUND),
            Self::MethodNotAllowed => ("METHOD-NOT-ALLOWED", StatusCode::METHOD_NOT_ALLOWED),
            Self::FaultInjected(status) => (
                "FAULT-INJECTED",
                // The admin API arms only 400-599; anything else would be a defect of the site's.
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            ),
            Self::AdminUnauthorized => ("ADMIN-UNAUTHORIZED", StatusCode::UNAUTHORIZED),
            Self::PayloadTooLarge => ("PAYLOAD-TOO-LARGE", StatusCode::PAYLOAD_TOO_LARGE),
            Self::Internal => ("INTERNAL", StatusCode::INTERNAL_SERVER_ERROR),
            Self::StorageUnavailable { .. } => {
                ("STORAGE-UNAVAILABLE", StatusCode::SERVICE_UNAVAILABLE)
            }
            Self::Injected(refusal) => refusal.answer(),
        }
    }

    /// The stable id: a catalogue id where the guide has the case.
    pub fn id(&self) -> &'static str {
        self.answer().0
    }

    /// The HTTP status the site answers with.
    pub fn status(&self) -> StatusCode {
        self.answer().1
    }

    /// Its words in `profile`: the message, the remedy and what a page says with them.
    pub fn words_in<'p>(&self, profile: &'p Profile) -> &'p Message {
        static NONE: std::sync::LazyLock<Message> = std::sync::LazyLock::new(|| Message {
            text: String::new(),
            remedy: None,
            headline: None,
            explanation: None,
            identify: Vec::new(),
        });
        // A profile holds every refusal's words (checked when it loads).
        profile.message(self.id()).unwrap_or(&NONE)
    }

    /// What the user sees, in the default profile's words: the guide's message where it has
    /// one. A site with another profile says its profile's ([`Refusal::words_in`]).
    pub fn message(&self) -> &'static str {
        self.words_in(Profile::default_ref()).text.as_str()
    }

    /// What the user can do, in the default profile's words: the guide's remedy where it has
    /// one; for the ids the site adds, a remedy of the site's own, in Japanese, for the customer
    /// who sees it on a page (the admin API's, for its operator). Every refusal has one.
    pub fn remedy(&self) -> Option<&'static str> {
        self.words_in(Profile::default_ref()).remedy.as_deref()
    }

    /// The refusal a fault armed with catalogue id `id` answers, as if the site had refused.
    /// `None` for an id the site never answers with.
    pub fn from_id(id: &str) -> Option<Self> {
        let injected = || "injected fault".to_owned();
        let refusal = match id {
            "AUTH-FAILED" => Self::AuthFailed,
            "NO-VALID-REQUEST" => Self::NoValidRequest,
            "STEP3-ONE-WAY" => Self::InstallAbandoned,
            "CERT-REQUEST-FAILED" => Self::CertRequestFailed(CsrDefect::Malformed(injected())),
            "CONFIRM-FORBIDDEN" => Self::ConfirmForbidden(injected()),
            "COMPONENT-UNAVAILABLE" => Self::ComponentUnavailable,
            "ENV-SUPPORTED" => Self::PlatformUnsupported(injected()),
            "SESSION-REQUIRED" => Self::SessionRequired,
            "OUT-OF-ORDER" => Self::OutOfOrder("injected"),
            "BAD-REQUEST" => Self::BadRequest(injected()),
            "NOT-FOUND" => Self::NotFound,
            "METHOD-NOT-ALLOWED" => Self::MethodNotAllowed,
            "PAYLOAD-TOO-LARGE" => Self::PayloadTooLarge,
            "INTERNAL" => Self::Internal,
            "STORAGE-UNAVAILABLE" => Self::StorageUnavailable { full: false },
            _ => return None,
        };
        Some(Self::Injected(Box::new(refusal)))
    }

    /// English detail for people debugging; never matched on by programs.
    pub fn detail(&self) -> String {
        self.to_string()
    }
}

/// Every id the site answers with, for tests and documents that must cover them all.
pub const IDS: &[&str] = &[
    "AUTH-FAILED",
    "NO-VALID-REQUEST",
    "STEP3-ONE-WAY",
    "CERT-REQUEST-FAILED",
    "CONFIRM-FORBIDDEN",
    "COMPONENT-UNAVAILABLE",
    "ENV-SUPPORTED",
    "SESSION-REQUIRED",
    "OUT-OF-ORDER",
    "BAD-REQUEST",
    "NOT-FOUND",
    "METHOD-NOT-ALLOWED",
    "PAYLOAD-TOO-LARGE",
    "INTERNAL",
    "STORAGE-UNAVAILABLE",
];

/// What is wrong with a certificate signing request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsrDefect {
    /// Not PEM, not DER, or not a PKCS#10 structure.
    Malformed(String),
    /// The signature does not verify with the request's own key.
    BadSignature,
    /// The key is not the algorithm and length the site asked for.
    WrongKey {
        /// What the site asked for, e.g. `RSA 2048`.
        wanted: String,
        /// What the request holds.
        found: String,
    },
    /// The subject is not the application's.
    SubjectMismatch {
        /// The application's subject.
        wanted: String,
        /// The request's subject.
        found: String,
    },
}

impl fmt::Display for CsrDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "malformed request ({why})"),
            Self::BadSignature => f.write_str("the request's signature does not verify"),
            Self::WrongKey { wanted, found } => {
                write!(f, "key is {found}, the site requires {wanted}")
            }
            Self::SubjectMismatch { wanted, found } => {
                write!(
                    f,
                    "subject is \"{found}\", the application's is \"{wanted}\""
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_remedy_in_japanese_and_an_injected_one_says_so_in_its_detail() {
        let mut all: Vec<Refusal> = IDS.iter().map(|id| Refusal::from_id(id).unwrap()).collect();
        all.push(Refusal::FaultInjected(503));
        all.push(Refusal::AdminUnauthorized);
        for refusal in &all {
            let remedy = refusal
                .remedy()
                .unwrap_or_else(|| panic!("{} has no remedy", refusal.id()));
            assert!(
                remedy
                    .chars()
                    .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
                "{}'s remedy is not in Japanese: {remedy}",
                refusal.id()
            );
        }
        for id in IDS {
            let injected = Refusal::from_id(id).unwrap();
            assert_eq!(injected.id(), *id);
            assert_eq!(injected.detail(), "injected fault");
        }
        assert_eq!(Refusal::from_id("ADMIN-UNAUTHORIZED"), None);
    }
}
