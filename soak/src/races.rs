//! Races: [`RACERS`] clients log in and install on one application at once and exactly one
//! certificate comes out; then the one-time rule under parallel completes and logins; then many
//! applications enrolled at once, each seeing only its own state.

use std::sync::Arc;

use crate::{
    Config, Failure, Summary,
    https::{Answer, Https},
    site::{self, Applicant, SiteProcess},
};

/// Parallel clients on one application.
pub const RACERS: usize = 50;
/// Parallel completes and late logins after the winner.
const LATECOMERS: usize = 10;

/// What one racer got: a certificate's serial and its session, or nothing.
async fn racer(
    https: Https,
    applicant: Arc<Applicant>,
    csr: Arc<String>,
) -> Option<(String, String)> {
    let logged = https
        .send(&site::login(&applicant.id, &applicant.password))
        .await
        .ok()?;
    let session = site::session_of(&logged)?;
    let resumed = logged.json().is_some_and(|j| j["step"] == 3);
    if !resumed {
        // Pressed by another racer already, or the session replaced: the CSR may still go.
        let _ = https
            .send(&site::step(&applicant.id, "issue", &session))
            .await;
    }
    let issued: Answer = https
        .send(&site::csr(&applicant.id, &session, &csr))
        .await
        .ok()?;
    (issued.status == 201).then(|| {
        let serial = issued
            .json()
            .and_then(|j| j["serial"].as_str().map(str::to_owned));
        (serial.unwrap_or_default(), session)
    })
}

/// One round on a fresh application: the install race, then the one-time rule.
async fn round(site: &SiteProcess, n: usize, key: &rcgen::KeyPair) -> Result<RoundCount, Failure> {
    let applicant = Arc::new(site.approved(&format!("Racer {n}")).await?);
    let csr = Arc::new(site::make_csr(key, &applicant.subject())?);
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..RACERS {
        racers.spawn(racer(site.https.clone(), applicant.clone(), csr.clone()));
    }
    let mut winners = Vec::new();
    while let Some(done) = racers.join_next().await {
        if let Some(won) = done.map_err(|e| Failure::Setup(format!("racer: {e}")))? {
            winners.push(won);
        }
    }
    let mut count = RoundCount::default();
    let Some((_, session)) = winners.first().cloned() else {
        return Err(Failure::Wrong(format!(
            "race on {}: {RACERS} racers and no certificate",
            applicant.id
        )));
    };
    count.issued = winners.len();

    // The one-time rule: one complete, however many are sent at once; then every login is refused.
    let mut completes = tokio::task::JoinSet::new();
    for _ in 0..LATECOMERS {
        let https = site.https.clone();
        let request = site::step(&applicant.id, "complete", &session);
        completes.spawn(async move { https.send(&request).await.map(|a| a.status) });
    }
    while let Some(done) = completes.join_next().await {
        if let Ok(Ok(200)) = done {
            count.completed += 1;
        }
    }
    let mut logins = tokio::task::JoinSet::new();
    for _ in 0..LATECOMERS {
        let https = site.https.clone();
        let request = site::login(&applicant.id, &applicant.password);
        logins.spawn(async move { https.send(&request).await.map(|a| a.error_id()) });
    }
    while let Some(done) = logins.join_next().await {
        match done {
            Ok(Ok(Some(id))) if id == "NO-VALID-REQUEST" => {}
            other => count.wrong.push(format!(
                "login to {} after its install: {other:?}",
                applicant.id
            )),
        }
    }
    let record = site
        .admin_ok("GET", &format!("/applications/{}", applicant.id), None)
        .await?;
    count.recorded = record["certificates"].as_array().map_or(0, Vec::len);
    if record["state"] != "completed" {
        count.wrong.push(format!(
            "{} ended {} after the race",
            applicant.id, record["state"]
        ));
    }
    Ok(count)
}

#[derive(Debug, Default)]
struct RoundCount {
    issued: usize,
    recorded: usize,
    completed: usize,
    wrong: Vec<String>,
}

/// Many applications at once: each enrolls, each ends with one certificate of its own subject,
/// and a session of one is refused by another.
async fn apart(
    site: &SiteProcess,
    n: usize,
    keys: &[rcgen::KeyPair],
) -> Result<Vec<String>, Failure> {
    let mut applicants = Vec::new();
    for i in 0..n {
        applicants.push(site.approved(&format!("Parallel {i}")).await?);
    }
    let mut wrong = Vec::new();
    // Sessions of each, then a cross-use: A's session on B's steps is SESSION-REQUIRED.
    let mut sessions = Vec::new();
    for applicant in &applicants {
        let logged = site
            .https
            .send(&site::login(&applicant.id, &applicant.password))
            .await
            .map_err(|e| Failure::Wrong(e.to_string()))?;
        sessions.push(site::session_of(&logged).unwrap_or_default());
    }
    for i in 0..n {
        let other = &applicants[(i + 1) % n];
        let crossed = site
            .https
            .send(&site::step(&other.id, "issue", &sessions[i]))
            .await
            .map(|a| a.error_id());
        if n > 1 && !matches!(&crossed, Ok(Some(id)) if id == "SESSION-REQUIRED") {
            wrong.push(format!(
                "{}'s session on {}: {crossed:?}",
                applicants[i].id, other.id
            ));
        }
    }
    let mut enrollments = tokio::task::JoinSet::new();
    for (i, applicant) in applicants.iter().cloned().enumerate() {
        let https = site.https.clone();
        let key_pem = keys[i % keys.len()].serialize_pem();
        let session = sessions[i].clone();
        enrollments.spawn(async move {
            let key = rcgen::KeyPair::from_pem(&key_pem).ok()?;
            let csr = site::make_csr(&key, &applicant.subject()).ok()?;
            https
                .send(&site::step(&applicant.id, "issue", &session))
                .await
                .ok()?;
            let issued = https
                .send(&site::csr(&applicant.id, &session, &csr))
                .await
                .ok()?;
            let subject = issued
                .json()
                .and_then(|j| j["certificate"].as_str().map(str::to_owned))
                .and_then(|pem| subject_cn(&pem));
            Some((applicant, issued.status, subject))
        });
    }
    while let Some(done) = enrollments.join_next().await {
        match done {
            Ok(Some((applicant, 201, Some(cn)))) if cn == applicant.cn => {}
            other => wrong.push(format!("parallel enrollment: {other:?}")),
        }
    }
    for applicant in &applicants {
        let record = site
            .admin_ok("GET", &format!("/applications/{}", applicant.id), None)
            .await?;
        let certificates = record["certificates"].as_array().map_or(0, Vec::len);
        if record["state"] != "issued" || certificates != 1 {
            wrong.push(format!(
                "{} is {} with {certificates} certificates",
                applicant.id, record["state"]
            ));
        }
    }
    Ok(wrong)
}

/// The common name of a certificate.
fn subject_cn(pem: &str) -> Option<String> {
    let der = rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).ok()?;
    let (_, certificate) = x509_parser::parse_x509_certificate(&der).ok()?;
    certificate
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned)
}

use rustls_pki_types::pem::PemObject as _;

/// Runs the race rounds and the parallel applications on one site.
pub async fn run(config: &Config, summary: &mut Summary) -> Result<(), Failure> {
    let site = SiteProcess::start(
        &config.binary("mock-ca")?,
        &config.work.join("races"),
        None,
        "soak-token",
    )?;
    let keys = crate::rsa_keys(2)?;
    for n in 0..config.plan.races {
        let count = match round(&site, n, &keys[n % keys.len()]).await {
            Ok(count) => count,
            Err(failure) => {
                summary.wrong(&failure);
                continue;
            }
        };
        summary.races += 1;
        let most = count.issued.max(count.recorded).max(count.completed);
        if most > 1 {
            summary.double_issuances += 1;
            summary.wrong(&Failure::Wrong(format!(
                "race {n}: {} answered 201, {} recorded, {} completes",
                count.issued, count.recorded, count.completed
            )));
        } else if count.recorded != 1 || count.completed != 1 {
            summary.wrong(&Failure::Wrong(format!(
                "race {n}: {} recorded, {} completes",
                count.recorded, count.completed
            )));
        }
        for why in count.wrong {
            summary.wrong(&Failure::Wrong(why));
        }
    }
    for why in apart(&site, config.plan.parallel_applications, &keys).await? {
        summary.wrong(&Failure::Wrong(why));
    }
    summary.panics += site.panics_logged();
    site.kill();
    Ok(())
}
