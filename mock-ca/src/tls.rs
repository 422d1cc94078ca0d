//! TLS for the site: a server certificate from the site trust anchor (which stands for the public web
//! PKI an operating system already trusts), and optional client certificates from the issuing root.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls::{RootCertStore, ServerConfig, server::WebPkiClientVerifier};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// Making the site's certificates failed.
    #[error("site certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    /// The client-certificate verifier could not be built.
    #[error("client certificate verifier: {0}")]
    Verifier(String),
}

/// The site's server identity and the anchor a client must trust to reach it.
pub struct SiteIdentity {
    /// The trust anchor, PEM: what `--site-ca` / `curl --cacert` take.
    pub trust_anchor_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl std::fmt::Debug for SiteIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteIdentity").finish_non_exhaustive()
    }
}

impl SiteIdentity {
    /// A fresh anchor and a server certificate for `hosts` (names or IP addresses). ECDSA P-256:
    /// quick to make at every start.
    pub fn generate(hosts: &[String], now: OffsetDateTime) -> Result<Self, TlsError> {
        let anchor_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut anchor = CertificateParams::default();
        anchor.distinguished_name = rcgen::DistinguishedName::new();
        anchor.distinguished_name.push(
            DnType::CommonName,
            "mock-ca site trust anchor (stands for the public web PKI)",
        );
        anchor.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        anchor.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        anchor.not_before = now - Duration::days(1);
        anchor.not_after = now + Duration::days(3650);
        let anchor_certificate = anchor.self_signed(&anchor_key)?;
        let issuer = Issuer::new(anchor, anchor_key);

        let server_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut server = CertificateParams::new(hosts.to_vec())?;
        server.distinguished_name = rcgen::DistinguishedName::new();
        server
            .distinguished_name
            .push(DnType::CommonName, "mock-ca");
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.not_before = now - Duration::days(1);
        server.not_after = now + Duration::days(825);
        let server_certificate = server.signed_by(&server_key, &issuer)?;

        Ok(Self {
            trust_anchor_pem: anchor_certificate.pem(),
            chain: vec![
                server_certificate.der().clone(),
                anchor_certificate.der().clone(),
            ],
            key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
        })
    }
}

/// The server configuration: the site identity, and client certificates of `issuing_root` asked
/// for but not required, so one listener serves the anonymous pages and the confirmation page.
pub fn server_config(
    identity: &SiteIdentity,
    issuing_root: &[u8],
) -> Result<ServerConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(issuing_root.to_vec()))?;
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(|e| TlsError::Verifier(e.to_string()))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            identity.chain.clone(),
            PrivateKeyDer::Pkcs8(identity.key.clone_key()),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
