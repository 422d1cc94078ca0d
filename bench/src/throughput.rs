//! (4) Server throughput: applications filed and approved through the admin API first, then
//! enrolled over HTTPS by 1, 8 and 64 concurrent clients. Each client has its own connection and
//! enrolls one application after another: login, 発行, the CSR (pre-generated), complete. Latency
//! is that whole enrollment. Beside it, the raw signing rate of the same CA key
//! (`Authority::issue`, what the site calls) on two threads, in this process, in the same run.

use std::{
    collections::VecDeque,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::{
    cpu,
    site::{SUBJECT, Site, password_in},
    stats::ms,
};

/// One concurrency level's result.
#[derive(Debug)]
pub struct Level {
    /// Concurrent clients.
    pub clients: usize,
    /// Enrollments completed.
    pub enrollments: usize,
    /// Issuances per second.
    pub per_s: f64,
    /// Enrollment latencies (ms).
    pub latencies: Vec<f64>,
    /// CPU time the site spent per enrollment (ms), from /proc: where the cores went.
    pub site_cpu_ms: f64,
    /// CPU time this process (the clients) spent per enrollment (ms).
    pub client_cpu_ms: f64,
}

/// What the throughput measurement found.
#[derive(Debug)]
pub struct Throughput {
    /// The levels, in order.
    pub levels: Vec<Level>,
    /// Signatures per second by `Authority::issue` on two threads.
    pub sign_limit_per_s: f64,
    /// The same on one thread.
    pub sign_one_thread_per_s: f64,
}

/// An application ready for a client: its id and password.
type Ready = (String, String);

/// Runs every level with `per_client(level)` enrollments per client.
pub async fn measure(
    bin: &Path,
    ca: &Path,
    work: &Path,
    levels: &[(usize, usize)],
) -> anyhow::Result<Throughput> {
    let csrs = csrs(8).await?;
    let sign_one_thread_per_s = sign_rate(ca, &csrs[0], 1, Duration::from_secs(2))?;
    let sign_limit_per_s = sign_rate(ca, &csrs[0], 2, Duration::from_secs(2))?;

    let site = Site::start(bin, ca, &work.join("throughput-site")).await?;
    let total: usize = levels.iter().map(|(c, n)| c * n).sum();
    let ready = prepare(&site, total).await?;
    let ready = Arc::new(Mutex::new(VecDeque::from(ready)));
    let csrs = Arc::new(csrs);

    let mut found = Vec::new();
    for &(clients, per_client) in levels {
        let mut workers = Vec::new();
        let mut https = Vec::new();
        for _ in 0..clients {
            https.push(site.client()?);
        }
        let cpu_before = (cpu::of(site.pid()?)?, cpu::of(std::process::id())?);
        let started = Instant::now();
        for (n, http) in https.into_iter().enumerate() {
            let ready = ready.clone();
            let csrs = csrs.clone();
            let url = site.url.clone();
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                for i in 0..per_client {
                    let next = ready.lock().map(|mut r| r.pop_front()).ok().flatten();
                    let (id, password) = next.context("not enough applications")?;
                    let csr = &csrs[(n + i) % csrs.len()];
                    let t = Instant::now();
                    enroll(&http, &url, &id, &password, csr).await?;
                    latencies.push(ms(t.elapsed()));
                }
                anyhow::Ok(latencies)
            }));
        }
        let mut latencies = Vec::new();
        for worker in workers {
            latencies.extend(worker.await??);
        }
        let wall = started.elapsed().as_secs_f64();
        let per = |cpu: f64| 1000.0 * cpu / latencies.len() as f64;
        found.push(Level {
            clients,
            enrollments: latencies.len(),
            per_s: latencies.len() as f64 / wall,
            site_cpu_ms: per(cpu::of(site.pid()?)? - cpu_before.0),
            client_cpu_ms: per(cpu::of(std::process::id())? - cpu_before.1),
            latencies,
        });
        eprint!(".");
    }
    eprintln!();
    Ok(Throughput {
        levels: found,
        sign_limit_per_s,
        sign_one_thread_per_s,
    })
}

/// `n` CSRs with the benchmark subject, each with its own RSA-2048 key.
async fn csrs(n: usize) -> anyhow::Result<Vec<String>> {
    let mut made = Vec::new();
    for _ in 0..n {
        made.push(tokio::task::spawn_blocking(|| -> anyhow::Result<String> {
            let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
            let mut params = rcgen::CertificateParams::default();
            let mut dn = rcgen::DistinguishedName::new();
            for (attribute, value) in SUBJECT {
                let (ty, value) = match attribute {
                    "C" => (
                        rcgen::DnType::CountryName,
                        rcgen::DnValue::PrintableString(value.try_into()?),
                    ),
                    "O" => (
                        rcgen::DnType::OrganizationName,
                        rcgen::DnValue::Utf8String(value.into()),
                    ),
                    _ => (
                        rcgen::DnType::CommonName,
                        rcgen::DnValue::Utf8String(value.into()),
                    ),
                };
                dn.push(ty, value);
            }
            params.distinguished_name = dn;
            Ok(params.serialize_request(&key)?.pem()?)
        }));
    }
    let mut csrs = Vec::new();
    for m in made {
        csrs.push(m.await??);
    }
    Ok(csrs)
}

/// Certificates per second that `Authority::issue` signs with the fixture root on `threads`
/// threads for `period`.
fn sign_rate(ca: &Path, csr: &str, threads: usize, period: Duration) -> anyhow::Result<f64> {
    use mock_ca::{Attribute, Authority, Subject, internals::request::CertificateRequest};
    let authority = Authority::from_pem(
        &std::fs::read_to_string(ca.join("root.pem"))?,
        &std::fs::read_to_string(ca.join("root.key.pem"))?,
    )?;
    let request = CertificateRequest::parse(csr.as_bytes()).map_err(anyhow::Error::msg)?;
    let subject = Subject(vec![
        (Attribute::C, "JP".into()),
        (Attribute::O, "Bench Securities".into()),
        (Attribute::CN, "Bench Holder".into()),
    ]);
    let now = time::OffsetDateTime::now_utc();
    let signed = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (authority, request, subject, signed, stop) =
                (&authority, &request, &subject, &signed, &stop);
            scope.spawn(move || {
                let mut serial = [0x40u8, 0, 0, 0, 0, 0, 0, 0];
                serial[1] = t as u8;
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    serial[2..].copy_from_slice(&n.to_be_bytes()[2..]);
                    if authority
                        .issue(
                            request,
                            subject,
                            &serial,
                            now,
                            now + time::Duration::days(1),
                        )
                        .is_ok()
                    {
                        signed.fetch_add(1, Ordering::Relaxed);
                    }
                    n += 1;
                }
            });
        }
        std::thread::sleep(period);
        stop.store(true, Ordering::Relaxed);
    });
    Ok(signed.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// Files and approves `n` applications (8 at a time) and reads their passwords from the Maildir.
async fn prepare(site: &Site, n: usize) -> anyhow::Result<Vec<Ready>> {
    let admin = site.admin()?;
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(8) {
        let mut filing = Vec::new();
        for &i in chunk {
            let admin = admin.clone();
            filing.push(tokio::spawn(async move {
                let id = crate::site::file(&admin, i).await?;
                admin.approve(&id).await?;
                anyhow::Ok(id)
            }));
        }
        for f in filing {
            ids.push(f.await??);
        }
    }
    let passwords: std::collections::HashMap<String, std::path::PathBuf> =
        crate::site::mails(&admin)
            .await?
            .into_iter()
            .filter(|(_, catalogue, _)| catalogue == "MAIL-PASSWORD")
            .map(|(application, _, path)| (application, path))
            .collect();
    ids.into_iter()
        .map(|id| {
            let mail = passwords.get(&id).context("no password mail")?;
            Ok((id, password_in(mail)?))
        })
        .collect()
}

/// One enrollment over `http`: login, 発行, the CSR, complete.
async fn enroll(
    http: &reqwest::Client,
    url: &str,
    id: &str,
    password: &str,
    csr: &str,
) -> anyhow::Result<()> {
    let base = format!("{url}/apply/{id}");
    let send = |path: &str, session: Option<&str>, body: Value| {
        let mut request = http
            .post(format!("{base}/{path}"))
            .header("accept", "application/json")
            .header(mock_ca::COMPONENT_HEADER, "bench/0.1 (linux)")
            .json(&body);
        if let Some(session) = session {
            request = request.header("cookie", format!("session={session}"));
        }
        request.send()
    };
    let check = |response: reqwest::Response| async move {
        let status = response.status();
        let value: Value = response.json().await?;
        if !status.is_success() {
            bail!("{status}: {value}");
        }
        anyhow::Ok(value)
    };
    let opened = check(send("login", None, json!({"password": password})).await?).await?;
    let session = opened["session"].as_str().context("no session")?.to_owned();
    check(send("issue", Some(&session), json!({})).await?).await?;
    let issued = check(send("csr", Some(&session), json!({"csr": csr})).await?).await?;
    if issued["certificate"].as_str().is_none() {
        bail!("no certificate in {issued}");
    }
    check(send("complete", Some(&session), json!({})).await?).await?;
    Ok(())
}
