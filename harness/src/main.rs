//! The `harness` binary: list, run and report scenarios; reproduce a catalogue case for support.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use harness::{Scenario, Shots, Target, Verdict, catalogue, fixtures_dir, report, suite};

#[derive(Parser)]
#[command(
    name = "harness",
    version,
    about = "Conformance scenarios for the mock issuance site and cert-client"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One line per scenario: its name and the catalogue ids it covers.
    List {
        /// JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Run scenarios: all, or those named / covering the ids given.
    Run(RunArgs),
    /// What a site change does to the client: run the scenarios against a site with each of two
    /// profiles and name those whose transcripts (or checks) change, with the diff. Exits 1 when
    /// any changes, 0 when none does.
    Compare(CompareArgs),
    /// Support: run the case for one catalogue id and show what the user saw and what to do.
    Reproduce {
        /// A catalogue id, e.g. AUTH-FAILED.
        #[arg(required_unless_present = "search")]
        id: Option<String>,
        /// With --target: where the case's files go (its mails, stores, a PKCS#12 to import);
        /// default `reproduce/<ID>` in the current directory (`-2`, `-3`… when taken).
        #[arg(long, value_name = "DIR", requires = "target")]
        out: Option<PathBuf>,
        /// Instead: find the ids whose message, remedy or FAQ question hold these words (what the
        /// customer read out; full-width or half-width, spaces and punctuation do not matter).
        #[arg(long, value_name = "WORDS", conflicts_with = "id")]
        search: Option<String>,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Compare a recording of a site (a HAR with contents, as DevTools' "Save all as HAR with
    /// content" writes it) with a site profile: per screen, page and message, same, changed,
    /// gone, new, or not visited. Exit code 0: no drift; 1: drift; 2: bad arguments or input.
    Drift(DriftArgs),
}

#[derive(Args)]
struct DriftArgs {
    /// The recording (.har). It holds the login's password: drift never prints or writes it.
    recording: PathBuf,
    /// The profile to compare with (a directory with profile.toml); default: the guide v3.10's,
    /// built into mock-ca.
    #[arg(long, value_name = "DIR")]
    profile: Option<PathBuf>,
    /// Also write the report as one HTML page here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write a copy of the profile with the recording's changes taken in, into this new
    /// directory, for a person to review.
    #[arg(long, value_name = "NEW")]
    write_profile: Option<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    /// Scenario names, files, or catalogue ids.
    selectors: Vec<String>,
    /// Write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write the HTML report (in Japanese, for support: by FAQ question and by message, with
    /// the screenshots of the browser scenarios) into this directory.
    #[arg(long)]
    html: Option<PathBuf>,
    /// The browser steps' screenshots: what each step ended on (`steps`), or every page and
    /// dialog on the way too (`pages`; the default with --html).
    #[arg(long, value_enum, value_name = "WHICH")]
    screenshots: Option<Shots>,
    /// Scenarios run at once (in-process only).
    #[arg(long, short, default_value_t = 4)]
    jobs: usize,
    /// Print the transcripts.
    #[arg(long, short)]
    verbose: bool,
    /// Do not compare transcripts with fixtures/snapshots.
    #[arg(long)]
    no_snapshots: bool,
    /// Leave out the scenarios with a browser step (headless Chromium).
    #[arg(long)]
    no_browser: bool,
    /// The cert-client binary under test (default: the one beside the harness, built with
    /// cargo first when the harness runs from its workspace and it is missing).
    #[arg(long, value_name = "PATH")]
    client: Option<PathBuf>,
    #[command(flatten)]
    target: TargetArgs,
}

#[derive(Args)]
struct CompareArgs {
    /// Scenario names, files, or catalogue ids (default: all).
    selectors: Vec<String>,
    /// A site profile directory, or `default` (the embedded guide v3.10 profile): twice, A then B.
    #[arg(long = "profile", value_name = "DIR", required = true)]
    profiles: Vec<String>,
    /// Scenarios run at once.
    #[arg(long, short, default_value_t = 4)]
    jobs: usize,
    /// Leave out the scenarios with a browser step (headless Chromium).
    #[arg(long)]
    no_browser: bool,
    /// The cert-client binary under test (as for `run`).
    #[arg(long, value_name = "PATH")]
    client: Option<PathBuf>,
}

#[derive(Args)]
struct TargetArgs {
    /// Run against a mock-ca started elsewhere (its URL), instead of one in-process per scenario.
    #[arg(long, requires_all = ["admin_token", "site_ca"])]
    target: Option<String>,
    /// That site's admin token.
    #[arg(long, env = "MOCK_CA_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// That site's TLS trust anchor (its state directory's site-ca.pem).
    #[arg(long)]
    site_ca: Option<PathBuf>,
}

impl TargetArgs {
    fn target(&self) -> anyhow::Result<Target> {
        Ok(match (&self.target, &self.admin_token, &self.site_ca) {
            (Some(url), Some(token), Some(ca)) => Target::Remote {
                url: url.clone(),
                admin_token: token.clone(),
                site_trust_pem: std::fs::read(ca)
                    .with_context(|| format!("reading {}", ca.display()))?,
            },
            _ => Target::InProcess,
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    if let Command::Drift(args) = &cli.command {
        // Its own exit codes: an unreadable input is 2, as a usage error is, not 1 (drift);
        // and it reads no scenario.
        return Ok(drift(args).unwrap_or_else(|e| {
            eprintln!("harness drift: {e:#}");
            ExitCode::from(2)
        }));
    }
    let scenarios = Scenario::discover(&fixtures_dir().join("scenarios"))?;
    match cli.command {
        Command::List { json } => {
            if json {
                let list: Vec<serde_json::Value> = scenarios
                    .iter()
                    .map(|s| serde_json::json!({"name": s.name, "area": s.area, "covers": s.covers, "summary": s.summary, "known_failure": s.known_failure()}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for s in &scenarios {
                    println!("{}/{}\t{}", s.area, s.name, s.covers.join(" "));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => run(args, scenarios).await,
        // As drift: 1 means the sides differ, so a profile that cannot be read is 2.
        Command::Compare(args) => Ok(compare(args, scenarios).await.unwrap_or_else(|e| {
            eprintln!("harness compare: {e:#}");
            ExitCode::from(2)
        })),
        Command::Reproduce {
            id,
            search,
            target,
            out,
        } => match (search, id) {
            (Some(words), _) => search_catalogue(&words),
            (None, Some(id)) if target.target.is_some() => stage(&id, &target, out).await,
            (None, Some(id)) => reproduce(&id, &target, scenarios).await,
            // clap requires one of them; said again rather than assumed.
            (None, None) => anyhow::bail!("give a catalogue id, or --search WORDS"),
        },
        // Answered above, before the scenarios are read.
        Command::Drift(_) => Ok(ExitCode::from(2)),
    }
}

async fn compare(args: CompareArgs, scenarios: Vec<Scenario>) -> anyhow::Result<ExitCode> {
    let [a, b] = args.profiles.as_slice() else {
        anyhow::bail!(
            "give --profile twice (A, then B; a directory or `default`), not {} times",
            args.profiles.len()
        );
    };
    let open = |name: &str| {
        harness::compare::Side::open(name)
            .map_err(|e| anyhow::anyhow!("profile {name}: {e} [{}]", e.code()))
    };
    let (a, b) = (open(a)?, open(b)?);
    if let Some(client) = &args.client {
        harness::runner::use_cert_client(client.clone())?;
    }
    let mut chosen = suite::select(scenarios, &args.selectors).map_err(anyhow::Error::msg)?;
    if args.no_browser {
        chosen.retain(|s| !s.uses_browser());
    }
    let comparison = harness::compare::compare(chosen, [&a, &b], args.jobs).await?;
    print!("{}", comparison.render());
    Ok(if comparison.changed().next().is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `drift RECORDING.har`: the report, the HTML, the new profile; 0 no drift, 1 drift.
fn drift(args: &DriftArgs) -> anyhow::Result<ExitCode> {
    use harness::drift;
    let profile = match &args.profile {
        Some(dir) => mock_ca::Profile::load(dir)
            .with_context(|| format!("loading the profile {}", dir.display()))?,
        None => mock_ca::Profile::default(),
    };
    if let Some(new) = &args.write_profile
        && new.exists()
        && new
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        anyhow::bail!(
            "{} exists and is not empty: give a new directory",
            new.display()
        );
    }
    let recording = drift::Recording::read(&args.recording)?;
    let name = args.recording.file_name().map_or_else(
        || args.recording.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let found = drift::check(&recording, &profile);
    print!("{}", drift::terminal(&found, &name));
    if let Some(path) = &args.html {
        let page = drift::html(&found, &name)?;
        std::fs::write(path, page).with_context(|| format!("writing {}", path.display()))?;
        println!("HTML report: {}", path.display());
    }
    if let Some(dir) = &args.write_profile {
        drift::profile_with_changes(&profile, &found)
            .export(dir)
            .with_context(|| format!("writing the profile {}", dir.display()))?;
        println!(
            "profile with the changes taken in: {} (review it before use)",
            dir.display()
        );
    }
    Ok(if found.has_drift() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn run(args: RunArgs, scenarios: Vec<Scenario>) -> anyhow::Result<ExitCode> {
    if let Some(client) = &args.client {
        harness::runner::use_cert_client(client.clone())?;
    }
    let mut chosen = suite::select(scenarios, &args.selectors).map_err(anyhow::Error::msg)?;
    if args.no_browser {
        chosen.retain(|s| !s.uses_browser());
    }
    let target = args.target.target()?;
    let snapshots = fixtures_dir().join("snapshots");
    // The report shows support every page the customer saw; a run's artifacts are the steps' ends.
    let shots = args.screenshots.unwrap_or(if args.html.is_some() {
        Shots::Pages
    } else {
        Shots::Steps
    });
    let reports = suite::run(
        chosen,
        &target,
        args.jobs,
        (!args.no_snapshots).then_some(snapshots.as_path()),
        shots,
    )
    .await?;
    let mut unexpected = 0;
    for report in &reports {
        if args.verbose {
            println!("{}", report.transcript);
        }
        let verdict = report.verdict();
        let label = match verdict {
            Verdict::Passed => "PASS",
            Verdict::Failed => "FAIL",
            Verdict::KnownFailure => "XFAIL",
            Verdict::UnexpectedPass => "XPASS",
        };
        println!(
            "{label} {}/{} ({:.2} s)",
            report.area,
            report.name,
            report.duration.as_secs_f64()
        );
        if !verdict.is_ok() {
            unexpected += 1;
            for failure in &report.failures {
                // A snapshot's diff runs over several lines: kept under its item.
                println!("  - {}", failure.trim_end().replace('\n', "\n    "));
            }
            if verdict == Verdict::UnexpectedPass {
                println!("  - marked `expect = \"fail: …\"` but passed: remove the mark");
            }
        }
    }
    if let Some(path) = &args.junit {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, report::junit::render(&reports)?)?;
        println!("JUnit: {}", path.display());
    }
    if let Some(dir) = &args.html {
        let entries = catalogue::load(&fixtures_dir().join("catalogue.toml"))?;
        report::html::write(dir, &reports, &entries)?;
        println!("HTML report: {}", dir.join("index.html").display());
    }
    println!("{} passed, {unexpected} failed", reports.len() - unexpected);
    Ok(if unexpected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `reproduce --search WORDS`: the catalogue ids the words may be, best first.
fn search_catalogue(words: &str) -> anyhow::Result<ExitCode> {
    let entries = catalogue::load(&fixtures_dir().join("catalogue.toml"))?;
    let found = harness::search::search(&entries, words);
    if found.is_empty() {
        println!("「{words}」に当たるケースはありません (no catalogue case matches these words).");
        println!("Try fewer words, or the message's first words as the screen shows them.");
        return Ok(ExitCode::FAILURE);
    }
    println!("「{words}」に当たるケース (catalogue cases matching these words), best first:\n");
    for f in &found {
        let quality = if f.score >= 1.0 {
            "そのまま (whole)".to_owned()
        } else {
            format!("一部 (in part, {:.0}%)", f.score * 100.0)
        };
        println!(
            "  {:<24} {}: {}  [{quality}]",
            f.entry.id,
            f.field.label(),
            f.text
        );
    }
    let first = &found[0].entry.id;
    println!(
        "\nTo see the case: harness reproduce {first}   (in a running site: add --target URL)"
    );
    Ok(ExitCode::SUCCESS)
}

/// `reproduce ID --target URL`: the running site left in the case, and how to see it.
async fn stage(id: &str, target: &TargetArgs, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let entries = catalogue::load(&fixtures_dir().join("catalogue.toml"))?;
    let entry = entries
        .iter()
        .find(|e| e.id == id)
        .with_context(|| format!("{id} is not a catalogue id"))?;
    let Target::Remote {
        url,
        admin_token,
        site_trust_pem,
    } = target.target()?
    else {
        anyhow::bail!("--target needs --admin-token and --site-ca");
    };
    let out = match out {
        Some(dir) => dir,
        None => {
            let base = PathBuf::from("reproduce").join(id);
            (1..)
                .map(|n| {
                    if n == 1 {
                        base.clone()
                    } else {
                        PathBuf::from(format!("{}-{n}", base.display()))
                    }
                })
                .find(|p| !p.exists())
                .unwrap_or(base)
        }
    };
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let out = out.canonicalize()?;
    let stager = harness::staging::Stager::reach(&url, &admin_token, &site_trust_pem, &out).await?;
    let staged = stager.stage(id).await?;
    println!("{id} — guide {}", entry.guide);
    if let Some(message) = &entry.message {
        println!("ガイドの表示 (the guide's message): {message}");
    }
    println!();
    print!("{}", staged.describe());
    if let Some(recovery) = &entry.recovery {
        println!("\n対処 (the guide's remedy): {recovery}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn reproduce(
    id: &str,
    target: &TargetArgs,
    scenarios: Vec<Scenario>,
) -> anyhow::Result<ExitCode> {
    let entries = catalogue::load(&fixtures_dir().join("catalogue.toml"))?;
    let entry = entries
        .iter()
        .find(|e| e.id == id)
        .with_context(|| format!("{id} is not a catalogue id"))?;
    if entry.kind == "browser" && !scenarios.iter().any(|s| s.covers.iter().any(|c| c == id)) {
        // Only a browser shows it, and the harness drives no browser yet: say how to see it.
        println!("{id} — guide {}\n", entry.guide);
        println!("いつ (when): {}", entry.trigger);
        if let Some(recovery) = &entry.recovery {
            println!("対処 (the guide's remedy): {recovery}");
        }
        if let Some(ours) = &entry.ours {
            println!("この再現では (how this project reproduces it): {ours}");
        }
        println!(
            "\nOnly a browser shows this case. To see it: `make demo-web`, turn JavaScript off for the site \
             (Chromium: Settings → Privacy and security → Site settings → JavaScript), open the mailbox, \
             follow the URL and log in: step 2 shows the case. Checked by mock-ca's browser tests \
             (tests/integration/browser.rs)."
        );
        return Ok(ExitCode::SUCCESS);
    }
    // The scenario named after the id first, else the first that covers it.
    let wanted = id.to_lowercase();
    let scenario = scenarios
        .iter()
        .find(|s| s.name == wanted && s.covers.iter().any(|c| c == id))
        .or_else(|| scenarios.iter().find(|s| s.covers.iter().any(|c| c == id)))
        .with_context(|| format!("no scenario covers {id} yet"))?;
    let target_kind = target.target()?;
    // What the customer saw, page by page.
    let report = harness::run(scenario, &target_kind, Shots::Pages).await;
    // A browser scenario's Chromium, closed rather than left behind the process.
    harness::runner::browser::close_shared().await;
    let report = report?;

    println!("{id} — guide {}\n", entry.guide);
    println!("いつ (when): {}", entry.trigger);
    if let Some(message) = &entry.message {
        println!("ガイドの表示 (the guide's message): {message}");
    }
    println!(
        "\n利用者が見た画面 (what the user saw), from scenario {}/{}:",
        scenario.area, scenario.name
    );
    let shown: Vec<&str> = report
        .transcript
        .lines()
        .filter(|l| l.contains(id) || entry.message.as_deref().is_some_and(|m| l.contains(m)))
        .collect();
    if shown.is_empty() {
        println!("  (see the transcript below)");
    }
    for line in &shown {
        println!("  {line}");
    }
    if !report.screenshots.is_empty() {
        println!("\n画面のスクリーンショット (what the customer saw, in a browser):");
        for shot in &report.screenshots {
            println!(
                "  step {}: {}  {}",
                shot.step,
                shot.caption,
                shot.path.display()
            );
        }
    }
    if let Some(recovery) = &entry.recovery {
        println!("\n対処 (the guide's remedy): {recovery}");
    }
    if let Some(ours) = &entry.ours {
        println!("この再現では (how this project reproduces it): {ours}");
    }
    println!("\nブラウザで同じ状態を開くには (to open the same state in a browser):");
    println!(
        "  1. start a site:   cargo run -p mock-ca -- serve --state-dir /tmp/repro --admin-token support"
    );
    println!("  2. put it in this state:");
    println!(
        "     cargo run -p harness -- reproduce {id} --target <its URL> --admin-token support --site-ca /tmp/repro/site-ca.pem"
    );
    println!(
        "  3. open the application's URL (see `curl --cacert /tmp/repro/site-ca.pem -H 'Authorization: Bearer support' <URL>/admin/applications`)"
    );
    println!(
        "     in a browser that trusts /tmp/repro/site-ca.pem; the password is in the mail under /tmp/repro/maildir/new/."
    );
    println!("\n--- transcript ---\n{}", report.transcript);
    let ok = report.verdict().is_ok();
    if !ok {
        println!("the scenario did not pass:");
        for failure in &report.failures {
            println!("  - {failure}");
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
