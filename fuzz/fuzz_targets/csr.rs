//! The site's reading of a certificate signing request (`POST /apply/{id}/csr`): any bytes as PEM,
//! bare base64 or DER, parsed and its signature verified (`CertificateRequest::parse`), then
//! checked against the policy's key and a subject, and, when it passes, signed by a root as the
//! site would.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mock_ca::{Attribute, Authority, Policy, Subject, internals::request::CertificateRequest};
use time::macros::datetime;

/// The root, made once: key generation is slow and is not what is under test.
fn authority() -> &'static Authority {
    static AUTHORITY: OnceLock<Authority> = OnceLock::new();
    AUTHORITY.get_or_init(|| {
        Authority::generate(mock_ca::ROOT_NAME, datetime!(2026-11-25 10:00 +9)).expect("a root")
    })
}

fn attribute(name: &str) -> Option<Attribute> {
    Some(match name {
        "C" => Attribute::C,
        "ST" => Attribute::ST,
        "L" => Attribute::L,
        "O" => Attribute::O,
        "OU" => Attribute::OU,
        "CN" => Attribute::CN,
        _ => return None,
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(request) = CertificateRequest::parse(data) else {
        return;
    };
    let _ = request.check_key(&Policy::default().key);
    let _ = request.subject_string();
    // The subject it carries, as an application would have it, and one it does not match.
    let own = Subject(
        request
            .subject
            .iter()
            .filter_map(|(name, value)| attribute(name).map(|a| (a, value.clone())))
            .collect(),
    );
    let _ = request.check_subject(&own);
    let other = Subject(vec![(Attribute::CN, "山田 太郎".into())]);
    let _ = request.check_subject(&other);
    let now = datetime!(2026-11-25 10:00 +9);
    let _ = authority().issue(
        &request,
        &own,
        &[1, 2, 3],
        now,
        now + time::Duration::days(730),
    );
});
