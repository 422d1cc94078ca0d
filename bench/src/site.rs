//! A `mock-ca` binary run for a measurement, and its admin API: file, approve, read the mails.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context as _, bail};
pub use test_support::Admin;
use test_support::{Mail, NewApplication};
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

/// The issuing root every measurement loads (`--ca-dir`): the checked-in test root
/// (fixtures/pki/root), so no run makes one.
pub fn fixture_ca() -> PathBuf {
    test_support::pki::root_dir()
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

    /// The admin API (test-support's client over this HTTP/1.1 pool).
    pub fn admin(&self) -> anyhow::Result<Admin> {
        Ok(Admin::with_client(self.client()?, &self.url, TOKEN))
    }
}

/// The benchmark's `n`th application, with the benchmark subject.
pub fn application(n: usize) -> NewApplication {
    NewApplication {
        applicant: format!("Bench {n}"),
        email: format!("bench{n}@example.jp"),
        subject: SUBJECT
            .iter()
            .map(|(a, v)| ((*a).to_owned(), (*v).to_owned()))
            .collect(),
        kind: "new".into(),
    }
}

/// Files the `n`th application; its id.
pub async fn file(admin: &Admin, n: usize) -> anyhow::Result<String> {
    let filed = admin.file(application(n)).await?;
    filed["id"]
        .as_str()
        .map(str::to_owned)
        .context("no id in the filed application")
}

/// Every mail sent: (application, catalogue id, file in the Maildir).
pub async fn mails(admin: &Admin) -> anyhow::Result<Vec<(String, String, PathBuf)>> {
    Ok(admin
        .outbox()
        .await?
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

/// The password in a MAIL-PASSWORD file, read by test-support's mail reader.
pub fn password_in(mail: &Path) -> anyhow::Result<String> {
    Ok(Mail::read(mail)?.password()?)
}
