//! A certificate signing request (PKCS#10) as the site reads it: parsed, its signature verified,
//! its key and subject described, before the authority will look at it.

use rustls_pki_types::{CertificateSigningRequestDer, pem::PemObject};
use x509_parser::{
    certification_request::X509CertificationRequest, oid_registry, prelude::FromDer,
    public_key::PublicKey, x509::X509Name,
};

use crate::{
    enrollment::application::{Attribute, Subject},
    enrollment::refusal::CsrDefect,
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
    /// Reads a CSR and verifies its signature. It may come as PEM (`-----BEGIN CERTIFICATE
    /// REQUEST-----`, or `-----BEGIN NEW CERTIFICATE REQUEST-----` as Windows CertEnroll writes
    /// it), as bare base64 (CertEnroll's `XCN_CRYPT_STRING_BASE64`), with LF or CRLF line ends, or
    /// as DER.
    pub fn parse(input: &[u8]) -> Result<Self, CsrDefect> {
        let der = if input.iter().take(64).all(u8::is_ascii) {
            let text = String::from_utf8_lossy(input);
            let trimmed = text.trim_start();
            if trimmed.starts_with("-----") {
                // CertEnroll's label names the same PKCS#10 structure.
                let pem = trimmed
                    .replace(
                        "-----BEGIN NEW CERTIFICATE REQUEST-----",
                        "-----BEGIN CERTIFICATE REQUEST-----",
                    )
                    .replace(
                        "-----END NEW CERTIFICATE REQUEST-----",
                        "-----END CERTIFICATE REQUEST-----",
                    );
                CertificateSigningRequestDer::from_pem_slice(pem.as_bytes())
                    .map_err(|e| {
                        CsrDefect::Malformed(format!("not a PEM certificate request: {e}"))
                    })?
                    .as_ref()
                    .to_vec()
            } else {
                let compact: String = trimmed
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, compact)
                    .map_err(|e| {
                        CsrDefect::Malformed(format!(
                            "not a PEM or base64 certificate request: {e}"
                        ))
                    })?
            }
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

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use rcgen::{CertificateParams, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};

    use super::*;

    /// A request for `CN=Taro Yamada`: its PEM and DER.
    fn request() -> (String, Vec<u8>) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "Taro Yamada");
        let csr = params.serialize_request(&key).unwrap();
        (csr.pem().unwrap(), csr.der().to_vec())
    }

    #[test]
    fn a_request_reads_the_same_in_every_encoding_windows_certenroll_writes() {
        let (pem, der) = request();
        let base64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let wrapped_crlf: String = base64
            .as_bytes()
            .chunks(64)
            .map(|line| format!("{}\r\n", std::str::from_utf8(line).unwrap()))
            .collect();
        let forms = [
            pem.clone(),
            pem.replace('\n', "\r\n"),
            format!(
                "-----BEGIN NEW CERTIFICATE REQUEST-----\r\n{wrapped_crlf}-----END NEW CERTIFICATE REQUEST-----\r\n"
            ),
            wrapped_crlf.clone(),
            base64.clone(),
        ];
        let expected = CertificateRequest::parse(&der).unwrap();
        for form in forms {
            let parsed = CertificateRequest::parse(form.as_bytes())
                .unwrap_or_else(|e| panic!("{form:?}: {e}"));
            assert_eq!(parsed.spki_der, expected.spki_der, "{form:?}");
            assert_eq!(parsed.subject, expected.subject);
        }
    }

    #[test]
    fn text_that_is_neither_pem_nor_base64_is_malformed() {
        for garbage in [
            "not a request",
            "-----BEGIN NEW CERTIFICATE REQUEST-----\r\n!!!\r\n",
        ] {
            assert!(matches!(
                CertificateRequest::parse(garbage.as_bytes()),
                Err(CsrDefect::Malformed(_))
            ));
        }
    }
}
