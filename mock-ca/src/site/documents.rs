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

use super::{Answer, Representation, Site, SiteError, certificate_rows, reply, rfc3339};
use crate::delivery::Document;
use crate::site::page::{escape, layout};

/// The guide's FAQ: why the certificate exists [DATA-DECRYPT].
pub(crate) const NOTICE: &str = "電子証明書をインストールしたPC だけが、弊社が提供するデータの復号(暗号を解くこと)が可能になります";

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
        .map_err(|r| SiteError::new(representation, r))?;
    let json = json!({
        "title": "データのダウンロード",
        "holder": {
            "subject": holder.subject,
            "serial": holder.serial,
            "not_before": rfc3339(holder.not_before),
            "not_after": rfc3339(holder.not_after),
        },
        "notice": NOTICE,
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
    Ok(reply(representation, StatusCode::OK, json, || {
        let mut table = String::from(
            "<table id=\"documents\">\n<tr><th>ID</th><th>表題</th><th>ファイル</th><th>サイズ</th><th>公開日時</th></tr>\n",
        );
        for d in &documents {
            table.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td><a href=\"{}\" download>{}.p7m</a></td><td>{}</td><td>{}</td></tr>\n",
                escape(&d.id),
                escape(&d.title),
                escape(&download_path(d)),
                escape(&d.file_name),
                d.content.len(),
                escape(&rfc3339(d.published_at)),
            ));
        }
        table.push_str("</table>\n");
        let body = format!(
            "<p id=\"notice\" data-catalogue-id=\"DATA-DECRYPT\">{}</p>\n<p id=\"encryption\">{}</p>\n<div id=\"holder\">{}</div>\n{table}",
            escape(NOTICE),
            escape(ENCRYPTION),
            certificate_rows(&holder),
        );
        layout("証明書確認サイト", "データのダウンロード", &body)
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
        .map_err(|r| SiteError::new(representation, r))?;
    Ok((
        [
            (header::CONTENT_TYPE, ENVELOPE_TYPE.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.p7m\"", document.id),
            ),
        ],
        envelope,
    )
        .into_response())
}
