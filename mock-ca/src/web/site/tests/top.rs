//! GET / of both sites, the repository and its root certificate, and which listener serves which
//! page.

use super::*;

#[tokio::test]
async fn the_top_page_answers_that_the_site_is_reachable() {
    let site = TestSite::new();
    let answer = site.get("/", true).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({"site": "証明書発行サイト", "status": "ok", "repository": "/repository",
               "confirm": format!("{CONFIRM_URL}/confirm")})
    );
    let page = site.get("/", false).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type().starts_with("text/html"));
    assert!(page.text().contains("<h1>証明書発行サイト</h1>"));
}

#[tokio::test]
async fn the_repository_page_publishes_the_issuing_roots_thumbprints() {
    let site = TestSite::new();
    let root_der = site.root_der();
    let thumbprints = Thumbprints::of(&root_der);

    let answer = site.get("/repository", true).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["notice"], REPOSITORY_NOTICE);
    assert_eq!(body["root"]["certificate"], "/repository/root.cer");
    assert_eq!(body["root"]["sha1"], thumbprints.sha1.as_str());
    assert_eq!(body["root"]["sha256"], thumbprints.sha256.as_str());
    assert_eq!(thumbprints.sha1.len(), 20 * 3 - 1);
    assert_eq!(thumbprints.sha256.len(), 32 * 3 - 1);
    assert!(
        body["root"]["subject"]
            .as_str()
            .unwrap()
            .contains(ROOT_NAME)
    );
    assert_eq!(
        certificate_der(body["root"]["pem"].as_str().unwrap()),
        root_der
    );

    let page = site.get("/repository", false).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(text.contains(REPOSITORY_NOTICE), "{text}");
    assert!(
        text.contains(&thumbprints.sha1) && text.contains(&thumbprints.sha256),
        "{text}"
    );
}

#[tokio::test]
async fn the_root_certificate_downloads_as_der() {
    let site = TestSite::new();
    let answer = site.get("/repository/root.cer", false).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), "application/pkix-cert");
    assert_eq!(answer.body.to_vec(), site.root_der());
    let (_, root) = X509Certificate::from_der(&answer.body).unwrap();
    assert!(root.is_ca());
}

#[tokio::test]
async fn the_issuance_site_sends_the_confirmation_pages_to_the_confirmation_site() {
    let site = TestSite::new();
    for path in ["/confirm", "/documents", "/documents/doc-0001?x=1"] {
        let answer = site
            .send_to_issuance(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(answer.status, StatusCode::PERMANENT_REDIRECT, "{path}");
        assert_eq!(
            answer.headers[header::LOCATION],
            format!("{CONFIRM_URL}{path}").as_str()
        );
    }
}

#[tokio::test]
async fn the_confirmation_site_serves_only_its_own_pages_and_names_them_at_its_top() {
    let site = TestSite::new();
    let top = site
        .send_to(
            &site.confirmation,
            Request::get("/")
                .header(header::ACCEPT, JSON)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(top.status, StatusCode::OK);
    assert_eq!(
        top.json(),
        json!({"site": "証明書確認サイト", "status": "ok", "confirm": "/confirm", "documents": "/documents"})
    );
    for path in ["/repository", "/apply/ap-0001", "/admin/applications"] {
        let answer = site
            .send_to(
                &site.confirmation,
                Request::get(path)
                    .header(header::ACCEPT, JSON)
                    .header(header::AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.json()["error"]["id"], "NOT-FOUND");
    }
}
