//! A `mock-ca` binary run for a measurement, and its admin API: file, approve, read the mails.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt as _, BufReader},
    process::{Child, Command},
};

/// The subject every benchmark application carries: one CSR serves them all.
pub const SUBJECT: [(&str, &str); 3] = [
    ("C", "JP"),
    ("O", "Bench Securities"),
    ("CN", "Bench Holder"),
];

/// The admin token of every benchmark site.
const TOKEN: &str = "bench-admin-token";

/// A port that was free a moment ago.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The issuing root every measurement loads (`--ca-dir`): made once, outside any timing.
pub fn fixture_ca(dir: &Path) -> anyhow::Result<PathBuf> {
    let ca = dir.join("fixture-ca");
    let now = time::OffsetDateTime::now_utc();
    mock_ca::authority::Authority::load_or_generate(&ca, mock_ca::ROOT_NAME, now)
        .context("making the fixture CA")?;
    Ok(ca)
}

/// A running `mock-ca serve`, killed on drop.
pub struct Site {
    child: Child,
    /// Its URL.
    pub url: String,
    /// Its state directory (maildir, site-ca.pem).
    pub state: PathBuf,
}

impl Site {
    /// Starts `mock-ca serve --ca-dir CA` and waits for its `ready` line.
    pub async fn start(bin: &Path, ca: &Path, state: &Path) -> anyhow::Result<Self> {
        Self::spawn(bin, ca, state, None).await
    }

    /// The same, keeping its records in `data` (`--data-dir`).
    pub async fn start_kept(
        bin: &Path,
        ca: &Path,
        state: &Path,
        data: &Path,
    ) -> anyhow::Result<Self> {
        Self::spawn(bin, ca, state, Some(data)).await
    }

    async fn spawn(
        bin: &Path,
        ca: &Path,
        state: &Path,
        data: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let mut command = Command::new(bin.join("mock-ca"));
        if let Some(data) = data {
            command.arg("serve").arg("--data-dir").arg(data);
        } else {
            command.arg("serve");
        }
        let mut child = command
            .args(["--admin-token", TOKEN, "--ca-dir"])
            .arg(ca)
            .arg("--state-dir")
            .arg(state)
            .env("MOCK_CA_LOG", "mock_ca=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting mock-ca")?;
        // Invariant: stdout was piped just above.
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut url = None;
        while let Some(line) = lines.next_line().await? {
            if url.is_none() {
                url = Some(line.clone());
            }
            if line == "ready" {
                break;
            }
        }
        let Some(url) = url else {
            bail!("mock-ca stopped before it was ready");
        };
        // Keep reading so that the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            url,
            state: state.to_path_buf(),
        })
    }

    /// The process id, for /proc.
    pub fn pid(&self) -> anyhow::Result<u32> {
        self.child.id().context("mock-ca has exited")
    }

    /// The site's TLS trust anchor.
    pub fn site_ca(&self) -> PathBuf {
        self.state.join("site-ca.pem")
    }

    /// An HTTPS client that trusts the site (one connection pool).
    pub fn client(&self) -> anyhow::Result<reqwest::Client> {
        let pem = std::fs::read(self.site_ca())?;
        Ok(reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem)?])
            .http1_only()
            .timeout(Duration::from_secs(60))
            .build()?)
    }

    /// The admin API.
    pub fn admin(&self) -> anyhow::Result<Admin> {
        Ok(Admin {
            http: self.client()?,
            url: self.url.clone(),
        })
    }
}

/// The admin API of a benchmark site.
#[derive(Clone)]
pub struct Admin {
    http: reqwest::Client,
    url: String,
}

impl Admin {
    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}/admin{path}", self.url))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let value: Value = response.json().await?;
        if !status.is_success() {
            bail!("admin {path}: {status} {value}");
        }
        Ok(value)
    }

    /// Files an application with the benchmark subject; its id.
    pub async fn file(&self, n: usize) -> anyhow::Result<String> {
        let subject: Vec<[&str; 2]> = SUBJECT.iter().map(|(a, v)| [*a, *v]).collect();
        let filed = self
            .post(
                "/applications",
                json!({
                    "applicant": format!("Bench {n}"),
                    "email": format!("bench{n}@example.jp"),
                    "subject": subject,
                }),
            )
            .await?;
        filed["id"]
            .as_str()
            .map(str::to_owned)
            .context("no id in the filed application")
    }

    /// Approves an application: its two mails go out.
    pub async fn approve(&self, id: &str) -> anyhow::Result<()> {
        self.post(&format!("/applications/{id}/approve"), json!({}))
            .await
            .map(drop)
    }

    /// Every mail sent: (application, catalogue id, file in the Maildir).
    pub async fn mails(&self) -> anyhow::Result<Vec<(String, String, PathBuf)>> {
        let sent: Vec<Value> = self
            .http
            .get(format!("{}/admin/outbox", self.url))
            .bearer_auth(TOKEN)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(sent
            .iter()
            .filter_map(|m| {
                Some((
                    m["application"].as_str()?.to_owned(),
                    m["catalogue"].as_str()?.to_owned(),
                    PathBuf::from(m["path"].as_str()?),
                ))
            })
            .collect())
    }
}

/// The password in a MAIL-PASSWORD file: the line after 認証情報パスワード:.
pub fn password_in(mail: &Path) -> anyhow::Result<String> {
    let raw = std::fs::read(mail)?;
    let message = mail_parser::MessageParser::default()
        .parse(&raw)
        .context("unreadable mail")?;
    let body = message.body_text(0).context("mail without text")?;
    let mut lines = body.lines();
    lines
        .find(|l| l.trim().starts_with("認証情報パスワード:"))
        .and_then(|_| lines.find(|l| !l.trim().is_empty()))
        .map(|l| l.trim().to_owned())
        .context("no password in the mail")
}
