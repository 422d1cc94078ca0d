//! A hostile site for the client: a TLS server that answers the real `cert-client` binary's
//! requests (`enroll --url`, `enroll --maildir`, `confirm`, `data list`) as docs/protocol.md says,
//! until one step, chosen per run, where the answer is wrong: a wrong status, a truncated, oversized
//! (100 MB, streamed) or dripped (a byte a second) body, invalid or deeply nested JSON, a field of
//! the right answer replaced by something hostile, a certificate for another key, for another
//! subject, of another root, expired, with a serial made to look like a path; or a Maildir of
//! malformed mails.
//!
//! For every run the client must not panic (exit code 101 or a panic message), must end within
//! [`BOUND`] (its own timeouts are 30 s a request), must write nothing in the sandbox around its
//! store but the store, must keep every key it made (in `pending/` or installed in `personal/`),
//! and its peak RSS (VmHWM, sampled every 10 ms) must stay under [`RSS_LIMIT_KIB`].

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};

use rustls::{
    ServerConfig,
    pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer},
};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
};
use tokio_rustls::TlsAcceptor;

use crate::{Config, Failure, Summary, rng::Rng};

/// How long a client run may take before it counts as a hang: its timeout is 30 s a request and
/// only one answer of a run is slow.
pub const BOUND: Duration = Duration::from_secs(50);
/// A body of the oversized answers.
const OVERSIZED: usize = 100 * 1024 * 1024;
/// The most memory a client run may hold at its peak: it reads the site's answers within bounds.
pub const RSS_LIMIT_KIB: u64 = 64 * 1024;
/// The application every run enrolls.
const APPLICATION: &str = "ap-0001";
const PASSWORD: &str = "hostile-pw";

/// What the hostile site counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Hostile answers served (and malformed mails read).
    pub answers: u64,
    /// Client runs.
    pub runs: u64,
    /// Client runs that panicked.
    pub panics: u64,
    /// Client runs that outlived [`BOUND`].
    pub hangs: u64,
    /// Files made, changed or removed in the sandbox outside the store.
    pub outside_writes: u64,
    /// Keys that were in the store and are gone after a run.
    pub keys_lost: u64,
    /// The largest peak RSS of a client run, KiB.
    pub peak_rss_kib: u64,
    /// Keys in `pending/` before a run, looked for after it (what `keys_lost` is out of).
    pub keys_watched: u64,
}

impl Counts {
    /// Whether every count that must be zero is.
    pub fn is_clean(&self) -> bool {
        self.panics == 0
            && self.hangs == 0
            && self.outside_writes == 0
            && self.keys_lost == 0
            && self.peak_rss_kib <= RSS_LIMIT_KIB
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "soak: hostile site: {} answers, {} client panics, {} hangs, {} writes outside the store, {} keys lost, peak RSS {} MiB",
            self.answers,
            self.panics,
            self.hangs,
            self.outside_writes,
            self.keys_lost,
            self.peak_rss_kib.div_ceil(1024)
        )
    }
}

/// The request a hostile answer replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Top,
    Apply,
    Login,
    Issue,
    RootDer,
    Repository,
    Csr,
    Complete,
    Confirm,
    Documents,
}

const ENROLL_STEPS: [Step; 8] = [
    Step::Apply,
    Step::Login,
    Step::Issue,
    Step::RootDer,
    Step::Repository,
    Step::Csr,
    Step::Complete,
    Step::Confirm,
];

/// A certificate answer that is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CertKind {
    OtherKey,
    OtherSubject,
    OtherRoot,
    Expired,
    PathSerial,
    NotACertificate,
    Empty,
    Chain,
}

const CERT_KINDS: [CertKind; 8] = [
    CertKind::OtherKey,
    CertKind::OtherSubject,
    CertKind::OtherRoot,
    CertKind::Expired,
    CertKind::PathSerial,
    CertKind::NotACertificate,
    CertKind::Empty,
    CertKind::Chain,
];

/// How the answer of the chosen step is wrong.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// The step's right body with a status the step does not answer.
    Status(u16),
    /// A protocol error that does not fit the step.
    Error(u16, &'static str),
    /// The full Content-Length declared, half the body sent, then closed.
    Truncated,
    /// 100 MB of a JSON string, chunked.
    Oversized,
    /// A Content-Length of 100 MB, the body streamed until the client goes.
    OversizedDeclared,
    /// The right body, one byte a second.
    Drip,
    /// Bytes that are not JSON.
    Garbage(Vec<u8>),
    /// JSON broken in a chosen way.
    Invalid(&'static str),
    /// Arrays (or objects) nested this deep.
    Deep(usize, bool),
    /// The right body with one field replaced.
    Mutated(Value),
    /// Something that is not HTTP.
    NotHttp,
    /// The connection closed without an answer.
    Close,
    /// A wrong certificate (the CSR step).
    Certificate(CertKind),
}

/// What the site is made of, shared by every run.
struct Materials {
    tls: Arc<ServerConfig>,
    site_ca_path: PathBuf,
    root: rcgen::Issuer<'static, rcgen::KeyPair>,
    root_der: Vec<u8>,
    other_root: rcgen::Issuer<'static, rcgen::KeyPair>,
    other_key: rcgen::KeyPair,
}

fn ca(cn: &str) -> Result<(rcgen::Issuer<'static, rcgen::KeyPair>, Vec<u8>), Failure> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| Failure::setup("ca key", e))?;
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| Failure::setup("ca", e))?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    let certified = rcgen::CertifiedIssuer::self_signed(params.clone(), key)
        .map_err(|e| Failure::setup("ca", e))?;
    let der = certified.der().to_vec();
    let key = rcgen::KeyPair::from_pem(&certified.key().serialize_pem())
        .map_err(|e| Failure::setup("ca key", e))?;
    Ok((rcgen::Issuer::new(params, key), der))
}

impl Materials {
    fn make(work: &Path) -> Result<Self, Failure> {
        let (site_ca, site_ca_der) = ca("hostile site trust anchor")?;
        let server_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| Failure::setup("server key", e))?;
        let server =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .and_then(|p| p.signed_by(&server_key, &site_ca))
                .map_err(|e| Failure::setup("server certificate", e))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut tls = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Failure::setup("tls", e))?
            .with_no_client_auth()
            .with_single_cert(
                vec![server.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
            )
            .map_err(|e| Failure::setup("tls", e))?;
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let site_ca_path = work.join("hostile-site-ca.pem");
        let pem = pem_of("CERTIFICATE", &site_ca_der);
        std::fs::write(&site_ca_path, pem).map_err(|e| Failure::setup("site-ca.pem", e))?;
        let (root, root_der) = ca("Hostile Issuing Root")?;
        let (other_root, _) = ca("Hostile Issuing Root")?;
        let other_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| Failure::setup("other key", e))?;
        Ok(Self {
            tls: Arc::new(tls),
            site_ca_path,
            root,
            root_der,
            other_root,
            other_key,
        })
    }
}

fn pem_of(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn thumbprint(algorithm: &'static aws_lc_rs::digest::Algorithm, der: &[u8]) -> String {
    aws_lc_rs::digest::digest(algorithm, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// One run's site: right answers, but the first request of `step` gets `kind`.
struct Script {
    step: Step,
    kind: Kind,
    served: AtomicU64,
    base: String,
}

async fn serve(listener: TcpListener, materials: Arc<Materials>, script: Arc<Script>) {
    let acceptor = TlsAcceptor::from(materials.tls.clone());
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        let (acceptor, materials, script) = (acceptor.clone(), materials.clone(), script.clone());
        tokio::spawn(async move {
            let _ = connection(tcp, acceptor, &materials, &script).await;
        });
    }
}

async fn connection(
    tcp: TcpStream,
    acceptor: TlsAcceptor,
    materials: &Materials,
    script: &Script,
) -> std::io::Result<()> {
    let mut tls = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await??;
    // One request a connection, `Connection: close`: the client opens another for the next.
    let mut head = Vec::new();
    let mut byte = [0u8; 4096];
    let end = loop {
        let n = tls.read(&mut byte).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&byte[..n]);
        if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if head.len() > 64 * 1024 {
            return Ok(());
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let mut lines = text.lines();
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let path = first.next().unwrap_or_default().to_owned();
    let length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0)
        .min(1024 * 1024);
    let mut body = head[end..].to_vec();
    while body.len() < length {
        let n = tls.read(&mut byte).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&byte[..n]);
    }
    let step = route(&method, &path);
    let (status, good) = right_answer(step, &body, materials, script);
    let hostile = step == Some(script.step) && script.served.fetch_add(1, Ordering::SeqCst) == 0;
    if !hostile {
        return write_answer(&mut tls, status, &good).await;
    }
    match &script.kind {
        Kind::Status(wrong) => write_answer(&mut tls, *wrong, &good).await,
        Kind::Error(status, id) => {
            let body = json!({"error": {"id": id, "message": "hostile", "remedy": "none"}});
            write_answer(&mut tls, *status, body.to_string().as_bytes()).await
        }
        Kind::Truncated => {
            let head = head_of(status, good.len(), false);
            tls.write_all(head.as_bytes()).await?;
            tls.write_all(&good[..good.len() / 2]).await?;
            tls.shutdown().await
        }
        Kind::Oversized | Kind::OversizedDeclared => {
            let declared = matches!(script.kind, Kind::OversizedDeclared);
            let head = head_of(status, OVERSIZED, !declared);
            tls.write_all(head.as_bytes()).await?;
            let filler = vec![b'a'; 64 * 1024];
            let mut sent = 0;
            while sent < OVERSIZED {
                let piece: &[u8] = if sent == 0 {
                    b"{\"step\": 2, \"session\": \""
                } else {
                    &filler
                };
                if declared {
                    tls.write_all(piece).await?;
                } else {
                    tls.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                        .await?;
                    tls.write_all(piece).await?;
                    tls.write_all(b"\r\n").await?;
                }
                sent += piece.len();
            }
            tls.shutdown().await
        }
        Kind::Drip => {
            let head = head_of(status, good.len(), false);
            tls.write_all(head.as_bytes()).await?;
            tls.flush().await?;
            for b in &good {
                tokio::time::sleep(Duration::from_secs(1)).await;
                tls.write_all(&[*b]).await?;
                tls.flush().await?;
            }
            tls.shutdown().await
        }
        Kind::Garbage(bytes) => write_answer(&mut tls, status, bytes).await,
        Kind::Invalid(text) => write_answer(&mut tls, status, text.as_bytes()).await,
        Kind::Deep(depth, objects) => {
            let (open, close) = if *objects {
                ("{\"a\":", "}")
            } else {
                ("[", "]")
            };
            let body = format!("{}1{}", open.repeat(*depth), close.repeat(*depth));
            write_answer(&mut tls, status, body.as_bytes()).await
        }
        Kind::Mutated(value) => {
            let body = mutate(&good, value);
            write_answer(&mut tls, status, &body).await
        }
        Kind::NotHttp => {
            tls.write_all(b"\x00\xffSSH-2.0-not-http\r\n\r\n").await?;
            tls.shutdown().await
        }
        Kind::Close => tls.shutdown().await,
        Kind::Certificate(kind) => {
            let body = wrong_certificate(*kind, &body, materials, script);
            write_answer(&mut tls, 201, &body).await
        }
    }
}

fn head_of(status: u16, length: usize, chunked: bool) -> String {
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {length}")
    };
    format!(
        "HTTP/1.1 {status} Hostile\r\nContent-Type: application/json\r\n{framing}\r\nConnection: close\r\n\r\n"
    )
}

async fn write_answer<S: tokio::io::AsyncWrite + Unpin>(
    tls: &mut S,
    status: u16,
    body: &[u8],
) -> std::io::Result<()> {
    tls.write_all(head_of(status, body.len(), false).as_bytes())
        .await?;
    tls.write_all(body).await?;
    tls.shutdown().await
}

fn route(method: &str, path: &str) -> Option<Step> {
    let apply = format!("/apply/{APPLICATION}");
    let path = path.split('?').next().unwrap_or_default();
    Some(match (method, path) {
        ("GET", "/") => Step::Top,
        ("GET", p) if p == apply => Step::Apply,
        ("POST", p) if p == format!("{apply}/login") => Step::Login,
        ("POST", p) if p == format!("{apply}/issue") => Step::Issue,
        ("GET", "/repository/root.cer") => Step::RootDer,
        ("GET", "/repository") => Step::Repository,
        ("POST", p) if p == format!("{apply}/csr") => Step::Csr,
        ("POST", p) if p == format!("{apply}/complete") => Step::Complete,
        ("GET", "/confirm") => Step::Confirm,
        ("GET", "/documents") => Step::Documents,
        _ => return None,
    })
}

const SUBJECT: [(&str, &str); 3] = [
    ("C", "JP"),
    ("O", "Hostile Securities"),
    ("CN", "Taro Yamada"),
];

fn described() -> Value {
    json!({"subject": "CN=Taro Yamada,O=Hostile Securities,C=JP", "serial": "01:02",
           "not_before": "2026-11-25T10:00:00+09:00", "not_after": "2028-11-25T10:00:00+09:00"})
}

/// The answer docs/protocol.md gives for the step.
fn right_answer(
    step: Option<Step>,
    request: &[u8],
    materials: &Materials,
    script: &Script,
) -> (u16, Vec<u8>) {
    let apply = format!("/apply/{APPLICATION}");
    let root = json!({"certificate": "/repository/root.cer",
        "sha1": thumbprint(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &materials.root_der),
        "sha256": thumbprint(&aws_lc_rs::digest::SHA256, &materials.root_der)});
    let value = match step {
        None => {
            return (
                404,
                json!({"error": {"id": "NOT-FOUND", "message": "not found", "remedy": "-"}})
                    .to_string()
                    .into_bytes(),
            );
        }
        Some(Step::Top) => {
            json!({"site": "証明書発行サイト", "status": "ok", "repository": "/repository",
            "confirm": format!("{}/confirm", script.base)})
        }
        Some(Step::Apply) => json!({"step": 1, "site": "issuance",
            "title": "証明書発行サイト【ステップ 1】", "login": format!("{apply}/login")}),
        Some(Step::Login) => json!({"step": 2, "session": "s3ss10n",
            "csp": "Microsoft Enhanced RSA and AES Cryptographic Provider",
            "key": {"algorithm": "RSA", "length": 2048}, "issue": format!("{apply}/issue")}),
        Some(Step::Issue) => json!({"step": 3, "resumed": false, "root": root,
            "repository": "/repository", "key": {"algorithm": "RSA", "length": 2048},
            "subject": SUBJECT, "csr": format!("{apply}/csr")}),
        Some(Step::RootDer) => return (200, materials.root_der.clone()),
        Some(Step::Repository) => {
            json!({"notice": "発行元の認証局の情報であり、実際の値は以下に公開されています",
            "root": {"subject": "CN=Hostile Issuing Root", "certificate": "/repository/root.cer",
                "sha1": root["sha1"], "sha256": root["sha256"],
                "pem": pem_of("CERTIFICATE", &materials.root_der)}})
        }
        Some(Step::Csr) => {
            return (
                201,
                certificate_answer(request, materials, CertificateChoice::Right)
                    .unwrap_or_else(|why| {
                        json!({"error": {"id": "CERT-REQUEST-FAILED", "message": why, "remedy": "-"}})
                            .to_string()
                            .into_bytes()
                    }),
            );
        }
        Some(Step::Complete) => json!({"step": 4, "confirm": format!("{}/confirm", script.base)}),
        Some(Step::Confirm) => json!({"title": "証明書確認ページ", "holder": described(),
            "listing": "アクセスすると、所持する証明書の一覧が表示されます",
            "certificates": [described()]}),
        Some(Step::Documents) => json!({"title": "データのダウンロード", "holder": described(),
            "notice": "notice", "encryption": "RSA-OAEP, AES-256-CBC",
            "documents": [{"id": "doc-0001", "title": "t", "file_name": "a.pdf",
                "content_type": "application/pdf", "size": 3,
                "published_at": "2026-11-25T10:00:00+09:00", "download": "/documents/doc-0001"}]}),
    };
    let status = if step == Some(Step::Csr) { 201 } else { 200 };
    (status, value.to_string().into_bytes())
}

enum CertificateChoice {
    Right,
    Wrong(CertKind),
}

/// A certificate for the CSR in `request`, right or wrong in a chosen way.
fn certificate_answer(
    request: &[u8],
    materials: &Materials,
    choice: CertificateChoice,
) -> Result<Vec<u8>, String> {
    let body: Value = serde_json::from_slice(request).map_err(|e| e.to_string())?;
    let csr_pem = body["csr"].as_str().ok_or("no csr")?;
    let csr =
        rcgen::CertificateSigningRequestParams::from_pem(csr_pem).map_err(|e| e.to_string())?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = csr.params.distinguished_name.clone();
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x7f, 1, 2, 3]));
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(730);
    let mut serial = "7F:01:02:03".to_owned();
    let mut issuer = &materials.root;
    let mut other_key = false;
    let mut extra = String::new();
    if let CertificateChoice::Wrong(kind) = choice {
        match kind {
            CertKind::OtherKey => other_key = true,
            CertKind::OtherSubject => {
                params.distinguished_name = rcgen::DistinguishedName::new();
                params
                    .distinguished_name
                    .push(rcgen::DnType::CommonName, "Someone Else");
            }
            CertKind::OtherRoot => issuer = &materials.other_root,
            CertKind::Expired => {
                params.not_before = now - time::Duration::days(800);
                params.not_after = now - time::Duration::days(70);
            }
            CertKind::PathSerial => {
                serial = "../../x".to_owned();
                params.serial_number = Some(rcgen::SerialNumber::from_slice(b"../../x"));
            }
            CertKind::NotACertificate => {
                return Ok(json!({"certificate": csr_pem, "serial": serial,
                    "not_before": "x", "not_after": "y",
                    "complete": format!("/apply/{APPLICATION}/complete")})
                .to_string()
                .into_bytes());
            }
            CertKind::Empty => {
                return Ok(json!({"certificate": "", "serial": "",
                    "not_before": "", "not_after": "", "complete": ""})
                .to_string()
                .into_bytes());
            }
            CertKind::Chain => extra = pem_of("CERTIFICATE", &materials.root_der),
        }
    }
    let certificate = if other_key {
        params.signed_by(&materials.other_key, issuer)
    } else {
        params.signed_by(&csr.public_key, issuer)
    }
    .map_err(|e| e.to_string())?;
    // A chain puts the root first: the client must find its own certificate or refuse.
    let pem = format!("{extra}{}", certificate.pem());
    Ok(json!({"certificate": pem, "serial": serial,
        "not_before": "2026-11-25T10:00:00+09:00", "not_after": "2028-11-25T10:00:00+09:00",
        "complete": format!("/apply/{APPLICATION}/complete")})
    .to_string()
    .into_bytes())
}

fn wrong_certificate(kind: CertKind, request: &[u8], materials: &Materials, _: &Script) -> Vec<u8> {
    certificate_answer(request, materials, CertificateChoice::Wrong(kind))
        .unwrap_or_else(|why| why.into_bytes())
}

/// The right body with one field (at any depth, the first found in a walk) replaced.
fn mutate(good: &[u8], replacement: &Value) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<Value>(good) else {
        return good.to_vec();
    };
    // The replacement carries which field: {"field": name, "value": v}.
    let field = replacement["field"].as_str().unwrap_or_default();
    fn walk(value: &mut Value, field: &str, new: &Value) -> bool {
        match value {
            Value::Object(map) => {
                if let Some(slot) = map.get_mut(field) {
                    *slot = new.clone();
                    return true;
                }
                map.values_mut().any(|v| walk(v, field, new))
            }
            Value::Array(items) => items.iter_mut().any(|v| walk(v, field, new)),
            _ => false,
        }
    }
    if !walk(&mut value, field, &replacement["value"]) {
        // A field the step does not have: the whole body becomes the value.
        value = replacement["value"].clone();
    }
    value.to_string().into_bytes()
}

const FIELDS: [&str; 16] = [
    "step",
    "session",
    "csp",
    "key",
    "length",
    "algorithm",
    "issue",
    "root",
    "sha256",
    "subject",
    "csr",
    "certificate",
    "complete",
    "confirm",
    "login",
    "certificates",
];

fn hostile_value(rng: &mut Rng) -> Value {
    match rng.below(16) {
        0 => Value::Null,
        1 => json!(-1),
        2 => json!(u64::MAX),
        3 => json!(1e300),
        4 => json!(""),
        5 => json!("a".repeat(200_000)),
        6 => json!("../../../../etc/passwd"),
        7 => json!("https://127.0.0.1:1/elsewhere"),
        8 => json!("file:///etc/passwd"),
        9 => json!("javascript:alert(1)"),
        10 => json!([[["C", "JP"]]]),
        11 => json!({"length": 1_000_000, "algorithm": "RSA"}),
        12 => json!(vec![["CN", "x"]; 5_000]),
        13 => json!(true),
        14 => json!("\u{0}\u{202e}\u{feff}"),
        _ => json!({"algorithm": "EC", "length": 256}),
    }
}

const WRONG_IDS: [&str; 5] = [
    "AUTH-FAILED",
    "NO-VALID-REQUEST",
    "STEP3-ONE-WAY",
    "OUT-OF-ORDER",
    "../../x",
];

const INVALID_JSON: [&str; 9] = [
    "{\"step\": 2,",
    "{\"step\": \"2\"}",
    "{\"step\": 2, \"step\": 3}",
    "[]",
    "null",
    "\"\\ud800\"",
    "{\"step\": 2e99999}",
    "{\"a\": \"\\u0000\"} trailing",
    "\u{feff}{}",
];

fn pick_kind(rng: &mut Rng, step: Step) -> Kind {
    if step == Step::Csr && rng.chance(0.5) {
        return Kind::Certificate(*rng.pick(&CERT_KINDS));
    }
    match rng.below(12) {
        0 => Kind::Status(*rng.pick(&[
            200, 201, 204, 302, 304, 400, 401, 403, 404, 409, 410, 500, 503,
        ])),
        1 => Kind::Error(
            *rng.pick(&[401, 410, 428, 409, 500, 200]),
            WRONG_IDS[rng.below(WRONG_IDS.len())],
        ),
        2 => Kind::Truncated,
        3 => Kind::Garbage(rng.bytes_upto(4096)),
        4 => Kind::Invalid(INVALID_JSON[rng.below(INVALID_JSON.len())]),
        5 => Kind::Deep(*rng.pick(&[200, 10_000, 100_000]), rng.chance(0.5)),
        6 => Kind::NotHttp,
        7 => Kind::Close,
        8 if rng.chance(0.15) => {
            if rng.chance(0.5) {
                Kind::Oversized
            } else {
                Kind::OversizedDeclared
            }
        }
        _ => Kind::Mutated(json!({"field": rng.pick(&FIELDS), "value": hostile_value(rng)})),
    }
}

/// How a client run ended.
struct Ran {
    code: Option<i32>,
    stderr: String,
    hung: bool,
    peak_rss_kib: u64,
}

async fn run_client(bin: &Path, sandbox: &Path, args: &[String]) -> Result<Ran, Failure> {
    let mut child = tokio::process::Command::new(bin)
        .args(args)
        .current_dir(sandbox)
        .env("HOME", sandbox.join("home"))
        .env_remove("CERT_CLIENT_STORE")
        .env_remove("CERT_CLIENT_SITE_CA")
        .env_remove("CERT_CLIENT_HOLD_AT")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Failure::setup("cert-client", e))?;
    let pid = child.id();
    let mut stderr = child.stderr.take();
    let reader = tokio::spawn(async move {
        let mut out = Vec::new();
        if let Some(stderr) = stderr.as_mut() {
            let _ = stderr.take(1024 * 1024).read_to_end(&mut out).await;
        }
        String::from_utf8_lossy(&out).into_owned()
    });
    let deadline = tokio::time::Instant::now() + BOUND;
    let mut peak = 0;
    let (code, hung) = loop {
        if let Some(pid) = pid {
            peak = peak.max(vm_hwm(pid));
        }
        tokio::select! {
            status = child.wait() => break (status.ok().and_then(|s| s.code()), false),
            () = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
        if tokio::time::Instant::now() > deadline {
            let _ = child.kill().await;
            break (None, true);
        }
    };
    let stderr = reader.await.unwrap_or_default();
    Ok(Ran {
        code,
        stderr,
        hung,
        peak_rss_kib: peak,
    })
}

/// The process's peak resident set (KiB), 0 when it is gone.
fn vm_hwm(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Every file and directory of the sandbox outside the store, with its size and time.
fn listing(sandbox: &Path, store: &Path) -> BTreeMap<PathBuf, (u64, Option<SystemTime>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![sandbox.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.starts_with(store) {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path.clone());
            }
            out.insert(path, (meta.len(), meta.modified().ok()));
        }
    }
    out
}

/// The keys of the store: those in `pending/`, and every key of `pending/` and `personal/`.
fn keys(store: &Path) -> (BTreeSet<Vec<u8>>, BTreeSet<Vec<u8>>) {
    let read = |area: &str| -> BTreeSet<Vec<u8>> {
        std::fs::read_dir(store.join(area))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("key.pem")).ok())
            .collect()
    };
    let pending = read("pending");
    let mut all = read("personal");
    all.extend(pending.iter().cloned());
    (pending, all)
}

/// What one run is.
enum Mode {
    Enroll(Step, Kind),
    Mail(Vec<Vec<u8>>, bool),
    Confirm(Kind),
    DataList(Kind),
}

fn malformed_mails(rng: &mut Rng, base: &str) -> Vec<Vec<u8>> {
    let url_subject = "=?utf-8?B?6Zu75a2Q6Ki85piO5pu444Gu55m66KGMIFVSTCDjga7jgYrnn6XjgonjgZs=?=";
    let candidates: Vec<Vec<u8>> = vec![
        Vec::new(),
        rng.bytes_upto(8192),
        b"Subject: \r\n\r\n".to_vec(),
        b"Subject: =?utf-8?B?!!!!?=\r\n\r\nhttps://x\r\n".to_vec(),
        format!("Subject: {url_subject}\r\n\r\nno url here\r\n").into_bytes(),
        format!("Subject: {url_subject}\r\n\r\nhttps://{}\r\n", "a".repeat(200_000)).into_bytes(),
        format!("Subject: {url_subject}\r\n\r\nhttps://127.0.0.1:1/apply/../../x\r\n").into_bytes(),
        format!("Subject: {url_subject}\r\nX-Application: ../../x\r\nDate: not a date\r\n\r\n{base}/apply/{APPLICATION}\r\n").into_bytes(),
        {
            let mut m = b"Content-Type: multipart/mixed; boundary=b\r\nSubject: x\r\n\r\n".to_vec();
            for _ in 0..5_000 {
                m.extend_from_slice(b"--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
            }
            m
        },
        format!("X-Long: {}\r\n\r\nbody", "h".repeat(500_000)).into_bytes(),
        vec![0u8; 3 * 1024 * 1024],
        b"Subject: \xff\xfe\x00\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!====".to_vec(),
        b"Content-Type: text/plain; charset=x-unknown-charset\r\nSubject: =?x-unknown?Q?=FF?=\r\n\r\n\xff\xff".to_vec(),
    ];
    let n = 1 + rng.below(4);
    (0..n).map(|_| rng.pick(&candidates).clone()).collect()
}

fn good_mails(base: &str) -> Vec<Vec<u8>> {
    vec![
        format!("Subject: =?utf-8?B?6Zu75a2Q6Ki85piO5pu444Gu55m66KGMIFVSTCDjga7jgYrnn6XjgonjgZs=?=\r\nX-Application: {APPLICATION}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{base}/apply/{APPLICATION}\r\n").into_bytes(),
        format!("Subject: =?utf-8?B?6Zu75a2Q6Ki85piO5pu444Gu55m66KGM44OR44K544Ov44O844OJ44Gu44GK55+l44KJ44Gb?=\r\nX-Application: {APPLICATION}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n認証情報パスワード\r\n{PASSWORD}\r\n").into_bytes(),
    ]
}

/// One lane: a store and a sandbox, runs one after another, each against its own site.
async fn lane(
    config: &Config,
    materials: Arc<Materials>,
    lane: usize,
    modes: Vec<Mode>,
    counts: &mut Counts,
    notes: &mut Vec<String>,
) -> Result<(), Failure> {
    let bin = config.binary("cert-client")?;
    let sandbox = config.work.join(format!("hostile-{lane}"));
    let store = sandbox.join("store");
    std::fs::create_dir_all(sandbox.join("home")).map_err(|e| Failure::setup("sandbox", e))?;
    for mode in modes {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Failure::setup("bind", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| Failure::setup("bind", e))?
            .port();
        let base = format!("https://127.0.0.1:{port}");
        let (step, kind) = match &mode {
            Mode::Enroll(step, kind) => (*step, kind.clone()),
            Mode::Confirm(kind) => (Step::Confirm, kind.clone()),
            Mode::DataList(kind) => (Step::Documents, kind.clone()),
            // The mails are the hostile part; the site answers rightly.
            Mode::Mail(..) => (Step::Top, Kind::Close),
        };
        let script = Arc::new(Script {
            step,
            kind,
            served: AtomicU64::new(0),
            base: base.clone(),
        });
        let server = tokio::spawn(serve(listener, materials.clone(), script.clone()));
        let site_ca = materials.site_ca_path.display().to_string();
        let store_arg = store.display().to_string();
        let mut args = vec!["--store".to_owned(), store_arg];
        let mut mail_answers = 0;
        match &mode {
            Mode::Enroll(..) => args.extend([
                "enroll".into(),
                "--url".into(),
                format!("{base}/apply/{APPLICATION}"),
                "--password".into(),
                PASSWORD.into(),
                "--site-ca".into(),
                site_ca,
                "--yes".into(),
            ]),
            Mode::Mail(mails, with_good) => {
                let maildir = sandbox.join("maildir");
                let _ = std::fs::remove_dir_all(&maildir);
                for sub in ["new", "cur", "tmp"] {
                    std::fs::create_dir_all(maildir.join(sub))
                        .map_err(|e| Failure::setup("maildir", e))?;
                }
                let mut all = mails.clone();
                if *with_good {
                    all.extend(good_mails(&base));
                }
                for (i, mail) in all.iter().enumerate() {
                    std::fs::write(maildir.join("new").join(format!("{i}.hostile")), mail)
                        .map_err(|e| Failure::setup("mail", e))?;
                }
                mail_answers = mails.len() as u64;
                args.extend([
                    "enroll".into(),
                    "--maildir".into(),
                    maildir.display().to_string(),
                    "--site-ca".into(),
                    site_ca,
                    "--yes".into(),
                ]);
            }
            Mode::Confirm(_) => args.extend([
                "confirm".into(),
                "--url".into(),
                format!("{base}/confirm"),
                "--site-ca".into(),
                site_ca,
            ]),
            Mode::DataList(_) => args.extend([
                "data".into(),
                "list".into(),
                "--url".into(),
                base.clone(),
                "--site-ca".into(),
                site_ca,
            ]),
        }
        let before = listing(&sandbox, &store);
        let (pending_before, _) = keys(&store);
        let ran = run_client(&bin, &sandbox, &args).await?;
        server.abort();
        let after = listing(&sandbox, &store);
        let (_, all_after) = keys(&store);
        counts.runs += 1;
        counts.answers += script.served.load(Ordering::SeqCst).min(1) + mail_answers;
        counts.peak_rss_kib = counts.peak_rss_kib.max(ran.peak_rss_kib);
        let what = format!("lane {lane}: {:?}", describe(&mode));
        if ran.code == Some(101) || ran.stderr.contains("panicked at") {
            counts.panics += 1;
            notes.push(format!("panic: {what}: {}", tail(&ran.stderr)));
        }
        if ran.peak_rss_kib > RSS_LIMIT_KIB {
            notes.push(format!("peak RSS {} KiB: {what}", ran.peak_rss_kib));
        }
        if ran.hung {
            counts.hangs += 1;
            notes.push(format!("hang: {what}"));
        }
        // The maildir is the soak's own writing; everything else must be as it was.
        let outside: Vec<_> = before
            .iter()
            .filter(|(p, _)| !p.starts_with(sandbox.join("maildir")))
            .filter(|(p, m)| after.get(*p) != Some(m))
            .map(|(p, _)| p.clone())
            .chain(
                after
                    .keys()
                    .filter(|p| !p.starts_with(sandbox.join("maildir")) && !before.contains_key(*p))
                    .cloned(),
            )
            .collect();
        if !outside.is_empty() {
            counts.outside_writes += outside.len() as u64;
            notes.push(format!("writes outside the store: {what}: {outside:?}"));
        }
        counts.keys_watched += pending_before.len() as u64;
        let lost = pending_before.difference(&all_after).count() as u64;
        if lost > 0 {
            counts.keys_lost += lost;
            notes.push(format!("{lost} keys lost: {what}"));
        }
    }
    Ok(())
}

fn describe(mode: &Mode) -> String {
    let short = |kind: &Kind| match kind {
        Kind::Garbage(b) => format!("Garbage({} bytes)", b.len()),
        Kind::Mutated(v) => format!(
            "Mutated({})",
            v.to_string().chars().take(80).collect::<String>()
        ),
        other => format!("{other:?}"),
    };
    match mode {
        Mode::Enroll(step, kind) => format!("enroll, {step:?}: {}", short(kind)),
        Mode::Mail(mails, good) => format!(
            "maildir: {} malformed mails, good ones too: {good}",
            mails.len()
        ),
        Mode::Confirm(kind) => format!("confirm: {}", short(kind)),
        Mode::DataList(kind) => format!("data list: {}", short(kind)),
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

/// The soak's part: counts into `summary.hostile`, notes beside the others.
pub async fn run_part(config: &Config, summary: &mut Summary) -> Result<(), Failure> {
    let mut notes = Vec::new();
    let result = run(config, &mut summary.hostile, &mut notes).await;
    for note in notes.into_iter().take(50) {
        summary.notes.push(format!("hostile site: {note}"));
    }
    result
}

/// Runs `runs` client runs (plus `drips` runs whose answer drips), in lanes side by side.
pub async fn run(
    config: &Config,
    counts: &mut Counts,
    notes: &mut Vec<String>,
) -> Result<(), Failure> {
    let plan = config.plan;
    let materials = Arc::new(Materials::make(&config.work)?);
    let mut rng = Rng::new(config.seed ^ 0x4057_11E5);
    const LANES: usize = 4;
    const RUNS_PER_STORE: usize = 6;
    let mut lanes: Vec<Vec<Mode>> = Vec::new();
    // The drips first, each a lane of its own: they take the client's 30 s timeout.
    for i in 0..plan.hostile_drips {
        let step = ENROLL_STEPS[i % ENROLL_STEPS.len()];
        lanes.push(vec![Mode::Enroll(step, Kind::Drip)]);
    }
    // Every kind of wrong certificate and every framing at least once, whatever the seed; then
    // random ones.
    let mut fixed: Vec<Mode> = CERT_KINDS
        .iter()
        .map(|kind| Mode::Enroll(Step::Csr, Kind::Certificate(*kind)))
        .collect();
    fixed.extend([
        Mode::Enroll(Step::Login, Kind::Oversized),
        Mode::Enroll(Step::Issue, Kind::OversizedDeclared),
        Mode::DataList(Kind::Oversized),
        Mode::Enroll(Step::Repository, Kind::Truncated),
        Mode::Enroll(Step::Apply, Kind::Deep(100_000, false)),
        Mode::Enroll(Step::Login, Kind::Deep(100_000, true)),
        Mode::Enroll(Step::Issue, Kind::NotHttp),
        Mode::Enroll(Step::Complete, Kind::Close),
        Mode::Mail(malformed_mails(&mut rng, ""), true),
    ]);
    let mut fixed = fixed.into_iter();
    let mut current = Vec::new();
    for _ in 0..plan.hostile_runs {
        if let Some(mode) = fixed.next() {
            current.push(mode);
            if current.len() == RUNS_PER_STORE {
                lanes.push(std::mem::take(&mut current));
            }
            continue;
        }
        let mode = match rng.below(20) {
            0 | 1 => Mode::Mail(malformed_mails(&mut rng, ""), rng.chance(0.5)),
            2 => Mode::Confirm(pick_kind(&mut rng, Step::Confirm)),
            3 => Mode::DataList(pick_kind(&mut rng, Step::Documents)),
            _ => {
                // Half the runs go past the key: that is where keys can be lost.
                let step = if rng.chance(0.5) {
                    *rng.pick(&[Step::Csr, Step::Complete, Step::Confirm])
                } else {
                    *rng.pick(&ENROLL_STEPS[..5])
                };
                Mode::Enroll(step, pick_kind(&mut rng, step))
            }
        };
        current.push(mode);
        if current.len() == RUNS_PER_STORE {
            lanes.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        lanes.push(current);
    }
    // Lanes run LANES at a time; the drips (first) overlap the rest.
    let total = lanes.len();
    let mut queue = lanes.into_iter().enumerate();
    let mut running = tokio::task::JoinSet::new();
    let mut done = 0;
    loop {
        while running.len() < LANES + plan.hostile_drips.min(4) {
            let Some((i, modes)) = queue.next() else {
                break;
            };
            let (config, materials) = (config.clone(), materials.clone());
            running.spawn(async move {
                let mut counts = Counts::default();
                let mut notes = Vec::new();
                let result = lane(&config, materials, i, modes, &mut counts, &mut notes).await;
                let _ = std::fs::remove_dir_all(config.work.join(format!("hostile-{i}")));
                (counts, notes, result)
            });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (lane_counts, lane_notes, result) =
            joined.map_err(|e| Failure::setup("hostile lane", e))?;
        counts.answers += lane_counts.answers;
        counts.runs += lane_counts.runs;
        counts.panics += lane_counts.panics;
        counts.hangs += lane_counts.hangs;
        counts.outside_writes += lane_counts.outside_writes;
        counts.keys_lost += lane_counts.keys_lost;
        counts.peak_rss_kib = counts.peak_rss_kib.max(lane_counts.peak_rss_kib);
        counts.keys_watched += lane_counts.keys_watched;
        notes.extend(lane_notes);
        result?;
        done += 1;
        if done % 20 == 0 {
            eprintln!(
                "soak: hostile site: {done}/{total} stores, {} answers",
                counts.answers
            );
        }
    }
    eprintln!(
        "soak: hostile site: {} client runs, {} pending keys looked for after a run",
        counts.runs, counts.keys_watched
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mutation_replaces_a_nested_field_and_keeps_the_rest() {
        let good = br#"{"step": 2, "key": {"algorithm": "RSA", "length": 2048}}"#;
        let out = mutate(good, &json!({"field": "length", "value": -1}));
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            value,
            json!({"step": 2, "key": {"algorithm": "RSA", "length": -1}})
        );
    }

    #[test]
    fn the_sandbox_listing_leaves_the_store_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("store/pending")).unwrap();
        std::fs::write(dir.path().join("store/pending/k"), "k").unwrap();
        std::fs::write(dir.path().join("stray"), "s").unwrap();
        let listed = listing(dir.path(), &dir.path().join("store"));
        assert_eq!(
            listed.keys().collect::<Vec<_>>(),
            [&dir.path().join("stray")]
        );
    }
}
