//! The files the pages load: the in-page enrollment component and the library it uses, embedded
//! in the binary (no CDN, no build step) and served at `GET /assets/{name}`.
//!
//! Development aid, off by default: with `MOCK_CA_ASSETS_DIR` set to a directory laid out as
//! `mock-ca/assets/` (`component.js`, `vendor/forge.min.js`), each request reads the file from there
//! instead, so the script can be edited without rebuilding. Only the names below are served either
//! way: a request never names a path.

use axum::{
    extract::Path,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine as _;

use super::{Representation, SiteError};
use crate::enrollment::refusal::Refusal;

/// One embedded file.
pub(crate) struct Asset {
    /// The name it is served under, `/assets/{name}`.
    pub(crate) name: &'static str,
    /// Where it lives under `mock-ca/assets/` (and under `MOCK_CA_ASSETS_DIR`).
    pub(crate) path: &'static str,
    pub(crate) bytes: &'static [u8],
}

/// Every file the site serves under `/assets/`.
pub(crate) const ASSETS: &[Asset] = &[
    Asset {
        name: "component.js",
        path: "component.js",
        bytes: include_bytes!("../../../assets/component.js"),
    },
    // Vendored from the npm registry by scripts/vendor-js.sh; recorded in vendor/VENDOR.toml.
    Asset {
        name: "forge.min.js",
        path: "vendor/forge.min.js",
        bytes: include_bytes!("../../../assets/vendor/forge.min.js"),
    },
];

/// The environment variable of the development aid above.
const ASSETS_DIR: &str = "MOCK_CA_ASSETS_DIR";

/// GET /assets/{name}
pub(crate) async fn asset(
    representation: Representation,
    Path(name): Path<String>,
    request: HeaderMap,
) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return SiteError::new(representation, Refusal::NotFound).into_response();
    };
    let bytes = match std::env::var_os(ASSETS_DIR) {
        Some(dir) => match tokio::fs::read(std::path::Path::new(&dir).join(asset.path)).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!("{ASSETS_DIR}: cannot read {}: {e}", asset.path);
                return SiteError::new(representation, Refusal::NotFound).into_response();
            }
        },
        None => asset.bytes.to_vec(),
    };
    // A validator, so that the browser's revalidation (`no-cache`) is answered 304 and it keeps
    // what it compiled of the script: without one, each page load fetched and compiled the
    // 290 kB library again.
    let tag = etag(&bytes);
    let cached = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == tag || t.trim() == "*");
    let headers = [
        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
        // A new binary may serve a new script under the same name.
        (header::CACHE_CONTROL, "no-cache"),
        (header::ETAG, tag.as_str()),
    ];
    if cached {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, bytes).into_response()
}

/// A strong entity tag for `bytes`: a SHA-256 prefix, quoted.
fn etag(bytes: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let prefix = &digest.as_ref()[..16];
    format!(
        "\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(prefix)
    )
}
