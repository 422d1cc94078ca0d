//! The site's outgoing mail: real RFC 5322 messages, kept in order, written to a Maildir that a
//! mail client can open and, when a relay is set, handed to an SMTP server.

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use mail_builder::{MessageBuilder, headers::text::Text};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::world::smtp::Relay;

/// The sender of every mail (the name, unless the site's profile names its issuance site
/// otherwise: [`Outbox::sign_as`]).
pub const SENDER: (&str, &str) = ("証明書発行サイト", "no-reply@mock-ca.invalid");

/// A mail to send.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mail {
    /// The recipient's name.
    pub to_name: String,
    /// The recipient's address.
    pub to: String,
    /// The subject, as the guide words it.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// The application it is about.
    pub application: String,
    /// The catalogue id of this kind of mail (`MAIL-URL`, `MAIL-PASSWORD`, `MAIL-REMINDER`).
    pub catalogue: String,
}

/// A mail that was sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentMail {
    /// Its id in the outbox (`m-0001`).
    pub id: String,
    /// What was sent.
    pub mail: Mail,
    /// When, by the site's clock.
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    /// The file in the Maildir's `new/`, if the outbox has a Maildir.
    pub path: Option<PathBuf>,
    /// The message as written: RFC 5322 with MIME (ASCII: every header and the body are
    /// transfer-encoded).
    #[serde(with = "ascii")]
    pub raw: Vec<u8>,
}

/// Where mails go: always kept in memory, written to a Maildir when one is set, and handed to an
/// SMTP relay when one is set.
#[derive(Debug, Default)]
pub struct Outbox {
    maildir: Option<PathBuf>,
    relay: Option<Relay>,
    sent: Vec<SentMail>,
    /// The sender's name, when not [`SENDER`]'s.
    sender_name: Option<String>,
}

impl Outbox {
    /// An outbox that only keeps mails in memory.
    pub fn memory() -> Self {
        Self::default()
    }

    /// An outbox that also writes each mail to the Maildir at `root` (made if missing).
    pub fn maildir(root: &Path) -> io::Result<Self> {
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(root.join(sub))?;
        }
        Ok(Self {
            maildir: Some(root.to_path_buf()),
            relay: None,
            sent: Vec::new(),
            sender_name: None,
        })
    }

    /// Hands every mail sent from now on to `relay` too.
    pub fn relay_to(&mut self, relay: Relay) {
        self.relay = Some(relay);
    }

    /// The SMTP relay, if any.
    pub fn relay(&self) -> Option<&Relay> {
        self.relay.as_ref()
    }

    /// Takes back the mails of an earlier run (`--data-dir`); numbering goes on after them.
    pub fn restore(&mut self, sent: Vec<SentMail>) {
        self.sent = sent;
    }

    /// The Maildir, if any.
    pub fn maildir_path(&self) -> Option<&Path> {
        self.maildir.as_deref()
    }

    /// Mails from now on come from `name` (the site's name in its profile), at [`SENDER`]'s
    /// address.
    pub fn sign_as(&mut self, name: impl Into<String>) {
        self.sender_name = Some(name.into());
    }

    /// The sender's name.
    pub fn sender_name(&self) -> &str {
        self.sender_name.as_deref().unwrap_or(SENDER.0)
    }

    /// Sends `mail` at `at`: rendered and written to the Maildir now; handed to the relay by
    /// [`Self::release`].
    pub fn send(&mut self, mail: Mail, at: OffsetDateTime) -> io::Result<&SentMail> {
        let seq = self.sent.len() + 1;
        let id = format!("m-{seq:04}");
        let raw = render(&mail, &id, at, self.sender_name())?;
        let path = match &self.maildir {
            Some(root) => Some(deliver(root, &raw, at, seq)?),
            None => None,
        };
        self.sent.push(SentMail {
            id,
            mail,
            sent_at: at,
            path,
            raw,
        });
        // Invariant: a mail was pushed on the line above.
        Ok(self.sent.last().expect("a mail was just pushed"))
    }

    /// Hands the mails sent from index `from` on to the SMTP relay, if any: called once the
    /// change that sent them is recorded, so a relay never carries a mail the site took back.
    pub fn release(&mut self, from: usize) {
        if let Some(relay) = &self.relay {
            for sent in self.sent.get(from..).unwrap_or_default() {
                relay.submit(&sent.id, SENDER.1, &sent.mail.to, &sent.raw);
            }
        }
    }

    /// Takes back the mails from index `len` on, of a change that was refused: their Maildir
    /// files are removed and their numbers used again.
    pub fn take_back(&mut self, len: usize) {
        for sent in self.sent.drain(len.min(self.sent.len())..) {
            if let Some(path) = &sent.path
                && let Err(e) = fs::remove_file(path)
            {
                tracing::warn!("taking back {}: {e}", path.display());
            }
        }
    }

    /// Every mail sent, oldest first.
    pub fn sent(&self) -> &[SentMail] {
        &self.sent
    }
}

fn render(mail: &Mail, id: &str, at: OffsetDateTime, sender: &str) -> io::Result<Vec<u8>> {
    MessageBuilder::new()
        .from((sender, SENDER.1))
        .to((mail.to_name.as_str(), mail.to.as_str()))
        .subject(mail.subject.as_str())
        .date(at.unix_timestamp())
        .message_id(format!("{id}.{}@mock-ca.invalid", mail.application))
        .header("X-Application", Text::new(mail.application.as_str()))
        .header("X-Catalogue-Id", Text::new(mail.catalogue.as_str()))
        .text_body(mail.body.as_str())
        .write_to_vec()
}

/// Writes into `tmp/` and renames into `new/`, so a reader never sees a partial message.
fn deliver(root: &Path, raw: &[u8], at: OffsetDateTime, seq: usize) -> io::Result<PathBuf> {
    let name = format!(
        "{}.M{}P{}Q{seq}.mock-ca",
        at.unix_timestamp(),
        at.microsecond(),
        std::process::id()
    );
    let tmp = root.join("tmp").join(&name);
    let new = root.join("new").join(&name);
    {
        use io::Write as _;
        let mut file = fs::File::create(&tmp)?;
        file.write_all(raw)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, &new)?;
    Ok(new)
}

/// The raw message as a JSON string: it is ASCII, and a string keeps the records readable.
mod ascii {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(raw: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&String::from_utf8_lossy(raw))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        Ok(String::deserialize(d)?.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn mails_land_in_maildir_new_with_an_encoded_japanese_subject() {
        let dir = tempfile::tempdir().unwrap();
        let mut outbox = Outbox::maildir(dir.path()).unwrap();
        let mail = Mail {
            to_name: "山田 太郎".into(),
            to: "taro@example.jp".into(),
            subject: "電子証明書の発行 URL のお知らせ".into(),
            body: "https://127.0.0.1:1/apply/ap-0001\n".into(),
            application: "ap-0001".into(),
            catalogue: "MAIL-URL".into(),
        };
        let sent = outbox
            .send(mail, datetime!(2026-11-25 10:00 +9))
            .unwrap()
            .clone();
        let path = sent.path.unwrap();
        assert_eq!(path.parent().unwrap(), dir.path().join("new"));
        assert_eq!(fs::read(&path).unwrap(), sent.raw);
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        let text = String::from_utf8(sent.raw).unwrap();
        assert!(text.is_ascii(), "headers and body are transfer-encoded");
        assert!(text.contains("Subject: =?utf-8?"), "{text}");
        assert!(text.contains("X-Application: ap-0001"));
    }
}
