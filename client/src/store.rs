//! The certificate store: one directory, owned by the client, that never loses a key.
//!
//! ```text
//! STORE/
//!   roots/<sha256>.pem                   trusted roots (信頼されたルート証明機関)
//!   pending/<key-id>/key.pem             a key made for a request not yet answered (0600)
//!   pending/<key-id>/request.json        the CSR and where it was sent
//!   personal/<serial>/certificate.pem    an installed certificate (個人)
//!   personal/<serial>/key.pem            its key (0600)
//! ```
//! Every file is written to a temporary name, synced and renamed; a pending request or a personal
//! entry appears whole (its directory is renamed into place) or not at all. A key is on disk, as a
//! pending request, before its CSR can leave the machine: [`crate::site::SiteClient::submit_csr`]
//! takes a [`PendingRequest`], which only [`Store::begin_request`] makes.

use std::{
    fs,
    io::{self, Write as _},
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
};

use rustls_pki_types::{CertificateDer, pem::PemObject};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use x509_parser::{certificate::X509Certificate, prelude::FromDer};

use crate::thumbprint::{hex, sha256};

/// The store cannot be read or written, or holds something it should not.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file or directory could not be read or written.
    #[error("store: {path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file is not what the store wrote (half-written by something else, edited, damaged).
    #[error("store: {path}: {why}")]
    Damaged {
        /// Where.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What `request.json` of a pending request holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The CSR, PEM.
    pub csr: String,
    /// The site's URL for the application (step 1).
    pub application_url: String,
    /// When the key was made (RFC 3339).
    pub created: String,
}

/// A key made for a request the site has not answered yet. Only the store makes one, after the
/// key is safely on disk.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    /// The key's id: the first 16 bytes of the SHA-256 of its SubjectPublicKeyInfo, in hex.
    pub id: String,
    /// Its directory.
    pub dir: PathBuf,
    /// What was recorded with it.
    pub record: RequestRecord,
}

/// Whether a certificate chains to a root in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chain {
    /// Signed by this installed root (its subject).
    Trusted(String),
    /// Its issuer is not among the installed roots (CHAIN-INCOMPLETE).
    Incomplete,
}

/// A certificate in the personal store, as listed.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Its directory.
    pub dir: PathBuf,
    /// Subject, RFC 4514.
    pub subject: String,
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// Serial, hex pairs.
    pub serial: String,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// Whether its key is in the store and belongs to it.
    pub key_present: bool,
    /// Chain status.
    pub chain: Chain,
    /// Whether it is the newest (by notBefore) of the certificates with its subject (STORE-NEWEST).
    pub current: bool,
}

impl std::fmt::Display for Listed {
    /// The listing as `cert-client list` prints it: the current certificate marked `*`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let marker = if self.current { "*" } else { " " };
        writeln!(f, "{marker} {}", self.subject)?;
        writeln!(f, "    発行者 (issuer):   {}", self.issuer)?;
        writeln!(f, "    シリアル (serial): {}", self.serial)?;
        writeln!(
            f,
            "    有効期間 (valid):  {} - {}",
            rfc3339(self.not_before),
            rfc3339(self.not_after)
        )?;
        let key = if self.key_present {
            "あり (present)"
        } else {
            "なし (missing)"
        };
        writeln!(f, "    秘密鍵 (key):      {key}")?;
        match &self.chain {
            Chain::Trusted(root) => write!(f, "    チェーン (chain):  {root}"),
            Chain::Incomplete => write!(
                f,
                "    チェーン (chain):  情報不足のため、この証明書・・・ (CHAIN-INCOMPLETE: the issuing root is not installed; the certificate is still usable)"
            ),
        }?;
        if self.current {
            write!(
                f,
                "\n    * 同一の電子証明書を複数所有する場合、有効期間(開始)の新しいものが最新のものとなります"
            )?;
        }
        Ok(())
    }
}

/// A certificate just installed.
#[derive(Debug, Clone)]
pub struct Installed {
    /// Its directory in the personal store.
    pub dir: PathBuf,
    /// Its serial, hex pairs.
    pub serial: String,
    /// Its subject.
    pub subject: String,
}

/// The store.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// Opens the store at `root`, making its directories (0700) if missing.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        for dir in [
            root.clone(),
            root.join("roots"),
            root.join("pending"),
            root.join("personal"),
        ] {
            fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        }
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700)).map_err(io_error(&root))?;
        Ok(Self { root })
    }

    /// The store's directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Installs a trusted root; installing it again changes nothing.
    pub fn add_root(&self, der: &[u8]) -> Result<PathBuf, StoreError> {
        let path = self
            .root
            .join("roots")
            .join(format!("{}.pem", hex(&sha256(der))));
        if !path.exists() {
            write_atomically(&path, pem("CERTIFICATE", der).as_bytes(), 0o644)?;
        }
        Ok(path)
    }

    /// Whether this root is installed.
    pub fn has_root(&self, der: &[u8]) -> bool {
        self.root
            .join("roots")
            .join(format!("{}.pem", hex(&sha256(der))))
            .exists()
    }

    /// Every installed root, DER.
    pub fn roots(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut roots = Vec::new();
        for path in sorted_entries(&self.root.join("roots"))? {
            if path.extension().is_some_and(|e| e == "pem") {
                roots.push(read_certificate(&path)?);
            }
        }
        Ok(roots)
    }

    /// Records a new key and its request before anything is sent: the key-first rule.
    pub fn begin_request(
        &self,
        key_pem: &str,
        spki_der: &[u8],
        record: RequestRecord,
    ) -> Result<PendingRequest, StoreError> {
        let id = key_id(spki_der);
        let pending = self.root.join("pending");
        let dir = pending.join(&id);
        let json = serde_json::to_vec_pretty(&record).map_err(|e| StoreError::Damaged {
            path: dir.clone(),
            why: e.to_string(),
        })?;
        publish_dir(
            &pending,
            &id,
            &[
                ("key.pem", key_pem.as_bytes(), 0o600),
                ("request.json", &json, 0o644),
            ],
        )?;
        Ok(PendingRequest { id, dir, record })
    }

    /// Every pending request, oldest id order.
    pub fn pending(&self) -> Result<Vec<PendingRequest>, StoreError> {
        let mut out = Vec::new();
        for dir in sorted_entries(&self.root.join("pending"))? {
            let Some(id) = dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            if id.starts_with('.') {
                continue;
            }
            let path = dir.join("request.json");
            let text = fs::read(&path).map_err(io_error(&path))?;
            let record = serde_json::from_slice(&text).map_err(|e| StoreError::Damaged {
                path: path.clone(),
                why: e.to_string(),
            })?;
            out.push(PendingRequest { id, dir, record });
        }
        Ok(out)
    }

    /// Installs a certificate beside the pending key it was issued for, then retires the pending
    /// request. `None` when no pending key matches (REINSTALL-NOT-FOUND).
    pub fn install(&self, certificate_pem: &str) -> Result<Option<Installed>, StoreError> {
        let der = CertificateDer::from_pem_slice(certificate_pem.as_bytes()).map_err(|e| {
            StoreError::Damaged {
                path: PathBuf::from("<certificate from the site>"),
                why: format!("not a PEM certificate: {e}"),
            }
        })?;
        let (_, certificate) =
            X509Certificate::from_der(&der).map_err(|e| StoreError::Damaged {
                path: PathBuf::from("<certificate from the site>"),
                why: e.to_string(),
            })?;
        let id = key_id(certificate.public_key().raw);
        let pending_dir = self.root.join("pending").join(&id);
        let key_path = pending_dir.join("key.pem");
        if !key_path.exists() {
            return Ok(None);
        }
        let key = fs::read(&key_path).map_err(io_error(&key_path))?;
        let serial = hex(certificate.raw_serial());
        let personal = self.root.join("personal");
        publish_dir(
            &personal,
            &serial,
            &[
                (
                    "certificate.pem",
                    pem("CERTIFICATE", &der).as_bytes(),
                    0o644,
                ),
                ("key.pem", &key, 0o600),
            ],
        )?;
        // The key now lives in personal/; only then may the pending copy go.
        fs::remove_dir_all(&pending_dir).map_err(io_error(&pending_dir))?;
        Ok(Some(Installed {
            dir: personal.join(&serial),
            serial: crate::thumbprint::pairs(certificate.raw_serial()),
            subject: name_string(certificate.subject()),
        }))
    }

    /// The personal store, with what each certificate's status is.
    pub fn list(&self) -> Result<Vec<Listed>, StoreError> {
        let roots = self.roots()?;
        let mut listed = Vec::new();
        for dir in sorted_entries(&self.root.join("personal"))? {
            if dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
            {
                continue;
            }
            let path = dir.join("certificate.pem");
            let der = read_certificate(&path)?;
            let (_, certificate) =
                X509Certificate::from_der(&der).map_err(|e| StoreError::Damaged {
                    path: path.clone(),
                    why: e.to_string(),
                })?;
            let key_present = key_matches(&dir.join("key.pem"), certificate.public_key().raw);
            let chain = roots
                .iter()
                .filter_map(|r| X509Certificate::from_der(r).ok().map(|(_, root)| root))
                .find(|root| {
                    root.subject().as_raw() == certificate.issuer().as_raw()
                        && certificate
                            .verify_signature(Some(root.public_key()))
                            .is_ok()
                })
                .map_or(Chain::Incomplete, |root| {
                    Chain::Trusted(name_string(root.subject()))
                });
            let validity = certificate.validity();
            listed.push(Listed {
                dir: dir.clone(),
                subject: name_string(certificate.subject()),
                issuer: name_string(certificate.issuer()),
                serial: crate::thumbprint::pairs(certificate.raw_serial()),
                not_before: from_timestamp(validity.not_before.timestamp()),
                not_after: from_timestamp(validity.not_after.timestamp()),
                key_present,
                chain,
                current: false,
            });
        }
        // STORE-NEWEST: of the certificates with one subject, the newest notBefore is current.
        for i in 0..listed.len() {
            let newest = listed
                .iter()
                .filter(|other| other.subject == listed[i].subject)
                .all(|other| other.not_before <= listed[i].not_before);
            listed[i].current = newest;
        }
        listed.sort_by(|a, b| {
            a.subject
                .cmp(&b.subject)
                .then(b.not_before.cmp(&a.not_before))
        });
        Ok(listed)
    }

    /// The current certificate and its key (PEM), for the confirmation page.
    pub fn identity(&self) -> Result<Option<(Listed, String, String)>, StoreError> {
        let Some(current) = self
            .list()?
            .into_iter()
            .filter(|l| l.current && l.key_present)
            .max_by_key(|l| l.not_before)
        else {
            return Ok(None);
        };
        let cert_path = current.dir.join("certificate.pem");
        let key_path = current.dir.join("key.pem");
        let cert = fs::read_to_string(&cert_path).map_err(io_error(&cert_path))?;
        let key = fs::read_to_string(&key_path).map_err(io_error(&key_path))?;
        Ok(Some((current, cert, key)))
    }
}

/// A name in RFC 4514 order (innermost first), as the site writes subjects: `CN=…,O=…,C=JP`.
pub fn name_string(name: &x509_parser::x509::X509Name<'_>) -> String {
    use x509_parser::oid_registry as oids;
    let known = [
        (oids::OID_X509_COUNTRY_NAME, "C"),
        (oids::OID_X509_STATE_OR_PROVINCE_NAME, "ST"),
        (oids::OID_X509_LOCALITY_NAME, "L"),
        (oids::OID_X509_ORGANIZATION_NAME, "O"),
        (oids::OID_X509_ORGANIZATIONAL_UNIT, "OU"),
        (oids::OID_X509_COMMON_NAME, "CN"),
    ];
    let mut parts: Vec<String> = name
        .iter_attributes()
        .map(|atv| {
            let short = known
                .iter()
                .find(|(oid, _)| oid == atv.attr_type())
                .map_or_else(|| atv.attr_type().to_id_string(), |(_, s)| (*s).to_owned());
            format!("{short}={}", atv.as_str().unwrap_or("<binary>"))
        })
        .collect();
    parts.reverse();
    parts.join(",")
}

/// RFC 3339, as the site writes times.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

fn from_timestamp(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+9))
}

/// A key's id: the first 16 bytes of the SHA-256 of its SubjectPublicKeyInfo, hex.
pub fn key_id(spki_der: &[u8]) -> String {
    hex(&sha256(spki_der)[..16])
}

fn key_matches(path: &Path, spki_der: &[u8]) -> bool {
    fs::read_to_string(path)
        .ok()
        .and_then(|pem| rcgen::KeyPair::from_pem(&pem).ok())
        .is_some_and(|key| rcgen::PublicKeyData::subject_public_key_info(&key) == spki_der)
}

fn read_certificate(path: &Path) -> Result<Vec<u8>, StoreError> {
    let bytes = fs::read(path).map_err(io_error(path))?;
    CertificateDer::from_pem_slice(&bytes)
        .map(|der| der.as_ref().to_vec())
        .map_err(|e| StoreError::Damaged {
            path: path.to_path_buf(),
            why: format!("not a PEM certificate: {e}"),
        })
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io_error(dir))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io_error(dir))?;
    entries.sort();
    Ok(entries)
}

pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(label, der), config)
}

/// Writes a file so a reader sees the old content or the new, never a part.
fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let write = || -> io::Result<()> {
        let mut file = tempfile::Builder::new()
            .prefix(".incoming-")
            .tempfile_in(dir)?;
        file.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        file.as_file().sync_all()?;
        file.persist(path).map_err(|e| e.error)?;
        fs::File::open(dir)?.sync_all()
    };
    write().map_err(io_error(path))
}

/// Makes `parent/name/` with `files` in it, all at once: the files are written and synced in a
/// hidden directory that is then renamed into place.
fn publish_dir(parent: &Path, name: &str, files: &[(&str, &[u8], u32)]) -> Result<(), StoreError> {
    let target = parent.join(name);
    let staging = tempfile::Builder::new()
        .prefix(".incoming-")
        .tempdir_in(parent)
        .map_err(io_error(parent))?;
    for (file_name, bytes, mode) in files {
        let path = staging.path().join(file_name);
        let write = || -> io::Result<()> {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            file.set_permissions(fs::Permissions::from_mode(*mode))?;
            file.write_all(bytes)?;
            file.sync_all()
        };
        write().map_err(io_error(&path))?;
    }
    let staged = staging.keep();
    fs::set_permissions(&staged, fs::Permissions::from_mode(0o700)).map_err(io_error(&staged))?;
    fs::File::open(&staged)
        .and_then(|d| d.sync_all())
        .map_err(io_error(&staged))?;
    if target.exists() {
        let _ = fs::remove_dir_all(&staged);
        return Err(StoreError::Damaged {
            path: target,
            why: "already exists; the store will not overwrite it".into(),
        });
    }
    fs::rename(&staged, &target).map_err(io_error(&target))?;
    fs::File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(io_error(parent))
}

#[cfg(test)]
mod tests {
    use rcgen::{CertificateParams, KeyPair, PKCS_RSA_SHA256, PublicKeyData as _};

    use super::*;

    fn record() -> RequestRecord {
        RequestRecord {
            csr: "-----BEGIN CERTIFICATE REQUEST-----".into(),
            application_url: "https://127.0.0.1:1/apply/ap-0001".into(),
            created: "2026-11-25T10:00:00+09:00".into(),
        }
    }

    #[test]
    fn begin_request_puts_the_key_on_disk_0600_before_returning_the_request() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("store")).unwrap();
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
        let pending = store
            .begin_request(
                &key.serialize_pem(),
                &key.subject_public_key_info(),
                record(),
            )
            .unwrap();

        let key_path = pending.dir.join("key.pem");
        assert_eq!(fs::read_to_string(&key_path).unwrap(), key.serialize_pem());
        assert_eq!(
            fs::metadata(&key_path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(store.pending().unwrap().len(), 1);
        // Nothing half-made is left beside it.
        let names: Vec<_> = fs::read_dir(store.path().join("pending"))
            .unwrap()
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn install_moves_the_key_beside_its_certificate_and_refuses_a_stranger() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
        store
            .begin_request(
                &key.serialize_pem(),
                &key.subject_public_key_info(),
                record(),
            )
            .unwrap();
        let certificate = CertificateParams::new(vec![])
            .unwrap()
            .self_signed(&key)
            .unwrap();

        let installed = store
            .install(&certificate.pem())
            .unwrap()
            .expect("matches the pending key");
        assert_eq!(
            fs::read_to_string(installed.dir.join("key.pem")).unwrap(),
            key.serialize_pem()
        );
        assert!(store.pending().unwrap().is_empty());
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].key_present && listed[0].current);
        assert_eq!(listed[0].chain, Chain::Incomplete);

        let stranger = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
        let other = CertificateParams::new(vec![])
            .unwrap()
            .self_signed(&stranger)
            .unwrap();
        assert!(store.install(&other.pem()).unwrap().is_none());
    }
}
