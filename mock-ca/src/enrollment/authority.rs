//! The certificate authority: its root, the certificates it signs, and the check of a certificate
//! presented back to the site.

use std::{fs, io::Write as _, path::Path, sync::OnceLock};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_RSA_SHA256, PublicKeyData as _, SerialNumber,
};
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};
use x509_parser::{certificate::X509Certificate, prelude::FromDer};

use crate::{enrollment::application::Subject, enrollment::request::CertificateRequest};

/// File names of a persisted authority.
const ROOT_FILE: &str = "root.pem";
const KEY_FILE: &str = "root.key.pem";

/// The authority could not be made, loaded, saved, or could not sign.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// Key generation, certificate encoding or signing failed.
    #[error("certificate operation failed: {0}")]
    Certificate(#[from] rcgen::Error),
    /// The directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A persisted root or key is not usable.
    #[error("{0}")]
    Invalid(String),
}

/// SHA-1 and SHA-256 thumbprints over a certificate's DER, as upper-case hex pairs joined by `:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbprints {
    /// SHA-1, as the Windows dialog shows it.
    pub sha1: String,
    /// SHA-256.
    pub sha256: String,
}

impl Thumbprints {
    /// The thumbprints of `der`.
    pub fn of(der: &[u8]) -> Self {
        use aws_lc_rs::digest::{SHA1_FOR_LEGACY_USE_ONLY, SHA256, digest};
        Self {
            sha1: hex_pairs(digest(&SHA1_FOR_LEGACY_USE_ONLY, der).as_ref()),
            sha256: hex_pairs(digest(&SHA256, der).as_ref()),
        }
    }
}

/// Bytes as upper-case hex pairs joined by `:`.
pub fn hex_pairs(bytes: &[u8]) -> String {
    let pairs: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    pairs.join(":")
}

/// A certificate the authority signed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IssuedCertificate {
    /// The serial, as hex pairs.
    pub serial: String,
    /// The subject, RFC 4514 order.
    pub subject: String,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// The certificate, DER.
    pub der: Vec<u8>,
}

impl IssuedCertificate {
    /// The certificate in PEM.
    pub fn pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.der)
    }
}

/// What the authority found in a certificate presented to it.
#[derive(Debug, Clone)]
pub struct Holder {
    /// Subject, RFC 4514 order.
    pub subject: String,
    /// Serial, hex pairs.
    pub serial: String,
}

/// A root CA: its key and self-signed certificate.
pub struct Authority {
    key: SigningKey,
    certificate: CertificateDer<'static>,
    subject: String,
}

/// The root's private key. A loaded key is parsed and checked (aws-lc's `RSA_check_key`, ~1.7 ms:
/// most of the site's start before it was deferred) at the first signature, not at start; a
/// thread for it at start took a core from the start itself on two.
struct SigningKey {
    /// PKCS#8 PEM, as saved.
    pem: String,
    issuer: OnceLock<Result<Issuer<'static, KeyPair>, String>>,
}

impl SigningKey {
    /// The issuer for the root `certificate`, parsing the key now if no one has yet.
    fn issuer(&self, certificate: &[u8]) -> Result<&Issuer<'static, KeyPair>, AuthorityError> {
        self.issuer
            .get_or_init(|| {
                let key = KeyPair::from_pem(&self.pem).map_err(|e| format!("root key: {e}"))?;
                if !belongs(&key, certificate) {
                    return Err("the root key does not belong to the root certificate".into());
                }
                Issuer::from_ca_cert_der(&certificate.into(), key).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| AuthorityError::Invalid(e.clone()))
    }
}

/// Whether `key`'s public half is the one `certificate` certifies.
fn belongs(key: &KeyPair, certificate: &[u8]) -> bool {
    X509Certificate::from_der(certificate)
        .is_ok_and(|(_, c)| c.public_key().raw == key.subject_public_key_info().as_slice())
}

/// A root certificate's DER from its PEM.
fn certificate_from_pem(pem: &str) -> Result<CertificateDer<'static>, AuthorityError> {
    use rustls_pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| AuthorityError::Invalid(format!("root certificate: {e}")))
}

/// The RSA modulus of a PKCS#8 key, read from its structure without the arithmetic checks: enough
/// to refuse at start a key file that does not go with the root.
fn pkcs8_rsa_modulus(der: &[u8]) -> Option<&[u8]> {
    use x509_parser::der_parser::{ber::BerObjectContent, der::parse_der};
    let (_, info) = parse_der(der).ok()?;
    let private_key = info.as_sequence().ok()?.get(2)?.as_slice().ok()?;
    let (_, rsa) = parse_der(private_key).ok()?;
    match &rsa.as_sequence().ok()?.get(1)?.content {
        BerObjectContent::Integer(n) => Some(strip_zeros(n)),
        _ => None,
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// A new root with a fresh RSA-2048 key, valid from a day before `now` for 20 years.
    pub fn generate(common_name: &str, now: OffsetDateTime) -> Result<Self, AuthorityError> {
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CountryName,
            rcgen::DnValue::PrintableString("JP".try_into()?),
        );
        dn.push(DnType::OrganizationName, "Mock Securities Depository");
        dn.push(DnType::CommonName, common_name);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(365 * 20);
        params.serial_number = Some(SerialNumber::from_slice(&[0x01]));
        let certificate = params.self_signed(&key)?;
        Self::from_parts(certificate.der().clone(), key)
    }

    /// A root from its PEM certificate and PEM (PKCS#8) key, the key parsed and checked now.
    pub fn from_pem(certificate_pem: &str, key_pem: &str) -> Result<Self, AuthorityError> {
        let certificate = certificate_from_pem(certificate_pem)?;
        let key = KeyPair::from_pem(key_pem)?;
        Self::from_parts(certificate, key)
    }

    /// A root from its PEM certificate and PEM (PKCS#8) key, the key's full check and parse left
    /// to the first signature. What can be seen cheaply is checked now: the PEM, the PKCS#8
    /// structure, and that the key's modulus is the root's. A key that is not RSA is checked at
    /// once, as [`Authority::from_pem`] does.
    pub fn from_pem_deferred(certificate_pem: &str, key_pem: &str) -> Result<Self, AuthorityError> {
        use rustls_pki_types::{PrivatePkcs8KeyDer, pem::PemObject};
        use x509_parser::public_key::PublicKey;
        let invalid = |what: &str| AuthorityError::Invalid(what.to_owned());
        let certificate = certificate_from_pem(certificate_pem)?;
        let key_der = PrivatePkcs8KeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| AuthorityError::Invalid(format!("root key: {e}")))?;
        let Some(modulus) = pkcs8_rsa_modulus(key_der.secret_pkcs8_der()) else {
            // Not RSA (an ECDSA root someone made): its check is cheap, so it is done now.
            return Self::from_pem(certificate_pem, key_pem);
        };
        let (_, parsed) = X509Certificate::from_der(&certificate)
            .map_err(|e| AuthorityError::Invalid(format!("root certificate: {e}")))?;
        let Ok(PublicKey::RSA(root_key)) = parsed.public_key().parsed() else {
            return Err(invalid("root certificate: not an RSA key"));
        };
        if strip_zeros(root_key.modulus) != modulus {
            return Err(invalid(
                "the root key does not belong to the root certificate",
            ));
        }
        let subject = rfc4514(parsed.subject());
        let key = SigningKey {
            pem: key_pem.to_owned(),
            issuer: OnceLock::new(),
        };
        Ok(Self {
            key,
            certificate,
            subject,
        })
    }

    /// The root kept in `dir` (`root.pem`, `root.key.pem`), made and saved there if `dir` has none.
    pub fn load_or_generate(
        dir: &Path,
        common_name: &str,
        now: OffsetDateTime,
    ) -> Result<Self, AuthorityError> {
        let (root_path, key_path) = (dir.join(ROOT_FILE), dir.join(KEY_FILE));
        if root_path.exists() || key_path.exists() {
            let read = |p: &Path| {
                fs::read_to_string(p).map_err(|source| AuthorityError::Io {
                    path: p.display().to_string(),
                    source,
                })
            };
            return Self::from_pem_deferred(&read(&root_path)?, &read(&key_path)?);
        }
        let authority = Self::generate(common_name, now)?;
        authority.save(dir)?;
        Ok(authority)
    }

    /// Writes the root and its key (0600) into `dir`, each atomically.
    pub fn save(&self, dir: &Path) -> Result<(), AuthorityError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| AuthorityError::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        write_atomically(&dir.join(KEY_FILE), self.key.pem.as_bytes(), 0o600)
            .map_err(io(&dir.join(KEY_FILE)))?;
        write_atomically(
            &dir.join(ROOT_FILE),
            self.certificate_pem().as_bytes(),
            0o644,
        )
        .map_err(io(&dir.join(ROOT_FILE)))?;
        Ok(())
    }

    fn from_parts(
        certificate: CertificateDer<'static>,
        key: KeyPair,
    ) -> Result<Self, AuthorityError> {
        let (_, parsed) = X509Certificate::from_der(&certificate)
            .map_err(|e| AuthorityError::Invalid(format!("root certificate: {e}")))?;
        if !belongs(&key, &certificate) {
            return Err(AuthorityError::Invalid(
                "the root key does not belong to the root certificate".into(),
            ));
        }
        let subject = rfc4514(parsed.subject());
        let key = SigningKey {
            pem: key.serialize_pem(),
            issuer: OnceLock::from(Ok(Issuer::from_ca_cert_der(&certificate, key)?)),
        };
        Ok(Self {
            key,
            certificate,
            subject,
        })
    }

    /// The root certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate
    }

    /// The root certificate, PEM.
    pub fn certificate_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.certificate)
    }

    /// The root's subject, RFC 4514 order.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The root's thumbprints.
    pub fn thumbprints(&self) -> Thumbprints {
        Thumbprints::of(&self.certificate)
    }

    /// Signs a client certificate for `request`'s key, with the subject and validity the site
    /// decides: nothing of the request but its key is copied.
    pub fn issue(
        &self,
        request: &CertificateRequest,
        subject: &Subject,
        serial: &[u8],
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<IssuedCertificate, AuthorityError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = subject.to_distinguished_name();
        params.serial_number = Some(SerialNumber::from_slice(serial));
        params.not_before = not_before;
        params.not_after = not_after;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.use_authority_key_identifier_extension = true;
        let spki = rcgen::SubjectPublicKeyInfo::from_der(&request.spki_der)?;
        let certificate = params.signed_by(&spki, self.key.issuer(&self.certificate)?)?;
        Ok(IssuedCertificate {
            serial: hex_pairs(serial),
            subject: subject.to_string(),
            not_before,
            not_after,
            der: certificate.der().to_vec(),
        })
    }

    /// Checks a certificate presented to the site: signed by this root and valid at `now`.
    /// The TLS handshake checks the same with the system clock; this check uses the site's clock.
    pub fn check_holder(&self, der: &[u8], now: OffsetDateTime) -> Result<Holder, String> {
        let (_, certificate) =
            X509Certificate::from_der(der).map_err(|e| format!("unreadable certificate: {e}"))?;
        let (_, root) = X509Certificate::from_der(&self.certificate)
            .map_err(|e| format!("unreadable root: {e}"))?;
        if certificate.issuer().as_raw() != root.subject().as_raw()
            || certificate
                .verify_signature(Some(root.public_key()))
                .is_err()
        {
            return Err("the certificate was not issued by this site's root".into());
        }
        let validity = certificate.validity();
        let (start, end) = (
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        );
        let now = now.unix_timestamp();
        if now < start {
            return Err("the certificate is not yet valid".into());
        }
        if now > end {
            return Err("the certificate has expired".into());
        }
        Ok(Holder {
            subject: rfc4514(certificate.subject()),
            serial: hex_pairs(certificate.raw_serial()),
        })
    }
}

/// A name in RFC 4514 order (innermost first): `CN=…,O=…,C=JP`.
fn rfc4514(name: &x509_parser::x509::X509Name<'_>) -> String {
    match crate::enrollment::request::read_name(name) {
        Ok(pairs) => {
            let parts: Vec<String> = pairs
                .iter()
                .rev()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            parts.join(",")
        }
        Err(_) => name.to_string(),
    }
}

/// PEM with 64-column lines and `\n` line ends.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(label, der), config)
}

/// Writes `bytes` to `path` so that a reader sees the old file or the new one, never a part:
/// a temporary file in the same directory, synced, then renamed over.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::enrollment::application::Attribute;

    #[test]
    fn issued_certificate_chains_to_the_root_and_carries_only_the_sites_choices() {
        let now = datetime!(2026-11-25 10:00 +9);
        let authority = Authority::generate("Test Root", now).unwrap();
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, "ignored");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained); // asked for, must not be granted
        let csr = params.serialize_request(&key).unwrap();
        let request = CertificateRequest::parse(csr.pem().unwrap().as_bytes()).unwrap();
        let subject = Subject(vec![
            (Attribute::C, "JP".into()),
            (Attribute::CN, "太郎".into()),
        ]);
        let issued = authority
            .issue(
                &request,
                &subject,
                &[0x11, 0x22],
                now,
                now + Duration::days(30),
            )
            .unwrap();

        let (_, cert) = X509Certificate::from_der(&issued.der).unwrap();
        let (_, root) = X509Certificate::from_der(authority.certificate_der()).unwrap();
        cert.verify_signature(Some(root.public_key())).unwrap();
        assert_eq!(cert.subject().to_string(), "C=JP, CN=太郎");
        assert!(!cert.is_ca());
        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && !eku.server_auth);
        assert_eq!(issued.serial, "11:22");

        let holder = authority
            .check_holder(&issued.der, now + Duration::days(1))
            .unwrap();
        assert_eq!(holder.serial, "11:22");
        assert!(
            authority
                .check_holder(&issued.der, now + Duration::days(31))
                .unwrap_err()
                .contains("expired")
        );
        assert!(
            authority
                .check_holder(&issued.der, now - Duration::days(1))
                .unwrap_err()
                .contains("not yet valid")
        );
        let other = Authority::generate("Other Root", now).unwrap();
        assert!(other.check_holder(&issued.der, now).is_err());
    }

    fn sign_with(authority: &Authority) -> Result<IssuedCertificate, AuthorityError> {
        let now = datetime!(2026-11-25 10:00 +9);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let csr = CertificateParams::default()
            .serialize_request(&key)
            .unwrap();
        let request = CertificateRequest::parse(csr.pem().unwrap().as_bytes()).unwrap();
        let subject = Subject(vec![(Attribute::CN, "x".into())]);
        authority.issue(&request, &subject, &[1], now, now + Duration::days(1))
    }

    #[test]
    fn a_loaded_root_signs_with_its_key_checked_at_the_first_signature() {
        let now = datetime!(2026-11-25 10:00 +9);
        let made = Authority::generate("Test Root", now).unwrap();
        let loaded = Authority::from_pem_deferred(&made.certificate_pem(), &made.key.pem).unwrap();
        assert_eq!(loaded.subject(), made.subject());
        let issued = sign_with(&loaded).unwrap();
        let (_, cert) = X509Certificate::from_der(&issued.der).unwrap();
        let (_, root) = X509Certificate::from_der(made.certificate_der()).unwrap();
        cert.verify_signature(Some(root.public_key())).unwrap();
    }

    #[test]
    fn a_key_of_another_root_is_refused_at_load_and_a_damaged_one_at_the_first_signature() {
        use rustls_pki_types::{PrivatePkcs8KeyDer, pem::PemObject};
        let now = datetime!(2026-11-25 10:00 +9);
        let (one, other) = (
            Authority::generate("One", now).unwrap(),
            Authority::generate("Other", now).unwrap(),
        );
        let refused =
            Authority::from_pem_deferred(&one.certificate_pem(), &other.key.pem).unwrap_err();
        assert!(refused.to_string().contains("does not belong"), "{refused}");
        assert!(Authority::from_pem_deferred(&one.certificate_pem(), "junk").is_err());

        // A root with another kind of key is still loaded, and checked at once.
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::default();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ec_root = params.self_signed(&key).unwrap();
        let loaded = Authority::from_pem_deferred(&ec_root.pem(), &key.serialize_pem()).unwrap();
        sign_with(&loaded).unwrap();
        let other = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        assert!(Authority::from_pem_deferred(&ec_root.pem(), &other.serialize_pem()).is_err());

        // The last byte of the DER is in the CRT coefficient: the modulus still matches, the
        // arithmetic check fails.
        let mut der = PrivatePkcs8KeyDer::from_pem_slice(one.key.pem.as_bytes())
            .unwrap()
            .secret_pkcs8_der()
            .to_vec();
        *der.last_mut().unwrap() ^= 0x01;
        let damaged = pem_encode("PRIVATE KEY", &der);
        let loaded = Authority::from_pem_deferred(&one.certificate_pem(), &damaged).unwrap();
        let failed = sign_with(&loaded).unwrap_err();
        assert!(matches!(failed, AuthorityError::Invalid(_)), "{failed}");
        assert!(Authority::from_pem(&one.certificate_pem(), &damaged).is_err());
    }

    #[test]
    fn saved_authority_loads_back_with_the_same_root() {
        let dir = tempfile::tempdir().unwrap();
        let now = datetime!(2026-11-25 10:00 +9);
        let first = Authority::load_or_generate(dir.path(), "Test Root", now).unwrap();
        let again = Authority::load_or_generate(dir.path(), "Test Root", now).unwrap();
        assert_eq!(first.certificate_der(), again.certificate_der());
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
