//! The `mock-ca` binary: serves the mock issuance site until interrupted.

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use mock_ca::{Config, MockCa, Profile};

#[derive(Parser)]
#[command(
    name = "mock-ca",
    version,
    about = "A mock certificate issuance site and root CA"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site over HTTPS. The first line printed is the issuance site's URL, the second
    /// the confirmation site's; `ready` follows when both answer.
    Serve(Serve),
    /// The site profile: the words, pages, mails and rules of a version of the guide.
    #[command(subcommand)]
    Profile(ProfileCommand),
}

#[derive(Subcommand)]
enum ProfileCommand {
    /// Write the default profile (the guide v3.10's) to DIR, to start a new one from: edit
    /// `DIR/profile.toml` and `DIR/templates/`, then `mock-ca serve --profile DIR`.
    Export {
        /// A directory that holds no profile yet (made if missing).
        dir: PathBuf,
    },
    /// Check the profile in DIR as `serve --profile DIR` would, and say what it is.
    Check {
        /// The profile's directory.
        dir: PathBuf,
    },
}

#[derive(clap::Args)]
struct Serve {
    /// A TOML file with the policy and applications to file at start (see README).
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// The site profile directory (default: `[site] profile` of the config, else the embedded
    /// guide v3.10 profile).
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// The issuance site's port; 0 picks a free one.
    #[arg(long, short, default_value_t = 0)]
    port: u16,
    /// The confirmation site's port (証明書確認サイト: /confirm, /documents); 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    confirm_port: u16,
    /// Where to keep the Maildir, `site-ca.pem` and `root.pem` (default: the data directory, else
    /// a temporary directory removed at exit).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Keep the CA, the site's TLS identity, the applications, the issued certificates and the
    /// outbox here across restarts (default: nothing is kept).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Also deliver every mail to this SMTP server (`smtp://host:port`).
    #[arg(long)]
    smtp: Option<String>,
    /// The back office approves filed applications by itself, on its processing schedule.
    #[arg(long)]
    auto_approve: bool,
    /// Start with the site's clock frozen at this RFC 3339 time (default: the system's time).
    #[arg(long, value_parser = parse_time)]
    clock: Option<time::OffsetDateTime>,
    /// Load the root CA from this directory (`root.pem`, `root.key.pem`), or make and save it there.
    #[arg(long)]
    ca_dir: Option<PathBuf>,
    /// The admin API's bearer token (default: from the config, else random).
    #[arg(long, env = "MOCK_CA_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// Repeatable passwords, tokens and serials.
    #[arg(long)]
    seed: Option<u64>,
    /// Demo mode: serve the mailbox page (/mailbox), where a browser demo starts; loopback only.
    #[arg(long)]
    demo: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MOCK_CA_LOG")
                .unwrap_or_else(|_| "mock_ca=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(serve) => run(serve).await,
        Command::Profile(ProfileCommand::Export { dir }) => {
            Profile::default()
                .export(&dir)
                .map_err(|e| anyhow::anyhow!("{e} [{}]", e.code()))?;
            println!("{}", dir.display());
            Ok(())
        }
        Command::Profile(ProfileCommand::Check { dir }) => {
            let profile = load_profile(&dir)?;
            println!(
                "{}: {} (guide {}), {} screens, {} ids, {} extra pages",
                dir.display(),
                profile.profile.name,
                profile.profile.guide,
                profile.screen.len(),
                profile.message.len(),
                profile.page.len()
            );
            Ok(())
        }
    }
}

fn load_profile(dir: &std::path::Path) -> anyhow::Result<Profile> {
    Profile::load(dir).map_err(|e| anyhow::anyhow!("profile {}: {e} [{}]", dir.display(), e.code()))
}

async fn run(serve: Serve) -> anyhow::Result<()> {
    let config = match &serve.config {
        Some(path) => Config::parse(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("in {}", path.display()))?,
        None => Config::default(),
    };
    let (state_dir, _temporary) = match serve.state_dir.as_ref().or(serve.data_dir.as_ref()) {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            (dir.clone(), None)
        }
        None => {
            let dir = tempfile::Builder::new().prefix("mock-ca-").tempdir()?;
            (dir.path().to_path_buf(), Some(dir))
        }
    };
    let maildir = state_dir.join("maildir");
    // `--profile` as given; `[site] profile` relative to the config file.
    let profile_dir = serve.profile.clone().or_else(|| {
        let dir = config.site.profile.as_ref()?;
        let base = serve.config.as_ref()?.parent()?;
        Some(base.join(dir))
    });
    let profile = match &profile_dir {
        Some(dir) => load_profile(dir)?,
        None => Profile::default(),
    };
    let policy = config.policy_over(profile.site_policy()).with_context(|| {
        format!(
            "in {}",
            serve
                .config
                .as_deref()
                .unwrap_or_else(|| std::path::Path::new("the config"))
                .display()
        )
    })?;

    let mut builder = MockCa::builder()
        .bind(SocketAddr::new(serve.bind, serve.port))
        .confirm_bind(SocketAddr::new(serve.bind, serve.confirm_port))
        .maildir(&maildir)
        .profile(profile)
        .policy(policy)
        .auto_approve(serve.auto_approve || config.mail.auto_approve)
        .demo(serve.demo);
    if let Some(url) = serve.smtp.as_ref().or(config.mail.smtp.as_ref()) {
        builder = builder.smtp(url);
    }
    if let Some(dir) = &serve.data_dir {
        builder = builder.data_dir(dir);
    }
    if let Some(at) = serve.clock {
        builder = builder.clock(std::sync::Arc::new(mock_ca::Clock::frozen(at)));
    }
    if let Some(token) = serve.admin_token.or(config.admin_token.clone()) {
        builder = builder.admin_token(token);
    }
    if let Some(dir) = &serve.ca_dir {
        builder = builder.ca_dir(dir);
    }
    if let Some(seed) = serve.seed {
        builder = builder.seed(seed);
    }
    for application in &config.applications {
        builder = builder.application(application.form(), application.approve);
    }
    let site = builder.start().await?;

    let site_ca = state_dir.join("site-ca.pem");
    let root = state_dir.join("root.pem");
    std::fs::write(&site_ca, site.site_trust_pem())?;
    std::fs::write(&root, site.root_pem())?;
    // Both URLs for scripts that start the site and read its state directory.
    let urls = serde_json::json!({
        "url": site.url(),
        "confirm_url": site.confirm_url(),
        "site_ca": site_ca,
        "root": root,
        "maildir": maildir,
    });
    std::fs::write(state_dir.join("site.json"), format!("{urls:#}\n"))?;

    // The URL alone on the first line, so a script can read it; the rest describes the run.
    println!("{}", site.url());
    println!("confirmation site: {}", site.confirm_url());
    println!("site trust anchor: {}", site_ca.display());
    println!("issuing root:      {}", root.display());
    println!("maildir:           {}", maildir.display());
    println!("admin token:       {}", site.admin_token());
    if serve.demo {
        println!("mailbox:           {}/mailbox", site.url());
    }
    let applications: Vec<String> = site
        .applicants()
        .iter()
        .map(|a| format!("{} {} ({})", a.id(), a.url(), a.state().name()))
        .collect();
    for application in applications {
        println!("application:       {application}");
    }
    println!("ready");
    std::io::Write::flush(&mut std::io::stdout())?;

    shutdown_signal().await?;
    eprintln!("mock-ca: shutting down");
    site.shutdown().await;
    eprintln!("mock-ca: stopped");
    Ok(())
}

/// Waits for SIGINT or SIGTERM.
async fn shutdown_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing a SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing a SIGINT handler")?;
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = term.recv() => {}
    }
    Ok(())
}

fn parse_time(text: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("not an RFC 3339 time: {e}"))
}
