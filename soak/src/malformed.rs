//! Malformed input over every endpoint: bodies (CSRs truncated, garbled, of the wrong key, badly
//! signed; passwords; JSON and forms), headers, paths, methods, sizes and HTTP framing. Each answer
//! is judged against `docs/protocol.md`: a refusal in the error format with a documented id and
//! its status, never a 5xx, never a success where none is possible; a normal enrollment still
//! works after each batch.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::json;

use crate::{
    Config, Failure, Summary,
    https::{Answer, NoAnswer, Request},
    rng::Rng,
    site::{self, Applicant, SiteProcess},
};

/// Parallel senders.
const SENDERS: usize = 8;

/// Every error id of `docs/protocol.md` with its status.
pub const DOCUMENTED: &[(&str, u16)] = &[
    ("AUTH-FAILED", 401),
    ("NO-VALID-REQUEST", 410),
    ("STEP3-ONE-WAY", 410),
    ("CERT-REQUEST-FAILED", 400),
    ("CONFIRM-FORBIDDEN", 403),
    ("COMPONENT-UNAVAILABLE", 428),
    ("ENV-SUPPORTED", 422),
    ("SESSION-REQUIRED", 401),
    ("OUT-OF-ORDER", 409),
    ("BAD-REQUEST", 400),
    ("NOT-FOUND", 404),
    ("METHOD-NOT-ALLOWED", 405),
    ("ADMIN-UNAUTHORIZED", 401),
    ("PAYLOAD-TOO-LARGE", 413),
    ("STORAGE-UNAVAILABLE", 503),
];

/// What an answer to a case must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A refusal: 4xx in the error format with a documented id and its status.
    Refused,
    /// Anything but a server error; an error answer in the error format.
    NoServerError,
    /// Not HTTP the site can read: a bare 4xx or a closed connection is fine, a 5xx is not.
    Transport,
}

/// One malformed request.
#[derive(Debug, Clone)]
pub struct Case {
    /// What kind, for the notes.
    pub kind: &'static str,
    /// The request, or raw bytes for framing cases.
    pub wire: Wire,
    /// What the answer must be.
    pub expect: Expect,
}

/// What goes on the wire.
#[derive(Debug, Clone)]
pub enum Wire {
    /// A request built field by field.
    Http(Request),
    /// Bytes as they are.
    Raw(Vec<u8>),
}

/// Judges an answer; `Err` says what is wrong.
pub fn judge(expect: Expect, answer: &Result<Answer, NoAnswer>) -> Result<(), String> {
    let answer = match (answer, expect) {
        (Ok(answer), _) => answer,
        (Err(NoAnswer::Hung(_)), _) => return Err("no answer (hung)".into()),
        (Err(_), Expect::Transport) => return Ok(()),
        (Err(e), _) => return Err(format!("no answer: {e}")),
    };
    if answer.status >= 500 {
        return Err(format!(
            "HTTP {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        ));
    }
    let is_error = answer.status >= 400;
    match expect {
        Expect::Refused if !is_error => Err(format!("accepted: HTTP {}", answer.status)),
        Expect::Transport => Ok(()),
        _ if !is_error => Ok(()),
        _ => {
            let id = answer.error_id().ok_or_else(|| {
                format!(
                    "HTTP {} not in the error format: {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)])
                )
            })?;
            match DOCUMENTED.iter().find(|(known, _)| *known == id) {
                Some((_, status)) if *status == answer.status => Ok(()),
                Some((_, status)) => Err(format!(
                    "{id} answered with HTTP {}, documented {status}",
                    answer.status
                )),
                None => Err(format!("undocumented id {id} (HTTP {})", answer.status)),
            }
        }
    }
}

/// CSRs made once: good ones to spoil, and well-formed ones of the wrong key or subject.
#[derive(Debug, Clone)]
pub struct CsrBank {
    /// A correct CSR's DER (never sent whole).
    pub good_der: Vec<u8>,
    /// Well-formed CSRs the site must refuse: (what, PEM).
    pub wrong: Vec<(&'static str, String)>,
}

impl CsrBank {
    /// Makes the bank for `subject`: RSA 3072/4096, P-256, P-384, Ed25519, a wrong subject, and
    /// RSA 1024 where `openssl` can make one (aws-lc makes no RSA key under 2048 bits).
    pub fn make(subject: &[(String, String)], good: &rcgen::KeyPair) -> Result<Self, Failure> {
        let pem = site::make_csr(good, subject)?;
        let good_der = pem_body(&pem).ok_or_else(|| Failure::Setup("csr is not PEM".into()))?;
        let mut wrong = Vec::new();
        let generated = |alg: &'static rcgen::SignatureAlgorithm| {
            rcgen::KeyPair::generate_for(alg).map_err(|e| Failure::setup("key", e))
        };
        for (what, size) in [
            ("rsa-3072", rcgen::RsaKeySize::_3072),
            ("rsa-4096", rcgen::RsaKeySize::_4096),
        ] {
            let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size)
                .map_err(|e| Failure::setup("rsa", e))?;
            wrong.push((what, site::make_csr(&key, subject)?));
        }
        wrong.push((
            "p-256",
            site::make_csr(&generated(&rcgen::PKCS_ECDSA_P256_SHA256)?, subject)?,
        ));
        wrong.push((
            "p-384",
            site::make_csr(&generated(&rcgen::PKCS_ECDSA_P384_SHA384)?, subject)?,
        ));
        wrong.push((
            "ed25519",
            site::make_csr(&generated(&rcgen::PKCS_ED25519)?, subject)?,
        ));
        let mut other = subject.to_vec();
        if let Some(last) = other.last_mut() {
            last.1.push_str(" (someone else)");
        }
        wrong.push(("wrong-subject", site::make_csr(good, &other)?));
        match openssl_rsa_1024(subject) {
            Some(pem) => wrong.push(("rsa-1024", pem)),
            None => eprintln!("soak: notice: no openssl on PATH, no RSA-1024 CSR in this run"),
        }
        Ok(Self { good_der, wrong })
    }
}

fn openssl_rsa_1024(subject: &[(String, String)]) -> Option<String> {
    let dir = tempfile::tempdir().ok()?;
    let subj: String = subject.iter().map(|(a, v)| format!("/{a}={v}")).collect();
    let status = std::process::Command::new("openssl")
        .args([
            "req", "-new", "-newkey", "rsa:1024", "-nodes", "-utf8", "-subj",
        ])
        .arg(subj)
        .arg("-keyout")
        .arg(dir.path().join("key.pem"))
        .arg("-out")
        .arg(dir.path().join("req.pem"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    status
        .success()
        .then(|| std::fs::read_to_string(dir.path().join("req.pem")).ok())
        .flatten()
}

/// The DER inside the first PEM block.
fn pem_body(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

fn armor(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// The byte range of the first element inside the outer DER SEQUENCE (a CSR's signed part).
fn signed_part(der: &[u8]) -> Option<std::ops::Range<usize>> {
    let (outer_header, _) = header(der)?;
    let (inner_header, inner_len) = header(&der[outer_header..])?;
    let start = outer_header;
    let end = start + inner_header + inner_len;
    (end <= der.len()).then_some(start..end)
}

/// A DER element's header length and content length.
fn header(der: &[u8]) -> Option<(usize, usize)> {
    let first = *der.get(1)?;
    if first < 0x80 {
        return Some((2, first as usize));
    }
    let n = (first & 0x7f) as usize;
    let bytes = der.get(2..2 + n)?;
    let len = bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
    Some((2 + n, len))
}

/// The applications the cases aim at: one in step 3 with a live session (CSRs), one approved
/// (passwords); neither must move.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Logged in and 発行 pressed: takes CSRs.
    pub csr: Applicant,
    /// Its session.
    pub session: String,
    /// Approved, never logged in to.
    pub login: Applicant,
    /// The admin token.
    pub token: String,
}

const PATH_TRICKS: &[&str] = &[
    "/apply/../admin/applications",
    "/apply/%2e%2e/admin/applications",
    "/apply/..%2fadmin/applications",
    "//admin/applications",
    "/admin//applications",
    "/admin/./applications",
    "/ADMIN/applications",
    "/admin%2fapplications",
    "/apply/%FF%FE/login",
    "/apply/%00/login",
    "/apply/ap-0001%00/login",
    "/apply/%C0%AF/login",
    "/apply//login",
    "/apply/ap-9999/login",
    "/apply/ap-0001/login/extra",
    "/apply/ap-0001/csr/..",
    "/confirm/../admin/journal",
    "/repository/../admin/outbox",
    "/repository/root.cer/..",
    "/repository/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/../../../../etc/passwd",
    "/apply/%F0%9F%92%A9",
    "/apply/\u{7f}",
    "/?%FF=%FE",
    "/repository?a=%",
    "/admin/journal?since=-1",
    "/admin/journal?status=99999999999",
    "/admin/outbox?application=%FF",
    "*",
];

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "get", "FOO", "CONNECT",
];

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/json; charset=latin1",
    "multipart/form-data; boundary=x",
    "application/xml",
    "",
    "application/x-www-form-urlencoded; charset=shift_jis",
];

/// A random string of printable ASCII, multibyte UTF-8 and obs-text, for header values.
fn header_value(rng: &mut Rng, max: usize) -> Vec<u8> {
    let len = rng.below(max + 1);
    let mut value = Vec::with_capacity(len);
    for _ in 0..len {
        match rng.below(4) {
            0 => value.extend_from_slice("証".as_bytes()),
            1 => value.push(0x80 + rng.below(0x80) as u8),
            _ => value.push(0x20 + rng.below(0x5f) as u8),
        }
    }
    value
}

/// A random JSON value, nested a little.
fn junk_json(rng: &mut Rng, depth: usize) -> serde_json::Value {
    match rng.below(if depth > 2 { 5 } else { 7 }) {
        0 => json!(null),
        1 => json!(rng.chance(0.5)),
        2 => json!(rng.next_u64() as i64),
        3 => json!(f64::from_bits(rng.next_u64() & 0x7fef_ffff_ffff_ffff)),
        4 => json!(String::from_utf8_lossy(&rng.bytes_upto(40)).into_owned()),
        5 => json!(
            (0..rng.below(4))
                .map(|_| junk_json(rng, depth + 1))
                .collect::<Vec<_>>()
        ),
        _ => {
            let mut map = serde_json::Map::new();
            for _ in 0..rng.below(4) {
                let key = *rng.pick(&["csr", "password", "x", "", "days", "id", "effect"]);
                map.insert(key.into(), junk_json(rng, depth + 1));
            }
            serde_json::Value::Object(map)
        }
    }
}

/// A spoiled CSR (never a valid one).
fn spoiled_csr(rng: &mut Rng, bank: &CsrBank) -> (&'static str, String) {
    let der = &bank.good_der;
    let good_pem = armor("CERTIFICATE REQUEST", der);
    match rng.below(11) {
        0 => {
            let cut = rng.below(good_pem.len().saturating_sub(40)) + 1;
            ("truncated-pem", good_pem[..cut].to_owned())
        }
        1 => {
            let cut = rng.below(der.len() - 1) + 1;
            ("truncated-der", armor("CERTIFICATE REQUEST", &der[..cut]))
        }
        2 => {
            let range = signed_part(der).unwrap_or(0..der.len());
            let mut flipped = der.clone();
            let at = range.start + rng.below(range.len());
            flipped[at] ^= 1 << rng.below(8);
            (
                "flipped-signed-part",
                armor("CERTIFICATE REQUEST", &flipped),
            )
        }
        3 => {
            let mut flipped = der.clone();
            let at = der.len() - 1 - rng.below(64);
            flipped[at] ^= 0x55;
            ("bad-signature", armor("CERTIFICATE REQUEST", &flipped))
        }
        4 => {
            let len = rng.below(1200);
            ("garbage-der", armor("CERTIFICATE REQUEST", &rng.bytes(len)))
        }
        5 => (
            "garbage-base64",
            format!(
                "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
                String::from_utf8_lossy(&rng.bytes_upto(900))
            ),
        ),
        6 => ("binary-der", String::from_utf8_lossy(der).into_owned()),
        7 => {
            let cut = rng.below(der.len() - 1) + 1;
            (
                "truncated-base64",
                base64::engine::general_purpose::STANDARD.encode(&der[..cut]),
            )
        }
        8 => (
            "random-text",
            String::from_utf8_lossy(&rng.bytes_upto(300)).into_owned(),
        ),
        9 => {
            let (what, pem) = rng.pick(&bank.wrong);
            (what, pem.clone())
        }
        _ => {
            // Extra bytes after the structure: a CSR with trailing data is not a CSR.
            let mut longer = der.clone();
            let extra = rng.below(16) + 1;
            longer.extend_from_slice(&rng.bytes(extra));
            ("trailing-bytes", armor("CERTIFICATE REQUEST", &longer))
        }
    }
}

/// One random malformed case.
pub fn case(rng: &mut Rng, targets: &Targets, bank: &CsrBank) -> Case {
    let http = |kind, request, expect| Case {
        kind,
        wire: Wire::Http(request),
        expect,
    };
    match rng.below(20) {
        0..=5 => {
            let (kind, csr) = spoiled_csr(rng, bank);
            let body = match rng.below(6) {
                0 => json!({ "csr": csr, "extra": junk_json(rng, 0) }),
                1 => junk_json(rng, 0),
                _ => json!({ "csr": csr }),
            };
            let mut request = site::step(&targets.csr.id, "csr", &targets.session);
            request = if rng.chance(0.15) {
                request
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(format!("csr={}", percent(csr.as_bytes())))
            } else {
                request.json_body(&body)
            };
            http(kind, request, Expect::Refused)
        }
        6..=8 => {
            let id = &targets.login.id;
            let request = Request::new("POST", &format!("/apply/{id}/login"));
            let request = if rng.chance(0.5) {
                request.json()
            } else {
                request
            };
            let content_type = *rng.pick(CONTENT_TYPES);
            let body: Vec<u8> = match rng.below(6) {
                0 => json!({ "password": String::from_utf8_lossy(&rng.bytes_upto(64)) })
                    .to_string()
                    .into_bytes(),
                1 => {
                    let mut form = b"password=".to_vec();
                    form.extend(rng.bytes_upto(64));
                    form
                }
                2 => format!("password=%{:02X}%{:02X}%FF", rng.below(256), rng.below(256))
                    .into_bytes(),
                3 => junk_json(rng, 0).to_string().into_bytes(),
                4 => {
                    let text = json!({"password": targets.login.password}).to_string();
                    text.as_bytes()[..rng.below(text.len() - 1)].to_vec()
                }
                _ => rng.bytes_upto(200),
            };
            let request = request.header("Content-Type", content_type).body(body);
            http("login-body", request, Expect::Refused)
        }
        9..=10 => {
            let step = *rng.pick(&["issue", "csr", "complete"]);
            let id = if rng.chance(0.5) {
                &targets.csr.id
            } else {
                &targets.login.id
            };
            let mut request = Request::new("POST", &format!("/apply/{id}/{step}"));
            if rng.chance(0.7) {
                request = request.json();
            }
            if rng.chance(0.7) {
                let mut cookie = b"session=".to_vec();
                cookie.extend(header_value(rng, 80));
                request = request.header("Cookie", cookie);
            }
            if rng.chance(0.7) {
                request = request.header("X-Enrollment-Component", header_value(rng, 60));
            }
            if rng.chance(0.5) {
                request = request.header("Accept", header_value(rng, 40));
            }
            let body = junk_json(rng, 0).to_string();
            http(
                "step-headers",
                request
                    .header("Content-Type", *rng.pick(CONTENT_TYPES))
                    .body(body),
                Expect::Refused,
            )
        }
        11..=12 => {
            let path = *rng.pick(PATH_TRICKS);
            let method = *rng.pick(METHODS);
            let protected = ["admin", "login", "csr", "issue", "complete", "/..", "etc"]
                .iter()
                .any(|p| path.to_ascii_lowercase().contains(p));
            let mut request = Request::new(method, path);
            if rng.chance(0.6) {
                request = request.json();
            }
            let expect = if method == "HEAD" {
                // The answer to HEAD has no body to be in the error format.
                Expect::Transport
            } else if protected || method != "GET" {
                Expect::Refused
            } else {
                Expect::NoServerError
            };
            // `*` is only for OPTIONS, and a DEL is not a URI character: hyper refuses both before
            // the site sees them.
            let expect = if path == "*" || path.contains('\u{7f}') {
                Expect::Transport
            } else {
                expect
            };
            http("path", request, expect)
        }
        13..=14 => {
            let routes = [
                ("POST", "/admin/applications"),
                ("GET", "/admin/applications"),
                ("GET", "/admin/journal"),
                ("DELETE", "/admin/journal"),
                ("POST", "/admin/faults"),
                ("DELETE", "/admin/faults"),
                ("PUT", "/admin/clock"),
                ("POST", "/admin/tick"),
                ("GET", "/admin/outbox"),
                ("PUT", "/admin/auto-approve"),
            ];
            let (method, path) = *rng.pick(&routes);
            let authorization: Vec<u8> = match rng.below(6) {
                0 => Vec::new(),
                1 => format!("Bearer {}x", targets.token).into_bytes(),
                2 => format!("Basic {}", targets.token).into_bytes(),
                3 => targets.token.clone().into_bytes(),
                4 => format!("Bearer {}", &targets.token[..targets.token.len() - 1]).into_bytes(),
                _ => header_value(rng, 50),
            };
            let mut request = Request::new(method, path).json();
            if !authorization.is_empty() {
                request = request.header("Authorization", authorization);
            }
            let request = request.json_body(&json!({"enabled": true, "days": 1}));
            http("admin-no-token", request, Expect::Refused)
        }
        15..=16 => {
            let routes = [
                ("POST", "/admin/applications"),
                ("POST", "/admin/faults"),
                ("PUT", "/admin/clock"),
                ("POST", "/admin/clock/advance"),
                ("PUT", "/admin/auto-approve"),
            ];
            let (method, path) = *rng.pick(&routes);
            let body: Vec<u8> = match rng.below(4) {
                0 => {
                    let text = json!({"applicant": "x", "email": "y", "subject": [["CN", "z"]], "effect": {"kind": "reset"}, "enabled": true, "now": "2026-01-01T00:00:00+09:00"}).to_string();
                    text.as_bytes()[..rng.below(text.len() - 1)].to_vec()
                }
                1 => json!({"unknown-field": junk_json(rng, 1), "days": "one", "enabled": "yes", "now": "yesterday", "subject": 7, "effect": {"kind": "explode"}}).to_string().into_bytes(),
                2 => rng.bytes_upto(300),
                // An array nested where a struct's first field is: serde would read a flat
                // `[true]` as `{"enabled": true}`, by position, which is readable.
                _ => json!([[junk_json(rng, 1)]]).to_string().into_bytes(),
            };
            let request = Request::new(method, path)
                .json()
                .header("Authorization", format!("Bearer {}", targets.token))
                .header(
                    "Content-Type",
                    if rng.chance(0.8) {
                        "application/json"
                    } else {
                        *rng.pick(CONTENT_TYPES)
                    },
                )
                .body(body);
            http("admin-bad-body", request, Expect::Refused)
        }
        17 => {
            // Over the body limit: a real body, or a length that promises one.
            let step = *rng.pick(&["login", "csr"]);
            let id = if step == "csr" {
                &targets.csr.id
            } else {
                &targets.login.id
            };
            let request = site::step(id, step, &targets.session);
            if rng.chance(0.3) {
                let mut body = b"{\"csr\": \"".to_vec();
                body.extend(std::iter::repeat_n(
                    b'A',
                    256 * 1024 + rng.below(1024 * 1024),
                ));
                body.extend_from_slice(b"\"}");
                http(
                    "huge-body",
                    request
                        .header("Content-Type", "application/json")
                        .body(body),
                    Expect::Refused,
                )
            } else {
                Case {
                    kind: "huge-length",
                    wire: Wire::Raw(
                        format!(
                            "POST /apply/{id}/{step} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Type: application/json\r\nX-Enrollment-Component: {}\r\nCookie: session={}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{{\"csr\":",
                            site::COMPONENT,
                            targets.session,
                            1_000_000_000u64 + rng.next_u64() % 1_000_000_000_000
                        )
                        .into_bytes(),
                    ),
                    expect: Expect::Transport,
                }
            }
        }
        _ => Case {
            kind: "framing",
            wire: Wire::Raw(framing(rng, &targets.login.id)),
            expect: Expect::Transport,
        },
    }
}

fn percent(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (*b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Bytes that are not quite HTTP/1.1.
fn framing(rng: &mut Rng, id: &str) -> Vec<u8> {
    let login = format!("/apply/{id}/login");
    match rng.below(10) {
        0 => rng.bytes_upto(600),
        1 => format!("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc", rng.below(9)).into_bytes(),
        2 => format!("POST {login} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /admin/applications HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(),
        3 => format!("POST {login} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{:x}\r\n{{\"password\"\r\nzz\r\n", rng.below(5000)).into_bytes(),
        4 => {
            let mut wire = b"GET / HTTP/1.1\r\nHost: x\r\nX-Bad: ".to_vec();
            wire.extend(rng.bytes_upto(50));
            wire.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
            wire
        }
        5 => format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n", "a".repeat(64 * 1024 + rng.below(512 * 1024))).into_bytes(),
        6 => b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
        7 => format!("GET https://evil.example{login} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n").into_bytes(),
        8 => format!("POST {login} HTTP/1.1\r\nHost: x\r\nContent-Length: -{}\r\nConnection: close\r\n\r\n", rng.below(99)).into_bytes(),
        _ => format!("GET / HTTP/1.1\r\nHost: x\r\n folded: header\r\n{}\r\nConnection: close\r\n\r\n", "X-Many: 1\r\n".repeat(rng.below(300))).into_bytes(),
    }
}

/// Sets up the targets, sends `plan.malformed` cases in parallel (with a normal enrollment after
/// each batch), then checks the targets did not move and the site logged no panic.
pub async fn run(config: &Config, summary: &mut Summary) -> Result<(), Failure> {
    let work = config.work.join("malformed");
    let site = SiteProcess::start(&config.binary("mock-ca")?, &work, None, "soak-token")?;
    let mut rng = Rng::new(config.seed ^ 0x6d61_6c66);
    let keys = crate::rsa_keys(1)?;
    let key = &keys[0];

    let csr_target = site.approved("Malformed CSR Target").await?;
    let logged = site
        .https
        .send(&site::login(&csr_target.id, &csr_target.password))
        .await
        .map_err(|e| Failure::Wrong(format!("target login: {e}")))?;
    let session = site::session_of(&logged)
        .ok_or_else(|| Failure::Wrong(format!("target login: HTTP {}", logged.status)))?;
    let pressed = site
        .https
        .send(&site::step(&csr_target.id, "issue", &session))
        .await
        .map_err(|e| Failure::Wrong(format!("target issue: {e}")))?;
    if pressed.status != 200 {
        return Err(Failure::Wrong(format!(
            "target issue: HTTP {}",
            pressed.status
        )));
    }
    let bank = Arc::new(CsrBank::make(&csr_target.subject(), key)?);
    let targets = Arc::new(Targets {
        csr: csr_target,
        session,
        login: site.approved("Malformed Login Target").await?,
        token: site.token.clone(),
    });

    let mut sent = 0;
    let mut batch = 0;
    while sent < config.plan.malformed {
        let count = config.plan.enroll_every.min(config.plan.malformed - sent);
        let mut tasks = tokio::task::JoinSet::new();
        for worker in 0..SENDERS {
            let mut rng = rng.fork();
            let targets = targets.clone();
            let bank = bank.clone();
            let https = site.https.clone();
            let share = count / SENDERS + usize::from(worker < count % SENDERS);
            tasks.spawn(async move {
                let mut wrong = Vec::new();
                for _ in 0..share {
                    let case = case(&mut rng, &targets, &bank);
                    let answer = match &case.wire {
                        Wire::Http(request) => https.send(request).await,
                        Wire::Raw(bytes) => https.send_raw(bytes, true).await,
                    };
                    if let Err(why) = judge(case.expect, &answer) {
                        let target = match &case.wire {
                            Wire::Http(r) => format!(
                                "{} {}",
                                String::from_utf8_lossy(&r.method),
                                String::from_utf8_lossy(&r.target)
                            ),
                            Wire::Raw(bytes) => {
                                String::from_utf8_lossy(&bytes[..bytes.len().min(60)]).into_owned()
                            }
                        };
                        wrong.push(format!("malformed {} ({target:?}): {why}", case.kind));
                    }
                }
                wrong
            });
        }
        while let Some(done) = tasks.join_next().await {
            let wrong = done.map_err(|e| Failure::Setup(format!("sender: {e}")))?;
            for why in wrong {
                summary.wrong(&Failure::Wrong(why));
            }
        }
        sent += count;
        summary.malformed += count as u64;
        batch += 1;
        // A normal enrollment right after: the site still works for a real client.
        let applicant = site.approved(&format!("After Batch {batch}")).await?;
        if let Err(failure) = site::enroll(&site, &applicant, key).await {
            summary.wrong(&failure);
        }
    }

    for (target, state) in [(&targets.csr, "issuing"), (&targets.login, "approved")] {
        let now = site
            .admin_ok("GET", &format!("/applications/{}", target.id), None)
            .await?;
        let certificates = now["certificates"].as_array().map_or(0, Vec::len);
        if now["state"] != state || certificates != 0 {
            summary.wrong(&Failure::Wrong(format!(
                "malformed input moved {} to {} with {certificates} certificates",
                target.id, now["state"]
            )));
        }
        if certificates > 0 {
            summary.double_issuances += 1;
        }
    }
    summary.panics += site.panics_logged();
    site.kill();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csrs_signed_part_is_found_inside_its_outer_sequence() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let pem = site::make_csr(&key, &[("CN".into(), "x".into())]).unwrap();
        let der = pem_body(&pem).unwrap();
        let range = signed_part(&der).unwrap();
        assert_eq!(der[range.start], 0x30);
        assert!(range.end < der.len());
    }

    #[test]
    fn the_judge_wants_a_documented_id_with_its_status() {
        let answer = |status, body: &str| {
            Ok(Answer {
                status,
                headers: vec![],
                body: body.as_bytes().to_vec(),
            })
        };
        let refusal = r#"{"error": {"id": "CERT-REQUEST-FAILED", "message": "m"}}"#;
        assert!(judge(Expect::Refused, &answer(400, refusal)).is_ok());
        assert!(judge(Expect::Refused, &answer(401, refusal)).is_err());
        assert!(judge(Expect::Refused, &answer(201, "{}")).is_err());
        assert!(judge(Expect::Refused, &answer(413, "length limit exceeded")).is_err());
        assert!(judge(Expect::NoServerError, &answer(500, refusal)).is_err());
        assert!(judge(Expect::Transport, &Err(NoAnswer::Closed)).is_ok());
        assert!(judge(Expect::Refused, &Err(NoAnswer::Closed)).is_err());
    }
}
