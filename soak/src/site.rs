//! The `mock-ca serve` process under test, its admin API, and a normal enrollment over the wire,
//! all as `docs/protocol.md` describes them (this crate shares no code with the site).

use std::{
    io::{BufRead as _, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use serde_json::{Value, json};
use test_support::{Admin, NewApplication, admin::Method};

use crate::{
    Failure,
    https::{Answer, Https, Request},
};

/// The component header this tool declares.
pub const COMPONENT: &str = "soak/0.1 (linux)";

/// A running `mock-ca serve`; SIGKILLed on drop.
#[derive(Debug)]
pub struct SiteProcess {
    child: std::sync::Mutex<Child>,
    /// The base URL it printed first.
    pub url: String,
    /// The confirmation site's base URL, printed second.
    pub confirm_url: String,
    /// `site-ca.pem`.
    pub trust: Vec<u8>,
    /// The admin token it was given.
    pub token: String,
    /// Where its stderr (its log) goes.
    pub log: PathBuf,
    /// The client for its public pages.
    pub https: Https,
    /// Its admin API (test-support's client).
    pub admin: Admin,
}

impl SiteProcess {
    /// Starts `mock-ca serve --port 0 --state-dir STATE [--data-dir DATA]` on the checked-in root
    /// (`--ca-dir`, fixtures/pki/root) with a known admin token and its log at `trace`, and waits
    /// for `ready`.
    pub fn start(
        mock_ca: &Path,
        state: &Path,
        data: Option<&Path>,
        token: &str,
    ) -> Result<Self, Failure> {
        std::fs::create_dir_all(state).map_err(|e| Failure::setup("state dir", e))?;
        let log = state.join(format!("mock-ca-{}.log", std::process::id()));
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| Failure::setup("log", e))?;
        let mut command = Command::new(mock_ca);
        command
            .args(["serve", "--port", "0", "--state-dir"])
            .arg(state)
            .args(["--admin-token", token])
            .arg("--ca-dir")
            .arg(test_support::pki::root_dir())
            .env("MOCK_CA_LOG", "mock_ca=trace")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file);
        if let Some(data) = data {
            command.arg("--data-dir").arg(data);
        }
        let mut child = command
            .spawn()
            .map_err(|e| Failure::setup(&format!("starting {}", mock_ca.display()), e))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| Failure::Setup("mock-ca stdout is not piped".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let url = match lines.next() {
            Some(Ok(url)) if url.starts_with("https://") => url,
            other => {
                let _ = child.kill();
                return Err(Failure::Setup(format!(
                    "mock-ca did not print its URL first: {other:?}"
                )));
            }
        };
        let mut confirm_url = None;
        loop {
            match lines.next() {
                Some(Ok(line)) if line == "ready" => break,
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("confirmation site: ") {
                        confirm_url = Some(url.to_owned());
                    }
                }
                _ => {
                    let _ = child.kill();
                    return Err(Failure::Setup("mock-ca exited before ready".into()));
                }
            }
        }
        let Some(confirm_url) = confirm_url else {
            let _ = child.kill();
            return Err(Failure::Setup(
                "mock-ca printed no confirmation site".into(),
            ));
        };
        // The rest of stdout is not read again: drain it so the site never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let trust = std::fs::read(state.join("site-ca.pem"))
            .map_err(|e| Failure::setup("site-ca.pem", e))?;
        let https = Https::new(&url, &trust, None).map_err(|e| Failure::Setup(e.to_string()))?;
        let admin = Admin::new(&url, token, &trust).map_err(|e| Failure::Setup(e.to_string()))?;
        Ok(Self {
            child: std::sync::Mutex::new(child),
            url,
            confirm_url,
            trust,
            token: token.to_owned(),
            log,
            https,
            admin,
        })
    }

    /// SIGKILL, and wait for it to be gone (also while others still send to it).
    pub fn kill(&self) {
        // A poisoned lock still holds the child: killing it is what is wanted either way.
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }

    /// The number of panics the site logged (each answered INTERNAL).
    pub fn panics_logged(&self) -> u64 {
        std::fs::read_to_string(&self.log)
            .map(|log| log.matches("made the site panic").count() as u64)
            .unwrap_or(0)
    }

    /// An admin request that must succeed, its JSON answer (`null` when empty).
    pub async fn admin_ok(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|e| Failure::Setup(format!("admin method {method}: {e}")))?;
        let (status, answer) = self
            .admin
            .send(method.clone(), path, body)
            .await
            .map_err(|e| Failure::Wrong(e.to_string()))?;
        if !(200..300).contains(&status) {
            return Err(Failure::Wrong(format!(
                "admin {method} {path}: HTTP {status} {answer}"
            )));
        }
        Ok(answer)
    }

    /// Files and approves an application for `cn`; its id and password (read from its mail).
    pub async fn approved(&self, cn: &str) -> Result<Applicant, Failure> {
        let wrong = |e: test_support::AdminError| Failure::Wrong(e.to_string());
        let id = self
            .admin
            .approved(NewApplication::for_cn(cn))
            .await
            .map_err(wrong)?;
        let password = self.admin.password_of(&id).await.map_err(wrong)?;
        Ok(Applicant {
            id,
            password,
            cn: cn.to_owned(),
        })
    }
}

impl Drop for SiteProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An approved application and what its mails said.
#[derive(Debug, Clone)]
pub struct Applicant {
    /// `ap-…`.
    pub id: String,
    /// From MAIL-PASSWORD.
    pub password: String,
    /// The common name it was filed with.
    pub cn: String,
}

impl Applicant {
    /// The subject a CSR must carry.
    pub fn subject(&self) -> Vec<(String, String)> {
        vec![
            ("C".into(), "JP".into()),
            ("O".into(), "Example Securities".into()),
            ("CN".into(), self.cn.clone()),
        ]
    }
}

/// The `session` cookie of a login answer.
pub fn session_of(answer: &Answer) -> Option<String> {
    answer
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .find_map(|(_, v)| v.strip_prefix("session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// A login with the password.
pub fn login(id: &str, password: &str) -> Request {
    Request::new("POST", &format!("/apply/{id}/login"))
        .json()
        .json_body(&json!({ "password": password }))
}

/// A step after login: with the session and the component.
pub fn step(id: &str, step: &str, session: &str) -> Request {
    Request::new("POST", &format!("/apply/{id}/{step}"))
        .json()
        .header("Cookie", format!("session={session}"))
        .header("X-Enrollment-Component", COMPONENT)
}

/// A CSR submission.
pub fn csr(id: &str, session: &str, pem: &str) -> Request {
    step(id, "csr", session).json_body(&json!({ "csr": pem }))
}

/// A PKCS#10 request for `subject` with `key` (UTF8String attributes).
pub fn make_csr(key: &rcgen::KeyPair, subject: &[(String, String)]) -> Result<String, Failure> {
    let mut params = rcgen::CertificateParams::default();
    let mut name = rcgen::DistinguishedName::new();
    for (attribute, value) in subject {
        let kind = match attribute.as_str() {
            "C" => rcgen::DnType::CountryName,
            "ST" => rcgen::DnType::StateOrProvinceName,
            "L" => rcgen::DnType::LocalityName,
            "O" => rcgen::DnType::OrganizationName,
            "OU" => rcgen::DnType::OrganizationalUnitName,
            _ => rcgen::DnType::CommonName,
        };
        name.push(kind, rcgen::DnValue::Utf8String(value.clone()));
    }
    params.distinguished_name = name;
    params
        .serialize_request(key)
        .and_then(|r| r.pem())
        .map_err(|e| Failure::Setup(format!("csr: {e}")))
}

/// What a normal enrollment over the wire ends with.
#[derive(Debug, Clone)]
pub struct Enrolled {
    /// The certificate (PEM).
    pub certificate: String,
    /// Its serial as the site gave it.
    pub serial: String,
    /// The key's PEM.
    pub key: String,
}

/// A normal enrollment: login, 発行, CSR, complete, then the confirmation page over mTLS.
pub async fn enroll(
    site: &SiteProcess,
    applicant: &Applicant,
    key: &rcgen::KeyPair,
) -> Result<Enrolled, Failure> {
    let wrong = |what: &str, answer: &Answer| {
        Failure::Wrong(format!(
            "normal enrollment of {}: {what} answered HTTP {} {}",
            applicant.id,
            answer.status,
            String::from_utf8_lossy(&answer.body)
        ))
    };
    let send = |request: Request| async move {
        site.https
            .send(&request)
            .await
            .map_err(|e| Failure::Wrong(format!("normal enrollment: {e}")))
    };
    let logged = send(login(&applicant.id, &applicant.password)).await?;
    let session = match (logged.status, session_of(&logged)) {
        (200, Some(session)) => session,
        _ => return Err(wrong("login", &logged)),
    };
    let three = send(step(&applicant.id, "issue", &session)).await?;
    if three.status != 200 {
        return Err(wrong("issue", &three));
    }
    let pem = make_csr(key, &applicant.subject())?;
    let issued = send(csr(&applicant.id, &session, &pem)).await?;
    let body = issued.json().unwrap_or(Value::Null);
    let (Some(certificate), Some(serial)) = (body["certificate"].as_str(), body["serial"].as_str())
    else {
        return Err(wrong("csr", &issued));
    };
    if issued.status != 201 {
        return Err(wrong("csr", &issued));
    }
    let four = send(step(&applicant.id, "complete", &session)).await?;
    if four.status != 200 {
        return Err(wrong("complete", &four));
    }
    let holder = site
        .https
        .with_identity(
            &site.confirm_url,
            &site.trust,
            certificate,
            &key.serialize_pem(),
        )
        .map_err(|e| Failure::Setup(e.to_string()))?;
    let confirmed = holder
        .send(&Request::new("GET", "/confirm").json())
        .await
        .map_err(|e| Failure::Wrong(format!("confirm: {e}")))?;
    if confirmed.status != 200 {
        return Err(wrong("confirm", &confirmed));
    }
    Ok(Enrolled {
        certificate: certificate.to_owned(),
        serial: serial.to_owned(),
        key: key.serialize_pem(),
    })
}
