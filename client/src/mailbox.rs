//! Reading the two mails (MAIL-URL, MAIL-PASSWORD) from a Maildir, as a person reads their inbox.

use std::{fs, path::Path};

use mail_parser::MessageParser;

use crate::error::Error;

/// What the two mails told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The step 1 URL (from 電子証明書の発行 URL のお知らせ).
    pub url: String,
    /// The password (from 電子証明書の発行パスワードのお知らせ).
    pub password: String,
}

/// The largest mail file read.
pub const MAX_MAIL: u64 = 1024 * 1024;

struct Found {
    subject: String,
    application: Option<String>,
    date: i64,
    body: String,
}

/// Finds the newest URL mail in `maildir` (its `new/` and `cur/`) and the password mail of the same
/// application.
pub fn read_invitation(maildir: &Path) -> Result<Invitation, Error> {
    let mut mails = Vec::new();
    for sub in ["new", "cur"] {
        let dir = maildir.join(sub);
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            // A mail of the site is a few KiB: a file far larger is not one of its mails, and is
            // not read into memory.
            if entry.metadata().map_or(true, |m| m.len() > MAX_MAIL) {
                continue;
            }
            let Ok(raw) = fs::read(entry.path()) else {
                continue;
            };
            let Some(message) = MessageParser::default().parse(&raw) else {
                continue;
            };
            mails.push(Found {
                subject: message.subject().unwrap_or_default().to_owned(),
                application: message
                    .header("X-Application")
                    .and_then(|h| h.as_text())
                    .map(|t| t.trim().to_owned()),
                date: message.date().map_or(0, |d| d.to_timestamp()),
                body: message
                    .body_text(0)
                    .map(|b| b.into_owned())
                    .unwrap_or_default(),
            });
        }
    }
    let url_mail = mails
        .iter()
        .filter(|m| m.subject == "電子証明書の発行 URL のお知らせ")
        .max_by_key(|m| m.date)
        .ok_or_else(|| {
            Error::Mail(format!(
                "no 電子証明書の発行 URL のお知らせ mail in {}",
                maildir.display()
            ))
        })?;
    let password_mail = mails
        .iter()
        .filter(|m| m.subject == "電子証明書の発行パスワードのお知らせ")
        .filter(|m| url_mail.application.is_none() || m.application == url_mail.application)
        .max_by_key(|m| m.date)
        .ok_or_else(|| {
            Error::Mail(format!(
                "no 電子証明書の発行パスワードのお知らせ mail in {}",
                maildir.display()
            ))
        })?;
    let url = url_mail
        .body
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("https://"))
        .ok_or_else(|| Error::Mail("the URL mail holds no https:// line".into()))?
        .to_owned();
    let password = password_mail
        .body
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("認証情報パスワード"))
        .skip(1)
        .find(|l| !l.is_empty())
        .ok_or_else(|| Error::Mail("the password mail holds no 認証情報パスワード".into()))?
        .to_owned();
    Ok(Invitation { url, password })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_file_too_large_to_be_the_sites_is_skipped_and_the_two_mails_still_found() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new");
        fs::create_dir_all(&new).unwrap();
        fs::write(new.join("huge"), vec![0u8; MAX_MAIL as usize + 1]).unwrap();
        fs::write(
            new.join("url"),
            "Subject: =?utf-8?B?6Zu75a2Q6Ki85piO5pu444Gu55m66KGMIFVSTCDjga7jgYrnn6XjgonjgZs=?=\r\n\r\nhttps://127.0.0.1/apply/ap-0001\r\n",
        )
        .unwrap();
        fs::write(
            new.join("password"),
            "Subject: =?utf-8?B?6Zu75a2Q6Ki85piO5pu444Gu55m66KGM44OR44K544Ov44O844OJ44Gu44GK55+l44KJ44Gb?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n認証情報パスワード\r\npw\r\n",
        )
        .unwrap();
        let found = read_invitation(dir.path()).unwrap();
        assert_eq!(found.url, "https://127.0.0.1/apply/ap-0001");
        assert_eq!(found.password, "pw");
    }
}
