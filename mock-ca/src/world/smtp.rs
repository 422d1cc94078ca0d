//! Optional delivery of the site's mails to a real SMTP server (`smtp://host:port`): a small SMTP
//! client (RFC 5321: EHLO, MAIL, RCPT, DATA, QUIT; no TLS, no authentication), fed through a queue
//! so that sending a mail never waits on the network while the desk is locked.
//!
//! Why not `lettre` (measured 2026-11-30 with lettre 0.11.23, `default-features = false,
//! features = ["smtp-transport", "tokio1"]`, its low-level `AsyncSmtpConnection` in place of
//! `deliver` below; the queue, the timeout and the delivery states stay ours either way):
//! - crates: `cargo tree -p mock-ca -e normal` 169 → 209 (+30: lettre, nom, email_address,
//!   async-trait, futures-io, and url → idna → 20 ICU crates that smtp-transport requires); for
//!   the whole workspace +4, since the client's reqwest already has url;
//! - build: `cargo build -p mock-ca` on warm dependencies took 253 s instead of 5 s (2 shared
//!   cores, load ~10): 94 s of it compiling the new crates, the rest rebuilding tokio, syn,
//!   serde_derive, futures-util, h2, axum, minijinja and mock-ca, whose features lettre's
//!   dependencies change;
//! - binary: the stripped debug `mock-ca` 27.9 MB → 28.7 MB (+0.8 MB, +3 %).
//!
//! For that it would replace ~75 lines (`deliver`, `expect`, `dot_stuffed`) of a conversation with
//! no TLS and no authentication, and its errors would still have to be mapped back to the command
//! and the server's reply the outbox shows. mock-ca is meant to be embedded in other crates' tests,
//! which would all pay the 30 crates; so the small client stays, tested against an SMTP listener
//! in `mock-ca/tests/integration/smtp.rs`. Worth revisiting if the relay ever needs STARTTLS or
//! AUTH, which is what lettre is for.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader},
    net::TcpStream,
    sync::mpsc,
};

/// How long one delivery may take before it counts as failed.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// The relay could not be set up, or a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpError {
    /// The URL is not `smtp://host:port`.
    #[error("not an smtp://host[:port] URL: {0}")]
    BadUrl(String),
    /// There is no tokio runtime to deliver from.
    #[error("the SMTP relay needs a tokio runtime")]
    NoRuntime,
    /// The connection failed.
    #[error("connection: {0}")]
    Connection(String),
    /// The server answered a command with an unexpected reply.
    #[error("{command}: the server answered {reply:?}")]
    Refused {
        /// The command.
        command: String,
        /// The reply's last line.
        reply: String,
    },
    /// The delivery took too long.
    #[error("timed out")]
    TimedOut,
}

/// Where a mail handed to the relay stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Waiting in the queue.
    Queued,
    /// The server accepted it (250 after DATA).
    Delivered,
    /// It could not be delivered; not retried.
    Failed(String),
}

impl Delivery {
    /// `queued`, `delivered` or `failed: …`, as the admin API shows it.
    pub fn describe(&self) -> String {
        match self {
            Self::Queued => "queued".into(),
            Self::Delivered => "delivered".into(),
            Self::Failed(why) => format!("failed: {why}"),
        }
    }
}

#[derive(Debug)]
struct Envelope {
    id: String,
    from: String,
    to: String,
    raw: Vec<u8>,
}

/// A queue to an SMTP server, delivered in order by a background task.
#[derive(Debug, Clone)]
pub struct Relay {
    url: String,
    queue: mpsc::UnboundedSender<Envelope>,
    deliveries: Arc<Mutex<BTreeMap<String, Delivery>>>,
}

impl Relay {
    /// A relay to `url` (`smtp://host` or `smtp://host:port`, port 25 by default), delivering from
    /// a task on the current tokio runtime.
    pub fn spawn(url: &str) -> Result<Self, SmtpError> {
        let address = parse_url(url)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| SmtpError::NoRuntime)?;
        let (queue, mut receiver) = mpsc::unbounded_channel::<Envelope>();
        let deliveries: Arc<Mutex<BTreeMap<String, Delivery>>> = Arc::default();
        let reports = deliveries.clone();
        runtime.spawn(async move {
            while let Some(envelope) = receiver.recv().await {
                let outcome = match tokio::time::timeout(
                    DELIVERY_TIMEOUT,
                    deliver(&address, &envelope),
                )
                .await
                {
                    Ok(Ok(())) => Delivery::Delivered,
                    Ok(Err(e)) => Delivery::Failed(e.to_string()),
                    Err(_) => Delivery::Failed(SmtpError::TimedOut.to_string()),
                };
                if let Delivery::Failed(why) = &outcome {
                    tracing::warn!(mail = envelope.id, "SMTP delivery failed: {why}");
                }
                lock(&reports).insert(envelope.id, outcome);
            }
        });
        Ok(Self {
            url: url.to_owned(),
            queue,
            deliveries,
        })
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Queues a message for delivery.
    pub fn submit(&self, id: &str, from: &str, to: &str, raw: &[u8]) {
        lock(&self.deliveries).insert(id.to_owned(), Delivery::Queued);
        let envelope = Envelope {
            id: id.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            raw: raw.to_vec(),
        };
        if self.queue.send(envelope).is_err() {
            // The delivering task ends only with the runtime.
            lock(&self.deliveries).insert(
                id.to_owned(),
                Delivery::Failed("the relay has stopped".into()),
            );
        }
    }

    /// Where mail `id` stands, if it was handed to this relay.
    pub fn delivery(&self, id: &str) -> Option<Delivery> {
        lock(&self.deliveries).get(id).cloned()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Only whole values are inserted under this lock: a poisoned one is still consistent.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn parse_url(url: &str) -> Result<String, SmtpError> {
    let bad = || SmtpError::BadUrl(url.to_owned());
    let rest = url.strip_prefix("smtp://").ok_or_else(bad)?;
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains(['/', '@', '?']) {
        return Err(bad());
    }
    let has_port = match authority.rsplit_once(':') {
        Some((host, port)) => {
            !host.ends_with(':') && port.parse::<u16>().is_ok() && !port.is_empty()
        }
        None => false,
    };
    Ok(if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:25")
    })
}

/// One SMTP transaction.
async fn deliver(address: &str, envelope: &Envelope) -> Result<(), SmtpError> {
    let connection = |e: std::io::Error| SmtpError::Connection(e.to_string());
    let stream = TcpStream::connect(address).await.map_err(connection)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    expect(&mut read, "greeting", 220).await?;
    let commands = [
        ("EHLO mock-ca.invalid".to_owned(), 250),
        (format!("MAIL FROM:<{}>", envelope.from), 250),
        (format!("RCPT TO:<{}>", envelope.to), 250),
        ("DATA".to_owned(), 354),
    ];
    for (command, code) in commands {
        write
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .map_err(connection)?;
        expect(&mut read, &command, code).await?;
    }
    write
        .write_all(&dot_stuffed(&envelope.raw))
        .await
        .map_err(connection)?;
    expect(&mut read, "end of DATA", 250).await?;
    // The message is accepted; a failed QUIT changes nothing.
    let _ = write.write_all(b"QUIT\r\n").await;
    Ok(())
}

/// Reads a (possibly multi-line) reply and checks its code; 251 counts as 250.
async fn expect(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    command: &str,
    code: u16,
) -> Result<(), SmtpError> {
    loop {
        let mut line = String::new();
        let n = read
            .read_line(&mut line)
            .await
            .map_err(|e| SmtpError::Connection(e.to_string()))?;
        if n == 0 {
            return Err(SmtpError::Connection(format!(
                "closed while waiting for the reply to {command}"
            )));
        }
        let line = line.trim_end();
        if line.as_bytes().get(3) == Some(&b'-') {
            continue;
        }
        let got: u16 = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        return if got == code || (code == 250 && got == 251) {
            Ok(())
        } else {
            Err(SmtpError::Refused {
                command: command.to_owned(),
                reply: line.to_owned(),
            })
        };
    }
}

/// The message as DATA sends it: CRLF line ends, a leading `.` doubled, and the final `.` line.
fn dot_stuffed(raw: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    let mut out = Vec::with_capacity(raw.len() + 16);
    for line in text.lines() {
        if line.starts_with('.') {
            out.push(b'.');
        }
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_take_a_host_and_an_optional_port() {
        assert_eq!(
            parse_url("smtp://127.0.0.1:2525").unwrap(),
            "127.0.0.1:2525"
        );
        assert_eq!(
            parse_url("smtp://mail.example.jp").unwrap(),
            "mail.example.jp:25"
        );
        assert_eq!(parse_url("smtp://[::1]:25/").unwrap(), "[::1]:25");
        for bad in ["http://x", "smtp://", "smtp://u@h:25", "smtp://h/path"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn data_doubles_a_leading_dot_and_ends_with_a_dot_line() {
        assert_eq!(
            dot_stuffed(b"a\n.b\r\nc"),
            b"a\r\n..b\r\nc\r\n.\r\n".to_vec()
        );
    }
}
