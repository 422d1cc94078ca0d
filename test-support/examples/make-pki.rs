//! Regenerates the checked-in test PKI, `fixtures/pki/` (what each file is: its README):
//! `cargo run -p test-support --example make-pki`. Every file is rewritten; commit them together.
//!
//! The site's root copies the profile of the root mock-ca generates (`mock-ca/src/authority.rs`,
//! `Authority::generate`): RSA-2048, `C=JP` (PrintableString), `O=Mock Securities Depository`,
//! `CN=Mock Depository Root CA - G1`, CA without a path length, keyCertSign + cRLSign +
//! digitalSignature, serial 01, 20 years. A test in mock-ca's integration tests checks that
//! mock-ca loads it and names it as its own.

use std::{fs, path::Path};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, IsCa, KeyPair,
    KeyUsagePurpose, PKCS_RSA_SHA256, RsaKeySize, SerialNumber,
};
use time::macros::datetime;

/// mock-ca's `ROOT_NAME` (test-support does not depend on mock-ca; the test above checks it).
const ROOT_NAME: &str = "Mock Depository Root CA - G1";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pki = test_support::pki::fixtures();
    root(&pki.join("root"), "Mock Securities Depository", ROOT_NAME)?;
    root(
        &pki.join("other-root"),
        "Elsewhere Trust",
        "Elsewhere Root CA",
    )?;
    let holders = pki.join("holders");
    fs::create_dir_all(&holders)?;
    for n in 1..=test_support::pki::HOLDER_KEYS.len() {
        write(
            &holders.join(format!("holder-{n}.key.pem")),
            &rsa_2048()?.serialize_pem(),
        )?;
    }
    println!("rewrote {}", pki.display());
    Ok(())
}

fn rsa_2048() -> Result<KeyPair, rcgen::Error> {
    KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)
}

/// A root as mock-ca makes one, saved as `--ca-dir` reads it (`root.pem`, `root.key.pem`).
fn root(
    dir: &Path,
    organization: &str,
    common_name: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let key = rsa_2048()?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString("JP".try_into()?),
    );
    dn.push(DnType::OrganizationName, organization);
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    // Fixed, and wide enough for any clock a test sets (2025 to 2045): 20 years, as mock-ca's.
    params.not_before = datetime!(2025-01-01 00:00 UTC);
    params.not_after = datetime!(2045-01-01 00:00 UTC);
    params.serial_number = Some(SerialNumber::from_slice(&[0x01]));
    let certificate = params.self_signed(&key)?;
    fs::create_dir_all(dir)?;
    write(&dir.join("root.pem"), &certificate.pem())?;
    write(&dir.join("root.key.pem"), &key.serialize_pem())?;
    Ok(())
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    fs::write(path, text)
}
