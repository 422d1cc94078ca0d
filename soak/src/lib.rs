//! Reliability and security as counts. A third party to the site and the client: it reads
//! `docs/protocol.md` and the README, starts the real `mock-ca` and `cert-client` binaries, and
//! counts what goes wrong:
//!
//! - [`malformed`]: garbage over every endpoint's body, headers, paths and framing;
//! - [`races`]: many parallel logins and installs on one application, the one-time rule, parallel
//!   applications kept apart;
//! - [`mtls`]: client certificates the confirmation page must refuse;
//! - [`kills`]: `cert-client` SIGKILLed at each checkpoint and at random moments; `mock-ca
//!   --data-dir` SIGKILLed mid-issuance and restarted;
//! - [`hostile`]: the client against a site that answers wrongly at a chosen step;
//! - [`secrets`]: the admin token, passwords kept out of the journal and the logs, key files 0600.
//!
//! The end is one line: `soak: M malformed requests, P panics, W wrong answers, R races, D double
//! issuances, K kills, L keys lost`, then [`hostile`]'s: `soak: hostile site: N answers, 0 client
//! panics, 0 hangs, 0 writes outside the store, 0 keys lost, peak RSS M MiB`.

pub mod hostile;
pub mod https;
pub mod kills;
pub mod malformed;
pub mod mtls;
pub mod races;
pub mod rng;
pub mod secrets;
pub mod site;

use std::{fmt, path::PathBuf};

/// Something that went wrong: the site or the client answered wrongly, or the run could not be set
/// up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// A wrong answer or a broken invariant: counted.
    #[error("wrong: {0}")]
    Wrong(String),
    /// The run itself could not go on (a binary missing, a port, a file).
    #[error("set-up: {0}")]
    Setup(String),
}

impl Failure {
    pub(crate) fn setup(what: &str, e: impl fmt::Display) -> Self {
        Self::Setup(format!("{what}: {e}"))
    }
}

/// How long a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// A few seconds: part of `make test`.
    Short,
    /// `make soak`: ≥ 10,000 malformed requests, ≥ 200 races, kills at each step and at random.
    Long,
}

/// How many of each.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Malformed requests.
    pub malformed: usize,
    /// A normal enrollment after every this many malformed requests.
    pub enroll_every: usize,
    /// Race rounds (each: [`races::RACERS`] parallel logins and installs on one application).
    pub races: usize,
    /// Applications enrolled in parallel, to see that they stay apart.
    pub parallel_applications: usize,
    /// Client kills at random moments (besides one at each checkpoint).
    pub random_kills: usize,
    /// Site kills mid-issuance, each followed by a restart.
    pub site_kills: usize,
    /// Client runs against the hostile site (each meets at least one hostile answer).
    pub hostile_runs: usize,
    /// Of those, runs whose hostile answer drips a byte a second (each takes the client's timeout).
    pub hostile_drips: usize,
}

impl Scale {
    /// The plan of this scale.
    pub fn plan(self) -> Plan {
        match self {
            Self::Short => Plan {
                malformed: 400,
                enroll_every: 400,
                races: 2,
                parallel_applications: 4,
                random_kills: 1,
                site_kills: 1,
                hostile_runs: 36,
                hostile_drips: 1,
            },
            Self::Long => Plan {
                malformed: 10_000,
                enroll_every: 1_000,
                races: 200,
                parallel_applications: 16,
                random_kills: 12,
                site_kills: 5,
                hostile_runs: 1_250,
                hostile_drips: 4,
            },
        }
    }
}

/// What the soak counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Malformed requests sent.
    pub malformed: u64,
    /// Panics of the site (each answered INTERNAL, counted from its log).
    pub panics: u64,
    /// Wrong answers and broken invariants.
    pub wrong: u64,
    /// Race rounds run.
    pub races: u64,
    /// Applications that got more than one certificate, or were completed more than once.
    pub double_issuances: u64,
    /// Processes SIGKILLed (client and site).
    pub kills: u64,
    /// Keys that were in a store after a kill and gone after the next run.
    pub keys_lost: u64,
    /// What the hostile site counted (the second summary line).
    pub hostile: hostile::Counts,
    /// What each wrong answer was, for the log.
    pub notes: Vec<String>,
}

impl Summary {
    /// Counts a failure: a wrong answer, or (set-up) one too.
    pub fn wrong(&mut self, failure: &Failure) {
        self.wrong += 1;
        if self.notes.len() < 50 {
            self.notes.push(failure.to_string());
        }
    }

    /// Whether every count that must be zero is.
    pub fn is_clean(&self) -> bool {
        self.panics == 0
            && self.wrong == 0
            && self.double_issuances == 0
            && self.keys_lost == 0
            && self.hostile.is_clean()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "soak: {} malformed requests, {} panics, {} wrong answers, {} races, {} double issuances, {} kills, {} keys lost",
            self.malformed,
            self.panics,
            self.wrong,
            self.races,
            self.double_issuances,
            self.kills,
            self.keys_lost
        )
    }
}

/// What a run needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// How much.
    pub plan: Plan,
    /// Seeds every random choice; printed so a run can be repeated.
    pub seed: u64,
    /// Where `mock-ca` and `cert-client` are; `None`: test-support's, built on demand into the
    /// target directory and profile this program runs from.
    pub bin_dir: Option<PathBuf>,
    /// A scratch directory (stores, data directories, logs).
    pub work: PathBuf,
    /// Run only the parts of these names (`--only hostile`); all when empty.
    pub only: Vec<String>,
}

impl Config {
    /// A binary of the workspace: in `bin_dir` when given, else found or built on demand.
    pub fn binary(&self, name: &str) -> Result<PathBuf, Failure> {
        let Some(dir) = &self.bin_dir else {
            return test_support::try_binary(name).map_err(|e| Failure::Setup(e.to_string()));
        };
        let path = dir.join(name);
        if path.exists() {
            Ok(path)
        } else {
            Err(Failure::Setup(format!("{} is not there", path.display())))
        }
    }
}

/// Runs every part; progress goes to stderr, the summary is returned.
pub async fn run(config: &Config) -> Summary {
    let mut summary = Summary::default();
    let parts: [(&str, Part); 6] = [
        ("malformed", |c, s| Box::pin(malformed::run(c, s))),
        ("races", |c, s| Box::pin(races::run(c, s))),
        ("mtls", |c, s| Box::pin(mtls::run(c, s))),
        ("kills", |c, s| Box::pin(kills::run(c, s))),
        ("secrets", |c, s| Box::pin(secrets::run(c, s))),
        ("hostile site", |c, s| Box::pin(hostile::run_part(c, s))),
    ];
    for (name, part) in parts {
        if !config.only.is_empty() && !config.only.iter().any(|o| name.starts_with(o.as_str())) {
            continue;
        }
        let before = summary.wrong;
        if let Err(failure) = part(config, &mut summary).await {
            summary.wrong(&failure);
        }
        eprintln!(
            "soak: {name} done ({} wrong so far, {} new)",
            summary.wrong,
            summary.wrong - before
        );
    }
    for note in &summary.notes {
        eprintln!("soak: {note}");
    }
    summary
}

type Part = for<'a> fn(
    &'a Config,
    &'a mut Summary,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), Failure>> + Send + 'a>,
>;

/// RSA-2048 keys for the holders' CSRs: the checked-in ones (fixtures/pki/holders), so no run
/// spends its time making keys.
pub(crate) fn rsa_keys(n: usize) -> Result<Vec<rcgen::KeyPair>, Failure> {
    (0..n)
        .map(|i| {
            rcgen::KeyPair::from_pem(test_support::pki::holder_key(i))
                .map_err(|e| Failure::setup("rsa key", e))
        })
        .collect()
}
