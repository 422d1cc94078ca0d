//! A fresh site per input, driven in-process through the routers the server serves
//! (`mock_ca::fuzzing::routers`), on one current-thread runtime.

use std::sync::OnceLock;

use axum::{
    Router,
    body::{Body, Bytes},
    http::{Request, StatusCode, header},
};
use mock_ca::{Authority, fuzzing::Routers};
use time::{OffsetDateTime, macros::datetime};
use tower::ServiceExt as _;

pub const NOW: OffsetDateTime = datetime!(2026-11-25 10:00 +9);

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

/// The root, made once (key generation is slow) and kept as its PEM certificate and key, as
/// `--ca-dir` keeps it; each site reads its own copy.
fn root_pems() -> &'static (String, String) {
    static ROOT: OnceLock<(String, String)> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        Authority::generate(mock_ca::ROOT_NAME, NOW)
            .and_then(|root| root.save(dir.path()))
            .expect("a root");
        let read =
            |name: &str| std::fs::read_to_string(dir.path().join(name)).expect("a root file");
        (read("root.pem"), read("root.key.pem"))
    })
}

/// A fresh site's two routers, issuance (with the admin API) and confirmation, and its panics.
pub fn site() -> Routers {
    let (certificate, key) = root_pems();
    let root = Authority::from_pem_deferred(certificate, key).expect("the root read back");
    mock_ca::fuzzing::routers(root, NOW)
}

/// An answer, read whole.
#[allow(
    dead_code,
    reason = "each target includes this module and reads what it needs: an expect would fail in one"
)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Bytes,
}

/// Sends one request and reads the whole answer; the site must not panic on it (its middleware
/// turns a panic into an INTERNAL answer and a count: the count is what is checked).
pub async fn send(site: &Routers, router: &Router, request: Request<Body>) -> Answer {
    let shown = format!("{} {}", request.method(), request.uri());
    let panics = site.panics();
    let response = router
        .clone()
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    assert_eq!(
        site.panics(),
        panics,
        "the site panicked on {shown} (answered {}: {})",
        parts.status,
        String::from_utf8_lossy(&body)
    );
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// An admin API call with the right token and a JSON body.
pub async fn admin(site: &Routers, method: &str, path: &str, body: Option<&str>) -> Answer {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", mock_ca::fuzzing::ADMIN_TOKEN),
        )
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
        .expect("a request");
    send(site, &site.issuance, request).await
}
