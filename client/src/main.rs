//! The `cert-client` binary: a thin CLI over the library.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use client::{
    Error, Invitation, Store,
    error::exit,
    mailbox,
    prompt::{AssumeYes, Prompter, Terminal},
};

#[derive(Parser)]
#[command(
    name = "cert-client",
    version,
    about = "Enroll for a client certificate at the issuance site, and keep it in a local store",
    after_help = "Exit codes: 0 ok, 1 internal, 2 usage, 3 the site refused, 4 cancelled, 5 trust check failed, 6 network or protocol, 7 store, 8 input (mail, key spec)."
)]
struct Cli {
    /// The certificate store directory.
    #[arg(long, env = "CERT_CLIENT_STORE", global = true)]
    store: Option<PathBuf>,
    /// More log output (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Enroll: log in, install the root, make the key, install the certificate, confirm it.
    Enroll(Enroll),
    /// List the certificates in the store (STORE-LIST).
    List,
    /// Open the confirmation page with the store's current certificate (STEP4-CONFIRM).
    Confirm {
        /// The confirmation page's URL (e.g. https://127.0.0.1:4443/confirm).
        #[arg(long)]
        url: String,
        /// The site's TLS trust anchor (PEM).
        #[arg(long, env = "CERT_CLIENT_SITE_CA")]
        site_ca: PathBuf,
    },
}

#[derive(clap::Args)]
struct Enroll {
    /// The URL from 電子証明書の発行 URL のお知らせ.
    #[arg(long, requires = "password", conflicts_with = "maildir")]
    url: Option<String>,
    /// The password from 電子証明書の発行パスワードのお知らせ.
    #[arg(long, requires = "url")]
    password: Option<String>,
    /// Read the URL and the password from the two mails in this Maildir.
    #[arg(long, required_unless_present = "url")]
    maildir: Option<PathBuf>,
    /// The site's TLS trust anchor (PEM).
    #[arg(long, env = "CERT_CLIENT_SITE_CA")]
    site_ca: PathBuf,
    /// Answer はい to every confirmation (for scripts).
    #[arg(long, short)]
    yes: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "cert_client=info,client=info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(cli).await {
        Ok(()) => ExitCode::from(exit::OK),
        Err(error) => {
            report(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

fn report(error: &Error) {
    eprintln!("error[{}]: {}", error.id(), error.message());
    if let Some(remedy) = error.remedy() {
        eprintln!("  → {remedy}");
    }
    eprintln!("  ({})", error.english());
}

fn store_dir(cli_store: Option<PathBuf>) -> PathBuf {
    cli_store.unwrap_or_else(|| {
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("cert-client")
    })
}

fn read_trust(path: &PathBuf) -> Result<Vec<u8>, Error> {
    std::fs::read(path)
        .map_err(|e| Error::Mail(format!("site trust anchor {}: {e}", path.display())))
}

async fn run(cli: Cli) -> Result<(), Error> {
    let store = Store::open(store_dir(cli.store))?;
    let mut print = |event: &client::Event| println!("{event}");
    match cli.command {
        Command::Enroll(args) => {
            let (url, password) = match (args.url, args.password, &args.maildir) {
                (Some(url), Some(password), _) => (url, password),
                (_, _, Some(maildir)) => {
                    let found = mailbox::read_invitation(maildir)?;
                    println!(
                        "メールを読みました (read the two mails in {}): {}",
                        maildir.display(),
                        found.url
                    );
                    (found.url, found.password)
                }
                _ => unreachable!("clap requires --url and --password, or --maildir"),
            };
            let invitation = Invitation {
                url,
                password,
                site_trust_pem: read_trust(&args.site_ca)?,
            };
            let mut prompter: Box<dyn Prompter> = if args.yes {
                Box::new(AnsweringYes)
            } else {
                Box::new(Terminal)
            };
            let outcome =
                client::enroll(&invitation, &store, prompter.as_mut(), &mut print).await?;
            println!(
                "完了しました (done): {} serial {} in {}",
                outcome.subject,
                outcome.serial,
                store.path().display()
            );
        }
        Command::List => {
            let listed = store.list()?;
            if listed.is_empty() {
                println!(
                    "証明書はありません (no certificates in {})",
                    store.path().display()
                );
            }
            for entry in listed {
                println!("{entry}");
            }
        }
        Command::Confirm { url, site_ca } => {
            let trust = read_trust(&site_ca)?;
            client::confirm(&url, &trust, &store, &mut print).await?;
        }
    }
    Ok(())
}

/// `--yes`: prints each question with the answer given, so a log shows what was agreed to.
struct AnsweringYes;

impl Prompter for AnsweringYes {
    fn confirm(&mut self, question: &client::prompt::Question) -> bool {
        println!("  ? {}\n    → はい (--yes)", question.text());
        AssumeYes.confirm(question)
    }
}
