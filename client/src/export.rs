//! `cert-client export --p12`: the one way a key leaves the store, as a PKCS#12 file under a
//! passphrase (PBES2 with AES-256-CBC, HMAC-SHA-256), with its certificate and, when installed, the
//! issuing root.
//!
//! The key is meant to stay on the PC it was made on (OTHER-PC): the export is for a backup of the
//! same holder, and the file is written 0600, never over an existing one.

use std::{fs, io::Write as _, os::unix::fs::OpenOptionsExt as _, path::Path};

use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
use x509_parser::{certificate::X509Certificate, prelude::FromDer as _};

use crate::{
    error::Error,
    store::{Chain, Listed, Store, StoreError},
    thumbprint::sha1,
};

/// What was exported.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The certificate exported with its key.
    pub listed: Listed,
    /// Whether the issuing root went into the file too.
    pub with_root: bool,
}

/// Builds the PKCS#12 of the certificate with `serial` (hex, with or without `:`), or of the
/// current one, under `passphrase`.
pub fn pkcs12(
    store: &Store,
    serial: Option<&str>,
    passphrase: &str,
) -> Result<(Exported, Vec<u8>), Error> {
    if passphrase.is_empty() {
        return Err(Error::Usage(
            "an empty passphrase would leave the key unprotected".into(),
        ));
    }
    let wanted = serial.map(|s| s.replace(':', "").to_ascii_uppercase());
    let listed = store
        .list()?
        .into_iter()
        .filter(|l| match &wanted {
            Some(serial) => l.serial.replace(':', "") == *serial,
            None => l.current,
        })
        .max_by_key(|l| l.not_before)
        .ok_or_else(|| {
            Error::Usage(match serial {
                Some(serial) => format!("no certificate with serial {serial} in the store"),
                None => "no certificate in the store".into(),
            })
        })?;
    if !listed.key_present {
        return Err(Error::Store(StoreError::Damaged {
            path: listed.dir.join("key.pem"),
            why: format!(
                "no key for this certificate in the store: it cannot be exported (made on another PC? {})",
                crate::error::OTHER_PC_REMEDY
            ),
        }));
    }
    let read = |name: &str| {
        let path = listed.dir.join(name);
        fs::read(&path)
            .map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })
            .and_then(|bytes| {
                pem::parse(bytes).map_err(|e| StoreError::Damaged {
                    path,
                    why: e.to_string(),
                })
            })
    };
    let certificate_der = read("certificate.pem")?.into_contents();
    let key_der = read("key.pem")?.into_contents();
    let damaged = |why: String| {
        Error::Store(StoreError::Damaged {
            path: listed.dir.clone(),
            why,
        })
    };
    let mut chain =
        vec![Certificate::from_der(&certificate_der).map_err(|e| damaged(e.to_string()))?];
    let mut with_root = false;
    if let Chain::Trusted(_) = listed.chain {
        let (_, leaf) =
            X509Certificate::from_der(&certificate_der).map_err(|e| damaged(e.to_string()))?;
        for root in store.roots()? {
            let Ok((_, parsed)) = X509Certificate::from_der(&root) else {
                continue;
            };
            if parsed.subject().as_raw() == leaf.issuer().as_raw()
                && leaf.verify_signature(Some(parsed.public_key())).is_ok()
            {
                chain.push(Certificate::from_der(&root).map_err(|e| damaged(e.to_string()))?);
                with_root = true;
                break;
            }
        }
    }
    let key = PrivateKey::from_der(&key_der).map_err(|e| damaged(format!("key: {e}")))?;
    // The local key id ties the key bag to its certificate bag; a SHA-1 of the certificate is what
    // Windows and openssl use.
    let entry = PrivateKeyChain::new(sha1(&certificate_der), key, chain);
    let mut keystore = KeyStore::new();
    let alias = listed
        .subject
        .split(',')
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or("cert-client")
        .to_owned();
    keystore.add_entry(&alias, KeyStoreEntry::PrivateKeyChain(entry));
    let bytes = keystore
        .writer(passphrase)
        .write()
        .map_err(|e| Error::Usage(format!("PKCS#12: {e}")))?;
    Ok((Exported { listed, with_root }, bytes))
}

/// Writes `bytes` to `path`, 0600, refusing to replace an existing file.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io = |source| {
        Error::Store(StoreError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use rcgen::{CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256, PublicKeyData as _};

    use super::*;
    use crate::store::RequestRecord;

    #[test]
    fn the_pkcs12_holds_the_key_and_certificate_under_the_passphrase_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("store")).unwrap();
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        store
            .begin_request(
                &key.serialize_pem(),
                &key.subject_public_key_info(),
                RequestRecord {
                    csr: String::new(),
                    application_url: "https://127.0.0.1:1/apply/ap-0001".into(),
                    created: "2026-11-25T10:00:00+09:00".into(),
                },
            )
            .unwrap();
        let mut params = CertificateParams::new(vec![]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Taro Yamada");
        let certificate = params.self_signed(&key).unwrap();
        store.install(&certificate.pem()).unwrap().unwrap();

        let (exported, bytes) = pkcs12(&store, None, "correct horse").unwrap();
        assert!(!exported.with_root);
        let read = KeyStore::from_pkcs12(
            &bytes,
            "correct horse",
            p12_keystore::Pkcs12ImportPolicy::Strict,
        )
        .unwrap();
        let (_, chain) = read.private_key_chain().unwrap();
        assert_eq!(chain.certs()[0].as_der(), certificate.der().as_ref());
        assert_eq!(
            chain.key().as_der(),
            pem::parse(key.serialize_pem()).unwrap().contents()
        );
        assert!(
            KeyStore::from_pkcs12(&bytes, "wrong", p12_keystore::Pkcs12ImportPolicy::Strict)
                .is_err()
        );
        assert_eq!(pkcs12(&store, None, "").unwrap_err().id(), "USAGE");

        let file = dir.path().join("taro.p12");
        write_new(&file, &bytes).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(
            write_new(&file, &bytes).is_err(),
            "never over an existing file"
        );
    }
}
