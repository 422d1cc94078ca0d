//! A certificate handed to the store (`Store::install`, what the site's CSR answer and
//! `cert-client install --certificate` give it): any text, and any bytes wrapped as PEM.
#![no_main]

use std::sync::OnceLock;

use client::Store;
use libfuzzer_sys::fuzz_target;

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("fuzz-store-")
            .tempdir()
            .expect("a temporary directory")
            .keep();
        Store::open(dir).expect("a store")
    })
}

fuzz_target!(|data: &[u8]| {
    let store = store();
    let _ = store.install(&String::from_utf8_lossy(data));
    let wrapped = pem::encode(&pem::Pem::new("CERTIFICATE", data.to_vec()));
    let _ = store.install(&wrapped);
    let _ = store.reinstall(&wrapped);
});
