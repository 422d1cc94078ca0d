//! The checked-in test PKI (fixtures/pki) is what the other areas' sites run on: it must be a
//! root mock-ca loads as its own, and the other root one it does not know.

use mock_ca::ROOT_NAME;
use x509_parser::prelude::{FromDer as _, X509Certificate};

use crate::support;

fn subject_of(pem: &str) -> String {
    let der = ::pem::parse(pem).unwrap().into_contents();
    let (_, certificate) = X509Certificate::from_der(&der).unwrap();
    certificate.subject().to_string()
}

#[tokio::test]
async fn the_checked_in_root_is_loaded_as_the_sites_own_root_with_mock_cas_root_name() {
    let site = support::site().start().await.unwrap();
    assert_eq!(site.root_pem().trim(), test_support::pki::ROOT_PEM.trim());
    assert_eq!(
        subject_of(test_support::pki::ROOT_PEM),
        format!("C=JP, O=Mock Securities Depository, CN={ROOT_NAME}")
    );
}

#[test]
fn the_other_root_has_another_subject_and_another_key() {
    let (ours, other) = (
        test_support::pki::ROOT_PEM,
        test_support::pki::OTHER_ROOT_PEM,
    );
    assert_ne!(subject_of(ours), subject_of(other));
    assert_ne!(
        test_support::pki::ROOT_KEY_PEM,
        test_support::pki::OTHER_ROOT_KEY_PEM
    );
}
