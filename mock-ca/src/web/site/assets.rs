//! The files the pages load: the in-page enrollment component and the library it uses, embedded
//! in the binary (no CDN, no build step) and served at `GET /assets/{name}`.
//!
//! Development aid, off by default: with `MOCK_CA_ASSETS_DIR` set to a directory laid out as
//! `mock-ca/assets/` (`component.js`, `vendor/forge.min.js`), each request reads the file from there
//! instead, so the script can be edited without rebuilding. Only the names below are served either
//! way: a request never names a path.

use axum::{
    extract::Path,
    http::header,
    response::{IntoResponse, Response},
};

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
pub(crate) async fn asset(representation: Representation, Path(name): Path<String>) -> Response {
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
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // A new binary may serve a new script under the same name.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response()
}
