//! Faults that only a real connection shows: a reset and a truncated body.

use serde_json::json;

use crate::support::{self, admin_of, client};

#[tokio::test]
async fn a_reset_fault_closes_the_connection_without_an_answer_and_the_next_request_is_answered() {
    let site = support::site().start().await.unwrap();
    let admin = admin_of(&site);
    admin
        .post(
            "/faults",
            json!({"endpoint": "top", "effect": {"kind": "reset"}}),
        )
        .await
        .unwrap();
    let http = client(site.site_trust_pem(), None);
    let broken = http.get(format!("{}/", site.url())).send().await;
    assert!(broken.is_err(), "{broken:?}");
    let answered = http.get(format!("{}/", site.url())).send().await.unwrap();
    assert_eq!(answered.status(), 200);
    let journal = admin.get("/journal?path=/").await.unwrap();
    assert_eq!(journal[0]["status"], 0);
    assert_eq!(journal[0]["fault"], "reset");
}

#[tokio::test]
async fn a_truncate_fault_breaks_the_body_off_halfway() {
    let site = support::site().start().await.unwrap();
    let admin = admin_of(&site);
    admin
        .post(
            "/faults",
            json!({"endpoint": "repository", "effect": {"kind": "truncate"}}),
        )
        .await
        .unwrap();
    let http = client(site.site_trust_pem(), None);
    let outcome = match http
        .get(format!("{}/repository", site.url()))
        .header("Accept", "application/json")
        .send()
        .await
    {
        Ok(response) => response.bytes().await.map(|b| b.len()),
        Err(e) => Err(e),
    };
    assert!(outcome.is_err(), "{outcome:?}");
    let whole = http
        .get(format!("{}/repository", site.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(whole.status(), 200);
    assert!(whole.text().await.unwrap().contains("</html>"));
}
