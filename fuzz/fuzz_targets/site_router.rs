//! The public site, driven in-process through the router the server serves (middleware,
//! fallback, both listeners): a fresh site with one approved application, then a few requests
//! with arbitrary method, path, query, headers and body. Paths, the application's id, its
//! password, the session cookie, a CSR for its key and the issued certificate (as the TLS peer)
//! are offered as choices, so the steps can be walked past login. The site must never panic.
#![no_main]

#[path = "../common/site.rs"]
mod common;

use std::sync::{Arc, OnceLock};

use arbitrary::Arbitrary;
use axum::{
    body::Body,
    http::{HeaderName, HeaderValue, Request, header},
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    requests: Vec<Call>,
}

#[derive(Arbitrary, Debug)]
struct Call {
    method: Method,
    path: Path,
    query: Option<String>,
    accept: Choice,
    content_type: ContentType,
    cookie: Cookie,
    component: Choice,
    authorization: Option<String>,
    extra: Vec<(String, String)>,
    peer: Peer,
    body: Payload,
    /// For a raw path: which listener gets it.
    confirmation_listener: bool,
}

#[derive(Arbitrary, Debug)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
    Head,
    Options,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Application {
    Filed,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Step {
    One,
    Login,
    Issue,
    Csr,
    Complete,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Path {
    Top,
    Repository,
    RootCertificate,
    Apply(Application, Step),
    Asset(String),
    Mailbox,
    Mail(String),
    Confirm,
    Documents,
    Document(String),
    Admin(String),
    Raw(String),
}

/// A header: absent, the value the client sends, or any.
#[derive(Arbitrary, Debug)]
enum Choice {
    Absent,
    Usual,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum ContentType {
    Absent,
    Json,
    Form,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Cookie {
    Absent,
    Session,
    Other(String),
}

/// The client certificate a TLS session would have presented.
#[derive(Arbitrary, Debug)]
enum Peer {
    Absent,
    Issued,
    Other(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Payload {
    Empty,
    Bytes(Vec<u8>),
    Password,
    OtherPassword(String),
    Csr,
    /// Any text as the CSR of a JSON body.
    OtherCsr(String),
}

const SUBJECT: &str = r#"[["C", "JP"], ["O", "Example Securities"], ["CN", "山田 太郎"]]"#;

/// What a fresh site holds after the prelude: the same every time (seeded entropy, frozen
/// clock), worked out once.
struct Known {
    password: String,
    csr: String,
}

fn known() -> &'static Known {
    static KNOWN: OnceLock<Known> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let site = common::site();
        let id = common::runtime().block_on(prelude(&site));
        let mail = common::runtime().block_on(async {
            let list = common::admin(
                &site,
                "GET",
                &format!("/admin/outbox?application={id}&catalogue=MAIL-PASSWORD"),
                None,
            )
            .await;
            let list: serde_json::Value = serde_json::from_slice(&list.body).expect("the outbox");
            let mail_id = list[0]["id"]
                .as_str()
                .expect("a MAIL-PASSWORD mail")
                .to_owned();
            common::admin(&site, "GET", &format!("/admin/outbox/{mail_id}"), None)
                .await
                .body
        });
        let message = mail_parser::MessageParser::default()
            .parse(&mail)
            .expect("a mail");
        let text = message.body_text(0).expect("a text body");
        let mut lines = text.lines();
        lines
            .by_ref()
            .find(|l| l.trim() == "認証情報パスワード:")
            .expect("the password line");
        let password = lines.next().expect("the password").trim().to_owned();
        let key =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .expect("an RSA key");
        let subject: Vec<(String, String)> = serde_json::from_str(SUBJECT).expect("a subject");
        let csr = client::enrollment::make_csr(&key, &subject).expect("a CSR");
        Known { password, csr }
    })
}

/// Files and approves an application; its id.
async fn prelude(site: &mock_ca::fuzzing::Routers) -> String {
    let body = format!(
        r#"{{"applicant": "山田 太郎", "email": "taro@example.jp", "subject": {SUBJECT}}}"#
    );
    let filed = common::admin(site, "POST", "/admin/applications", Some(&body)).await;
    let filed: serde_json::Value = serde_json::from_slice(&filed.body).expect("an application");
    let id = filed["id"].as_str().expect("its id").to_owned();
    common::admin(
        site,
        "POST",
        &format!("/admin/applications/{id}/approve"),
        None,
    )
    .await;
    id
}

fn path(path: &Path, id: &str) -> String {
    let application = |a: &Application| match a {
        Application::Filed => id.to_owned(),
        Application::Other(s) => s.clone(),
    };
    match path {
        Path::Top => "/".into(),
        Path::Repository => "/repository".into(),
        Path::RootCertificate => "/repository/root.cer".into(),
        Path::Apply(a, step) => {
            let a = application(a);
            match step {
                Step::One => format!("/apply/{a}"),
                Step::Login => format!("/apply/{a}/login"),
                Step::Issue => format!("/apply/{a}/issue"),
                Step::Csr => format!("/apply/{a}/csr"),
                Step::Complete => format!("/apply/{a}/complete"),
                Step::Other(s) => format!("/apply/{a}/{s}"),
            }
        }
        Path::Asset(name) => format!("/assets/{name}"),
        Path::Mailbox => "/mailbox".into(),
        Path::Mail(m) => format!("/mailbox/{m}"),
        Path::Confirm => "/confirm".into(),
        Path::Documents => "/documents".into(),
        Path::Document(d) => format!("/documents/{d}"),
        Path::Admin(a) => format!("/admin/{a}"),
        Path::Raw(r) => r.clone(),
    }
}

/// What the input's requests carry forward.
#[derive(Default)]
struct Carried {
    session: Option<String>,
    certificate: Option<Vec<u8>>,
}

impl Carried {
    fn learn(&mut self, answer: &common::Answer) {
        if let Some(session) = answer
            .headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.strip_prefix("session="))
            .and_then(|c| c.split(';').next())
        {
            self.session = Some(session.to_owned());
        }
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&answer.body)
            && let Some(text) = json["certificate"].as_str()
            && let Ok(parsed) = pem::parse(text)
        {
            self.certificate = Some(parsed.into_contents());
        }
    }
}

fn request(call: &Call, id: &str, carried: &Carried) -> Option<Request<Body>> {
    let known = known();
    let method = match &call.method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
        Method::Options => "OPTIONS",
        Method::Other(m) => m.as_str(),
    };
    let mut uri = path(&call.path, id);
    if let Some(query) = &call.query {
        uri.push('?');
        uri.push_str(query);
    }
    let mut builder = Request::builder().method(method).uri(uri);
    let mut headers: Vec<(HeaderName, String)> = Vec::new();
    match &call.accept {
        Choice::Absent => {}
        Choice::Usual => headers.push((header::ACCEPT, "application/json".into())),
        Choice::Other(v) => headers.push((header::ACCEPT, v.clone())),
    }
    match &call.content_type {
        ContentType::Absent => {}
        ContentType::Json => headers.push((header::CONTENT_TYPE, "application/json".into())),
        ContentType::Form => headers.push((
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".into(),
        )),
        ContentType::Other(v) => headers.push((header::CONTENT_TYPE, v.clone())),
    }
    match &call.cookie {
        Cookie::Absent => {}
        Cookie::Session => {
            if let Some(session) = &carried.session {
                headers.push((header::COOKIE, format!("session={session}")));
            }
        }
        Cookie::Other(v) => headers.push((header::COOKIE, v.clone())),
    }
    let component = HeaderName::from_static("x-enrollment-component");
    match &call.component {
        Choice::Absent => {}
        Choice::Usual => headers.push((component, client::site::component())),
        Choice::Other(v) => headers.push((component, v.clone())),
    }
    if let Some(v) = &call.authorization {
        // The admin API is the other target's: with its token the fuzzer could arm a delay
        // fault and then wait on it.
        if v.contains(mock_ca::fuzzing::ADMIN_TOKEN) {
            return None;
        }
        headers.push((header::AUTHORIZATION, v.clone()));
    }
    for (name, value) in &call.extra {
        if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
            headers.push((name, value.clone()));
        }
    }
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            builder = builder.header(name, value);
        }
    }
    let body = match &call.body {
        Payload::Empty => Body::empty(),
        Payload::Bytes(b) => Body::from(b.clone()),
        Payload::Password => {
            Body::from(serde_json::json!({ "password": known.password }).to_string())
        }
        Payload::OtherPassword(p) => Body::from(serde_json::json!({ "password": p }).to_string()),
        Payload::Csr => Body::from(serde_json::json!({ "csr": known.csr }).to_string()),
        Payload::OtherCsr(c) => Body::from(serde_json::json!({ "csr": c }).to_string()),
    };
    let mut request = builder.body(body).ok()?;
    let peer = match &call.peer {
        Peer::Absent => None,
        Peer::Issued => carried.certificate.clone(),
        Peer::Other(der) => Some(der.clone()),
    };
    if let Some(der) = peer {
        let mut info = axum_server::tls::TlsInfo::default();
        info.peer_certificates = vec![der];
        request.extensions_mut().insert(Arc::new(info));
    }
    Some(request)
}

fuzz_target!(|input: Input| {
    // A few requests an input: enough to walk the steps, few enough to stay fast.
    if input.requests.len() > 8 {
        return;
    }
    known();
    let site = common::site();
    common::runtime().block_on(async {
        let id = prelude(&site).await;
        let mut carried = Carried::default();
        for call in &input.requests {
            let Some(request) = request(call, &id, &carried) else {
                continue;
            };
            let path = request.uri().path();
            let to_confirmation = match call.path {
                Path::Raw(_) => call.confirmation_listener,
                _ => path == "/confirm" || path.starts_with("/documents"),
            };
            let router = if to_confirmation {
                &site.confirmation
            } else {
                &site.issuance
            };
            let answer = common::send(&site, router, request).await;
            carried.learn(&answer);
        }
    });
});
