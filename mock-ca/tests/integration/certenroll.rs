//! What Windows CertEnroll sends and takes, made with openssl: a PKCS#10 carrying Microsoft's
//! request attributes (OS version 1.3.6.1.4.1.311.13.2.3, enrollment CSP 1.3.6.1.4.1.311.13.2.2,
//! client info 1.3.6.1.4.1.311.21.20), sent as `NEW CERTIFICATE REQUEST` PEM or bare base64, CRLF
//! or LF, in JSON or as a form field; and the answer's PKCS#7 certs-only, read back by
//! `openssl pkcs7 -print_certs`. Skipped with a notice where openssl is absent.

use std::{path::Path, process::Command};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use mock_ca::{ApplicationForm, Attribute, MockCa, Subject};
use reqwest::header;
use serde_json::{Value, json};

use crate::support::{COMPONENT, at_step_three, client};

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn have_openssl() -> bool {
    Command::new("openssl").arg("version").output().is_ok()
}

/// An RSA-2048 key (`key.pem`), and from it two requests for `C=JP, CN=Taro Yamada`, DER:
/// `req.der` from `openssl req` with the OS version attribute (as the reporter made it),
/// and `enroll.der` assembled with `openssl asn1parse -genconf` carrying all three of Microsoft's
/// attributes as CertEnroll encodes them, signed with `openssl dgst -sha256 -sign`.
fn make_requests(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    openssl(dir, &["genrsa", "-out", "key.pem", "2048"]);
    std::fs::write(
        dir.join("req.cnf"),
        "oid_section = oids\n[oids]\nmsOsVersion = 1.3.6.1.4.1.311.13.2.3\n\
         [req]\ndistinguished_name = dn\nattributes = attrs\nprompt = no\nstring_mask = utf8only\nutf8 = yes\n\
         [dn]\nC = JP\nCN = Taro Yamada\n[attrs]\nmsOsVersion = 10.0.19045.2\n",
    )
    .unwrap();
    let req = openssl(
        dir,
        &[
            "req", "-new", "-config", "req.cnf", "-key", "key.pem", "-sha256", "-outform", "DER",
        ],
    );

    let public = openssl(
        dir,
        &[
            "rsa",
            "-in",
            "key.pem",
            "-RSAPublicKey_out",
            "-outform",
            "DER",
        ],
    );
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02X}")).collect::<String>();
    let info = format!(
        "asn1 = SEQUENCE:cri\n\
         [cri]\nversion = INTEGER:0\nsubject = SEQUENCE:subject\nspki = SEQUENCE:spki\nattributes = IMPLICIT:0,SET:attributes\n\
         [subject]\nc = SET:c\ncn = SET:cn\n\
         [c]\natv = SEQUENCE:c_atv\n[c_atv]\ntype = OID:countryName\nvalue = UTF8String:JP\n\
         [cn]\natv = SEQUENCE:cn_atv\n[cn_atv]\ntype = OID:commonName\nvalue = UTF8String:Taro Yamada\n\
         [spki]\nalgorithm = SEQUENCE:rsa\nkey = FORMAT:HEX,BITSTRING:{key}\n\
         [rsa]\nalgorithm = OID:rsaEncryption\nparameters = NULL\n\
         [attributes]\nos = SEQUENCE:os\ncsp = SEQUENCE:csp\nclient = SEQUENCE:client\n\
         [os]\ntype = OID:1.3.6.1.4.1.311.13.2.3\nvalues = SET:os_values\n[os_values]\nvalue = IA5STRING:10.0.19045.2\n\
         [csp]\ntype = OID:1.3.6.1.4.1.311.13.2.2\nvalues = SET:csp_values\n[csp_values]\nvalue = SEQUENCE:csp_value\n\
         [csp_value]\nkey_spec = INTEGER:1\nname = BMPSTRING:Microsoft Enhanced RSA and AES Cryptographic Provider\nsignature = FORMAT:HEX,BITSTRING:00\n\
         [client]\ntype = OID:1.3.6.1.4.1.311.21.20\nvalues = SET:client_values\n[client_values]\nvalue = SEQUENCE:client_value\n\
         [client_value]\nclient_id = INTEGER:5\nmachine = UTF8String:PC-0001.example.jp\nuser = UTF8String:EXAMPLE\\\\taro\nprocess = UTF8String:msedge.exe\n",
        key = hex(&public)
    );
    std::fs::write(dir.join("info.cnf"), &info).unwrap();
    openssl(
        dir,
        &[
            "asn1parse",
            "-genconf",
            "info.cnf",
            "-out",
            "info.der",
            "-noout",
        ],
    );
    openssl(
        dir,
        &[
            "dgst",
            "-sha256",
            "-sign",
            "key.pem",
            "-out",
            "signature.bin",
            "info.der",
        ],
    );
    let signature = std::fs::read(dir.join("signature.bin")).unwrap();
    // The same configuration encodes the same info again inside the request (genconf is DER).
    let request = info.replacen(
        "asn1 = SEQUENCE:cri\n",
        &format!(
            "asn1 = SEQUENCE:request\n[request]\ninfo = SEQUENCE:cri\nalgorithm = SEQUENCE:sha256rsa\nsignature = FORMAT:HEX,BITSTRING:{}\n[sha256rsa]\nalgorithm = OID:sha256WithRSAEncryption\nparameters = NULL\n",
            hex(&signature)
        ),
        1,
    );
    std::fs::write(dir.join("request.cnf"), request).unwrap();
    openssl(
        dir,
        &[
            "asn1parse",
            "-genconf",
            "request.cnf",
            "-out",
            "enroll.der",
            "-noout",
        ],
    );
    // openssl itself accepts it: the signature verifies and the attributes are there.
    let text = String::from_utf8(openssl(
        dir,
        &[
            "req",
            "-in",
            "enroll.der",
            "-inform",
            "DER",
            "-verify",
            "-noout",
            "-text",
        ],
    ))
    .unwrap();
    assert!(text.contains("1.3.6.1.4.1.311.21.20"), "{text}");
    (req, std::fs::read(dir.join("enroll.der")).unwrap())
}

/// Base64 in lines of 64, each ended by `eol`.
fn wrapped(der: &[u8], eol: &str) -> String {
    STANDARD
        .encode(der)
        .as_bytes()
        .chunks(64)
        .map(|line| format!("{}{eol}", std::str::from_utf8(line).unwrap()))
        .collect()
}

/// Files and approves an application for Taro Yamada, logs in and presses 発行, then sends
/// `body` (JSON, or a form when `form`) as the CSR: the status and the answer.
async fn send(site: &MockCa, csr: &str, form: bool) -> (u16, Value) {
    let subject = Subject(vec![
        (Attribute::C, "JP".into()),
        (Attribute::CN, "Taro Yamada".into()),
    ]);
    let taro = site
        .file(ApplicationForm::new("山田 太郎", "taro@example.jp").subject(subject))
        .unwrap();
    taro.approve().unwrap();
    let http = client(site.site_trust_pem(), None);
    let session = at_step_three(&http, site.url(), taro.id(), &taro.password().unwrap()).await;
    let request = http
        .post(format!("{}/apply/{}/csr", site.url(), taro.id()))
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, format!("session={session}"))
        .header("X-Enrollment-Component", COMPONENT);
    let request = if form {
        request
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string([("csr", csr)]).unwrap())
    } else {
        request.json(&json!({ "csr": csr }))
    };
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap())
}

#[tokio::test]
async fn the_site_takes_what_certenroll_sends_and_answers_what_install_response_takes() {
    if !have_openssl() {
        eprintln!("skipped: openssl is not installed (apt-get install openssl)");
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let (req, enroll) = make_requests(temp.path());
    let site = MockCa::start().await.unwrap();
    let cases = [
        (
            "all three attributes, NEW CERTIFICATE REQUEST, CRLF, JSON",
            format!(
                "-----BEGIN NEW CERTIFICATE REQUEST-----\r\n{}-----END NEW CERTIFICATE REQUEST-----\r\n",
                wrapped(&enroll, "\r\n")
            ),
            false,
        ),
        (
            "all three attributes, bare base64, LF, form field",
            wrapped(&enroll, "\n"),
            true,
        ),
        (
            "openssl req with the OS version, bare base64, CRLF, JSON",
            wrapped(&req, "\r\n"),
            false,
        ),
        (
            "openssl req with the OS version, NEW CERTIFICATE REQUEST, LF, form field",
            format!(
                "-----BEGIN NEW CERTIFICATE REQUEST-----\n{}-----END NEW CERTIFICATE REQUEST-----\n",
                wrapped(&req, "\n")
            ),
            true,
        ),
    ];
    let mut answers = Vec::new();
    for (case, csr, form) in &cases {
        let (status, answer) = send(&site, csr, *form).await;
        assert_eq!(status, 201, "{case}: {answer}");
        answers.push(answer);
    }

    // The PKCS#7 of the first answer, as InstallResponse would take it, read by openssl.
    let answer = &answers[0];
    let pkcs7 = STANDARD
        .decode(answer["pkcs7"].as_str().expect("a pkcs7 field"))
        .unwrap();
    std::fs::write(temp.path().join("answer.p7b"), &pkcs7).unwrap();
    let printed = String::from_utf8(openssl(
        temp.path(),
        &[
            "pkcs7",
            "-inform",
            "DER",
            "-in",
            "answer.p7b",
            "-print_certs",
        ],
    ))
    .unwrap();
    assert!(
        printed.contains("subject=C = JP, CN = Taro Yamada"),
        "{printed}"
    );
    assert!(
        printed
            .lines()
            .any(|l| l.starts_with("subject=")
                && l.ends_with(&format!("CN = {}", mock_ca::ROOT_NAME))),
        "{printed}"
    );
    // The certificate inside is the one the JSON gives, and the root the one step 3 offers.
    let certificate = answer["certificate"].as_str().unwrap();
    assert!(printed.contains(certificate.trim()), "{printed}");
    assert!(printed.contains(site.root_pem().trim()), "{printed}");
}
