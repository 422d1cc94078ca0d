//! The peers we are compared with: Let's Encrypt's `pebble` (test ACME CA) and the `lego` client,
//! both Debian packages. Pebble gets its own TLS certificate (made here) and ports; lego trusts it
//! through `LEGO_CA_CERTIFICATES` and uses http-01, which Pebble accepts without a challenge
//! request (`PEBBLE_VA_ALWAYS_VALID=1`).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use tokio::process::{Child, Command};

use crate::site::free_port;

/// Where pebble and lego are, if both are installed.
pub fn find() -> Option<(PathBuf, PathBuf)> {
    Some((which("pebble")?, which("lego")?))
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
}

/// Pebble's configuration: a TLS certificate made here, and free ports.
pub struct PebbleConfig {
    /// The config file.
    pub file: PathBuf,
    /// Its TLS certificate (PEM), for lego and for our probe.
    pub certificate: PathBuf,
    /// The ACME directory URL.
    pub directory: String,
}

impl PebbleConfig {
    /// Writes a config with fresh ports into `dir`.
    pub fn write(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let certificate = dir.join("pebble-cert.pem");
        if !certificate.exists() {
            let made = rcgen::generate_simple_self_signed(vec![
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
            ])?;
            std::fs::write(dir.join("pebble-key.pem"), made.signing_key.serialize_pem())?;
            std::fs::write(&certificate, made.cert.pem())?;
        }
        let (listen, management, http, tls) =
            (free_port()?, free_port()?, free_port()?, free_port()?);
        let file = dir.join("pebble-config.json");
        let config = serde_json::json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{listen}"),
            "managementListenAddress": format!("127.0.0.1:{management}"),
            "certificate": certificate,
            "privateKey": dir.join("pebble-key.pem"),
            "httpPort": http,
            "tlsPort": tls,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
        }});
        std::fs::write(&file, serde_json::to_vec_pretty(&config)?)?;
        Ok(Self {
            file,
            certificate,
            directory: format!("https://127.0.0.1:{listen}/dir"),
        })
    }
}

/// Starts pebble (not waiting for it), killed on drop.
pub fn spawn_pebble(pebble: &Path, config: &PebbleConfig) -> anyhow::Result<Child> {
    Command::new(pebble)
        .arg("-config")
        .arg(&config.file)
        .env("PEBBLE_VA_ALWAYS_VALID", "1")
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting pebble")
}

/// Polls `url` until it answers 200 (the first answered request); the time since `since`.
pub async fn wait_answered(
    probe: &reqwest::Client,
    url: &str,
    since: Instant,
) -> anyhow::Result<Duration> {
    let deadline = since + Duration::from_secs(30);
    loop {
        if let Ok(response) = probe.get(url).send().await
            && response.status().is_success()
        {
            return Ok(since.elapsed());
        }
        if Instant::now() > deadline {
            bail!("{url} did not answer within 30 s");
        }
        // tokio's timer ticks in whole milliseconds: a tenth of one on a blocking thread keeps
        // the probe's own delay out of a start that takes a few.
        tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_micros(100))).await?;
    }
}

/// A probe that accepts any server certificate: readiness is about an answer, not trust.
pub fn probe() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()?)
}

/// One certificate from pebble by lego: a fresh account (a fresh `--path`), an RSA-2048 key,
/// http-01. The wall time of the lego process.
pub async fn lego_once(
    lego: &Path,
    config: &PebbleConfig,
    path: &Path,
) -> anyhow::Result<Duration> {
    let port = free_port()?;
    let started = Instant::now();
    let output = Command::new(lego)
        .env("LEGO_CA_CERTIFICATES", &config.certificate)
        .args(["--accept-tos", "--email", "bench@example.jp", "--server"])
        .arg(&config.directory)
        .arg("--path")
        .arg(path)
        .args(["--key-type", "rsa2048", "--domains", "bench.example.test"])
        .args(["--http", "--http.port"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .context("running lego")?;
    let took = started.elapsed();
    if !output.status.success() {
        bail!(
            "lego failed: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    Ok(took)
}
