//! (5) Memory: the resident bytes an idle application costs the site. A `mock-ca serve` with the
//! fixture root files a warm-up of applications through the admin API (so that connections,
//! buffers and the allocator's arenas exist), then VmRSS is read from /proc, `n` more applications
//! are filed (filed, not approved: an application waiting for its approval, no mails), VmRSS is
//! read again, and the growth is divided by `n`.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Instant,
};

use anyhow::Context as _;

use crate::site::{Admin, Site};

/// What the memory measurement found.
#[derive(Debug)]
pub struct Memory {
    /// Applications filed after the first reading.
    pub applications: usize,
    /// VmRSS before and after (bytes).
    pub rss_before: u64,
    /// VmRSS after.
    pub rss_after: u64,
    /// Seconds the filing took.
    pub filing_s: f64,
}

impl Memory {
    /// Resident bytes per idle application.
    pub fn per_application(&self) -> f64 {
        self.rss_after.saturating_sub(self.rss_before) as f64 / self.applications as f64
    }
}

/// Files `n` applications into a fresh site and reads its VmRSS around them.
pub async fn measure(bin: &Path, ca: &Path, work: &Path, n: usize) -> anyhow::Result<Memory> {
    let site = Site::start(bin, ca, &work.join("memory-site")).await?;
    let admin = site.admin()?;
    let next = Arc::new(AtomicUsize::new(0));
    file_many(&admin, next.clone(), 1000).await?;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let rss_before = vm_rss(site.pid()?)?;
    let started = Instant::now();
    file_many(&admin, next, 1000 + n).await?;
    let filing_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let rss_after = vm_rss(site.pid()?)?;
    Ok(Memory {
        applications: n,
        rss_before,
        rss_after,
        filing_s,
    })
}

/// Files applications until `next` reaches `until`, 16 requests in flight.
async fn file_many(admin: &Admin, next: Arc<AtomicUsize>, until: usize) -> anyhow::Result<()> {
    let mut workers = Vec::new();
    for _ in 0..16 {
        let (admin, next) = (admin.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= until {
                    // Leave the counter where the next call expects it.
                    next.fetch_min(until, Ordering::Relaxed);
                    return anyhow::Ok(());
                }
                crate::site::file(&admin, n).await?;
            }
        }));
    }
    for worker in workers {
        worker.await??;
    }
    Ok(())
}

/// VmRSS of `pid`, in bytes.
fn vm_rss(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")?;
    Ok(kib * 1024)
}
