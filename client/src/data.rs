//! Data delivery from the holder's side [DATA-DECRYPT]: the download page (mTLS with the store's
//! current certificate), each document fetched as CMS EnvelopedData and opened with a key of the
//! store, the plain text written atomically (0600) or not at all.

use std::{
    fs,
    io::Write as _,
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{
    envelope::{Envelope, EnvelopeError},
    error::Error,
    site::{Described, SiteClient},
    store::{Store, StoreError},
};

/// The download page's path (docs/protocol.md, "Data delivery").
pub const DOCUMENTS: &str = "/documents";

/// A document as the download page lists it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DocumentEntry {
    /// `doc-0001`, …
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its file name.
    pub file_name: String,
    /// Its media type.
    pub content_type: String,
    /// Its size in bytes (before encryption).
    pub size: u64,
    /// When it was published.
    pub published_at: String,
    /// Where to download it.
    pub download: String,
}

/// The download page.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DocumentList {
    /// データのダウンロード
    pub title: String,
    /// The certificate presented.
    pub holder: Described,
    /// The guide's words on why the certificate exists [DATA-DECRYPT].
    pub notice: String,
    /// The algorithms the site encrypts with.
    #[serde(default)]
    pub encryption: String,
    /// The holder's documents, oldest first.
    pub documents: Vec<DocumentEntry>,
}

/// What opening an envelope with the store found.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The plain content.
    pub content: Vec<u8>,
    /// The serial of the certificate whose key opened it.
    pub serial: String,
    /// Its subject.
    pub subject: String,
}

/// A client for the download page, presenting the store's current certificate.
fn site_for(url: &str, trust: &[u8], store: &Store) -> Result<SiteClient, Error> {
    let identity = store
        .identity()?
        .map(|(_, certificate, key)| format!("{certificate}{key}"));
    SiteClient::new(url, trust, identity.as_deref())
}

/// The download page for the holder of the store's current certificate.
pub async fn list(url: &str, trust: &[u8], store: &Store) -> Result<DocumentList, Error> {
    site_for(url, trust, store)?.get_json(DOCUMENTS).await
}

/// Downloads document `id`: the envelope, checked to be CMS EnvelopedData. A document the site
/// does not have for this holder is [`Error::DataNotForThisPc`].
pub async fn fetch(url: &str, trust: &[u8], store: &Store, id: &str) -> Result<Vec<u8>, Error> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Error::Usage(format!("{id:?} is not a document id")));
    }
    let site = site_for(url, trust, store)?;
    let envelope = match site.download(&format!("{DOCUMENTS}/{id}")).await {
        Err(Error::Site { status: 404, .. }) => {
            let holder = store
                .identity()?
                .map(|(listed, _, _)| format!("{} (serial {})", listed.subject, listed.serial))
                .unwrap_or_else(|| "this store's certificate".into());
            return Err(Error::DataNotForThisPc(format!(
                "the site has no document {id} for {holder}: it is another holder's, or does not exist (`cert-client data list` shows yours)"
            )));
        }
        other => other?,
    };
    Envelope::parse(&envelope)
        .map_err(|e| Error::Protocol(format!("the site sent {id} as {e}")))?;
    Ok(envelope)
}

/// Opens an envelope with whichever certificate of the store it is addressed to, and that
/// certificate's key. [`Error::DataNotForThisPc`] when no certificate here is a recipient, or
/// the recipient's key is not in this store (a certificate copied from another PC).
pub fn open(store: &Store, bytes: &[u8]) -> Result<Opened, Error> {
    let envelope = Envelope::parse(bytes).map_err(|e| Error::DataUnreadable(e.to_string()))?;
    let survey = store.survey()?;
    let mut keyless = Vec::new();
    for listed in survey.listed.iter().rev() {
        let certificate = read_pem(&listed.dir.join("certificate.pem"))?;
        if !envelope.is_for(&certificate) {
            continue;
        }
        if !listed.key_present {
            keyless.push(format!("{} (serial {})", listed.subject, listed.serial));
            continue;
        }
        let key = read_pem(&listed.dir.join("key.pem"))?;
        return match envelope.open(&certificate, &key) {
            Ok(content) => Ok(Opened {
                content,
                serial: listed.serial.clone(),
                subject: listed.subject.clone(),
            }),
            Err(e @ (EnvelopeError::Undecryptable(_) | EnvelopeError::Unsupported(_))) => {
                Err(Error::DataUnreadable(e.to_string()))
            }
            Err(e) => Err(Error::DataNotForThisPc(e.to_string())),
        };
    }
    let recipients: Vec<String> = envelope
        .recipients()
        .iter()
        .map(ToString::to_string)
        .collect();
    Err(Error::DataNotForThisPc(if keyless.is_empty() {
        format!(
            "the data is encrypted to {}; no certificate in this store is a recipient",
            recipients.join(", ")
        )
    } else {
        format!(
            "the data is encrypted to {}, whose key is not in this store (made on another PC)",
            keyless.join(", ")
        )
    }))
}

/// Writes `bytes` to `path` whole or not at all (a temporary file beside it, synced, renamed
/// over), readable by the owner only: the plain text is the holder's alone.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io = |source| {
        Error::Store(StoreError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".incoming-")
        .tempfile_in(&dir)
        .map_err(io)?;
    file.as_file()
        .set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.as_file().sync_all().map_err(io)?;
    file.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

fn read_pem(path: &Path) -> Result<Vec<u8>, Error> {
    let bytes = fs::read(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    pem::parse(bytes).map(pem::Pem::into_contents).map_err(|e| {
        Error::Store(StoreError::Damaged {
            path: path.to_path_buf(),
            why: e.to_string(),
        })
    })
}
