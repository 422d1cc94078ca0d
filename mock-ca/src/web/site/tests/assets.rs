//! The enrollment component's files under /assets/, and the markup step 1, 2, 3 and the
//! STEP3-ONE-WAY page give it (the contract at the top of mock-ca/assets/component.js).

use aws_lc_rs::digest::{SHA256, digest};

use super::*;
use crate::web::site::assets::ASSETS;

/// `mock-ca/assets/vendor/VENDOR.toml`, as scripts/vendor-js.sh writes it.
#[derive(serde::Deserialize)]
struct Record {
    file: Vec<Vendored>,
}

#[derive(serde::Deserialize)]
struct Vendored {
    file: String,
    package: String,
    version: String,
    licence: String,
    licence_file: String,
    sha256: String,
}

fn record() -> Record {
    toml::from_str(include_str!("../../../../assets/vendor/VENDOR.toml")).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn every_asset_is_served_as_javascript_with_the_bytes_embedded_in_the_binary() {
    let site = TestSite::new();
    for asset in ASSETS {
        for json in [false, true] {
            let answer = site.get(&format!("/assets/{}", asset.name), json).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", asset.name);
            assert_eq!(answer.content_type(), "text/javascript; charset=utf-8");
            assert_eq!(answer.body.as_ref(), asset.bytes, "{}", asset.name);
        }
    }
    let component = site.get("/assets/component.js", false).await.text();
    assert!(component.contains("X-Enrollment-Component"), "{component}");
}

#[tokio::test]
async fn a_browser_revalidating_an_asset_with_its_entity_tag_is_answered_not_modified() {
    let site = TestSite::new();
    for asset in ASSETS {
        let path = format!("/assets/{}", asset.name);
        let first = site.get(&path, false).await;
        let tag = first.headers[header::ETAG].to_str().unwrap().to_owned();
        assert!(tag.starts_with('"') && tag.len() > 20, "{tag}");
        assert_eq!(first.headers[header::CACHE_CONTROL], "no-cache");
        let again = |tag: String| {
            let path = path.clone();
            let site = &site;
            async move {
                let request = Request::get(&path)
                    .header(header::IF_NONE_MATCH, tag)
                    .body(Body::empty())
                    .unwrap();
                site.send(request).await
            }
        };
        let same = again(format!("W/\"x\", {tag}")).await;
        assert_eq!(same.status, StatusCode::NOT_MODIFIED, "{}", asset.name);
        assert!(same.body.is_empty());
        assert_eq!(same.headers[header::ETAG].to_str().unwrap(), tag);
        let other = again("\"another\"".to_owned()).await;
        assert_eq!(other.status, StatusCode::OK, "{}", asset.name);
        assert_eq!(other.body.as_ref(), asset.bytes, "{}", asset.name);
    }
}

#[tokio::test]
async fn an_unknown_asset_or_a_path_under_assets_answers_not_found_in_the_error_format() {
    let site = TestSite::new();
    for path in [
        "/assets/nothing.js",
        "/assets/vendor%2Fforge.min.js",
        "/assets/..%2F..%2FCargo.toml",
        "/assets/forge.min.js.map",
        "/assets/VENDOR.toml",
    ] {
        site.get(path, true)
            .await
            .assert_refused(StatusCode::NOT_FOUND, "NOT-FOUND", "Not found.");
        site.get(path, false).await.assert_refused_html(
            StatusCode::NOT_FOUND,
            "NOT-FOUND",
            "お探しのページは見つかりませんでした",
        );
    }
}

#[test]
fn each_vendored_file_is_the_one_its_record_names_by_sha256() {
    let record = record();
    let vendored: Vec<_> = ASSETS
        .iter()
        .filter(|a| a.path.starts_with("vendor/"))
        .collect();
    assert!(!vendored.is_empty());
    for asset in &vendored {
        let entry = record
            .file
            .iter()
            .find(|f| f.file == asset.name)
            .unwrap_or_else(|| panic!("{} is not recorded in VENDOR.toml", asset.name));
        assert_eq!(
            hex(digest(&SHA256, asset.bytes).as_ref()),
            entry.sha256,
            "{} is not {}@{} as recorded: run scripts/vendor-js.sh",
            asset.name,
            entry.package,
            entry.version
        );
        assert!(!entry.licence.is_empty() && !entry.version.is_empty());
        let licence = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/vendor")
            .join(&entry.licence_file);
        assert!(licence.is_file(), "{} missing", licence.display());
    }
    // And nothing is recorded that the site does not serve.
    for entry in &record.file {
        assert!(
            vendored.iter().any(|a| a.name == entry.file),
            "{} is recorded but not served",
            entry.file
        );
    }
}

#[tokio::test]
async fn step_2_in_a_browser_leaves_the_csp_and_key_length_to_the_component_and_offers_no_working_issue_button()
 {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let page = as_read(site.login(&id, &password, false).await.text());
    assert!(
        page.contains("<h1>証明書発行サイト【ステップ 2】</h1>"),
        "{page}"
    );
    // What the component needs, as data attributes.
    for attribute in [
        "data-step=\"2\"".to_owned(),
        format!("data-application=\"{id}\""),
        "data-csp=\"Microsoft Enhanced RSA and AES Cryptographic Provider\"".to_owned(),
        "data-key-algorithm=\"RSA\"".to_owned(),
        "data-key-length=\"2048\"".to_owned(),
        format!("data-issue=\"/apply/{id}/issue\""),
        format!("data-step-one=\"/apply/{id}\""),
        "data-site-name=\"証明書発行サイト\"".to_owned(),
    ] {
        assert!(page.contains(&attribute), "{attribute} missing:\n{page}");
    }
    // Not filled in by the server, and no form that posts 発行 without the component.
    assert!(page.contains("<code id=\"csp\" class=\"component-fill\"></code>"));
    assert!(page.contains("<code id=\"key-length\" class=\"component-fill\"></code>"));
    assert!(!page.contains("<form"), "{page}");
    assert!(page.contains("<button type=\"button\" id=\"issue\" hidden disabled>発行</button>"));
    // Where the component cannot run, step 2 says so with the FAQ's answer [STEP2-CSP-HIDDEN].
    assert!(
        page.contains("data-catalogue-id=\"STEP2-CSP-HIDDEN\""),
        "{page}"
    );
    assert!(page.contains(
        "<p class=\"remedy\">Microsoft Edge (Internet Explorer モード) の設定により表示されないことがあります。</p>"
    ));
    assert!(page.contains("<noscript>"));
    assert!(page.contains(&format!("<a href=\"/apply/{id}\">ステップ 1 に戻る</a>")));
    // node-forge is the component's to load when it needs it: not a script of every page.
    assert!(!page.contains("forge.min.js"), "{page}");
    assert!(page.contains("<script src=\"/assets/component.js\" defer></script>"));
    // The JSON answer is unchanged: programs read the CSP there.
    let json = site.login(&id, &password, true).await.json();
    assert_eq!(
        json["csp"],
        "Microsoft Enhanced RSA and AES Cryptographic Provider"
    );
}

#[tokio::test]
async fn a_resumed_step_3_page_gives_the_component_the_subject_root_and_csr_url() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    site.at_step_three(&id, &password).await;
    let page = as_read(site.login(&id, &password, false).await.text());
    let sha1 = site.site.registration().authority().thumbprints().sha1;
    for attribute in [
        "data-step=\"3\"".to_owned(),
        "data-resumed=\"true\"".to_owned(),
        format!("data-root-sha1=\"{sha1}\""),
        "data-repository=\"/repository\"".to_owned(),
        "data-root-certificate=\"/repository/root.cer\"".to_owned(),
        format!("data-csr=\"/apply/{id}/csr\""),
        "data-key-length=\"2048\"".to_owned(),
        "data-subject=\"[[&quot;C&quot;,&quot;JP&quot;],[&quot;O&quot;,&quot;Example Securities&quot;],[&quot;CN&quot;,&quot;山田 太郎&quot;]]\"".to_owned(),
    ] {
        assert!(page.contains(&attribute), "{attribute} missing:\n{page}");
    }
    assert!(page.contains("id=\"root-install\" hidden disabled"));
    assert!(page.contains("id=\"client-install\" hidden disabled"));
    assert!(!page.contains("<form"), "{page}");
}

#[tokio::test]
async fn the_step3_one_way_page_and_step_1_load_the_component_for_their_application() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let step_one = as_read(site.get(&format!("/apply/{id}"), false).await.text());
    assert!(step_one.contains("data-step=\"1\""), "{step_one}");
    assert!(step_one.contains(&format!("data-application=\"{id}\"")));
    assert!(step_one.contains("/assets/component.js"));

    let session = site.at_step_three(&id, &password).await;
    let (_, csr) = csr_for(&subject(), RsaKeySize::_2048);
    assert_eq!(
        site.submit_csr(&id, &session, &csr).await.status,
        StatusCode::CREATED
    );
    let refused = site.login(&id, &password, false).await;
    refused.assert_refused_html(StatusCode::GONE, "STEP3-ONE-WAY", STEP3_ONE_WAY);
    let page = as_read(refused.text());
    assert!(page.contains("data-step=\"refused\""), "{page}");
    assert!(page.contains("data-refusal=\"STEP3-ONE-WAY\""));
    assert!(page.contains(&format!("data-application=\"{id}\"")));
    assert!(page.contains("/assets/component.js"));
    // Another refusal (a wrong password before any certificate) loads nothing.
    let other = TestSite::new();
    let (id, password) = other.approved().await;
    let page = other
        .login(&id, &format!("{password}x"), false)
        .await
        .text();
    assert!(!page.contains("component.js"), "{page}");
}

/// The page's source with `&#x2f;` read as `/`, as a browser reads it: the template engine
/// escapes every `/` in a value, which leaves the attributes the component reads unreadable here.
fn as_read(page: String) -> String {
    page.replace("&#x2f;", "/")
}
