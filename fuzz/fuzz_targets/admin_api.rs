//! The admin API, driven in-process through the router the server serves: a fresh site, then a
//! few calls, each an endpoint (with the site's application id or any other), a method and a
//! body: JSON built from the bodies' own keys, or any bytes. The site must never panic.
#![no_main]

#[path = "../common/site.rs"]
mod common;
#[path = "../common/json.rs"]
mod json;

use arbitrary::Arbitrary;
use axum::{
    body::Body,
    http::{Request, header},
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    /// Whether an application is filed first (its id is then one of the choices).
    file_first: bool,
    calls: Vec<Call>,
}

#[derive(Arbitrary, Debug)]
struct Call {
    endpoint: Endpoint,
    method: Method,
    query: Option<String>,
    body: Payload,
    token: Token,
    json_content_type: bool,
}

#[derive(Arbitrary, Debug)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Application {
    Filed,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Endpoint {
    Applications,
    Application(Application),
    Approve(Application),
    Withdraw(Application),
    AutoApprove,
    Clock,
    ClockAdvance,
    Tick,
    Faults,
    Fault(String),
    Outbox,
    Mail(String),
    Journal,
    Documents,
    Document(String),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Payload {
    Empty,
    Json(json::Json),
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Token {
    Right,
    Absent,
    Other(String),
}

fn path(endpoint: &Endpoint, id: &str) -> String {
    let application = |a: &Application| match a {
        Application::Filed => id.to_owned(),
        Application::Other(s) => s.clone(),
    };
    match endpoint {
        Endpoint::Applications => "/admin/applications".into(),
        Endpoint::Application(a) => format!("/admin/applications/{}", application(a)),
        Endpoint::Approve(a) => format!("/admin/applications/{}/approve", application(a)),
        Endpoint::Withdraw(a) => format!("/admin/applications/{}/withdraw", application(a)),
        Endpoint::AutoApprove => "/admin/auto-approve".into(),
        Endpoint::Clock => "/admin/clock".into(),
        Endpoint::ClockAdvance => "/admin/clock/advance".into(),
        Endpoint::Tick => "/admin/tick".into(),
        Endpoint::Faults => "/admin/faults".into(),
        Endpoint::Fault(f) => format!("/admin/faults/{f}"),
        Endpoint::Outbox => "/admin/outbox".into(),
        Endpoint::Mail(m) => format!("/admin/outbox/{m}"),
        Endpoint::Journal => "/admin/journal".into(),
        Endpoint::Documents => "/admin/documents".into(),
        Endpoint::Document(d) => format!("/admin/documents/{d}"),
        Endpoint::Other(o) => format!("/admin/{o}"),
    }
}

fn request(call: &Call, id: &str) -> Option<Request<Body>> {
    let method = match &call.method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Other(m) => m.as_str(),
    };
    let mut uri = path(&call.endpoint, id);
    if let Some(query) = &call.query {
        uri.push('?');
        uri.push_str(query);
    }
    let mut builder = Request::builder().method(method).uri(uri);
    match &call.token {
        Token::Right => {
            builder = builder.header(
                header::AUTHORIZATION,
                format!("Bearer {}", mock_ca::fuzzing::ADMIN_TOKEN),
            );
        }
        Token::Absent => {}
        Token::Other(t) => {
            if let Ok(value) = axum::http::HeaderValue::from_str(t) {
                builder = builder.header(header::AUTHORIZATION, value);
            }
        }
    }
    if call.json_content_type {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
    }
    let body = match &call.body {
        Payload::Empty => Body::empty(),
        Payload::Json(j) => Body::from(j.value().to_string()),
        Payload::Bytes(b) => Body::from(b.clone()),
    };
    builder.body(body).ok()
}

fuzz_target!(|input: Input| {
    if input.calls.len() > 8 {
        return;
    }
    let site = common::site();
    common::runtime().block_on(async {
        let mut id = String::from("none");
        if input.file_first {
            let filed = common::admin(
                &site,
                "POST",
                "/admin/applications",
                Some(r#"{"applicant": "山田 太郎", "email": "taro@example.jp", "subject": [["C", "JP"], ["CN", "山田 太郎"]]}"#),
            )
            .await;
            if let Ok(filed) = serde_json::from_slice::<serde_json::Value>(&filed.body)
                && let Some(filed) = filed["id"].as_str()
            {
                filed.clone_into(&mut id);
            }
        }
        for call in &input.calls {
            if let Some(request) = request(call, &id) {
                common::send(&site, &site.issuance, request).await;
            }
        }
    });
});
