//! `--data-dir`: a restart keeps the CA, the site's identity, the applications, the issued
//! certificates and the mails.

use reqwest::header;
use serde_json::{Value, json};

use crate::support::{self, admin_of, approved, at_step_three, client, csr, mailed_password};

#[tokio::test]
async fn a_restart_with_the_same_data_dir_loses_nothing_that_was_answered() {
    let data = tempfile::tempdir().unwrap();
    let site = support::site().data_dir(data.path()).start().await.unwrap();
    let admin = admin_of(&site);
    let id = approved(&admin).await;
    let waiting = approved(&admin).await;
    let password = mailed_password(&site, &id).await;
    // Read before the restart: the records keep only its hash, and no copy of its mail's body.
    let waiting_password = mailed_password(&site, &waiting).await;
    let http = client(site.site_trust_pem(), None);
    let session = at_step_three(&http, site.url(), &id, &password).await;
    let (key, csr) = csr();
    let issued: Value = http
        .post(format!("{}/apply/{id}/csr", site.url()))
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, format!("session={session}"))
        .header("X-Enrollment-Component", crate::support::COMPONENT)
        .json(&json!({ "csr": csr }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let certificate = issued["certificate"].as_str().unwrap().to_owned();
    let (root, anchor) = (site.root_pem().to_owned(), site.site_trust_pem().to_owned());
    site.shutdown().await;

    let again = support::site().data_dir(data.path()).start().await.unwrap();
    assert_eq!(again.root_pem(), root, "the same issuing root");
    assert_eq!(again.site_trust_pem(), anchor, "the same site identity");
    let admin = admin_of(&again);
    let listed = admin.get("/applications").await.unwrap();
    let states: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [(id.as_str(), "issued"), (waiting.as_str(), "approved")]
    );
    assert_eq!(listed[0]["certificates"][0], issued["serial"]);
    let mails = admin.get("/outbox").await.unwrap();
    assert_eq!(mails.as_array().unwrap().len(), 4);

    // The issued application stays one-way; the waiting one still logs in with its password.
    let http = client(again.site_trust_pem(), None);
    let refused: Value = http
        .post(format!("{}/apply/{id}/login", again.url()))
        .header(header::ACCEPT, "application/json")
        .json(&json!({ "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(refused["error"]["id"], "STEP3-ONE-WAY");
    at_step_three(&http, again.url(), &waiting, &waiting_password).await;

    // The certificate issued before the restart opens the confirmation page after it.
    let identity = format!("{certificate}{}", key.serialize_pem());
    let holder = client(again.site_trust_pem(), Some(&identity));
    let confirmed: Value = holder
        .get(format!("{}/confirm", again.url()))
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(confirmed["holder"]["serial"], issued["serial"]);

    // Numbering goes on.
    let filed = admin
        .post(
            "/applications",
            json!({"applicant": "x", "email": "x@example.jp", "subject": [["CN", "x"]]}),
        )
        .await
        .unwrap();
    assert_eq!(filed["id"], "ap-0003");
}
