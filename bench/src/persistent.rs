//! (6) Persistent records (`--data-dir`): the cost of one acknowledged change (a filing, or an
//! approval: PBKDF2 of the new password, two mails written and synced to the Maildir, one
//! SQLite transaction synced) with 1,000 and with 100,000 applications already on disk, and the
//! start to ready with 100,000 on disk. The applications on disk are written once, outside any
//! timing, with the records' own import (one transaction): filing 100,000 through the admin API
//! would measure the same change 100,000 times over.

use std::{path::Path, time::Instant};

use crate::{
    peer,
    site::{SUBJECT, Site},
    stats::ms,
};
use anyhow::Context as _;
// The records measured on their own, below the site: the mock's internals, not its API.
use mock_ca::{
    ApplicationForm, Attribute, Kind, Subject,
    internals::{
        application::Application, entropy::SeededEntropy, records::Records, registration::Snapshot,
    },
};

/// What the persistent measurement found, per size on disk.
#[derive(Debug)]
pub struct Persistent {
    /// Applications on disk for the large figures.
    pub applications: usize,
    /// Milliseconds per acknowledged filing, with 1,000 applications on disk.
    pub filings_1k: Vec<f64>,
    /// Milliseconds per acknowledged approval, with 1,000 on disk.
    pub approvals_1k: Vec<f64>,
    /// The same with `applications` on disk.
    pub filings_big: Vec<f64>,
    /// The same with `applications` on disk.
    pub approvals_big: Vec<f64>,
    /// Start to ready (ms) with `applications` on disk.
    pub starts_big: Vec<f64>,
}

impl Persistent {
    /// Every change with 1,000 on disk, filings and approvals together.
    pub fn changes_1k(&self) -> Vec<f64> {
        [self.filings_1k.as_slice(), &self.approvals_1k].concat()
    }

    /// Every change with `applications` on disk.
    pub fn changes_big(&self) -> Vec<f64> {
        [self.filings_big.as_slice(), &self.approvals_big].concat()
    }
}

/// Measures `changes` filings and as many approvals with 1,000 and with `big` applications on
/// disk, and `starts` starts with `big` on disk.
pub async fn measure(
    bin: &Path,
    ca: &Path,
    work: &Path,
    big: usize,
    changes: usize,
    starts: usize,
) -> anyhow::Result<Persistent> {
    let small = work.join("persistent-1k");
    seed(&small, 1000)?;
    let (filings_1k, approvals_1k) = changes_on(bin, ca, &small, changes).await?;
    eprint!(".");
    let large = work.join("persistent-big");
    let seeding = Instant::now();
    seed(&large, big)?;
    eprint!(
        "(seeded {big} applications in {:.1} s) ",
        seeding.elapsed().as_secs_f64()
    );
    let mut starts_big = Vec::new();
    let probe = peer::probe()?;
    for _ in 0..starts {
        starts_big.push(
            crate::start::time_to_ready(
                bin,
                ca,
                &probe,
                ["--data-dir".as_ref(), large.as_os_str()],
            )
            .await
            .context("mock-ca start with the records")?,
        );
        eprint!(".");
    }
    let (filings_big, approvals_big) = changes_on(bin, ca, &large, changes).await?;
    eprintln!();
    Ok(Persistent {
        applications: big,
        filings_1k,
        approvals_1k,
        filings_big,
        approvals_big,
        starts_big,
    })
}

/// Writes `n` filed applications into the records of `dir`, in one transaction.
fn seed(dir: &Path, n: usize) -> anyhow::Result<()> {
    let now = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+9))
        .replace_nanosecond(0)?;
    let subject = Subject(
        SUBJECT
            .iter()
            .map(|(a, v)| {
                Attribute::from_short_name(a)
                    .map(|a| (a, (*v).to_owned()))
                    .context("a bench subject attribute")
            })
            .collect::<anyhow::Result<_>>()?,
    );
    let applications = (1..=n)
        .map(|i| {
            let form = ApplicationForm {
                applicant: format!("Bench {i}"),
                email: format!("bench{i}@example.jp"),
                subject: subject.clone(),
                kind: Kind::New,
            };
            Application::file(format!("ap-{i:04}"), form, now)
        })
        .collect();
    let mut records = Records::open(dir, &mut SeededEntropy::new(1))?;
    records.import(&Snapshot {
        applications,
        ..Snapshot::default()
    })?;
    Ok(())
}

/// Runs the site on `data` and times `n` filings and `n` approvals (of the applications filed),
/// one at a time over one connection: (filings, approvals) in ms.
async fn changes_on(
    bin: &Path,
    ca: &Path,
    data: &Path,
    n: usize,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let site = Site::start_kept(bin, ca, &data.join("state"), data).await?;
    let admin = site.admin()?;
    // A few changes first, so that connections and caches exist.
    for i in 0..5 {
        let id = crate::site::file(&admin, i).await?;
        admin.approve(&id).await?;
    }
    let (mut filings, mut approvals) = (Vec::new(), Vec::new());
    for i in 0..n {
        let started = Instant::now();
        let id = crate::site::file(&admin, i).await?;
        filings.push(ms(started.elapsed()));
        let started = Instant::now();
        admin.approve(&id).await?;
        approvals.push(ms(started.elapsed()));
    }
    // Every change was answered, and the site answers a change only once it is recorded: it can
    // be killed (on drop) at once, nothing is in flight.
    Ok((filings, approvals))
}
