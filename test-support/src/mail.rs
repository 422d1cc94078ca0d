//! The site's mails read as a person's mail program reads them: MIME parsed and the body decoded
//! (quoted-printable or base64, its charset) by mail-parser, then the URL and the password taken
//! where docs/protocol.md ("Mails") says they are.

use std::path::{Path, PathBuf};

use mail_parser::MessageParser;

/// The label of the line before the password in MAIL-PASSWORD (docs/protocol.md, "Mails").
pub const PASSWORD_LABEL: &str = "認証情報パスワード:";

/// A mail could not be read, or said nothing of what was looked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// Not an RFC 5322 message.
    #[error("not an RFC 5322 message")]
    Unparsable,
    /// The message has no text body.
    #[error("the mail has no text body")]
    NoText,
    /// No line after `認証情報パスワード:`.
    #[error("the mail holds no password after {PASSWORD_LABEL}")]
    NoPassword,
    /// No line starting with `https://`.
    #[error("the mail holds no https:// line")]
    NoUrl,
    /// A mail file could not be read.
    #[error("{path}: {why}")]
    Io {
        /// The file or directory.
        path: String,
        /// Why.
        why: String,
    },
}

/// One mail of the site, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The subject, RFC 2047 decoded.
    pub subject: String,
    /// `X-Application`, when present.
    pub application: Option<String>,
    /// `X-Catalogue-Id` (`MAIL-URL`, `MAIL-PASSWORD`, …), when present.
    pub catalogue: Option<String>,
    /// The text body, transfer encoding and charset decoded.
    pub body: String,
}

impl Mail {
    /// Reads a raw RFC 5322 message.
    pub fn parse(raw: &[u8]) -> Result<Self, MailError> {
        let message = MessageParser::default()
            .parse(raw)
            .ok_or(MailError::Unparsable)?;
        let header = |name: &str| {
            message
                .header(name)
                .and_then(|h| h.as_text())
                .map(|t| t.trim().to_owned())
        };
        Ok(Self {
            subject: message.subject().unwrap_or_default().to_owned(),
            application: header("X-Application"),
            catalogue: header("X-Catalogue-Id"),
            body: message.body_text(0).ok_or(MailError::NoText)?.into_owned(),
        })
    }

    /// Reads a mail file (one of a Maildir).
    pub fn read(path: &Path) -> Result<Self, MailError> {
        let raw = std::fs::read(path).map_err(|e| MailError::Io {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        Self::parse(&raw)
    }

    /// The password of a MAIL-PASSWORD mail.
    pub fn password(&self) -> Result<String, MailError> {
        password_in_text(&self.body).ok_or(MailError::NoPassword)
    }

    /// The step 1 URL of a MAIL-URL or MAIL-REMINDER mail.
    pub fn url(&self) -> Result<String, MailError> {
        url_in_text(&self.body).ok_or(MailError::NoUrl)
    }
}

/// The password in decoded mail text (a mail's body, or the text of a page that shows it): the
/// first non-empty line after the `認証情報パスワード:` line.
pub fn password_in_text(text: &str) -> Option<String> {
    let mut lines = text.lines().map(str::trim);
    lines.find(|l| *l == PASSWORD_LABEL)?;
    lines.find(|l| !l.is_empty()).map(str::to_owned)
}

/// The URL in decoded mail text: the first line starting with `https://`.
pub fn url_in_text(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("https://"))
        .map(str::to_owned)
}

/// Every mail in a Maildir's `new/` and `cur/`, with its file, in no particular order; files
/// that are not messages are left out.
pub fn maildir(dir: &Path) -> Result<Vec<(PathBuf, Mail)>, MailError> {
    let mut mails = Vec::new();
    for sub in ["new", "cur"] {
        let sub = dir.join(sub);
        let entries = match std::fs::read_dir(&sub) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(MailError::Io {
                    path: sub.display().to_string(),
                    why: e.to_string(),
                });
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if let Ok(mail) = Mail::read(&path) {
                mails.push((path, mail));
            }
        }
    }
    Ok(mails)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "山田 太郎 様\n\n認証情報パスワード:\nAbC123=xyz\n\nURL は別のメールでお知らせしています。\n";

    fn mail(headers: &str, body: &str) -> Vec<u8> {
        format!("Subject: =?utf-8?B?6Zu75a2Q6Ki85piO5pu444Gu55m66KGM44OR44K544Ov44O844OJ44Gu44GK55+l44KJ44Gb?=\r\nX-Application: ap-0007\r\nX-Catalogue-Id: MAIL-PASSWORD\r\nMIME-Version: 1.0\r\n{headers}\r\n{body}")
            .into_bytes()
    }

    #[test]
    fn a_quoted_printable_utf8_password_mail_gives_its_password_subject_and_ids() {
        let qp: String = BODY
            .bytes()
            .map(|b| match b {
                b'\n' => "\r\n".to_owned(),
                b'=' | 0x80.. => format!("={b:02X}"),
                _ => (b as char).to_string(),
            })
            .collect();
        let raw = mail(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n",
            &qp,
        );
        let read = Mail::parse(&raw).unwrap();
        assert_eq!(read.subject, "電子証明書の発行パスワードのお知らせ");
        assert_eq!(read.application.as_deref(), Some("ap-0007"));
        assert_eq!(read.catalogue.as_deref(), Some("MAIL-PASSWORD"));
        assert_eq!(read.password().unwrap(), "AbC123=xyz");
    }

    #[test]
    fn a_base64_password_mail_gives_its_password() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(BODY);
        let raw = mail(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
            &format!("{b64}\r\n"),
        );
        assert_eq!(Mail::parse(&raw).unwrap().password().unwrap(), "AbC123=xyz");
    }

    #[test]
    fn a_mail_without_the_label_has_no_password_and_one_without_https_no_url() {
        let raw = mail(
            "Content-Type: text/plain; charset=utf-8\r\n",
            "パスワード: x\r\n",
        );
        let read = Mail::parse(&raw).unwrap();
        assert_eq!(read.password(), Err(MailError::NoPassword));
        assert_eq!(read.url(), Err(MailError::NoUrl));
    }

    #[test]
    fn the_url_is_the_first_https_line() {
        let text =
            "様\n\n次の URL から\n\n  https://127.0.0.1:4443/apply/ap-0001  \n\nhttps://later\n";
        assert_eq!(
            url_in_text(text).as_deref(),
            Some("https://127.0.0.1:4443/apply/ap-0001")
        );
    }
}
