//! Everything that can stop the client, each with a stable id: the catalogue's where the guide has
//! the case, and a documented exit code for each class.
//!
//! The guide's texts are written here by the client itself (not read from the catalogue), so the
//! harness can check them against the catalogue from outside.

use std::{fmt, io, path::PathBuf};

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

/// Why a certificate handed to the store matched no pending key (REINSTALL-NOT-FOUND).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unmatched {
    /// It is already installed beside its key: the first install did succeed.
    AlreadyInstalled,
    /// No key for it was ever made in this store: it was issued on another PC (OTHER-PC).
    MadeElsewhere,
}

/// The store cannot be read or written, or holds something it should not.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file or directory could not be read or written.
    #[error("store: {path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file is not what the store wrote (half-written by something else, edited, damaged).
    #[error("store: {path}: {why}")]
    Damaged {
        /// Where.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
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
    /// CSR-GENERATION-FAILED: 発行 was answered いいえ, the key and CSR generation was interrupted,
    /// or they could not be made.
    #[error("the key and certificate request were not made: {0}")]
    CsrGenerationFailed(String),
    /// ENROLL-CANCELLED: the Web access confirmation was refused.
    #[error("the web access confirmation was refused (0x800704C7, ERROR_CANCELLED)")]
    EnrollCancelled,
    /// REINSTALL-NOT-FOUND: a certificate to install matches no pending key in the store.
    #[error("{}", match .why {
        Unmatched::AlreadyInstalled => format!("the certificate {serial} ({subject}) matches no pending key (0x80092004, CRYPT_E_NOT_FOUND): it is already installed beside its key"),
        Unmatched::MadeElsewhere => format!("the certificate {serial} ({subject}) matches no pending key (0x80092004, CRYPT_E_NOT_FOUND): its key was not made in this store"),
    })]
    ReinstallNotFound {
        /// The certificate's subject.
        subject: String,
        /// Its serial.
        serial: String,
        /// Whether it is already held, or was made elsewhere.
        why: Unmatched,
    },
    /// COMPONENT-UNAVAILABLE: the enrollment component is disabled, so no key can be made here.
    #[error(
        "the enrollment component is disabled (--no-component), so this client cannot make the key"
    )]
    ComponentUnavailable,
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
    /// INTERRUPTED: stopped (Ctrl-C) after the key was stored and its request may have left.
    #[error("interrupted after the key was stored in pending/{pending}")]
    Interrupted {
        /// The pending request's id.
        pending: String,
    },
    /// STOPPED: stopped on purpose at a checkpoint (tests of what a crash leaves behind).
    #[error("stopped at checkpoint {at}")]
    Stopped {
        /// The checkpoint's name.
        at: &'static str,
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
    /// STORE: the store holds damage (reported by `list` and `doctor`, never repaired by them).
    #[error("the store has {0} problem(s); nothing was changed")]
    StoreDamaged(usize),
    /// MAILDIR: the mails with the URL and password (or another input file) could not be read.
    #[error("mail: {0}")]
    Mail(String),
    /// DATA-NOT-FOR-THIS-PC: the data is not encrypted to a certificate whose key is in this
    /// store (another holder's, or a certificate made on another PC) [DATA-DECRYPT].
    #[error("{0}")]
    DataNotForThisPc(String),
    /// DATA-UNREADABLE: the file is not CMS EnvelopedData this client opens, or it is addressed
    /// here but does not decrypt (damaged).
    #[error("the data cannot be opened: {0}")]
    DataUnreadable(String),
    /// USAGE: the command line asks for something the command cannot do.
    #[error("{0}")]
    Usage(String),
}

/// Exit codes of `cert-client`, one per class of failure (README, "Exit codes").
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Internal error.
    pub const INTERNAL: u8 = 1;
    /// Bad usage (clap's own, and USAGE).
    pub const USAGE: u8 = 2;
    /// The site refused (AUTH-FAILED, NO-VALID-REQUEST, COMPONENT-UNAVAILABLE, …).
    pub const SITE_REFUSED: u8 = 3;
    /// The user said no (CSR-GENERATION-FAILED, ENROLL-CANCELLED, INTERRUPTED).
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

/// The guide's answer to 通知された URL にアクセスしましたが、ブラウザで何も表示できません [SITE-REACHABLE].
pub const NETWORK_REMEDY: &str = "お使いの PC はインターネット接続できますか？ もしアクセスできない場合は、インターネット通信環境の問題ですので、貴社内のシステム管理者にご相談ください";

/// The guide's answer to 電子証明書は何のために必要なのですか [DATA-DECRYPT].
pub const DATA_DECRYPT: &str = "電子証明書をインストールしたPC だけが、弊社が提供するデータの復号(暗号を解くこと)が可能になります";

/// The guide's answer to 誤って別の PC で電子証明書の発行の操作を行ってしまいました [OTHER-PC].
pub const OTHER_PC_REMEDY: &str = "再度、“更新・再発行”で申請いただく必要があります";

impl Error {
    /// The stable id.
    pub fn id(&self) -> &str {
        match self {
            Self::Site { problem, .. } => &problem.id,
            Self::CsrGenerationFailed(_) => "CSR-GENERATION-FAILED",
            Self::EnrollCancelled => "ENROLL-CANCELLED",
            Self::ReinstallNotFound { .. } => "REINSTALL-NOT-FOUND",
            Self::ComponentUnavailable => "COMPONENT-UNAVAILABLE",
            Self::RootMismatch { .. } => "ROOT-MISMATCH",
            Self::KeyUnsupported { .. } => "KEY-UNSUPPORTED",
            Self::Interrupted { .. } => "INTERRUPTED",
            Self::Stopped { .. } => "STOPPED",
            Self::Network(_) => "NETWORK",
            Self::Protocol(_) => "PROTOCOL",
            Self::Store(_) | Self::StoreDamaged(_) => "STORE",
            Self::Mail(_) => "MAILDIR",
            Self::Usage(_) => "USAGE",
            Self::DataNotForThisPc(_) => "DATA-NOT-FOR-THIS-PC",
            Self::DataUnreadable(_) => "DATA-UNREADABLE",
        }
    }

    /// What the user sees, in the form the guide prints it where it has the case.
    pub fn message(&self) -> String {
        match self {
            Self::Site { problem, .. } => problem.message.clone(),
            Self::CsrGenerationFailed(_) => "CSR の生成に失敗しました".into(),
            Self::EnrollCancelled => "[-2147023673]・・・CX509Enrollment".into(),
            Self::ReinstallNotFound { .. } => "unknown_error:-2146885628 証明書の状態を確認する必要があります。 確認サイトへアクセスしてください。".into(),
            Self::ComponentUnavailable => "ActiveX コンポーネントは・・・できません".into(),
            Self::RootMismatch { .. } => "ルート CA 証明書の拇印が公開されている値と一致しません".into(),
            Self::KeyUnsupported { .. } => "指定された CSP / Key 長の鍵はこのクライアントでは生成できません".into(),
            Self::Interrupted { .. } => "中断しました: 鍵は保存されています".into(),
            Self::Network(_) => "サイトに接続できません (ページを表示できません)".into(),
            Self::StoreDamaged(_) => "証明書ストアに問題があります".into(),
            Self::DataNotForThisPc(_) => "このデータはこの PC では復号できません".into(),
            Self::DataUnreadable(_) => "データを読み取れません".into(),
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
                "Web アクセスの確認で「はい」を選んでください。再度、証明書発行サイトにログインを行い、インストールを再開することができます (answer yes to the web access confirmation; enroll again to resume)".into(),
            ),
            Self::ReinstallNotFound { why: Unmatched::AlreadyInstalled, .. } => Some(
                "「OK」ボタンで先に進み、証明書の存在が確認できればそのままご利用いただけます (the certificate is in the store: check it with `cert-client list` and `cert-client confirm`)".into(),
            ),
            Self::ReinstallNotFound { why: Unmatched::MadeElsewhere, .. } => Some(format!(
                "「OK」ボタンで先に進み、証明書の存在が確認できればそのままご利用いただけます (check with `cert-client list` and `cert-client confirm`). 別の PC で発行した証明書であれば、{OTHER_PC_REMEDY} (a certificate made on another PC needs a renewal application: its key never leaves the PC it was made on)"
            )),
            Self::ComponentUnavailable => Some(
                "「1.3. ブラウザの設定」を参照してください (enable the enrollment component: drop --no-component / CERT_CLIENT_NO_COMPONENT)".into(),
            ),
            Self::RootMismatch { .. } => Some(
                "Do not install this root. The site or the connection is not the one published; contact the issuer.".into(),
            ),
            Self::KeyUnsupported { .. } => Some(
                "nothing was sent to the site; contact the issuer about the CSP and key length".into(),
            ),
            Self::Interrupted { pending } => Some(format!(
                "再度、証明書発行サイトにログインを行い、インストールを再開することができます (run `cert-client enroll` again: the key in pending/{pending} is kept and its certificate is installed if it arrived)"
            )),
            Self::Network(_) => Some(format!(
                "{NETWORK_REMEDY} (check the connection with `cert-client check-site URL`)"
            )),
            Self::StoreDamaged(_) => Some(
                "see the problems above; the store was left as it is so that no key is lost (`cert-client doctor`)".into(),
            ),
            Self::DataNotForThisPc(_) => Some(format!(
                "{DATA_DECRYPT} (only the PC holding the key of the certificate the data was encrypted to can open it; nothing was written)"
            )),
            Self::DataUnreadable(_) => Some(
                "the file is damaged or not from the site; download it again with `cert-client data fetch` (nothing was written)".into(),
            ),
            _ => None,
        }
    }

    /// English explanation, beside the guide's Japanese.
    pub fn english(&self) -> String {
        self.to_string()
    }

    /// The class of failure, as `--json` names it: one per exit code.
    pub fn class(&self) -> &'static str {
        match self.exit_code() {
            exit::SITE_REFUSED => "site",
            exit::CANCELLED => "cancelled",
            exit::TRUST => "trust",
            exit::NETWORK if matches!(self, Self::Network(_)) => "network",
            exit::NETWORK => "protocol",
            exit::STORE => "store",
            exit::INPUT => "input",
            exit::USAGE => "usage",
            _ => "internal",
        }
    }

    /// The exit code of `cert-client` for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Site { .. } | Self::ComponentUnavailable => exit::SITE_REFUSED,
            Self::CsrGenerationFailed(_)
            | Self::EnrollCancelled
            | Self::Interrupted { .. }
            | Self::Stopped { .. } => exit::CANCELLED,
            Self::RootMismatch { .. } => exit::TRUST,
            Self::Network(_) | Self::Protocol(_) => exit::NETWORK,
            Self::ReinstallNotFound { .. }
            | Self::Store(_)
            | Self::StoreDamaged(_)
            | Self::DataNotForThisPc(_) => exit::STORE,
            Self::KeyUnsupported { .. } | Self::Mail(_) | Self::DataUnreadable(_) => exit::INPUT,
            Self::Usage(_) => exit::USAGE,
        }
    }

    /// The error as `--json` prints it: the final result object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "result": "error",
            "id": self.id(),
            "class": self.class(),
            "message": self.message(),
            "remedy": self.remedy(),
            "english": self.english(),
            "exit_code": self.exit_code(),
        })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.id, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_side_id_has_the_guides_message_and_its_exit_code() {
        let cases = [
            (
                Error::CsrGenerationFailed("いいえ".into()),
                "CSR-GENERATION-FAILED",
                "CSR の生成に失敗しました",
                exit::CANCELLED,
            ),
            (
                Error::EnrollCancelled,
                "ENROLL-CANCELLED",
                "[-2147023673]・・・CX509Enrollment",
                exit::CANCELLED,
            ),
            (
                Error::ReinstallNotFound {
                    subject: "CN=x".into(),
                    serial: "01".into(),
                    why: Unmatched::MadeElsewhere,
                },
                "REINSTALL-NOT-FOUND",
                "unknown_error:-2146885628 証明書の状態を確認する必要があります。 確認サイトへアクセスしてください。",
                exit::STORE,
            ),
            (
                Error::ComponentUnavailable,
                "COMPONENT-UNAVAILABLE",
                "ActiveX コンポーネントは・・・できません",
                exit::SITE_REFUSED,
            ),
        ];
        for (error, id, message, code) in cases {
            assert_eq!(error.id(), id);
            assert_eq!(error.message(), message);
            assert_eq!(error.exit_code(), code);
            assert_eq!(error.to_json()["id"], id);
        }
    }

    #[test]
    fn enroll_cancelled_is_the_hresult_of_error_cancelled() {
        // HRESULT_FROM_WIN32(ERROR_CANCELLED = 1223) = 0x800704C7, printed signed as the guide does.
        assert_eq!(0x8007_04C7_u32 as i32, -2_147_023_673);
        assert!(Error::EnrollCancelled.message().contains("[-2147023673]"));
        // CRYPT_E_NOT_FOUND = 0x80092004.
        assert_eq!(0x8009_2004_u32 as i32, -2_146_885_628);
    }

    #[test]
    fn a_certificate_made_elsewhere_points_to_a_renewal_application() {
        let error = Error::ReinstallNotFound {
            subject: "CN=x".into(),
            serial: "01".into(),
            why: Unmatched::MadeElsewhere,
        };
        let remedy = error.remedy().unwrap();
        assert!(remedy.contains(OTHER_PC_REMEDY), "{remedy}");
        assert!(remedy.contains("cert-client list") && remedy.contains("cert-client confirm"));
    }
}
