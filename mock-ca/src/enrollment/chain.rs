//! The issued certificate with its chain as PKCS#7 "certs-only" (RFC 5652 SignedData with no
//! signers, RFC 8551 §3.6): what Windows CertEnroll's `InstallResponse` takes from a CA, so a
//! component like the real site's can install the certificate and the root in one go.

use cms::{
    cert::CertificateChoices,
    content_info::{CmsVersion, ContentInfo},
    signed_data::{CertificateSet, EncapsulatedContentInfo, SignedData},
};
use der::{
    Any, Decode as _, Encode as _,
    asn1::{ObjectIdentifier, SetOfVec},
};

/// id-signedData (RFC 5652 §5.1).
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// id-data (RFC 5652 §4): the (absent) content of a certs-only message.
const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");

/// The certificates could not be put in a PKCS#7 (one of them is not a certificate).
#[derive(Debug, thiserror::Error)]
#[error("PKCS#7 certs-only: {0}")]
pub struct ChainError(String);

/// `certificates` (DER, the issued one first, then its issuers) as a PKCS#7 certs-only
/// ContentInfo, DER: version 1, no digest algorithms, no content, no signers.
pub fn certs_only(certificates: &[&[u8]]) -> Result<Vec<u8>, ChainError> {
    let fail = |e: der::Error| ChainError(e.to_string());
    let mut set = SetOfVec::new();
    for der in certificates {
        let certificate = x509_cert::Certificate::from_der(der).map_err(fail)?;
        set.insert(CertificateChoices::Certificate(certificate))
            .map_err(fail)?;
    }
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::new(),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(set)),
        crls: None,
        signer_infos: cms::signed_data::SignerInfos(SetOfVec::new()),
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed).map_err(fail)?,
    }
    .to_der()
    .map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrollment::authority::Authority;

    #[test]
    fn a_certs_only_message_holds_every_certificate_and_no_signer() {
        let root =
            Authority::from_pem(test_support::pki::ROOT_PEM, test_support::pki::ROOT_KEY_PEM)
                .unwrap();
        let other = Authority::from_pem(
            test_support::pki::OTHER_ROOT_PEM,
            test_support::pki::OTHER_ROOT_KEY_PEM,
        )
        .unwrap();
        let (a, b) = (root.certificate_der(), other.certificate_der());
        let der = certs_only(&[a, b]).unwrap();
        let info = ContentInfo::from_der(&der).unwrap();
        assert_eq!(info.content_type, ID_SIGNED_DATA);
        let signed: SignedData = info.content.decode_as().unwrap();
        assert_eq!(signed.version, CmsVersion::V1);
        assert!(signed.signer_infos.0.is_empty());
        assert!(signed.encap_content_info.econtent.is_none());
        let held: Vec<Vec<u8>> = signed
            .certificates
            .unwrap()
            .0
            .iter()
            .map(|c| match c {
                CertificateChoices::Certificate(c) => c.to_der().unwrap(),
                CertificateChoices::Other(_) => panic!("not a certificate"),
            })
            .collect();
        assert_eq!(held.len(), 2);
        assert!(held.iter().any(|c| c == a) && held.iter().any(|c| c == b));
    }

    #[test]
    fn something_that_is_not_a_certificate_is_refused() {
        assert!(certs_only(&[b"not DER"]).is_err());
    }
}
