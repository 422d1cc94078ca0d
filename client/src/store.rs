//! The certificate store: one directory, owned by the client, that never loses a key.
//!
//! ```text
//! STORE/
//!   roots/<sha256>.pem                   trusted roots (信頼されたルート証明機関)
//!   pending/<key-id>/key.pem             a key made for a request not yet answered (0600)
//!   pending/<key-id>/request.json        the CSR and where it was sent
//!   personal/<serial>/certificate.pem    an installed certificate (個人)
//!   personal/<serial>/key.pem            its key (0600)
//!   pending/<key-id>/certificate.pem     the site's answer, kept before it is installed
//!   site.json                            the confirmation page and site anchor of the last enrollment
//! ```
//! Every file is written to a temporary name, synced and renamed; a pending request or a personal
//! entry appears whole (its directory is renamed into place) or not at all. A key is on disk, as a
//! pending request, before its CSR can leave the machine: [`crate::site::SiteClient::submit_csr`]
//! takes a [`PendingRequest`], which only [`Store::begin_request`] makes.
//!
//! Nothing here repairs the store on its own: [`Store::survey`] reports what is wrong (a stray
//! `.incoming-*` left by an interrupted write, a key without its certificate, a damaged file) and
//! leaves it for a person to decide, since the damaged thing may hold the only copy of a key.

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

pub use crate::error::StoreError;

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
/// key is safely on disk: the fields are private so that holding one means the key is there.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    id: String,
    dir: PathBuf,
    record: RequestRecord,
    answer: Option<String>,
}

impl PendingRequest {
    /// The key's id: the first 16 bytes of the SHA-256 of its SubjectPublicKeyInfo, in hex.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its directory in the store.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What was recorded with it (the CSR, the application's URL, when the key was made).
    pub fn record(&self) -> &RequestRecord {
        &self.record
    }

    /// The certificate the site answered with (PEM), when it arrived but was not installed yet.
    pub fn answer(&self) -> Option<&str> {
        self.answer.as_deref()
    }
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
    /// How many certificates the store holds with this subject (itself included).
    pub held: usize,
}

/// The guide's note on holding the same certificate more than once [STORE-NEWEST].
pub const NEWEST_NOTE: &str =
    "同一の電子証明書を複数所有する場合、有効期間(開始)の新しいものが最新のものとなります";

/// The guide's words for a certificate whose root is not installed [CHAIN-INCOMPLETE].
pub const CHAIN_INCOMPLETE: &str = "情報不足のため、この証明書・・・";

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
        if self.key_present {
            writeln!(f, "    秘密鍵 (key):      あり (present)")?;
        } else {
            writeln!(
                f,
                "    秘密鍵 (key):      なし (missing: this PC cannot use it; a certificate made on another PC needs a renewal application — {})",
                crate::error::OTHER_PC_REMEDY
            )?;
        }
        match &self.chain {
            Chain::Trusted(root) => write!(f, "    チェーン (chain):  {root}"),
            Chain::Incomplete => write!(
                f,
                "    チェーン (chain):  {CHAIN_INCOMPLETE} (CHAIN-INCOMPLETE: the issuing root is not installed. ご使用自体に問題ありません: the certificate is still usable; to verify it up to a trusted root, install the root with `cert-client install --root-from SITE-URL`)"
            ),
        }?;
        if self.current && self.held > 1 {
            write!(
                f,
                "\n    * {NEWEST_NOTE} (current: the newest of the {} certificates with this subject)",
                self.held
            )?;
        }
        Ok(())
    }
}

impl Listed {
    /// The entry as `--json` prints it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": rfc3339(self.not_before),
            "not_after": rfc3339(self.not_after),
            "key_present": self.key_present,
            "chain": match &self.chain {
                Chain::Trusted(root) => serde_json::json!({"status": "trusted", "root": root}),
                Chain::Incomplete => serde_json::json!({"status": "incomplete", "id": "CHAIN-INCOMPLETE", "message": CHAIN_INCOMPLETE}),
            },
            "current": self.current,
            "held": self.held,
        })
    }
}

/// Something wrong in the store, found by [`Store::survey`] and left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Where.
    pub path: PathBuf,
    /// What is wrong, and what to do.
    pub what: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.what)
    }
}

/// Everything in the store, sound or not.
#[derive(Debug, Clone, Default)]
pub struct Survey {
    /// The sound personal certificates, listed.
    pub listed: Vec<Listed>,
    /// The sound pending requests.
    pub pending: Vec<PendingRequest>,
    /// What is wrong.
    pub damage: Vec<Damage>,
}

/// The site an enrollment completed with, so that `confirm` needs no URL.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SiteRecord {
    /// The confirmation page.
    pub confirm: String,
    /// The site's TLS trust anchor (PEM) the enrollment used.
    pub site_ca: String,
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

/// The certificate store: trusted roots, pending requests (a key made, its CSR sent or about to
/// be), and personal certificates each beside its key. A directory, written atomically; a key is
/// on disk before its request may leave the machine.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let store = client::Store::open(dir.path().join("store"))?;
/// assert!(store.list()?.is_empty()); // no certificate yet
/// assert!(store.pending()?.is_empty()); // and no key waiting for one
/// let survey = store.survey()?; // what `cert-client doctor` reports
/// assert!(survey.pending.is_empty());
/// # Ok(()) }
/// ```
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
        Ok(PendingRequest {
            id,
            dir,
            record,
            answer: None,
        })
    }

    /// Keeps the site's answer beside its pending key, before it is installed: a crash between the
    /// answer and the install leaves everything needed to install it later (CANCEL-RESUME).
    pub fn record_answer(
        &self,
        pending: &PendingRequest,
        certificate_pem: &str,
    ) -> Result<(), StoreError> {
        write_atomically(
            &pending.dir.join("certificate.pem"),
            certificate_pem.as_bytes(),
            0o644,
        )
    }

    /// Every pending request, in id order; fails on a damaged one.
    pub fn pending(&self) -> Result<Vec<PendingRequest>, StoreError> {
        let mut out = Vec::new();
        for dir in sorted_entries(&self.root.join("pending"))? {
            let Some(id) = dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            if id.starts_with('.') {
                continue;
            }
            out.push(self.pending_one(&dir, id)?);
        }
        Ok(out)
    }

    fn pending_one(&self, dir: &Path, id: String) -> Result<PendingRequest, StoreError> {
        let path = dir.join("request.json");
        let text = fs::read(&path).map_err(io_error(&path))?;
        let record = serde_json::from_slice(&text).map_err(|e| StoreError::Damaged {
            path: path.clone(),
            why: e.to_string(),
        })?;
        if !dir.join("key.pem").exists() {
            return Err(StoreError::Damaged {
                path: dir.to_path_buf(),
                why: "a pending request without its key".into(),
            });
        }
        let answer_path = dir.join("certificate.pem");
        let answer = if answer_path.exists() {
            Some(fs::read_to_string(&answer_path).map_err(io_error(&answer_path))?)
        } else {
            None
        };
        Ok(PendingRequest {
            id,
            dir: dir.to_path_buf(),
            record,
            answer,
        })
    }

    /// Installs a certificate beside the pending key it was issued for, then retires the pending
    /// request. `None` when no pending key matches (REINSTALL-NOT-FOUND).
    pub fn install(&self, certificate_pem: &str) -> Result<Option<Installed>, StoreError> {
        let der = parse_pem_certificate(certificate_pem)?;
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

    /// The personal store, with what each certificate's status is; fails on a damaged entry
    /// (see [`Store::survey`] to list around it).
    pub fn list(&self) -> Result<Vec<Listed>, StoreError> {
        let roots = self.roots()?;
        let mut listed = Vec::new();
        for dir in self.personal_dirs()? {
            listed.push(describe(&dir, &roots)?);
        }
        Ok(rank(listed))
    }

    /// The whole store: what is sound, and what is damaged (reported, never repaired).
    pub fn survey(&self) -> Result<Survey, StoreError> {
        let mut survey = Survey::default();
        for area in ["roots", "pending", "personal"] {
            for path in sorted_entries(&self.root.join(area))? {
                if path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(".incoming-"))
                {
                    survey.damage.push(Damage {
                        path,
                        what: "an interrupted write (.incoming-*); left as it is: look inside, and remove it once nothing in it is needed".into(),
                    });
                }
            }
        }
        let mut roots = Vec::new();
        for path in sorted_entries(&self.root.join("roots"))? {
            if path.extension().is_some_and(|e| e == "pem") {
                match read_certificate(&path) {
                    Ok(der) => roots.push(der),
                    Err(e) => survey.damage.push(Damage {
                        path,
                        what: format!("a trusted root that cannot be read: {e}"),
                    }),
                }
            }
        }
        for dir in self.personal_dirs()? {
            let has_certificate = dir.join("certificate.pem").exists();
            let has_key = dir.join("key.pem").exists();
            if !has_certificate {
                survey.damage.push(Damage {
                    path: dir,
                    what: if has_key {
                        "a key without its certificate; kept: install the certificate again with `cert-client install --certificate FILE`".into()
                    } else {
                        "an empty entry".into()
                    },
                });
                continue;
            }
            match describe(&dir, &roots) {
                Ok(listed) => {
                    if has_key && !listed.key_present {
                        survey.damage.push(Damage {
                            path: dir.join("key.pem"),
                            what:
                                "a key that does not belong to its certificate, or cannot be read"
                                    .into(),
                        });
                    }
                    survey.listed.push(listed);
                }
                Err(e) => survey.damage.push(Damage {
                    path: dir.join("certificate.pem"),
                    what: format!(
                        "a certificate that cannot be read (half-written or damaged): {e}"
                    ),
                }),
            }
        }
        survey.listed = rank(std::mem::take(&mut survey.listed));
        for dir in sorted_entries(&self.root.join("pending"))? {
            let Some(id) = dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            if id.starts_with('.') {
                continue;
            }
            match self.pending_one(&dir, id) {
                Ok(pending) => survey.pending.push(pending),
                Err(e) => survey.damage.push(Damage {
                    path: dir,
                    what: format!("a pending request that cannot be read: {e}"),
                }),
            }
        }
        Ok(survey)
    }

    fn personal_dirs(&self) -> Result<Vec<PathBuf>, StoreError> {
        Ok(sorted_entries(&self.root.join("personal"))?
            .into_iter()
            .filter(|dir| {
                dir.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| !n.starts_with('.'))
            })
            .collect())
    }

    /// Installs a certificate the site returned, or one given by hand (a reinstall): beside its
    /// pending key, or [`crate::Error::ReinstallNotFound`] saying whether it is already held or
    /// was made elsewhere.
    pub fn reinstall(&self, certificate_pem: &str) -> Result<Installed, crate::Error> {
        if let Some(installed) = self.install(certificate_pem)? {
            return Ok(installed);
        }
        let der = parse_pem_certificate(certificate_pem)?;
        let (_, certificate) =
            X509Certificate::from_der(&der).map_err(|e| StoreError::Damaged {
                path: PathBuf::from("<certificate to install>"),
                why: e.to_string(),
            })?;
        let held = self
            .root
            .join("personal")
            .join(hex(certificate.raw_serial()))
            .join("certificate.pem");
        let why = match read_certificate(&held) {
            Ok(existing) if existing == der => crate::error::Unmatched::AlreadyInstalled,
            _ => crate::error::Unmatched::MadeElsewhere,
        };
        Err(crate::Error::ReinstallNotFound {
            subject: name_string(certificate.subject()),
            serial: crate::thumbprint::pairs(certificate.raw_serial()),
            why,
        })
    }

    /// Records the site of a completed enrollment.
    pub fn remember_site(&self, site: &SiteRecord) -> Result<(), StoreError> {
        let path = self.root.join("site.json");
        let json = serde_json::to_vec_pretty(site).map_err(|e| StoreError::Damaged {
            path: path.clone(),
            why: e.to_string(),
        })?;
        write_atomically(&path, &json, 0o644)
    }

    /// The site of the last completed enrollment, if any.
    pub fn site(&self) -> Result<Option<SiteRecord>, StoreError> {
        let path = self.root.join("site.json");
        match fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| StoreError::Damaged {
                        path,
                        why: e.to_string(),
                    })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Io { path, source: e }),
        }
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

fn parse_pem_certificate(certificate_pem: &str) -> Result<Vec<u8>, StoreError> {
    CertificateDer::from_pem_slice(certificate_pem.as_bytes())
        .map(|der| der.as_ref().to_vec())
        .map_err(|e| StoreError::Damaged {
            path: PathBuf::from("<certificate to install>"),
            why: format!("not a PEM certificate: {e}"),
        })
}

/// One personal entry, with its key and chain status.
fn describe(dir: &Path, roots: &[Vec<u8>]) -> Result<Listed, StoreError> {
    let path = dir.join("certificate.pem");
    let der = read_certificate(&path)?;
    let (_, certificate) = X509Certificate::from_der(&der).map_err(|e| StoreError::Damaged {
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
    Ok(Listed {
        dir: dir.to_path_buf(),
        subject: name_string(certificate.subject()),
        issuer: name_string(certificate.issuer()),
        serial: crate::thumbprint::pairs(certificate.raw_serial()),
        not_before: from_timestamp(validity.not_before.timestamp()),
        not_after: from_timestamp(validity.not_after.timestamp()),
        key_present,
        chain,
        current: false,
        held: 1,
    })
}

/// STORE-NEWEST: of the certificates with one subject, the newest notBefore is current (the
/// larger serial breaks a tie, so exactly one is); sorted by subject, newest first.
fn rank(mut listed: Vec<Listed>) -> Vec<Listed> {
    listed.sort_by(|a, b| {
        a.subject
            .cmp(&b.subject)
            .then(b.not_before.cmp(&a.not_before))
            .then(b.serial.len().cmp(&a.serial.len()))
            .then(b.serial.cmp(&a.serial))
    });
    for i in 0..listed.len() {
        let subject = listed[i].subject.clone();
        listed[i].held = listed.iter().filter(|l| l.subject == subject).count();
        // Sorted newest first within a subject: the first of its subject is current.
        listed[i].current = i == 0 || listed[i - 1].subject != subject;
    }
    listed
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
    use rcgen::{CertificateParams, KeyPair, PublicKeyData as _};

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
        let key = KeyPair::from_pem(test_support::pki::holder_key(0)).unwrap();
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
        let key = KeyPair::from_pem(test_support::pki::holder_key(1)).unwrap();
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

        let stranger = KeyPair::from_pem(test_support::pki::holder_key(2)).unwrap();
        let other = CertificateParams::new(vec![])
            .unwrap()
            .self_signed(&stranger)
            .unwrap();
        assert!(store.install(&other.pem()).unwrap().is_none());
    }

    /// A test root, and leaf certificates it signs for keys begun in the store.
    struct TestCa {
        issuer: rcgen::CertifiedIssuer<'static, KeyPair>,
    }

    impl TestCa {
        fn new() -> Self {
            let mut params = CertificateParams::new(vec![]).unwrap();
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, "Test Root");
            let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            Self {
                issuer: rcgen::CertifiedIssuer::self_signed(params, key).unwrap(),
            }
        }

        /// Begins a request in `store` and issues its certificate, valid from `year`-01-01.
        fn issue(&self, store: &Store, common_name: &str, year: i32, serial: u8) -> String {
            let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            store
                .begin_request(
                    &key.serialize_pem(),
                    &key.subject_public_key_info(),
                    record(),
                )
                .unwrap();
            let mut params = CertificateParams::new(vec![]).unwrap();
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, common_name);
            params.not_before = rcgen::date_time_ymd(year, 1, 1);
            params.not_after = rcgen::date_time_ymd(year + 2, 1, 1);
            params.serial_number = Some(rcgen::SerialNumber::from(vec![serial]));
            params.signed_by(&key, &self.issuer).unwrap().pem()
        }
    }

    #[test]
    fn the_newest_not_before_is_current_and_the_guides_note_shows_only_for_a_subject_held_twice() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ca = TestCa::new();
        for (year, serial) in [(2026, 1), (2027, 2)] {
            let pem = ca.issue(&store, "Taro Yamada", year, serial);
            store.install(&pem).unwrap().unwrap();
        }
        let pem = ca.issue(&store, "Hanako Sato", 2026, 3);
        store.install(&pem).unwrap().unwrap();

        let listed = store.list().unwrap();
        let taro: Vec<_> = listed
            .iter()
            .filter(|l| l.subject == "CN=Taro Yamada")
            .collect();
        assert_eq!(taro.len(), 2);
        assert!(taro[0].current && !taro[1].current);
        assert_eq!(taro[0].serial, "02");
        let shown = taro[0].to_string();
        assert!(shown.contains(NEWEST_NOTE), "{shown}");
        assert!(shown.starts_with("* CN=Taro Yamada"));
        assert!(!taro[1].to_string().contains(NEWEST_NOTE));
        let hanako = listed
            .iter()
            .find(|l| l.subject == "CN=Hanako Sato")
            .unwrap();
        assert!(hanako.current);
        assert!(
            !hanako.to_string().contains(NEWEST_NOTE),
            "held once: no note"
        );
        // The confirmation page is opened with the newest current certificate.
        assert_eq!(store.identity().unwrap().unwrap().0.serial, "02");
    }

    #[test]
    fn a_certificate_whose_root_is_not_installed_is_flagged_chain_incomplete_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ca = TestCa::new();
        let pem = ca.issue(&store, "Taro Yamada", 2026, 1);
        store.install(&pem).unwrap().unwrap();

        let listed = store.list().unwrap();
        assert_eq!(listed[0].chain, Chain::Incomplete);
        let shown = listed[0].to_string();
        assert!(shown.contains(CHAIN_INCOMPLETE), "{shown}");
        assert!(
            shown.contains("CHAIN-INCOMPLETE") && shown.contains("cert-client install --root-from")
        );
        assert_eq!(listed[0].to_json()["chain"]["id"], "CHAIN-INCOMPLETE");

        store.add_root(ca.issuer.der()).unwrap();
        let listed = store.list().unwrap();
        assert_eq!(listed[0].chain, Chain::Trusted("CN=Test Root".into()));
        assert!(!listed[0].to_string().contains(CHAIN_INCOMPLETE));
    }

    #[test]
    fn a_kept_answer_is_read_back_with_its_pending_request() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ca = TestCa::new();
        let pem = ca.issue(&store, "Taro Yamada", 2026, 1);
        let pending = store.pending().unwrap().remove(0);
        assert!(pending.answer.is_none());
        store.record_answer(&pending, &pem).unwrap();
        assert_eq!(
            store.pending().unwrap()[0].answer.as_deref(),
            Some(pem.as_str())
        );
        store.reinstall(&pem).unwrap();
        assert!(store.pending().unwrap().is_empty());
    }

    #[test]
    fn a_reinstall_tells_an_installed_certificate_from_one_made_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ca = TestCa::new();
        let pem = ca.issue(&store, "Taro Yamada", 2026, 1);
        store.reinstall(&pem).unwrap();
        match store.reinstall(&pem).unwrap_err() {
            crate::Error::ReinstallNotFound { why, serial, .. } => {
                assert_eq!(why, crate::error::Unmatched::AlreadyInstalled);
                assert_eq!(serial, "01");
            }
            other => panic!("{other:?}"),
        }
        let elsewhere = tempfile::tempdir().unwrap();
        let other_pc = Store::open(elsewhere.path()).unwrap();
        let made_there = ca.issue(&other_pc, "Taro Yamada", 2026, 2);
        let error = store.reinstall(&made_there).unwrap_err();
        assert_eq!(error.id(), "REINSTALL-NOT-FOUND");
        assert!(matches!(
            error,
            crate::Error::ReinstallNotFound {
                why: crate::error::Unmatched::MadeElsewhere,
                ..
            }
        ));
    }

    #[test]
    fn a_broken_store_is_reported_and_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ca = TestCa::new();
        let pem = ca.issue(&store, "Taro Yamada", 2026, 1);
        let sound = store.install(&pem).unwrap().unwrap();

        // An interrupted write, a key without its certificate, a half-written certificate.
        let stray = store.path().join("pending/.incoming-abc123");
        fs::create_dir_all(&stray).unwrap();
        fs::write(stray.join("key.pem"), "-----BEGIN PRIVATE KEY-----").unwrap();
        let lonely = store.path().join("personal/0a");
        fs::create_dir_all(&lonely).unwrap();
        fs::write(lonely.join("key.pem"), "key").unwrap();
        let half = store.path().join("personal/0b");
        fs::create_dir_all(&half).unwrap();
        fs::write(
            half.join("certificate.pem"),
            "-----BEGIN CERTIFICATE-----\nMIIB",
        )
        .unwrap();
        fs::write(half.join("key.pem"), "key").unwrap();

        let survey = store.survey().unwrap();
        let what: Vec<_> = survey.damage.iter().map(|d| d.path.clone()).collect();
        assert_eq!(survey.damage.len(), 3, "{:?}", survey.damage);
        assert!(what.contains(&stray));
        assert!(what.contains(&lonely));
        assert!(what.contains(&half.join("certificate.pem")));
        assert!(
            survey
                .damage
                .iter()
                .any(|d| d.what.contains("key without its certificate"))
        );
        // The sound certificate is still listed.
        assert_eq!(survey.listed.len(), 1);
        assert_eq!(survey.listed[0].dir, sound.dir);
        // Nothing was repaired or removed.
        assert!(stray.join("key.pem").exists() && lonely.join("key.pem").exists());
        assert!(half.join("certificate.pem").exists());
        // The strict listing refuses rather than skip.
        assert!(store.list().is_err());
    }
}
