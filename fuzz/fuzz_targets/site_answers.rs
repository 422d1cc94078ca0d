//! The site's JSON answers as the client reads them (client/src/site.rs, data.rs): the first byte
//! picks the answer (top page, step 1, login → step 2 or 3, repository, CSR answer, step 4,
//! confirmation page, download page, error body), the rest is its body. What the client then
//! does with an answer without the network is done too: the paths it names joined to the site's
//! URL, a CSR made for step 3's subject, an error body shown and put in `--json`, the pages
//! printed as `--json` prints them.
#![no_main]

use std::sync::OnceLock;

use client::{
    Error, Problem,
    data::DocumentList,
    site::{
        ConfirmPage, Issued, Repository, SiteClient, StepFour, StepOne, StepThree, StepTwo, TopPage,
    },
};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;

struct Fixed {
    site: SiteClient,
    key: rcgen::KeyPair,
}

/// A client for a site and a key for CSRs, made once.
fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let key =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .expect("an RSA key");
        let anchor = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .and_then(|p| p.self_signed(&key))
            .expect("a site anchor");
        let site = SiteClient::new("https://127.0.0.1:1/", anchor.pem().as_bytes(), None)
            .expect("a site client");
        Fixed { site, key }
    })
}

fn read<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_json::from_slice(body).ok()
}

fn join(path: &str) {
    let _ = fixed().site.url(path);
}

fn step_three(three: &StepThree) {
    join(&three.root.certificate);
    join(&three.repository);
    join(&three.csr);
    let _ = client::enrollment::make_csr(&fixed().key, &three.subject);
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 10 {
        0 => {
            if let Some(top) = read::<TopPage>(body) {
                if let Some(confirm) = &top.confirm {
                    join(confirm);
                }
                let _ = serde_json::to_string(&top);
            }
        }
        1 => {
            if let Some(one) = read::<StepOne>(body) {
                join(&one.login);
            }
        }
        2 => {
            // The login answer: its `step` says which page it opened (SiteClient::login).
            let Some(answer) = read::<serde_json::Value>(body) else {
                return;
            };
            match answer.get("step").and_then(serde_json::Value::as_u64) {
                Some(2) => {
                    if let Ok(two) = serde_json::from_value::<StepTwo>(answer) {
                        join(&two.issue);
                    }
                }
                Some(3) => {
                    if let Ok(three) = serde_json::from_value::<StepThree>(answer) {
                        step_three(&three);
                    }
                }
                _ => {}
            }
        }
        3 => {
            if let Some(three) = read::<StepThree>(body) {
                step_three(&three);
            }
        }
        4 => {
            let _ = read::<Repository>(body);
        }
        5 => {
            if let Some(issued) = read::<Issued>(body) {
                join(&issued.complete);
                let _ = pem::parse(&issued.certificate);
            }
        }
        6 => {
            if let Some(four) = read::<StepFour>(body) {
                join(&four.confirm);
            }
        }
        7 => {
            if let Some(page) = read::<ConfirmPage>(body) {
                let _ = serde_json::to_string(&page);
            }
        }
        8 => {
            if let Some(list) = read::<DocumentList>(body) {
                for document in &list.documents {
                    join(&document.download);
                }
                let _ = serde_json::to_string(&list);
            }
        }
        _ => {
            // An error body, as `SiteClient::send` reads it and the client shows it.
            #[derive(serde::Deserialize)]
            struct Body {
                error: Problem,
            }
            if let Some(Body { error }) = read::<Body>(body) {
                let error = Error::Site {
                    status: 400,
                    problem: error,
                };
                let _ = error.to_string();
                let _ = error.to_json();
            }
        }
    }
});
