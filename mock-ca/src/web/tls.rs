//! TLS for the site: a server certificate from the site trust anchor (which stands for the public web
//! PKI an operating system already trusts), for two listeners: the issuance site, which asks for no
//! client certificate, and the confirmation site, which asks for one and proves its key.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls::{
    DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme,
    client::danger::HandshakeSignatureValid,
    crypto::{CryptoProvider, WebPkiSupportedAlgorithms},
    server::danger::{ClientCertVerified, ClientCertVerifier},
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use time::{Duration, OffsetDateTime};

/// TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// Making the site's certificates failed.
    #[error("site certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// A kept identity could not be read or written.
    #[error("site identity in {path}: {why}")]
    Kept {
        /// The directory.
        path: String,
        /// What went wrong.
        why: String,
    },
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

const CHAIN_FILE: &str = "site-chain.pem";
const KEY_FILE: &str = "site.key.pem";

impl SiteIdentity {
    /// The identity kept in `dir` (server certificate, then the anchor, in `site-chain.pem`; the
    /// key in `site.key.pem`), made and saved there if `dir` has none: a client that trusted the
    /// site before a restart still does after it.
    pub fn load_or_generate(
        dir: &std::path::Path,
        hosts: &[String],
        now: OffsetDateTime,
    ) -> Result<Self, TlsError> {
        use rustls_pki_types::pem::PemObject;
        let kept = |why: String| TlsError::Kept {
            path: dir.display().to_string(),
            why,
        };
        let (chain_path, key_path) = (dir.join(CHAIN_FILE), dir.join(KEY_FILE));
        if chain_path.exists() {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&chain_path)
                .map_err(|e| kept(e.to_string()))?
                .collect::<Result<_, _>>()
                .map_err(|e| kept(e.to_string()))?;
            let key =
                PrivatePkcs8KeyDer::from_pem_file(&key_path).map_err(|e| kept(e.to_string()))?;
            let [_, anchor] = chain.as_slice() else {
                return Err(kept("site-chain.pem must hold two certificates".into()));
            };
            let trust_anchor_pem = crate::enrollment::authority::pem_encode("CERTIFICATE", anchor);
            return Ok(Self {
                trust_anchor_pem,
                chain,
                key,
            });
        }
        let identity = Self::generate(hosts, now)?;
        std::fs::create_dir_all(dir).map_err(|e| kept(e.to_string()))?;
        let chain_pem: String = identity
            .chain
            .iter()
            .map(|c| crate::enrollment::authority::pem_encode("CERTIFICATE", c))
            .collect();
        let key_pem = crate::enrollment::authority::pem_encode(
            "PRIVATE KEY",
            identity.key.secret_pkcs8_der(),
        );
        crate::enrollment::authority::write_atomically(&key_path, key_pem.as_bytes(), 0o600)
            .map_err(|e| kept(e.to_string()))?;
        crate::enrollment::authority::write_atomically(&chain_path, chain_pem.as_bytes(), 0o644)
            .map_err(|e| kept(e.to_string()))?;
        Ok(identity)
    }
}

/// The issuance site's configuration: the site identity, and no client certificate asked for
/// (a browser holding one is never prompted on these pages).
pub fn issuance_config(identity: &SiteIdentity) -> Result<ServerConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth();
    finish(config, identity)
}

/// The confirmation site's configuration (証明書確認サイト): a client certificate is asked for,
/// hinting the issuing root, and whichever one is presented is let through the handshake once
/// its key is proven. Whether it is this site's, and valid, is decided over HTTP, so a wrong one
/// is answered CONFIRM-FORBIDDEN in a page instead of a failed handshake.
pub fn confirmation_config(
    identity: &SiteIdentity,
    issuing_root: &[u8],
) -> Result<ServerConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = PossessionOnly::new(issuing_root, &provider)?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(verifier));
    finish(config, identity)
}

fn finish(
    config: rustls::ConfigBuilder<ServerConfig, rustls::server::WantsServerCert>,
    identity: &SiteIdentity,
) -> Result<ServerConfig, TlsError> {
    let mut config = config.with_single_cert(
        identity.chain.clone(),
        PrivateKeyDer::Pkcs8(identity.key.clone_key()),
    )?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Client authentication that proves possession of the presented certificate's key (the
/// handshake signature) and judges nothing else: no chain, no validity, no issuer.
#[derive(Debug)]
struct PossessionOnly {
    hints: Vec<DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PossessionOnly {
    fn new(issuing_root: &[u8], provider: &CryptoProvider) -> Result<Self, TlsError> {
        let (_, root) = x509_parser::parse_x509_certificate(issuing_root)
            .map_err(|e| TlsError::Verifier(format!("the issuing root does not parse: {e}")))?;
        Ok(Self {
            hints: vec![DistinguishedName::from(
                root.tbs_certificate.subject.as_raw().to_vec(),
            )],
            algorithms: provider.signature_verification_algorithms,
        })
    }
}

impl ClientCertVerifier for PossessionOnly {
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
