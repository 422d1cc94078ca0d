//! A certificate signing request (PKCS#10) as the site reads it: parsed, its signature verified,
//! its key and subject described, before the authority will look at it.

use rustls_pki_types::{CertificateSigningRequestDer, pem::PemObject};
use x509_parser::{
    certification_request::X509CertificationRequest, oid_registry, prelude::FromDer,
    public_key::PublicKey, x509::X509Name,
};

use crate::{
    application::{Attribute, Subject},
    refusal::CsrDefect,
};

/// The key algorithm and length a CSR holds, or that the site requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDescription {
    /// `RSA`, `EC`, `Ed25519`, …
    pub algorithm: String,
    /// Length in bits (the modulus for RSA, the field for EC).
    pub bits: usize,
}

impl std::fmt::Display for KeyDescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.algorithm, self.bits)
    }
}

/// A CSR whose signature verified.
#[derive(Debug, Clone)]
pub struct CertificateRequest {
    /// The SubjectPublicKeyInfo, DER, exactly as in the request.
    pub(crate) spki_der: Vec<u8>,
    /// The key it holds.
    pub key: KeyDescription,
    /// The subject it asks for, outermost first, as (short name or dotted OID, value).
    pub subject: Vec<(String, String)>,
}

impl CertificateRequest {
    /// Reads a CSR from PEM (`-----BEGIN CERTIFICATE REQUEST-----`) or DER, and verifies its signature.
    pub fn parse(input: &[u8]) -> Result<Self, CsrDefect> {
        let der = if input.starts_with(b"-----") || input.iter().take(64).all(u8::is_ascii) {
            CertificateSigningRequestDer::from_pem_slice(input)
                .map_err(|e| CsrDefect::Malformed(format!("not a PEM certificate request: {e}")))?
                .as_ref()
                .to_vec()
        } else {
            input.to_vec()
        };
        let (rest, csr) = X509CertificationRequest::from_der(&der)
            .map_err(|e| CsrDefect::Malformed(format!("not PKCS#10: {e}")))?;
        if !rest.is_empty() {
            return Err(CsrDefect::Malformed(
                "trailing bytes after the request".into(),
            ));
        }
        csr.verify_signature()
            .map_err(|_| CsrDefect::BadSignature)?;
        let info = &csr.certification_request_info;
        let key = match info.subject_pki.parsed() {
            Ok(PublicKey::RSA(rsa)) => KeyDescription {
                algorithm: "RSA".into(),
                bits: rsa.key_size(),
            },
            Ok(PublicKey::EC(point)) => KeyDescription {
                algorithm: "EC".into(),
                bits: point.key_size(),
            },
            Ok(other) => KeyDescription {
                algorithm: describe_other_key(&other, &info.subject_pki.algorithm.algorithm),
                bits: other.key_size(),
            },
            Err(e) => return Err(CsrDefect::Malformed(format!("unreadable public key: {e}"))),
        };
        Ok(Self {
            spki_der: info.subject_pki.raw.to_vec(),
            key,
            subject: read_name(&info.subject)?,
        })
    }

    /// Checks the key against what the site asked for.
    pub fn check_key(&self, wanted: &KeyDescription) -> Result<(), CsrDefect> {
        if &self.key == wanted {
            Ok(())
        } else {
            Err(CsrDefect::WrongKey {
                wanted: wanted.to_string(),
                found: self.key.to_string(),
            })
        }
    }

    /// Checks the subject against the application's, attribute by attribute and in order.
    pub fn check_subject(&self, wanted: &Subject) -> Result<(), CsrDefect> {
        let matches = self.subject.len() == wanted.0.len()
            && self.subject.iter().zip(&wanted.0).all(
                |((name, value), (attribute, wanted_value))| {
                    name == attribute.short_name() && value == wanted_value
                },
            );
        if matches {
            Ok(())
        } else {
            Err(CsrDefect::SubjectMismatch {
                wanted: wanted.to_string(),
                found: self.subject_string(),
            })
        }
    }

    /// The subject in RFC 4514 order.
    pub fn subject_string(&self) -> String {
        let parts: Vec<String> = self
            .subject
            .iter()
            .rev()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        parts.join(",")
    }
}

fn describe_other_key(key: &PublicKey<'_>, oid: &x509_parser::der_parser::Oid<'_>) -> String {
    match key {
        PublicKey::DSA(_) => "DSA".into(),
        _ if *oid == oid_registry::OID_SIG_ED25519 => "Ed25519".into(),
        _ => oid.to_id_string(),
    }
}

/// Reads a name as (short name, value) pairs, outermost first.
pub(crate) fn read_name(name: &X509Name<'_>) -> Result<Vec<(String, String)>, CsrDefect> {
    let mut out = Vec::new();
    for rdn in name.iter_rdn() {
        for atv in rdn.iter() {
            let oid = atv.attr_type();
            let short = [
                (oid_registry::OID_X509_COUNTRY_NAME, Attribute::C),
                (oid_registry::OID_X509_STATE_OR_PROVINCE_NAME, Attribute::ST),
                (oid_registry::OID_X509_LOCALITY_NAME, Attribute::L),
                (oid_registry::OID_X509_ORGANIZATION_NAME, Attribute::O),
                (oid_registry::OID_X509_ORGANIZATIONAL_UNIT, Attribute::OU),
                (oid_registry::OID_X509_COMMON_NAME, Attribute::CN),
            ]
            .iter()
            .find(|(known, _)| known == oid)
            .map_or_else(|| oid.to_id_string(), |(_, a)| a.short_name().to_owned());
            let value = atv.as_str().map_err(|_| {
                CsrDefect::Malformed(format!("subject attribute {short} is not a string"))
            })?;
            out.push((short, value.to_owned()));
        }
    }
    Ok(out)
}
