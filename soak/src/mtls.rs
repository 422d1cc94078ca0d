//! The confirmation page over mutual TLS: a holder's certificate is shown; none, another CA's, an
//! expired one and one not yet valid (by the site's clock) are each answered CONFIRM-FORBIDDEN over
//! HTTP (the confirmation site never fails a handshake over which certificate it is); the holder's
//! certificate with another key fails the handshake (the key is not proven).

use serde_json::json;

use crate::{
    Config, Failure, Summary,
    https::{Https, Request},
    site::{self, SiteProcess},
};

/// What the confirmation page did with a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// 200: 証明書確認ページ.
    Shown,
    /// 403 CONFIRM-FORBIDDEN, in a page.
    Forbidden,
    /// No answer: the handshake failed.
    NoHandshake,
}

/// How the page answered, or what else it did.
async fn shown(https: &Https) -> Result<Seen, String> {
    match https.send(&Request::new("GET", "/confirm").json()).await {
        Ok(answer) if answer.status == 200 => Ok(Seen::Shown),
        Ok(answer) if answer.error_id().as_deref() == Some("CONFIRM-FORBIDDEN") => {
            Ok(Seen::Forbidden)
        }
        Ok(answer) => Err(format!("HTTP {} {:?}", answer.status, answer.error_id())),
        Err(_) => Ok(Seen::NoHandshake),
    }
}

/// Runs each case once; a wrong answer is counted.
pub async fn run(config: &Config, summary: &mut Summary) -> Result<(), Failure> {
    let site = SiteProcess::start(
        &config.binary("mock-ca")?,
        &config.work.join("mtls"),
        None,
        "soak-token",
    )?;
    let keys = crate::rsa_keys(2)?;
    let applicant = site.approved("Holder Of Certificates").await?;
    let enrolled = site::enroll(&site, &applicant, &keys[0]).await?;
    let with = |chain: &str, key: &str| {
        site.https
            .with_identity(&site.confirm_url, &site.trust, chain, key)
            .map_err(|e| Failure::Setup(e.to_string()))
    };
    let holder = with(&enrolled.certificate, &enrolled.key)?;
    let stranger_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| Failure::setup("key", e))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| Failure::setup("params", e))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, applicant.cn.clone());
    let stranger = params
        .self_signed(&stranger_key)
        .map_err(|e| Failure::setup("self-signed", e))?;

    let anonymous = site
        .https
        .with_url(&site.confirm_url, &site.trust)
        .map_err(|e| Failure::Setup(e.to_string()))?;
    let mut cases: Vec<(&str, Https, Seen)> = vec![
        ("the holder", holder.clone(), Seen::Shown),
        ("no certificate", anonymous, Seen::Forbidden),
        (
            "another CA's certificate",
            with(&stranger.pem(), &stranger_key.serialize_pem())?,
            Seen::Forbidden,
        ),
        (
            "the holder's certificate with another key",
            with(&enrolled.certificate, &keys[1].serialize_pem())?,
            Seen::NoHandshake,
        ),
    ];
    for (what, https, expected) in cases.drain(..) {
        check(summary, what, shown(&https).await, expected);
    }
    // Expired, then not yet valid, by the site's clock; then back to now.
    for (what, days, back) in [("expired", 800, -800), ("not yet valid", -2, 2)] {
        site.admin_ok("POST", "/clock/advance", Some(json!({ "days": days })))
            .await?;
        check(summary, what, shown(&holder).await, Seen::Forbidden);
        site.admin_ok("POST", "/clock/advance", Some(json!({ "days": back })))
            .await?;
    }
    check(
        summary,
        "the holder again",
        shown(&holder).await,
        Seen::Shown,
    );
    summary.panics += site.panics_logged();
    site.kill();
    Ok(())
}

fn check(summary: &mut Summary, what: &str, got: Result<Seen, String>, expected: Seen) {
    match got {
        Ok(seen) if seen == expected => {}
        other => summary.wrong(&Failure::Wrong(format!(
            "confirm with {what}: {other:?}, expected {expected:?}"
        ))),
    }
}
