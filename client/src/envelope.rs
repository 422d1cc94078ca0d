//! Opening CMS EnvelopedData (RFC 5652 §6) with a certificate's key [DATA-DECRYPT], written from
//! docs/protocol.md ("Data delivery") on the client's own: find the recipient that names the
//! certificate (issuer and serial, or subject key identifier), decrypt the content key with the
//! RSA key, then the content.
//!
//! What it opens, as a receiving agent should (RFC 8551 §2.3): key transport RSAES-OAEP (SHA-1,
//! SHA-256, SHA-384 or SHA-512 with MGF1 of the same hash; what the site sends is SHA-256) and
//! RSAES-PKCS1-v1_5 (`rsaEncryption`, what `openssl cms -encrypt` sends by default); content
//! AES-128/192/256-CBC. DER, BER (indefinite lengths, as streaming encoders write) or PEM
//! (`CMS`, `PKCS7`). All crypto is aws-lc-rs, whose RSA decryption is constant-time (the `rsa`
//! crate's is not: RUSTSEC-2023-0071).

use aws_lc_rs::{
    cipher::{
        AES_128, AES_192, AES_256, Algorithm, DecryptionContext, PaddedBlockDecryptingKey,
        UnboundCipherKey,
    },
    iv::FixedLength,
    rsa::{
        OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
        OaepAlgorithm, OaepPrivateDecryptingKey, Pkcs1PrivateDecryptingKey, PrivateDecryptingKey,
    },
};
use cms::{
    content_info::ContentInfo,
    enveloped_data::{EnvelopedData, KeyTransRecipientInfo, RecipientIdentifier, RecipientInfo},
};
use der::{
    Decode as _, EncodingRules, Sequence,
    asn1::{ObjectIdentifier, OctetString},
};
use spki::AlgorithmIdentifierOwned;
use x509_cert::{Certificate, ext::pkix::SubjectKeyIdentifier};

const ID_ENVELOPED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.3");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ID_RSAES_OAEP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.7");
const ID_MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
const ID_P_SPECIFIED: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.9");
const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const ID_AES128_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.2");
const ID_AES192_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.22");
const ID_AES256_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");

/// RSAES-OAEP-params (RFC 8017 A.2.1): absent fields are SHA-1, MGF1-SHA-1 and an empty label.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct OaepParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    p_source: Option<AlgorithmIdentifierOwned>,
}

/// Why an envelope could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// Not a CMS EnvelopedData (DER, BER or PEM).
    #[error("not a CMS EnvelopedData: {0}")]
    Malformed(String),
    /// No recipient of the envelope is this certificate.
    #[error("the envelope is not addressed to this certificate")]
    NotAddressed,
    /// An algorithm this client does not open.
    #[error("unsupported {0}")]
    Unsupported(String),
    /// The recipient is this certificate, but the content key or the content would not decrypt
    /// with this key (a damaged file, or a key that is not the certificate's).
    #[error("the envelope does not decrypt with this key: {0}")]
    Undecryptable(String),
}

/// A recipient the envelope names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// `issuerAndSerialNumber`: the issuer (RFC 4514-ish, as x509-cert prints it) and the serial
    /// as hex pairs.
    IssuerAndSerial {
        /// The issuer's name.
        issuer: String,
        /// The serial, `4A:01:…`.
        serial: String,
    },
    /// `subjectKeyIdentifier`, hex pairs.
    KeyIdentifier(String),
    /// A recipient kind other than key transport (key agreement, password, …).
    Other,
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::IssuerAndSerial { issuer, serial } => {
                write!(f, "serial {serial} issued by {issuer}")
            }
            Self::KeyIdentifier(id) => write!(f, "key identifier {id}"),
            Self::Other => f.write_str("a recipient that is not RSA key transport"),
        }
    }
}

/// A parsed CMS EnvelopedData.
#[derive(Debug, Clone)]
pub struct Envelope {
    enveloped: EnvelopedData,
}

impl Envelope {
    /// Reads a ContentInfo holding EnvelopedData: DER, BER, or PEM (`CMS`, `PKCS7`).
    pub fn parse(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let malformed = |e: &dyn std::fmt::Display| EnvelopeError::Malformed(e.to_string());
        let der;
        let bytes = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
            let parsed = pem::parse(bytes).map_err(|e| malformed(&e))?;
            if !matches!(parsed.tag(), "CMS" | "PKCS7") {
                return Err(EnvelopeError::Malformed(format!(
                    "a PEM {} where CMS was expected",
                    parsed.tag()
                )));
            }
            der = parsed.into_contents();
            der.as_slice()
        } else {
            bytes
        };
        let info = ContentInfo::from_ber(bytes).map_err(|e| malformed(&e))?;
        if info.content_type != ID_ENVELOPED_DATA {
            return Err(EnvelopeError::Malformed(format!(
                "content type {} is not id-envelopedData",
                info.content_type
            )));
        }
        let enveloped = info
            .content
            .decode_as_encoding::<EnvelopedData>(EncodingRules::Ber)
            .map_err(|e| malformed(&e))?;
        Ok(Self { enveloped })
    }

    /// Every recipient the envelope names, in order.
    pub fn recipients(&self) -> Vec<Recipient> {
        self.enveloped
            .recip_infos
            .0
            .iter()
            .map(|info| match info {
                RecipientInfo::Ktri(ktri) => match &ktri.rid {
                    RecipientIdentifier::IssuerAndSerialNumber(id) => Recipient::IssuerAndSerial {
                        issuer: id.issuer.to_string(),
                        serial: pairs(id.serial_number.as_bytes()),
                    },
                    RecipientIdentifier::SubjectKeyIdentifier(ski) => {
                        Recipient::KeyIdentifier(pairs(ski.0.as_bytes()))
                    }
                },
                _ => Recipient::Other,
            })
            .collect()
    }

    /// The key transport recipient that names `certificate` (DER), if any.
    fn recipient_for(&self, certificate: &[u8]) -> Option<&KeyTransRecipientInfo> {
        let certificate = Certificate::from_der(certificate).ok()?;
        let tbs = certificate.tbs_certificate();
        let ski = tbs
            .get_extension::<SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .map(|(_, ski)| ski);
        self.enveloped
            .recip_infos
            .0
            .iter()
            .filter_map(|info| match info {
                RecipientInfo::Ktri(ktri) => Some(ktri),
                _ => None,
            })
            .find(|ktri| match &ktri.rid {
                RecipientIdentifier::IssuerAndSerialNumber(id) => {
                    id.issuer == *tbs.issuer()
                        && id.serial_number.as_bytes() == tbs.serial_number().as_bytes()
                }
                RecipientIdentifier::SubjectKeyIdentifier(id) => ski.as_ref() == Some(id),
            })
    }

    /// Whether a recipient of the envelope is `certificate` (DER).
    pub fn is_for(&self, certificate: &[u8]) -> bool {
        self.recipient_for(certificate).is_some()
    }

    /// Opens the envelope with `certificate` (DER) and its private key (PKCS#8 DER).
    pub fn open(&self, certificate: &[u8], key_pkcs8: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        let recipient = self
            .recipient_for(certificate)
            .ok_or(EnvelopeError::NotAddressed)?;
        let undecryptable = |what: &str| EnvelopeError::Undecryptable(what.to_owned());
        let private = PrivateDecryptingKey::from_pkcs8(key_pkcs8)
            .map_err(|e| EnvelopeError::Undecryptable(format!("the key: {e}")))?;
        let content_key = decrypt_content_key(
            &recipient.key_enc_alg,
            recipient.enc_key.as_bytes(),
            private,
        )?;

        let content = &self.enveloped.encrypted_content;
        let (algorithm, key_len) = content_cipher(&content.content_enc_alg.oid)?;
        if content_key.len() != key_len {
            return Err(undecryptable("the content key has the wrong length"));
        }
        let iv: OctetString = content
            .content_enc_alg
            .parameters
            .as_ref()
            .ok_or_else(|| EnvelopeError::Malformed("the content cipher has no IV".into()))?
            .decode_as()
            .map_err(|e| EnvelopeError::Malformed(format!("the IV: {e}")))?;
        let iv: [u8; 16] = iv
            .as_bytes()
            .try_into()
            .map_err(|_| EnvelopeError::Malformed("the IV is not 16 bytes".into()))?;
        let mut data = content
            .encrypted_content
            .as_ref()
            .ok_or_else(|| {
                EnvelopeError::Malformed("the content is detached (not in the file)".into())
            })?
            .as_bytes()
            .to_vec();
        let key = UnboundCipherKey::new(algorithm, &content_key)
            .and_then(PaddedBlockDecryptingKey::cbc_pkcs7)
            .map_err(|_| undecryptable("the content key is not a key of its cipher"))?;
        let plain = key
            .decrypt(&mut data, DecryptionContext::Iv128(FixedLength::from(iv)))
            .map_err(|_| undecryptable("the content does not decrypt (bad padding)"))?;
        Ok(plain.to_vec())
    }
}

/// The content key, decrypted with the RSA key by the recipient's key transport algorithm.
fn decrypt_content_key(
    algorithm: &AlgorithmIdentifierOwned,
    encrypted: &[u8],
    private: PrivateDecryptingKey,
) -> Result<Vec<u8>, EnvelopeError> {
    let failed =
        || EnvelopeError::Undecryptable("the content key does not decrypt with this key".into());
    if algorithm.oid == RSA_ENCRYPTION {
        let key = Pkcs1PrivateDecryptingKey::new(private).map_err(|_| failed())?;
        let mut out = vec![0u8; key.min_output_size()];
        return Ok(key
            .decrypt(encrypted, &mut out)
            .map_err(|_| failed())?
            .to_vec());
    }
    if algorithm.oid != ID_RSAES_OAEP {
        return Err(EnvelopeError::Unsupported(format!(
            "key transport {} (this client opens RSAES-OAEP and RSAES-PKCS1-v1_5)",
            algorithm.oid
        )));
    }
    let oaep = oaep_algorithm(algorithm)?;
    let key = OaepPrivateDecryptingKey::new(private).map_err(|_| failed())?;
    let mut out = vec![0u8; key.min_output_size()];
    Ok(key
        .decrypt(oaep, encrypted, &mut out, None)
        .map_err(|_| failed())?
        .to_vec())
}

/// The OAEP variant the parameters name: one hash for both the label and MGF1, empty label.
fn oaep_algorithm(
    algorithm: &AlgorithmIdentifierOwned,
) -> Result<&'static OaepAlgorithm, EnvelopeError> {
    let params = match &algorithm.parameters {
        // RFC 4055: absent or NULL parameters are the defaults.
        None => OaepParams {
            hash: None,
            mask_gen: None,
            p_source: None,
        },
        Some(any) if der::Tagged::tag(any) == der::Tag::Null => OaepParams {
            hash: None,
            mask_gen: None,
            p_source: None,
        },
        Some(any) => any
            .decode_as()
            .map_err(|e| EnvelopeError::Malformed(format!("RSAES-OAEP parameters: {e}")))?,
    };
    let hash = params.hash.as_ref().map_or(ID_SHA1, |h| h.oid);
    let mgf_hash = match &params.mask_gen {
        None => ID_SHA1,
        Some(mgf) if mgf.oid == ID_MGF1 => {
            let inner: AlgorithmIdentifierOwned = mgf
                .parameters
                .as_ref()
                .ok_or_else(|| EnvelopeError::Malformed("MGF1 without its hash".into()))?
                .decode_as()
                .map_err(|e| EnvelopeError::Malformed(format!("MGF1 parameters: {e}")))?;
            inner.oid
        }
        Some(mgf) => {
            return Err(EnvelopeError::Unsupported(format!(
                "mask generation function {}",
                mgf.oid
            )));
        }
    };
    if let Some(source) = &params.p_source {
        let label: Option<OctetString> = source
            .parameters
            .as_ref()
            .map(|p| p.decode_as())
            .transpose()
            .map_err(|e| EnvelopeError::Malformed(format!("OAEP label: {e}")))?;
        if source.oid != ID_P_SPECIFIED || label.is_some_and(|l| !l.as_bytes().is_empty()) {
            return Err(EnvelopeError::Unsupported("an OAEP label".into()));
        }
    }
    match (hash, mgf_hash) {
        (ID_SHA1, ID_SHA1) => Ok(&OAEP_SHA1_MGF1SHA1),
        (ID_SHA256, ID_SHA256) => Ok(&OAEP_SHA256_MGF1SHA256),
        (ID_SHA384, ID_SHA384) => Ok(&OAEP_SHA384_MGF1SHA384),
        (ID_SHA512, ID_SHA512) => Ok(&OAEP_SHA512_MGF1SHA512),
        (hash, mgf) => Err(EnvelopeError::Unsupported(format!(
            "RSAES-OAEP with hash {hash} and MGF1 hash {mgf}"
        ))),
    }
}

/// The content cipher and its key length in bytes.
fn content_cipher(oid: &ObjectIdentifier) -> Result<(&'static Algorithm, usize), EnvelopeError> {
    match *oid {
        ID_AES128_CBC => Ok((&AES_128, 16)),
        ID_AES192_CBC => Ok((&AES_192, 24)),
        ID_AES256_CBC => Ok((&AES_256, 32)),
        other => Err(EnvelopeError::Unsupported(format!(
            "content cipher {other} (this client opens AES-128/192/256-CBC)"
        ))),
    }
}

fn pairs(bytes: &[u8]) -> String {
    crate::thumbprint::pairs(bytes)
}

#[cfg(test)]
mod tests {
    use der::{Any, Encode as _};

    use super::*;

    #[test]
    fn bytes_that_are_not_cms_are_malformed_not_a_panic() {
        for bytes in [
            &b""[..],
            b"not cms",
            &[0x30, 0x80, 0x00],
            &[0x30, 0x82, 0xff],
        ] {
            assert!(
                matches!(Envelope::parse(bytes), Err(EnvelopeError::Malformed(_))),
                "{bytes:?}"
            );
        }
        let pem = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        let Err(EnvelopeError::Malformed(why)) = Envelope::parse(pem.as_bytes()) else {
            panic!("a PEM certificate is not an envelope");
        };
        assert!(why.contains("PEM CERTIFICATE"), "{why}");
    }

    #[test]
    fn a_content_info_of_another_type_is_not_an_envelope() {
        let data = ContentInfo {
            content_type: ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1"),
            content: Any::encode_from(&OctetString::new(b"x".to_vec()).unwrap()).unwrap(),
        }
        .to_der()
        .unwrap();
        let Err(EnvelopeError::Malformed(why)) = Envelope::parse(&data) else {
            panic!("id-data is not an envelope");
        };
        assert!(why.contains("not id-envelopedData"), "{why}");
    }

    #[test]
    fn oaep_parameters_absent_are_sha1_and_a_mismatched_mgf_is_refused() {
        let absent = AlgorithmIdentifierOwned {
            oid: ID_RSAES_OAEP,
            parameters: None,
        };
        assert_eq!(
            oaep_algorithm(&absent).unwrap().id(),
            OAEP_SHA1_MGF1SHA1.id()
        );
        let sha = |oid| AlgorithmIdentifierOwned {
            oid,
            parameters: Some(Any::null()),
        };
        let mixed = OaepParams {
            hash: Some(sha(ID_SHA256)),
            mask_gen: Some(AlgorithmIdentifierOwned {
                oid: ID_MGF1,
                parameters: Some(Any::encode_from(&sha(ID_SHA1)).unwrap()),
            }),
            p_source: None,
        };
        let mixed = AlgorithmIdentifierOwned {
            oid: ID_RSAES_OAEP,
            parameters: Some(Any::encode_from(&mixed).unwrap()),
        };
        assert!(matches!(
            oaep_algorithm(&mixed),
            Err(EnvelopeError::Unsupported(_))
        ));
    }
}
