//! The CMS envelope opener (`cert-client data open/fetch`): any bytes as the site's download.
#![no_main]

use std::sync::OnceLock;

use client::envelope::Envelope;
use libfuzzer_sys::fuzz_target;

/// A certificate and its key, made once: an envelope that parses is also opened with them.
fn holder() -> &'static (Vec<u8>, Vec<u8>) {
    static HOLDER: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    HOLDER.get_or_init(|| {
        let key =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .expect("an RSA key");
        let certificate = rcgen::CertificateParams::new(Vec::<String>::new())
            .and_then(|p| p.self_signed(&key))
            .expect("a certificate");
        (certificate.der().to_vec(), key.serialize_der())
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = Envelope::parse(data) else {
        return;
    };
    let _ = envelope.recipients();
    let (certificate, key) = holder();
    let _ = envelope.is_for(certificate);
    let _ = envelope.open(certificate, key);
});
