//! The `cert-client` binary: a thin CLI over the library.

use std::{
    io::IsTerminal as _,
    path::{Path, PathBuf},
    process::ExitCode,
    sync::{Arc, Mutex},
};

use clap::{Args, Parser, Subcommand};
use client::{
    Error, Event, Invitation, Options, Store,
    console::{Console, Style},
    error::exit,
    export, mailbox,
    prompt::{AssumeYes, Overriding, Prompter, Question, Terminal, parse_answer},
    site,
};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  internal error
  2  bad usage (USAGE)
  3  the site refused (AUTH-FAILED, NO-VALID-REQUEST, STEP3-ONE-WAY, CERT-REQUEST-FAILED,
     CONFIRM-FORBIDDEN, COMPONENT-UNAVAILABLE, and the site's other errors)
  4  the user said no, or stopped it (CSR-GENERATION-FAILED, ENROLL-CANCELLED, INTERRUPTED)
  5  a trust check failed (ROOT-MISMATCH)
  6  network or protocol (NETWORK, PROTOCOL)
  7  the store (REINSTALL-NOT-FOUND, STORE: unwritable, or damaged as `doctor` reports;
     DATA-NOT-FOR-THIS-PC: the data is not encrypted to a key of this store)
  8  input: the mails, a key the client cannot make, a file it cannot open (MAILDIR,
     KEY-UNSUPPORTED, DATA-UNREADABLE)

Errors print as `error[ID]: <the guide's message>`, the guide's remedy, and an English line;
with --json, as the final JSON object {\"result\": \"error\", \"id\": …, \"exit_code\": …}.";

#[derive(Parser)]
#[command(
    name = "cert-client",
    version,
    about = "Enroll for a client certificate at the issuance site, and keep it in a local store",
    long_about = "Enroll for a client certificate at the issuance site (証明書発行サイト), as the issuance \
guide walks it: the two mails, login, CSP and key length, the root CA checked against the repository \
page, the key made and stored before its request leaves, the certificate installed beside its key, \
and the confirmation page (証明書確認ページ). The store never loses a key.",
    after_help = EXIT_CODES
)]
struct Cli {
    /// The certificate store directory [default: $XDG_DATA_HOME/cert-client].
    #[arg(long, env = "CERT_CLIENT_STORE", global = true)]
    store: Option<PathBuf>,
    /// Machine output: JSON lines of events, then one result object (also for errors).
    #[arg(long, global = true)]
    json: bool,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Enroll: log in, install the root, make the key, install the certificate, confirm it.
    Enroll(Enroll),
    /// List the certificates in the store (STORE-LIST, STORE-NEWEST, CHAIN-INCOMPLETE).
    List,
    /// Open the confirmation page with the store's current certificate (STEP4-CONFIRM,
    /// CONFIRM-SITE-LISTING).
    Confirm {
        /// The confirmation page's URL [default: the one of the last enrollment].
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        trust: Trust,
    },
    /// Check the connection to the site: a network fault or a site error (SITE-REACHABLE).
    CheckSite {
        /// The site's URL, or the URL of the 電子証明書の発行 URL のお知らせ mail.
        url: String,
        #[command(flatten)]
        trust: Trust,
    },
    /// Install a certificate by hand (a reinstall: REINSTALL-NOT-FOUND when it matches no
    /// pending key), or the issuing root from the site's repository page (CHAIN-INCOMPLETE).
    Install(Install),
    /// Export a certificate with its key as PKCS#12 under a passphrase; the only way a key leaves
    /// the store.
    Export(Export),
    /// Check the store: interrupted writes, keys without certificates, damaged files, pending
    /// requests. Reports; never repairs.
    Doctor,
    /// Documents the site delivers to you, encrypted to your certificate: only this PC's key
    /// opens them (DATA-DECRYPT).
    #[command(subcommand)]
    Data(Data),
}

#[derive(Subcommand)]
enum Data {
    /// List the documents the site holds for the store's current certificate (mTLS).
    List {
        #[command(flatten)]
        site: DataSite,
    },
    /// Download a document and decrypt it with the store's key into FILE (written whole or not
    /// at all, 0600); --raw keeps it encrypted (CMS EnvelopedData, DER).
    Fetch {
        /// The document's id, as `data list` shows it (doc-0001).
        id: String,
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Keep the encrypted CMS file as the site sent it, without decrypting.
        #[arg(long)]
        raw: bool,
        #[command(flatten)]
        site: DataSite,
    },
    /// Decrypt a CMS EnvelopedData file (DER or PEM; e.g. from `data fetch --raw` or
    /// `openssl cms -encrypt`) with a key of the store.
    Open {
        /// The encrypted file.
        file: PathBuf,
        /// Where to write the plain content.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Args)]
struct DataSite {
    /// The site's URL [default: the site of the last enrollment].
    #[arg(long)]
    url: Option<String>,
    #[command(flatten)]
    trust: Trust,
}

#[derive(Args)]
struct Trust {
    /// The site's TLS trust anchor (PEM) [default: the one of the last enrollment].
    #[arg(long, env = "CERT_CLIENT_SITE_CA")]
    site_ca: Option<PathBuf>,
}

#[derive(Args)]
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
    /// Answer one confirmation: issue, install-root or web-access, =yes or =no (repeatable);
    /// the others are asked, or answered by --yes.
    #[arg(long = "answer", value_name = "NAME=yes|no", value_parser = parse_answer)]
    answers: Vec<(String, bool)>,
    /// Disable the enrollment component: send no X-Enrollment-Component and make no key, as a
    /// browser without the component would (COMPONENT-UNAVAILABLE).
    #[arg(long, env = "CERT_CLIENT_NO_COMPONENT", value_parser = clap::builder::FalseyValueParser::new())]
    no_component: bool,
}

#[derive(Args)]
#[group(required = true, multiple = false, id = "what")]
struct Install {
    /// A certificate (PEM) to install beside its pending key.
    #[arg(long, group = "what")]
    certificate: Option<PathBuf>,
    /// The site whose issuing root to install, checked against its repository page.
    #[arg(long, group = "what", value_name = "SITE-URL")]
    root_from: Option<String>,
    #[command(flatten)]
    trust: Trust,
    /// Answer はい to the root install confirmation.
    #[arg(long, short)]
    yes: bool,
}

#[derive(Args)]
struct Export {
    /// The PKCS#12 file to write (0600; an existing file is never replaced).
    #[arg(long, value_name = "FILE")]
    p12: PathBuf,
    /// The certificate's serial [default: the current certificate].
    #[arg(long)]
    serial: Option<String>,
    /// Read the passphrase from this file's first line (else CERT_CLIENT_P12_PASSPHRASE, else
    /// asked on the terminal).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
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
        .with_ansi(
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .init();
    let console = Console::new(Style::detect(cli.json));
    match run(cli, &console).await {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            tracing::debug!(?error, "failed");
            console.error(&error);
            ExitCode::from(error.exit_code())
        }
    }
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

fn read_trust(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path)
        .map_err(|e| Error::Mail(format!("site trust anchor {}: {e}", path.display())))
}

/// The trust anchor given, else the one the last enrollment used.
fn trust_or_remembered(trust: &Trust, store: &Store) -> Result<Vec<u8>, Error> {
    match &trust.site_ca {
        Some(path) => read_trust(path),
        None => store
            .site()?
            .map(|site| site.site_ca.into_bytes())
            .ok_or_else(|| {
                Error::Usage("--site-ca is needed: no enrollment recorded in this store".into())
            }),
    }
}

async fn run(cli: Cli, console: &Console) -> Result<u8, Error> {
    let store = Store::open(store_dir(cli.store))?;
    tracing::info!(store = %store.path().display(), "store opened");
    match cli.command {
        Command::Enroll(args) => enroll(args, &store, console).await,
        Command::List => list(&store, console),
        Command::Confirm { url, trust } => {
            let url = match url {
                Some(url) => url,
                None => store.site()?.map(|site| site.confirm).ok_or_else(|| {
                    Error::Usage("--url is needed: no enrollment recorded in this store".into())
                })?,
            };
            let trust = trust_or_remembered(&trust, &store)?;
            let page = client::confirm(&url, &trust, &store, &mut |e| console.event(e)).await?;
            if console.style() != Style::Json {
                println!("    {}", page.listing);
                for listed in &page.certificates {
                    let marker = if listed.serial == page.holder.serial {
                        "*"
                    } else {
                        " "
                    };
                    println!(
                        "  {marker} {}  {}  {} - {}",
                        listed.subject, listed.serial, listed.not_before, listed.not_after
                    );
                }
            }
            console.result(&serde_json::json!({ "result": "ok", "confirmation": page }));
            Ok(exit::OK)
        }
        Command::CheckSite { url, trust } => {
            let trust = trust_or_remembered(&trust, &store)?;
            let reachable = site::check_site(&url, &trust).await?;
            console.say(
                "reachable",
                &format!(
                    "サイトに接続できました (the site answers): {} — {} ({})",
                    reachable.url, reachable.top.site, reachable.top.status
                ),
            );
            if let Some(page) = &reachable.page {
                console.say(
                    "page",
                    &format!("ページを表示できました (the page answers): {page}"),
                );
            }
            console.result(&serde_json::json!({ "result": "ok", "reachable": reachable }));
            Ok(exit::OK)
        }
        Command::Install(args) => install(args, &store, console).await,
        Command::Export(args) => {
            let passphrase = passphrase(args.passphrase_file.as_deref())?;
            let (exported, bytes) = export::pkcs12(&store, args.serial.as_deref(), &passphrase)?;
            export::write_new(&args.p12, &bytes)?;
            console.say(
                "exported",
                &format!(
                    "PKCS#12 に書き出しました (exported with its key{}): {} serial {} → {}",
                    if exported.with_root {
                        " and the root"
                    } else {
                        ""
                    },
                    exported.listed.subject,
                    exported.listed.serial,
                    args.p12.display()
                ),
            );
            console.say("note", "秘密鍵はこの PC の外に出ました: ファイルとパスフレーズを別々に保管してください (the key has left the store: keep the file and its passphrase apart)");
            console.result(&serde_json::json!({
                "result": "ok",
                "file": args.p12,
                "subject": exported.listed.subject,
                "serial": exported.listed.serial,
                "with_root": exported.with_root,
            }));
            Ok(exit::OK)
        }
        Command::Doctor => doctor(&store, console),
        Command::Data(command) => data(command, &store, console).await,
    }
}

/// The site's URL given, else the one of the last enrollment.
fn site_url(url: Option<String>, store: &Store) -> Result<String, Error> {
    match url {
        Some(url) => Ok(url),
        None => store.site()?.map(|site| site.confirm).ok_or_else(|| {
            Error::Usage("--url is needed: no enrollment recorded in this store".into())
        }),
    }
}

async fn data(command: Data, store: &Store, console: &Console) -> Result<u8, Error> {
    use client::data;
    match command {
        Data::List { site } => {
            let url = site_url(site.url, store)?;
            let trust = trust_or_remembered(&site.trust, store)?;
            let page = data::list(&url, &trust, store).await?;
            console.say(
                "documents",
                &format!(
                    "データ一覧 (documents for {}, serial {}): {} 件",
                    page.holder.subject,
                    page.holder.serial,
                    page.documents.len()
                ),
            );
            console.say("notice", &format!("    {}", page.notice));
            for d in &page.documents {
                console.say(
                    "document",
                    &format!(
                        "  {}  {}  {} bytes  {}  {}",
                        d.id, d.published_at, d.size, d.file_name, d.title
                    ),
                );
            }
            console.result(&serde_json::json!({ "result": "ok", "documents": page }));
        }
        Data::Fetch { id, out, raw, site } => {
            let url = site_url(site.url, store)?;
            let trust = trust_or_remembered(&site.trust, store)?;
            let envelope = data::fetch(&url, &trust, store, &id).await?;
            console.say(
                "downloaded",
                &format!(
                    "取得しました (downloaded {id}: CMS EnvelopedData, {} bytes)",
                    envelope.len()
                ),
            );
            if raw {
                data::write_file(&out, &envelope)?;
                console.say(
                    "kept",
                    &format!(
                        "暗号化されたまま保存しました (kept encrypted): {}",
                        out.display()
                    ),
                );
                console.result(&serde_json::json!({
                    "result": "ok", "document": id, "file": out, "bytes": envelope.len(), "raw": true,
                }));
                return Ok(exit::OK);
            }
            let opened = data::open(store, &envelope)?;
            data::write_file(&out, &opened.content)?;
            say_decrypted(console, &opened, &out);
            console.result(&serde_json::json!({
                "result": "ok", "document": id, "file": out, "bytes": opened.content.len(),
                "raw": false, "serial": opened.serial, "subject": opened.subject,
            }));
        }
        Data::Open { file, out } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| Error::DataUnreadable(format!("{}: {e}", file.display())))?;
            let opened = data::open(store, &bytes)?;
            data::write_file(&out, &opened.content)?;
            say_decrypted(console, &opened, &out);
            console.result(&serde_json::json!({
                "result": "ok", "file": out, "bytes": opened.content.len(),
                "serial": opened.serial, "subject": opened.subject,
            }));
        }
    }
    Ok(exit::OK)
}

fn say_decrypted(console: &Console, opened: &client::data::Opened, out: &Path) {
    console.say(
        "decrypted",
        &format!(
            "復号しました (decrypted with the key of {}, serial {}): {} ({} bytes)",
            opened.subject,
            opened.serial,
            out.display(),
            opened.content.len()
        ),
    );
}

async fn enroll(args: Enroll, store: &Store, console: &Console) -> Result<u8, Error> {
    let (url, password) = match (args.url, args.password, &args.maildir) {
        (Some(url), Some(password), _) => (url, password),
        (_, _, Some(maildir)) => {
            let found = mailbox::read_invitation(maildir)?;
            console.say(
                "mail",
                &format!(
                    "メールを読みました (read the two mails in {}): {}",
                    maildir.display(),
                    found.url
                ),
            );
            (found.url, found.password)
        }
        _ => {
            return Err(Error::Usage(
                "give --url and --password, or --maildir".into(),
            ));
        }
    };
    let invitation = Invitation {
        url,
        password,
        site_trust_pem: read_trust(&args.site_ca)?,
    };
    let mut options = Options::default();
    if args.no_component {
        options = options.without_component();
    }
    // For the harness and the reliability tests: hold there until killed, so that what a crash
    // at that point leaves behind can be looked at.
    if let Some(hold_at) = std::env::var("CERT_CLIENT_HOLD_AT")
        .ok()
        .and_then(|name| client::enrollment::Checkpoint::from_name(&name))
    {
        options = options.on_checkpoint(move |reached| {
            if reached == hold_at {
                hold(reached);
            }
            std::ops::ControlFlow::Continue(())
        });
    }
    let rest: Box<dyn Prompter> = if args.yes {
        Box::new(AssumeYes)
    } else {
        Box::new(Terminal)
    };
    let mut prompter = Shown {
        inner: Overriding::new(args.answers, rest),
        yes: args.yes,
        console: console.clone(),
    };

    // Ctrl-C: before a key is stored, the key and request were not made (CSR-GENERATION-FAILED);
    // after, the key is kept and a new enroll takes it up.
    let stored: Arc<Mutex<Option<String>>> = Arc::default();
    let on_interrupt = (stored.clone(), console.clone());
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let (stored, console) = on_interrupt;
            let pending = stored.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let error = match pending {
                None => Error::CsrGenerationFailed(
                    "interrupted (Ctrl-C) before the key and request were made".into(),
                ),
                Some(pending) => Error::Interrupted { pending },
            };
            console.error(&error);
            std::process::exit(i32::from(error.exit_code()));
        }
    });
    let mut observe = |event: &Event| {
        if let Event::KeyStored { id, .. } = event {
            *stored.lock().unwrap_or_else(|p| p.into_inner()) = Some(id.clone());
        }
        console.event(event);
    };
    let outcome =
        client::enroll_with(&invitation, &options, store, &mut prompter, &mut observe).await?;
    if console.style() != Style::Json {
        println!(
            "完了しました (done): {} serial {} in {}",
            outcome.subject,
            outcome.serial,
            store.path().display()
        );
    }
    console.result(&outcome.to_json());
    Ok(exit::OK)
}

async fn install(args: Install, store: &Store, console: &Console) -> Result<u8, Error> {
    if let Some(path) = &args.certificate {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| Error::Mail(format!("{}: {e}", path.display())))?;
        let installed = store.reinstall(&pem)?;
        console.event(&Event::Installed {
            subject: installed.subject.clone(),
        });
        console.result(&serde_json::json!({
            "result": "ok",
            "subject": installed.subject,
            "serial": installed.serial,
        }));
        return Ok(exit::OK);
    }
    let Some(url) = &args.root_from else {
        return Err(Error::Usage("give --certificate or --root-from".into()));
    };
    let trust = trust_or_remembered(&args.trust, store)?;
    let rest: Box<dyn Prompter> = if args.yes {
        Box::new(AssumeYes)
    } else {
        Box::new(Terminal)
    };
    let mut prompter = Shown {
        inner: Overriding::new(Vec::new(), rest),
        yes: args.yes,
        console: console.clone(),
    };
    client::enrollment::install_published_root(url, &trust, store, &mut prompter, &mut |e| {
        console.event(e)
    })
    .await?;
    console.result(&serde_json::json!({ "result": "ok" }));
    Ok(exit::OK)
}

fn list(store: &Store, console: &Console) -> Result<u8, Error> {
    let survey = store.survey()?;
    if console.style() == Style::Json {
        let certificates: Vec<_> = survey.listed.iter().map(|l| l.to_json()).collect();
        let mut result = if survey.damage.is_empty() {
            serde_json::json!({ "result": "ok" })
        } else {
            Error::StoreDamaged(survey.damage.len()).to_json()
        };
        result["certificates"] = certificates.into();
        result["damage"] = damage_json(&survey.damage);
        println!("{result}");
        return Ok(if survey.damage.is_empty() {
            exit::OK
        } else {
            exit::STORE
        });
    }
    if survey.listed.is_empty() {
        println!(
            "証明書はありません (no certificates in {})",
            store.path().display()
        );
    }
    for entry in &survey.listed {
        println!("{entry}");
    }
    report_damage(store, &survey, console)
}

fn doctor(store: &Store, console: &Console) -> Result<u8, Error> {
    let survey = store.survey()?;
    if console.style() == Style::Json {
        let pending: Vec<_> = survey
            .pending
            .iter()
            .map(|p| {
                serde_json::json!({
                    "id": p.id(),
                    "application_url": p.record().application_url,
                    "created": p.record().created,
                    "answered": p.answer().is_some(),
                })
            })
            .collect();
        let mut result = if survey.damage.is_empty() {
            serde_json::json!({ "result": "ok" })
        } else {
            Error::StoreDamaged(survey.damage.len()).to_json()
        };
        result["certificates"] = survey.listed.len().into();
        result["pending"] = pending.into();
        result["damage"] = damage_json(&survey.damage);
        println!("{result}");
        return Ok(if survey.damage.is_empty() {
            exit::OK
        } else {
            exit::STORE
        });
    }
    println!(
        "ストア (store) {}: 証明書 {} 件 (certificate(s)), 申請中 {} 件 (pending request(s))",
        store.path().display(),
        survey.listed.len(),
        survey.pending.len()
    );
    for pending in &survey.pending {
        let state = if pending.answer().is_some() {
            "証明書が届いています: `cert-client enroll` で再開するとインストールします (its certificate arrived: enroll again to install it)"
        } else {
            "回答待ち (no certificate yet: enroll again to resume)"
        };
        println!(
            "  pending/{} {} {}: {state}",
            pending.id(),
            pending.record().created,
            pending.record().application_url
        );
    }
    if survey.damage.is_empty() {
        println!("問題はありません (no problems)");
    }
    report_damage(store, &survey, console)
}

fn damage_json(damage: &[client::store::Damage]) -> serde_json::Value {
    damage
        .iter()
        .map(|d| serde_json::json!({ "path": d.path, "what": d.what }))
        .collect::<Vec<_>>()
        .into()
}

/// Damage is reported, and makes the command fail, but is never repaired here.
fn report_damage(
    store: &Store,
    survey: &client::store::Survey,
    console: &Console,
) -> Result<u8, Error> {
    for damage in &survey.damage {
        let shown = damage
            .path
            .strip_prefix(store.path())
            .unwrap_or(&damage.path);
        console.warn("damage", &format!("{}: {}", shown.display(), damage.what));
    }
    if survey.damage.is_empty() {
        Ok(exit::OK)
    } else {
        Err(Error::StoreDamaged(survey.damage.len()))
    }
}

fn passphrase(file: Option<&Path>) -> Result<String, Error> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::Mail(format!("{}: {e}", file.display())))?;
        return Ok(text.lines().next().unwrap_or_default().to_owned());
    }
    if let Ok(passphrase) = std::env::var("CERT_CLIENT_P12_PASSPHRASE") {
        return Ok(passphrase);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "a passphrase is needed: --passphrase-file or CERT_CLIENT_P12_PASSPHRASE".into(),
        ));
    }
    eprint!("パスフレーズ (passphrase): ");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::Usage(format!("passphrase: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Shows each question answered without asking (--yes, --answer), and pauses the spinner for a
/// question asked on the terminal.
struct Shown {
    inner: Overriding<Box<dyn Prompter>>,
    yes: bool,
    console: Console,
}

impl Prompter for Shown {
    fn confirm(&mut self, question: &Question) -> bool {
        self.console.pause();
        if let Some(answer) = self.inner.given(question) {
            self.console.answered(question, answer, "--answer");
            return answer;
        }
        let answer = self.inner.confirm(question);
        if self.yes {
            self.console.answered(question, answer, "--yes");
        }
        answer
    }
}

/// Says so on stderr and waits to be killed (`CERT_CLIENT_HOLD_AT`).
fn hold(at: client::enrollment::Checkpoint) -> ! {
    use std::io::Write as _;
    eprintln!("{}{}", client::enrollment::HOLDING, at.name());
    let _ = std::io::stderr().flush();
    loop {
        std::thread::park();
    }
}
