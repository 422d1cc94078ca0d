//! The download page and the admin API's documents [DATA-DECRYPT], in-process.

use aws_lc_rs::{
    cipher::{AES_256, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey},
    iv::FixedLength,
    rsa::{OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey},
};
use cms::{
    content_info::ContentInfo,
    enveloped_data::{EnvelopedData, RecipientInfo},
};
use der::{Decode as _, asn1::OctetString};

use super::*;
use crate::web::site::documents::ENVELOPE_TYPE;

/// The guide's FAQ, verbatim [DATA-DECRYPT].
const NOTICE: &str = "電子証明書をインストールしたPC だけが、弊社が提供するデータの復号(暗号を解くこと)が可能になります";

const CONTENT: &[u8] = b"%PDF-1.7\n\xe6\xae\x8b\xe9\xab\x98\x00\xff balance certificate";

/// Opens an envelope the way docs/protocol.md says a holder does, with aws-lc only.
fn open(envelope: &[u8], key: &KeyPair) -> Vec<u8> {
    let info = ContentInfo::from_der(envelope).unwrap();
    let enveloped: EnvelopedData = info.content.decode_as().unwrap();
    let recipients: Vec<_> = enveloped.recip_infos.0.iter().collect();
    let [RecipientInfo::Ktri(ktri)] = recipients.as_slice() else {
        panic!("one recipient");
    };
    let private = PrivateDecryptingKey::from_pkcs8(&key.serialize_der()).unwrap();
    let oaep = OaepPrivateDecryptingKey::new(private).unwrap();
    let mut content_key = vec![0u8; oaep.min_output_size()];
    let content_key = oaep
        .decrypt(
            &OAEP_SHA256_MGF1SHA256,
            ktri.enc_key.as_bytes(),
            &mut content_key,
            None,
        )
        .unwrap()
        .to_vec();
    let iv: OctetString = enveloped
        .encrypted_content
        .content_enc_alg
        .parameters
        .unwrap()
        .decode_as()
        .unwrap();
    let iv: [u8; 16] = iv.as_bytes().try_into().unwrap();
    let cipher =
        PaddedBlockDecryptingKey::cbc_pkcs7(UnboundCipherKey::new(&AES_256, &content_key).unwrap())
            .unwrap();
    let mut data = enveloped
        .encrypted_content
        .encrypted_content
        .unwrap()
        .as_bytes()
        .to_vec();
    let plain = cipher
        .decrypt(&mut data, DecryptionContext::Iv128(FixedLength::from(iv)))
        .unwrap();
    plain.to_vec()
}

impl TestSite {
    /// Files (with `subject`), approves and enrolls an application; its id, the key and the
    /// certificate's DER.
    async fn holder(&self, subject: Value) -> (String, KeyPair, Vec<u8>) {
        let filed = self
            .admin(
                Method::POST,
                "/admin/applications",
                Some(json!({"applicant": "holder", "email": "h@example.jp", "subject": subject})),
            )
            .await;
        assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.text());
        let id = filed.json()["id"].as_str().unwrap().to_owned();
        let approved = self
            .admin(
                Method::POST,
                &format!("/admin/applications/{id}/approve"),
                None,
            )
            .await;
        assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
        let password = self.mailed_password(&id);
        let session = self.at_step_three(&id, &password).await;
        let (key, csr) = csr_for(&subject, RsaKeySize::_2048);
        let issued = self.submit_csr(&id, &session, &csr).await;
        assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text());
        let complete = self.step(&id, "complete", &session, true, None).await;
        assert_eq!(complete.status, StatusCode::OK, "{}", complete.text());
        let der = certificate_der(issued.json()["certificate"].as_str().unwrap());
        (id, key, der)
    }

    async fn publish(&self, body: Value) -> Answer {
        self.admin(Method::POST, "/admin/documents", Some(body))
            .await
    }

    async fn get_presenting(&self, path: &str, tls: Option<TlsInfo>, json: bool) -> Answer {
        let mut request = Request::get(path);
        if json {
            request = request.header(header::ACCEPT, JSON);
        }
        let mut request = request.body(Body::empty()).unwrap();
        if let Some(info) = tls {
            request.extensions_mut().insert(Arc::new(info));
        }
        self.send(request).await
    }
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn form(application: &str) -> Value {
    json!({
        "application": application,
        "title": "残高証明書 2026年11月",
        "file_name": "balance-2026-11.pdf",
        "content_type": "application/pdf",
        "content": base64(CONTENT),
    })
}

#[tokio::test]
async fn a_document_published_for_a_holder_is_listed_and_delivered_sealed_to_the_presented_certificate()
 {
    let site = TestSite::new();
    let (id, key, certificate) = site.holder(subject()).await;
    let published = site.publish(form(&id)).await;
    assert_eq!(
        published.status,
        StatusCode::CREATED,
        "{}",
        published.text()
    );
    let document = published.json();
    assert_eq!(document["id"], "doc-0001");
    assert_eq!(
        document["subject"],
        "CN=山田 太郎,O=Example Securities,C=JP"
    );
    assert_eq!(document["size"], CONTENT.len());
    assert_eq!(document["deliveries"], json!([]));
    assert!(document.get("content").is_none(), "{document}");

    let list = site
        .get_presenting("/documents", Some(presenting(certificate.clone())), true)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let list = list.json();
    assert_eq!(list["notice"], NOTICE);
    assert_eq!(
        list["holder"]["subject"],
        "CN=山田 太郎,O=Example Securities,C=JP"
    );
    assert_eq!(list["documents"][0]["id"], "doc-0001");
    assert_eq!(list["documents"][0]["title"], "残高証明書 2026年11月");
    assert_eq!(list["documents"][0]["download"], "/documents/doc-0001");

    let page = site
        .get_presenting("/documents", Some(presenting(certificate.clone())), false)
        .await;
    assert!(page.text().contains("data-catalogue-id=\"DATA-DECRYPT\""));
    assert!(
        page.text().contains(
            "href=\"&#x2f;documents&#x2f;doc-0001\" download=\"balance-2026-11.pdf.p7m\""
        ),
        "{}",
        page.text()
    );

    let download = site
        .get_presenting(
            "/documents/doc-0001",
            Some(presenting(certificate.clone())),
            true,
        )
        .await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.text());
    assert_eq!(download.content_type(), ENVELOPE_TYPE);
    assert_eq!(open(&download.body, &key), CONTENT);

    let (_, issued) = X509Certificate::from_der(&certificate).unwrap();
    let serial = crate::enrollment::authority::hex_pairs(issued.raw_serial());
    let described = site
        .admin(Method::GET, "/admin/documents/doc-0001", None)
        .await
        .json();
    assert_eq!(described["deliveries"], json!([serial]));
}

#[tokio::test]
async fn the_download_page_without_a_client_certificate_is_confirm_forbidden() {
    let site = TestSite::new();
    let (id, _, _) = site.holder(subject()).await;
    site.publish(form(&id)).await;
    for path in ["/documents", "/documents/doc-0001"] {
        for tls in [None, Some(TlsInfo::default())] {
            site.get_presenting(path, tls.clone(), true)
                .await
                .assert_refused(
                    StatusCode::FORBIDDEN,
                    "CONFIRM-FORBIDDEN",
                    CONFIRM_FORBIDDEN,
                );
            site.get_presenting(path, tls, false)
                .await
                .assert_refused_html(
                    StatusCode::FORBIDDEN,
                    "CONFIRM-FORBIDDEN",
                    CONFIRM_FORBIDDEN,
                );
        }
    }
}

#[tokio::test]
async fn another_holder_neither_sees_nor_downloads_a_document_that_is_not_theirs() {
    let site = TestSite::new();
    let (taro, _, _) = site.holder(subject()).await;
    let hanako = json!([
        ["C", "JP"],
        ["O", "Example Securities"],
        ["CN", "Hanako Sato"]
    ]);
    let (_, _, other) = site.holder(hanako).await;
    site.publish(form(&taro)).await;
    let list = site
        .get_presenting("/documents", Some(presenting(other.clone())), true)
        .await
        .json();
    assert_eq!(list["documents"], json!([]));
    site.get_presenting("/documents/doc-0001", Some(presenting(other)), true)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "NOT-FOUND", "Not found.");
    let described = site
        .admin(Method::GET, "/admin/documents?application=ap-0001", None)
        .await
        .json();
    assert_eq!(described[0]["deliveries"], json!([]));
}

#[tokio::test]
async fn a_document_waits_for_a_holder_who_has_not_enrolled_yet() {
    let site = TestSite::new();
    let id = site.file().await;
    let published = site.publish(form(&id)).await;
    assert_eq!(
        published.status,
        StatusCode::CREATED,
        "{}",
        published.text()
    );
}

#[tokio::test]
async fn publishing_refuses_an_unknown_or_withdrawn_application_and_a_bad_form() {
    let site = TestSite::new();
    site.publish(form("ap-9999")).await.assert_refused(
        StatusCode::NOT_FOUND,
        "NOT-FOUND",
        "Not found.",
    );
    let id = site.file().await;
    let mut bad = form(&id);
    bad["content"] = json!("not base64!");
    site.publish(bad).await.assert_refused(
        StatusCode::BAD_REQUEST,
        "BAD-REQUEST",
        "The request could not be read.",
    );
    let mut bad = form(&id);
    bad["file_name"] = json!("../etc/passwd");
    site.publish(bad).await.assert_refused(
        StatusCode::BAD_REQUEST,
        "BAD-REQUEST",
        "The request could not be read.",
    );
    let mut bad = form(&id);
    bad["title"] = json!("");
    site.publish(bad).await.assert_refused(
        StatusCode::BAD_REQUEST,
        "BAD-REQUEST",
        "The request could not be read.",
    );
    site.admin(
        Method::POST,
        &format!("/admin/applications/{id}/withdraw"),
        None,
    )
    .await;
    site.publish(form(&id)).await.assert_refused(
        StatusCode::CONFLICT,
        "OUT-OF-ORDER",
        "This step is not available now.",
    );
    let unauthorized = site
        .send(
            Request::post("/admin/documents")
                .header(header::CONTENT_TYPE, JSON)
                .body(Body::from(form(&id).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        site.admin(Method::GET, "/admin/documents", None)
            .await
            .json(),
        json!([])
    );
}
