//! The download page [DATA-DECRYPT]: the documents published for the holder of the presented
//! client certificate, each delivered as CMS EnvelopedData encrypted to that certificate. Like
//! `/confirm`, it needs the client certificate (CONFIRM-FORBIDDEN without one).

use std::sync::Arc;

use axum::{
    Extension,
    extract::{Path, State},
    http::{StatusCode, header},
    response::IntoResponse,
};
use axum_server::tls::TlsInfo;
use serde_json::json;

use super::{Answer, Representation, Site, SiteError, describe, reply, rfc3339};
use crate::enrollment::delivery::Document;
use crate::web::site::page::Frame;

/// The envelope's algorithms, as the page names them (docs/protocol.md, "Data delivery").
pub(crate) const ENCRYPTION: &str =
    "CMS EnvelopedData (RFC 5652): RSAES-OAEP (SHA-256, MGF1-SHA-256) + AES-256-CBC";

/// The media type of a delivered document (RFC 8551 §3.2.2).
pub(crate) const ENVELOPE_TYPE: &str = "application/pkcs7-mime; smime-type=enveloped-data";

fn presented(tls: Option<&Extension<Arc<TlsInfo>>>) -> Option<Vec<u8>> {
    tls.and_then(|Extension(info)| info.peer_certificates.first().map(|c| c.to_vec()))
}

fn download_path(document: &Document) -> String {
    format!("/documents/{}", document.id)
}

/// GET /documents — the holder's documents.
pub(crate) async fn list(
    State(site): State<Arc<Site>>,
    representation: Representation,
    tls: Option<Extension<Arc<TlsInfo>>>,
) -> Answer {
    let presented = presented(tls.as_ref());
    let registration = site.registration();
    let (holder, documents) = registration
        .documents_for(presented.as_deref())
        .map_err(|r| SiteError::new(representation, r).on_confirmation_site())?;
    let profile = site.profile();
    let name = &profile.sites.confirmation;
    let title = profile.title("documents", name);
    let json = json!({
        "title": title,
        "holder": describe(&holder),
        // The guide's FAQ: why the certificate exists [DATA-DECRYPT].
        "notice": profile.text("DATA-DECRYPT"),
        "encryption": ENCRYPTION,
        "documents": documents.iter().map(|d| json!({
            "id": d.id,
            "title": d.title,
            "file_name": d.file_name,
            "content_type": d.content_type,
            "size": d.content.len(),
            "published_at": rfc3339(d.published_at),
            "download": download_path(d),
        })).collect::<Vec<_>>(),
    });
    Ok(reply(representation, StatusCode::OK, json, |view| {
        let frame = Frame {
            site_name: name,
            title: &title,
            back: Some(site.pages.back("/", "to_confirmation_top")),
        };
        site.pages.render("documents.html", &frame, view)
    }))
}

/// GET /documents/{document} — one document, sealed to the presented certificate.
pub(crate) async fn download(
    State(site): State<Arc<Site>>,
    representation: Representation,
    Path(id): Path<String>,
    tls: Option<Extension<Arc<TlsInfo>>>,
) -> Answer {
    let presented = presented(tls.as_ref());
    let (document, envelope) = site
        .registration()
        .deliver(presented.as_deref(), &id)
        .map_err(|r| SiteError::new(representation, r).on_confirmation_site())?;
    Ok((
        [
            (header::CONTENT_TYPE, ENVELOPE_TYPE.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                disposition(&document.file_name),
            ),
        ],
        envelope,
    )
        .into_response())
}

/// `attachment` under the name the page shows (`{file_name}.p7m`): RFC 6266's `filename*` in
/// UTF-8 for browsers, and an ASCII `filename` beside it for the rest.
fn disposition(file_name: &str) -> String {
    let name = format!("{file_name}.p7m");
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_download_is_named_as_the_page_shows_it_in_utf8_and_ascii() {
        assert_eq!(
            super::disposition("balance-2026-11.pdf"),
            "attachment; filename=\"balance-2026-11.pdf.p7m\"; filename*=UTF-8''balance-2026-11.pdf.p7m"
        );
        assert_eq!(
            super::disposition("残高 1.pdf"),
            "attachment; filename=\"___1.pdf.p7m\"; filename*=UTF-8''%E6%AE%8B%E9%AB%98%201.pdf.p7m"
        );
    }
}
