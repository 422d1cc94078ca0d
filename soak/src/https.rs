//! A deliberately raw HTTPS/1.1 client: the request goes on the wire byte for byte as built (bad
//! UTF-8, odd paths, wrong lengths included), one connection per request, `Connection: close`.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use rustls::{
    ClientConfig, RootCertStore,
    client::ResolvesClientCert,
    pki_types::{CertificateDer, PrivateKeyDer, ServerName, pem::PemObject as _},
    sign::CertifiedKey,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_rustls::TlsConnector;

/// The most of an answer that is read; the site's answers are far smaller.
const ANSWER_LIMIT: usize = 8 * 1024 * 1024;
/// A guard against a request that hangs, never an assertion: a hang counts as no answer.
const GUARD: Duration = Duration::from_secs(10);

/// Why there is no answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NoAnswer {
    /// The TCP connection could not be opened.
    #[error("connect: {0}")]
    Connect(std::io::Error),
    /// The TLS handshake, or a read or write on the connection, failed.
    #[error("tls or i/o: {0}")]
    Io(std::io::Error),
    /// The connection closed before a status line came.
    #[error("closed without an answer")]
    Closed,
    /// What came back is not an HTTP/1.1 answer.
    #[error("not an HTTP answer: {0}")]
    Garbled(String),
    /// Nothing came back within the guard time.
    #[error("no answer within {0:?}")]
    Hung(Duration),
    /// A client identity could not be loaded.
    #[error("identity: {0}")]
    Identity(String),
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Answer {
    /// The first header of that name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The error id of an error answer: `error.id` in JSON, `data-catalogue-id` in HTML.
    pub fn error_id(&self) -> Option<String> {
        if let Some(json) = self.json() {
            return json["error"]["id"].as_str().map(str::to_owned);
        }
        let text = String::from_utf8_lossy(&self.body);
        let (_, rest) = text.split_once("data-catalogue-id=\"")?;
        rest.split_once('"').map(|(id, _)| id.to_owned())
    }
}

/// A request, as built: nothing is checked or normalised.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method, verbatim.
    pub method: Vec<u8>,
    /// The request target, verbatim.
    pub target: Vec<u8>,
    /// Headers, verbatim; `Host`, `Content-Length` and `Connection` are added unless present.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: &str, target: &str) -> Self {
        Self {
            method: method.as_bytes().to_vec(),
            target: target.as_bytes().to_vec(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.as_bytes().to_vec(), value.as_ref().to_vec()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// `Accept: application/json`.
    pub fn json(self) -> Self {
        self.header("Accept", "application/json")
    }

    /// A JSON body with its content type.
    pub fn json_body(self, value: &serde_json::Value) -> Self {
        self.header("Content-Type", "application/json")
            .body(value.to_string())
    }

    /// The bytes sent on the wire.
    pub fn to_wire(&self, host: &str) -> Vec<u8> {
        let has = |name: &str| {
            self.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        };
        let mut wire = Vec::with_capacity(self.body.len() + 512);
        wire.extend_from_slice(&self.method);
        wire.push(b' ');
        wire.extend_from_slice(&self.target);
        wire.extend_from_slice(b" HTTP/1.1\r\n");
        if !has("host") {
            wire.extend_from_slice(format!("Host: {host}\r\n").as_bytes());
        }
        if !has("content-length") && !has("transfer-encoding") {
            wire.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        if !has("connection") {
            wire.extend_from_slice(b"Connection: close\r\n");
        }
        for (name, value) in &self.headers {
            wire.extend_from_slice(name);
            wire.extend_from_slice(b": ");
            wire.extend_from_slice(value);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"\r\n");
        wire.extend_from_slice(&self.body);
        wire
    }
}

/// Presents this certificate chain with this key, whether or not they belong together (the point
/// of a mismatched identity is that the handshake must fail).
#[derive(Debug)]
struct Present(Arc<CertifiedKey>);

impl ResolvesClientCert for Present {
    fn resolve(&self, _: &[&[u8]], _: &[rustls::SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// Where the site is and how to reach it.
#[derive(Clone)]
pub struct Https {
    addr: SocketAddr,
    host: String,
    connector: TlsConnector,
}

impl std::fmt::Debug for Https {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Https({})", self.addr)
    }
}

impl Https {
    /// A client of the site at `url` (`https://127.0.0.1:PORT`) trusting `site_trust_pem`, with
    /// an optional client certificate chain and key (PEM), presented as given.
    pub fn new(
        url: &str,
        site_trust_pem: &[u8],
        identity: Option<(&str, &str)>,
    ) -> Result<Self, NoAnswer> {
        let authority = url
            .strip_prefix("https://")
            .ok_or_else(|| NoAnswer::Identity(format!("not an https URL: {url}")))?
            .trim_end_matches('/');
        let addr: SocketAddr = authority
            .parse()
            .map_err(|e| NoAnswer::Identity(format!("{authority}: {e}")))?;
        let mut roots = RootCertStore::empty();
        for certificate in CertificateDer::pem_slice_iter(site_trust_pem) {
            let certificate = certificate.map_err(|e| NoAnswer::Identity(e.to_string()))?;
            roots
                .add(certificate)
                .map_err(|e| NoAnswer::Identity(e.to_string()))?;
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| NoAnswer::Identity(e.to_string()))?
            .with_root_certificates(roots);
        let mut config = match identity {
            None => builder.with_no_client_auth(),
            Some((chain_pem, key_pem)) => {
                let chain: Vec<CertificateDer<'static>> =
                    CertificateDer::pem_slice_iter(chain_pem.as_bytes())
                        .collect::<Result<_, _>>()
                        .map_err(|e| NoAnswer::Identity(e.to_string()))?;
                let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
                    .map_err(|e| NoAnswer::Identity(e.to_string()))?;
                let signing = provider
                    .key_provider
                    .load_private_key(key)
                    .map_err(|e| NoAnswer::Identity(e.to_string()))?;
                builder.with_client_cert_resolver(Arc::new(Present(Arc::new(CertifiedKey::new(
                    chain, signing,
                )))))
            }
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            addr,
            host: authority.to_owned(),
            connector: TlsConnector::from(Arc::new(config)),
        })
    }

    /// The same site with another identity.
    pub fn with_identity(
        &self,
        url: &str,
        site_trust_pem: &[u8],
        chain_pem: &str,
        key_pem: &str,
    ) -> Result<Self, NoAnswer> {
        Self::new(url, site_trust_pem, Some((chain_pem, key_pem)))
    }

    /// The same kind of client (no identity) for another URL, e.g. the confirmation site.
    pub fn with_url(&self, url: &str, site_trust_pem: &[u8]) -> Result<Self, NoAnswer> {
        Self::new(url, site_trust_pem, None)
    }

    /// Sends `request` on a new connection and reads the answer.
    pub async fn send(&self, request: &Request) -> Result<Answer, NoAnswer> {
        self.send_raw(&request.to_wire(&self.host), false).await
    }

    /// Sends these bytes on a new connection and reads the answer. With `close`, the sending side
    /// is closed after them (a request cut short: the site sees the end of it, not a wait).
    pub async fn send_raw(&self, wire: &[u8], close: bool) -> Result<Answer, NoAnswer> {
        match tokio::time::timeout(GUARD, self.exchange(wire, close)).await {
            Ok(answer) => answer,
            Err(_) => Err(NoAnswer::Hung(GUARD)),
        }
    }

    async fn exchange(&self, wire: &[u8], close: bool) -> Result<Answer, NoAnswer> {
        let tcp = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(NoAnswer::Connect)?;
        let name = ServerName::IpAddress(self.addr.ip().into());
        let mut tls = self
            .connector
            .connect(name, tcp)
            .await
            .map_err(NoAnswer::Io)?;
        // A write may fail when the site has already answered and closed (e.g. a body over the
        // limit): what it answered is still read below.
        let wrote = tls.write_all(wire).await;
        if wrote.is_ok() {
            let _ = tls.flush().await;
            if close {
                let _ = tls.shutdown().await;
            }
        }
        let mut received = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match tls.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => {
                    received.extend_from_slice(&chunk[..n]);
                    if received.len() > ANSWER_LIMIT {
                        break;
                    }
                    if complete(&received) {
                        break;
                    }
                }
                // A peer that closes without close_notify: what came is the answer.
                Err(_) if !received.is_empty() => break,
                Err(e) => {
                    return Err(match wrote {
                        Err(_) if e.kind() == std::io::ErrorKind::UnexpectedEof => NoAnswer::Closed,
                        _ => NoAnswer::Io(e),
                    });
                }
            }
        }
        parse(&received)
    }
}

/// Whether `received` holds a whole answer with a `Content-Length` (so the read can stop).
fn complete(received: &[u8]) -> bool {
    let Some(end) = find(received, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|length| received.len() >= end + 4 + length)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses an HTTP/1.1 answer.
fn parse(received: &[u8]) -> Result<Answer, NoAnswer> {
    if received.is_empty() {
        return Err(NoAnswer::Closed);
    }
    let end = find(received, b"\r\n\r\n")
        .ok_or_else(|| NoAnswer::Garbled(String::from_utf8_lossy(received).into_owned()))?;
    let head = String::from_utf8_lossy(&received[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| NoAnswer::Garbled(status_line.to_owned()))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = received[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(line_end) = find(rest, b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..line_end]);
        let Ok(size) = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        rest = &rest[line_end + 2..];
        if size == 0 || rest.len() < size {
            body.extend_from_slice(&rest[..size.min(rest.len())]);
            break;
        }
        body.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunked_answer_is_read_whole() {
        let answer =
            parse(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
                .unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, b"abcde");
    }

    #[test]
    fn a_request_goes_on_the_wire_as_built_with_host_length_and_close_added() {
        let wire = Request::new("POST", "/apply/%FF/login")
            .header("X", [0xff, 0xfe])
            .body("a")
            .to_wire("127.0.0.1:1");
        let text = String::from_utf8_lossy(&wire);
        assert!(text.starts_with("POST /apply/%FF/login HTTP/1.1\r\nHost: 127.0.0.1:1\r\nContent-Length: 1\r\nConnection: close\r\n"), "{text}");
        assert!(wire.windows(2).any(|w| w == [0xff, 0xfe]));
    }
}
