//! Data delivery [DATA-DECRYPT]: what the certificate is for. The site publishes documents for a
//! holder (the back office's hand, through the admin API) and delivers each as CMS EnvelopedData
//! (RFC 5652) encrypted to the certificate the holder presents, so that only the PC holding its
//! key can open it: 電子証明書をインストールしたPC だけが、弊社が提供するデータの復号が可能になります.
//!
//! The envelope (docs/protocol.md, "Data delivery"):
//! - key transport: RSAES-OAEP (RFC 8017, RFC 3560) with SHA-256 and MGF1-SHA-256, empty label.
//!   CRYPTREC's e-Government list names RSA-OAEP for confidentiality and keeps RSAES-PKCS1-v1_5
//!   only for compatibility; NIST SP 800-131A rev. 2 disallows PKCS#1 v1.5 key transport after
//!   2023; and v1.5's padding oracles (Bleichenbacher, ROBOT, Marvin) are the known way to lose a
//!   content key. `openssl cms -decrypt` reads OAEP.
//! - content: AES-256-CBC (id-aes256-CBC) with a fresh random key and IV per delivery.
//! - recipient: `issuerAndSerialNumber` of the presented certificate (KeyTransRecipientInfo v0).
//!
//! The crypto is aws-lc-rs (the content key and IV always come from the system's generator, even
//! on a seeded site: a seeded key would be a known key); the `cms` crate gives the ASN.1 types.

use aws_lc_rs::{
    cipher::{AES_256, PaddedBlockEncryptingKey, UnboundCipherKey},
    rand,
    rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey},
};
use cms::{
    cert::IssuerAndSerialNumber,
    content_info::{CmsVersion, ContentInfo},
    enveloped_data::{
        EncryptedContentInfo, EnvelopedData, KeyTransRecipientInfo, RecipientIdentifier,
        RecipientInfo, RecipientInfos,
    },
};
use der::{
    Any, Decode as _, Encode as _, Sequence,
    asn1::{ObjectIdentifier, OctetString, SetOfVec},
};
use serde::{Deserialize, Serialize};
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;

/// id-data (RFC 5652 §4).
pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// id-envelopedData (RFC 5652 §6).
pub const ID_ENVELOPED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.3");
/// id-RSAES-OAEP (RFC 8017 appendix A.1).
pub const ID_RSAES_OAEP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.7");
/// id-mgf1.
pub const ID_MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
/// id-sha256.
pub const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// id-aes256-CBC (RFC 3565).
pub const ID_AES256_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");

/// The largest document the site publishes (bytes of the file, before encryption).
pub const MAX_DOCUMENT: usize = 8 * 1024 * 1024;

/// RSAES-OAEP-params (RFC 8017 appendix A.2.1); absent fields are SHA-1, MGF1-SHA-1, empty label.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct OaepParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    p_source: Option<AlgorithmIdentifierOwned>,
}

/// Why an envelope could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The recipient certificate cannot be read, or its key is not an RSA key aws-lc accepts.
    #[error("the recipient certificate cannot be used for key transport: {0}")]
    Recipient(String),
    /// Encryption or encoding failed.
    #[error("the envelope could not be made: {0}")]
    Envelope(String),
}

/// Encrypts `content` to the holder of `recipient` (a certificate, DER): CMS EnvelopedData in a
/// ContentInfo, DER.
pub fn seal(content: &[u8], recipient: &[u8]) -> Result<Vec<u8>, SealError> {
    let recipient_error = |e: &dyn std::fmt::Display| SealError::Recipient(e.to_string());
    let envelope_error = |e: &dyn std::fmt::Display| SealError::Envelope(e.to_string());
    let certificate =
        x509_cert::Certificate::from_der(recipient).map_err(|e| recipient_error(&e))?;
    let tbs = certificate.tbs_certificate();
    let spki = tbs
        .subject_public_key_info()
        .to_der()
        .map_err(|e| recipient_error(&e))?;
    let public = PublicEncryptingKey::from_der(&spki).map_err(|e| recipient_error(&e))?;
    let oaep = OaepPublicEncryptingKey::new(public).map_err(|e| recipient_error(&e))?;

    let mut key = [0u8; 32];
    rand::fill(&mut key).map_err(|e| envelope_error(&e))?;
    let mut encrypted_key = vec![0u8; oaep.ciphertext_size()];
    let encrypted_key = oaep
        .encrypt(&OAEP_SHA256_MGF1SHA256, &key, &mut encrypted_key, None)
        .map_err(|e| envelope_error(&e))?
        .to_vec();

    let cipher = UnboundCipherKey::new(&AES_256, &key)
        .and_then(PaddedBlockEncryptingKey::cbc_pkcs7)
        .map_err(|e| envelope_error(&e))?;
    let mut ciphertext = content.to_vec();
    let context = cipher
        .encrypt(&mut ciphertext)
        .map_err(|e| envelope_error(&e))?;
    let iv: &[u8] = (&context).try_into().map_err(|e| envelope_error(&e))?;

    let null = || Some(Any::null());
    let sha256 = AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: null(),
    };
    let params = OaepParams {
        hash: Some(sha256.clone()),
        mask_gen: Some(AlgorithmIdentifierOwned {
            oid: ID_MGF1,
            parameters: Some(Any::encode_from(&sha256).map_err(|e| envelope_error(&e))?),
        }),
        p_source: None,
    };
    let recipient_info = KeyTransRecipientInfo {
        version: CmsVersion::V0,
        rid: RecipientIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer().clone(),
            serial_number: tbs.serial_number().clone(),
        }),
        key_enc_alg: AlgorithmIdentifierOwned {
            oid: ID_RSAES_OAEP,
            parameters: Some(Any::encode_from(&params).map_err(|e| envelope_error(&e))?),
        },
        enc_key: OctetString::new(encrypted_key).map_err(|e| envelope_error(&e))?,
    };
    let mut recipients = SetOfVec::new();
    recipients
        .insert(RecipientInfo::Ktri(recipient_info))
        .map_err(|e| envelope_error(&e))?;
    let enveloped = EnvelopedData {
        version: CmsVersion::V0,
        originator_info: None,
        recip_infos: RecipientInfos(recipients),
        encrypted_content: EncryptedContentInfo {
            content_type: ID_DATA,
            content_enc_alg: AlgorithmIdentifierOwned {
                oid: ID_AES256_CBC,
                parameters: Some(
                    Any::encode_from(&OctetString::new(iv).map_err(|e| envelope_error(&e))?)
                        .map_err(|e| envelope_error(&e))?,
                ),
            },
            encrypted_content: Some(OctetString::new(ciphertext).map_err(|e| envelope_error(&e))?),
        },
        unprotected_attrs: None,
    };
    ContentInfo {
        content_type: ID_ENVELOPED_DATA,
        content: Any::encode_from(&enveloped).map_err(|e| envelope_error(&e))?,
    }
    .to_der()
    .map_err(|e| envelope_error(&e))
}

/// What the admin API publishes: a file and its title, for the holder of an application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentForm {
    /// The application whose holder the document is for.
    pub application: String,
    /// Its title, as the download page lists it (e.g. 残高証明書).
    pub title: String,
    /// The file's name, as the holder saves it (e.g. `balance-2026-11.pdf`).
    pub file_name: String,
    /// Its media type (default `application/octet-stream`).
    #[serde(default = "octet_stream")]
    pub content_type: String,
    /// The file, base64 (standard alphabet, padded).
    #[serde(with = "base64_bytes")]
    pub content: Vec<u8>,
}

fn octet_stream() -> String {
    "application/octet-stream".into()
}

/// Why a document was not published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The title is empty.
    #[error("the title is empty")]
    NoTitle,
    /// The file name is empty, a path, or hidden.
    #[error("the file name {0:?} is not a plain file name")]
    BadFileName(String),
    /// The file is larger than the site publishes.
    #[error("the file is {0} bytes; the site publishes at most {MAX_DOCUMENT}")]
    TooLarge(usize),
}

/// A document published for a holder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    /// `doc-0001`, …
    pub id: String,
    /// The application it was published for.
    pub application: String,
    /// The holder: the application's subject, RFC 4514 order. A certificate the site issued with
    /// this subject (a renewal's included) receives it.
    pub subject: String,
    /// Its title.
    pub title: String,
    /// Its file name.
    pub file_name: String,
    /// Its media type.
    pub content_type: String,
    /// The file.
    #[serde(with = "base64_bytes")]
    pub content: Vec<u8>,
    /// When it was published (the site's clock).
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: OffsetDateTime,
    /// The serials of the certificates it was delivered to, in order (one per download).
    #[serde(default)]
    pub deliveries: Vec<String>,
}

impl Document {
    /// Checks a form and makes the document numbered `number`.
    pub fn publish(
        number: usize,
        form: DocumentForm,
        subject: String,
        now: OffsetDateTime,
    ) -> Result<Self, PublishError> {
        if form.title.trim().is_empty() {
            return Err(PublishError::NoTitle);
        }
        let name = form.file_name.trim();
        if name.is_empty()
            || name.starts_with('.')
            || name.contains(['/', '\\', '\0'])
            || name.chars().any(char::is_control)
        {
            return Err(PublishError::BadFileName(form.file_name));
        }
        if form.content.len() > MAX_DOCUMENT {
            return Err(PublishError::TooLarge(form.content.len()));
        }
        Ok(Self {
            id: format!("doc-{number:04}"),
            application: form.application,
            subject,
            title: form.title.trim().to_owned(),
            file_name: name.to_owned(),
            content_type: form.content_type,
            content: form.content,
            published_at: now,
            deliveries: Vec::new(),
        })
    }
}

/// Base64 (standard, padded) for bytes in JSON: the admin API's `content` and the records.
mod base64_bytes {
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text.trim())
            .map_err(|e| serde::de::Error::custom(format!("content is not base64: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use rcgen::{CertificateParams, DnType, KeyPair};
    use time::macros::datetime;

    use super::*;

    fn holder() -> (KeyPair, Vec<u8>) {
        let key = KeyPair::from_pem(test_support::pki::holder_key(1)).unwrap();
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, "Taro Yamada");
        params.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x4A, 0x01]));
        let certificate = params.self_signed(&key).unwrap();
        (key, certificate.der().to_vec())
    }

    #[test]
    fn an_envelope_names_its_recipient_and_the_algorithms_of_the_protocol() {
        let (_, certificate) = holder();
        let sealed = seal(b"balance: 100 shares", &certificate).unwrap();
        let info = ContentInfo::from_der(&sealed).unwrap();
        assert_eq!(info.content_type, ID_ENVELOPED_DATA);
        let enveloped: EnvelopedData = info.content.decode_as().unwrap();
        assert_eq!(enveloped.version, CmsVersion::V0);
        assert_eq!(
            enveloped.encrypted_content.content_enc_alg.oid,
            ID_AES256_CBC
        );
        let ciphertext = enveloped.encrypted_content.encrypted_content.unwrap();
        assert_eq!(
            ciphertext.as_bytes().len(),
            32,
            "19 bytes pad to two blocks"
        );
        let recipients: Vec<_> = enveloped.recip_infos.0.iter().collect();
        let [RecipientInfo::Ktri(ktri)] = recipients.as_slice() else {
            panic!("one key transport recipient: {recipients:?}");
        };
        assert_eq!(ktri.key_enc_alg.oid, ID_RSAES_OAEP);
        let params: OaepParams = ktri
            .key_enc_alg
            .parameters
            .as_ref()
            .unwrap()
            .decode_as()
            .unwrap();
        assert_eq!(params.hash.unwrap().oid, ID_SHA256);
        assert_eq!(params.mask_gen.unwrap().oid, ID_MGF1);
        assert_eq!(ktri.enc_key.as_bytes().len(), 256);
        let RecipientIdentifier::IssuerAndSerialNumber(id) = &ktri.rid else {
            panic!("issuer and serial");
        };
        assert_eq!(id.serial_number.as_bytes(), [0x4A, 0x01]);
    }

    #[test]
    fn openssl_cms_decrypt_opens_an_envelope_with_the_holders_key() {
        if std::process::Command::new("openssl")
            .arg("version")
            .output()
            .is_err()
        {
            eprintln!("notice: openssl is not installed; the interop check is skipped");
            return;
        }
        let (key, certificate) = holder();
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let cert = write(
            "cert.pem",
            crate::enrollment::authority::pem_encode("CERTIFICATE", &certificate).as_bytes(),
        );
        let key = write("key.pem", key.serialize_pem().as_bytes());
        let plain = "残高証明書 %PDF-1.7 \u{0}\u{ff}".as_bytes();
        let sealed = write("doc.p7m", &seal(plain, &certificate).unwrap());
        let out = std::process::Command::new("openssl")
            .args(["cms", "-decrypt", "-inform", "DER", "-in"])
            .arg(&sealed)
            .arg("-recip")
            .arg(&cert)
            .arg("-inkey")
            .arg(&key)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, plain);
    }

    #[test]
    fn two_deliveries_of_one_document_use_fresh_keys() {
        let (_, certificate) = holder();
        assert_ne!(
            seal(b"same", &certificate).unwrap(),
            seal(b"same", &certificate).unwrap()
        );
    }

    #[test]
    fn a_certificate_that_cannot_be_read_is_refused_not_a_panic() {
        assert!(matches!(
            seal(b"x", b"not a certificate"),
            Err(SealError::Recipient(_))
        ));
    }

    #[test]
    fn a_document_needs_a_title_and_a_plain_file_name() {
        let form = |title: &str, file_name: &str| DocumentForm {
            application: "ap-0001".into(),
            title: title.into(),
            file_name: file_name.into(),
            content_type: octet_stream(),
            content: b"%PDF-1.7".to_vec(),
        };
        let now = datetime!(2026-11-25 10:00 +9);
        let published =
            Document::publish(1, form("残高証明書", "balance.pdf"), "CN=x".into(), now).unwrap();
        assert_eq!(published.id, "doc-0001");
        assert_eq!(
            Document::publish(2, form(" ", "a.pdf"), "CN=x".into(), now).unwrap_err(),
            PublishError::NoTitle
        );
        for bad in ["", "../a.pdf", "dir/a.pdf", ".hidden", "a\nb"] {
            assert!(
                matches!(
                    Document::publish(2, form("t", bad), "CN=x".into(), now),
                    Err(PublishError::BadFileName(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn documents_round_trip_through_json_with_base64_content() {
        let json =
            r#"{"application":"ap-0001","title":"t","file_name":"a.bin","content":"AAEC/w=="}"#;
        let form: DocumentForm = serde_json::from_str(json).unwrap();
        assert_eq!(form.content, [0, 1, 2, 255]);
        assert_eq!(form.content_type, "application/octet-stream");
        let bad = r#"{"application":"ap-0001","title":"t","file_name":"a.bin","content":"!!"}"#;
        assert!(serde_json::from_str::<DocumentForm>(bad).is_err());
    }
}
