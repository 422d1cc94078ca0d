//! The store's own files as `cert-client doctor` (and `list`, `confirm`, `enroll` resuming) read
//! them: the input is split at `\n%%\n` into the files of a small store (roots, two personal
//! entries, a pending request, site.json, a stray `.incoming-*`; an empty part is a missing
//! file), written to a fresh directory, then surveyed, listed, and its pending requests, site
//! and identity read.
#![no_main]

use std::path::Path;

use client::Store;
use libfuzzer_sys::fuzz_target;

/// Where each part of the input goes, in order.
const SLOTS: &[&str] = &[
    "roots/a.pem",
    "roots/b.pem",
    "personal/01/certificate.pem",
    "personal/01/key.pem",
    "personal/02/certificate.pem",
    "personal/02/key.pem",
    "pending/00112233445566778899aabbccddeeff/request.json",
    "pending/00112233445566778899aabbccddeeff/key.pem",
    "pending/00112233445566778899aabbccddeeff/certificate.pem",
    "site.json",
    "personal/.incoming-1/certificate.pem",
];

const SEPARATOR: &[u8] = b"\n%%\n";

fn parts(mut data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    while parts.len() + 1 < SLOTS.len() {
        match data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(at) => {
                parts.push(&data[..at]);
                data = &data[at + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    parts.push(data);
    parts
}

fn write(root: &Path, slot: &str, bytes: &[u8]) {
    let path = root.join(slot);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("a store directory");
    }
    std::fs::write(&path, bytes).expect("a store file");
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::Builder::new()
        .prefix("fuzz-doctor-")
        .tempdir()
        .expect("a temporary directory");
    for (slot, part) in SLOTS.iter().zip(parts(data)) {
        if !part.is_empty() {
            write(dir.path(), slot, part);
        }
    }
    let store = Store::open(dir.path()).expect("a store");
    if let Ok(survey) = store.survey() {
        // What doctor prints of it.
        for listed in &survey.listed {
            let _ = listed.to_json();
        }
        for pending in &survey.pending {
            let _ = format!(
                "{} {} {}",
                pending.id(),
                pending.record().created,
                pending.record().application_url
            );
        }
        for damage in &survey.damage {
            let _ = format!("{} {}", damage.path.display(), damage.what);
        }
    }
    let _ = store.list();
    let _ = store.pending();
    let _ = store.site();
    let _ = store.identity();
    let _ = store.roots();
});
