//! Test support: the binaries (test-support's, built on demand), sites on the checked-in root, a
//! mock-ca process guard, and optional outside tools.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

/// A binary of the workspace, built on demand into this test's target directory.
pub use test_support::binary;

/// An in-process site builder on the checked-in root (fixtures/pki/root): no test makes a root.
pub fn site() -> mock_ca::Builder {
    mock_ca::MockCa::builder().ca_dir(test_support::pki::root_dir())
}

/// Whether a tool is on PATH.
pub fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A running `mock-ca serve`; killed on drop.
pub struct SiteProcess {
    child: Child,
    /// The base URL it printed first.
    pub url: String,
    /// The confirmation site's base URL, printed second.
    pub confirm_url: String,
    /// Its state directory.
    pub state: PathBuf,
}

impl SiteProcess {
    /// Starts `mock-ca serve --config CONFIG --state-dir STATE --port 0` on the checked-in root
    /// (`--ca-dir`) and waits for `ready`.
    pub fn start(config: &Path, state: &Path) -> Self {
        let mut child = Command::new(binary("mock-ca"))
            .args(["serve", "--port", "0", "--config"])
            .arg(config)
            .arg("--state-dir")
            .arg(state)
            .arg("--ca-dir")
            .arg(test_support::pki::root_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("mock-ca starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = lines
            .next()
            .and_then(Result::ok)
            .expect("mock-ca prints its URL first");
        assert!(
            url.starts_with("https://127.0.0.1:"),
            "first line is the URL: {url}"
        );
        let mut confirm_url = None;
        loop {
            assert!(Instant::now() < deadline, "mock-ca did not become ready");
            match lines.next() {
                Some(Ok(line)) if line == "ready" => break,
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("confirmation site: ") {
                        confirm_url = Some(url.to_owned());
                    }
                }
                _ => panic!("mock-ca exited before it was ready"),
            }
        }
        Self {
            child,
            url,
            confirm_url: confirm_url.expect("mock-ca prints its confirmation site"),
            state: state.to_path_buf(),
        }
    }
}

impl Drop for SiteProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `cert-client` with a store, returning its output.
pub fn cert_client(store: &Path, args: &[&str]) -> Output {
    Command::new(binary("cert-client"))
        .arg("--store")
        .arg(store)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("cert-client runs")
}

/// A config with one approved application.
pub fn one_approved_application(dir: &Path) -> PathBuf {
    let path = dir.join("site.toml");
    std::fs::write(
        &path,
        r#"
[[application]]
applicant = "山田 太郎"
email = "taro@example.jp"
subject = [["C", "JP"], ["O", "Example Securities"], ["CN", "Taro Yamada"]]
approve = true
"#,
    )
    .expect("config written");
    path
}

/// Runs `cert-client` with a store and extra environment, returning its output.
pub fn cert_client_env(store: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(binary("cert-client"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("CERT_CLIENT_SITE_CA")
        .env_remove("CERT_CLIENT_NO_COMPONENT")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("cert-client runs")
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}
