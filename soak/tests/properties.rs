//! Property tests over the real `mock-ca` binary: whatever bytes stand in a CSR, a password, a path
//! segment or a header, the answer is a documented refusal, never a 5xx or a success. One site is
//! started for all properties; proptest's runner is seeded, so a failure repeats.

use proptest::{
    collection::vec,
    prelude::*,
    test_runner::{Config as Cases, RngAlgorithm, TestRng, TestRunner},
};
use soak::{
    https::Request,
    malformed::{Expect, judge},
    site::{self, SiteProcess},
};

fn runner() -> TestRunner {
    let seed = [7u8; 32];
    println!("proptest seed {seed:?}");
    TestRunner::new_with_rng(
        Cases {
            cases: 64,
            failure_persistence: None,
            ..Cases::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    )
}

#[test]
fn no_csr_password_path_or_header_bytes_make_the_site_answer_other_than_a_documented_refusal() {
    let work = tempfile::tempdir().unwrap();
    let mock_ca = test_support::binary("mock-ca");
    let site = SiteProcess::start(&mock_ca, work.path(), None, "prop-token").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (target, session) = runtime.block_on(async {
        let target = site.approved("Property Target").await.unwrap();
        let logged = site
            .https
            .send(&site::login(&target.id, &target.password))
            .await
            .unwrap();
        let session = site::session_of(&logged).unwrap();
        let pressed = site
            .https
            .send(&site::step(&target.id, "issue", &session))
            .await
            .unwrap();
        assert_eq!(pressed.status, 200);
        (target, session)
    });
    let refused = |request: Request| -> Result<(), TestCaseError> {
        let answer = runtime.block_on(site.https.send(&request));
        judge(Expect::Refused, &answer).map_err(TestCaseError::fail)
    };

    // Any text as the CSR.
    runner()
        .run(&any::<String>(), |csr| {
            refused(site::csr(&target.id, &session, &csr))
        })
        .unwrap();
    // Any bytes, even a spoiled PEM armour, as the CSR in a form.
    runner()
        .run(&vec(any::<u8>(), 0..2048), |bytes| {
            let mut body = b"csr=-----BEGIN%20CERTIFICATE%20REQUEST-----%0A".to_vec();
            body.extend(bytes);
            refused(
                site::step(&target.id, "csr", &session)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body),
            )
        })
        .unwrap();
    // Any bytes as a password, in JSON or in a form (bad UTF-8 included).
    runner()
        .run(
            &(vec(any::<u8>(), 0..256), any::<bool>()),
            |(bytes, form)| {
                let request = Request::new("POST", &format!("/apply/{}/login", target.id)).json();
                let request = if form {
                    let mut body = b"password=".to_vec();
                    body.extend(bytes);
                    request
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .body(body)
                } else {
                    request
                        .header("Content-Type", "application/json")
                        .body(bytes)
                };
                refused(request)
            },
        )
        .unwrap();
    // Any bytes, percent-encoded, as the application in a path.
    runner()
        .run(&vec(any::<u8>(), 0..64), |bytes| {
            let segment: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
            refused(site::login(&segment, "x").json())
        })
        .unwrap();
    // Any visible or obs-text bytes as the session cookie and the component.
    runner()
        .run(
            &(vec(0x20u8..0xff, 0..128), vec(0x20u8..0xff, 0..128)),
            |(cookie, component)| {
                let cookie: Vec<u8> = cookie.into_iter().filter(|b| *b != 0x7f).collect();
                let component: Vec<u8> = component.into_iter().filter(|b| *b != 0x7f).collect();
                let mut value = b"session=".to_vec();
                value.extend(cookie);
                refused(
                    Request::new("POST", &format!("/apply/{}/csr", target.id))
                        .json()
                        .header("Cookie", value)
                        .header("X-Enrollment-Component", component)
                        .json_body(&serde_json::json!({"csr": "x"})),
                )
            },
        )
        .unwrap();

    let record = runtime
        .block_on(site.admin_ok("GET", &format!("/applications/{}", target.id), None))
        .unwrap();
    assert_eq!(record["state"], "issuing", "{record}");
    assert_eq!(site.panics_logged(), 0);
    site.kill();
}
