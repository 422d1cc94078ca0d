//! The request journal (/admin/journal): what it records, what it leaves out, and its filters.

use super::*;

#[tokio::test]
async fn the_journal_lists_public_requests_with_their_error_ids_and_leaves_out_admin_requests() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    assert_eq!(
        site.get(&format!("/apply/{id}"), true).await.status,
        StatusCode::OK
    );
    site.login(&id, "wrong", true).await;
    site.login(&id, &password, false).await;
    site.get("/nowhere", true).await;
    site.get("/administrator", true).await; // a public path, not the admin API
    site.send(Request::get("/admin/journal").body(Body::empty()).unwrap())
        .await; // refused, and still not journalled

    let journal = site.admin(Method::GET, "/admin/journal", None).await;
    assert_eq!(journal.status, StatusCode::OK, "{}", journal.text());
    let entries: Vec<Value> = journal
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            json!([
                entry["method"],
                entry["path"],
                entry["status"],
                entry["error"]
            ])
        })
        .collect();
    let login = format!("/apply/{id}/login");
    assert_eq!(
        entries,
        vec![
            json!(["GET", format!("/apply/{id}"), 200, null]),
            json!(["POST", login, 401, "AUTH-FAILED"]),
            json!(["POST", login, 200, null]),
            json!(["GET", "/nowhere", 404, "NOT-FOUND"]),
            json!(["GET", "/administrator", 404, "NOT-FOUND"]),
        ]
    );
    let seqs: Vec<u64> = journal
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);

    // DELETE empties it; numbering goes on.
    let cleared = site.admin(Method::DELETE, "/admin/journal", None).await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    site.get("/", true).await;
    let journal = site.admin(Method::GET, "/admin/journal", None).await.json();
    assert_eq!(
        journal,
        json!([{"seq": 6, "method": "GET", "path": "/", "status": 200, "error": null,
                "at": "2026-11-25T10:00:00+09:00",
                "body": {"site": "証明書発行サイト", "status": "ok", "repository": "/repository",
                         "confirm": format!("{CONFIRM_URL}/confirm")}}])
    );
}

#[tokio::test]
async fn the_journal_filters_by_method_status_error_application_and_sequence() {
    let site = TestSite::new();
    let (first, password) = site.approved().await;
    let (second, _) = site.approved().await;
    site.login(&first, "wrong", true).await;
    site.login(&first, &password, true).await;
    site.login(&second, "wrong", true).await;
    site.get("/", true).await;

    let site = &site;
    let pick = |query: &'static str| async move {
        site.admin(Method::GET, &format!("/admin/journal?{query}"), None)
            .await
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(pick("method=post").await, [1, 2, 3]);
    assert_eq!(pick("error=AUTH-FAILED").await, [1, 3]);
    assert_eq!(pick("status=200").await, [2, 4]);
    assert_eq!(pick("application=ap-0002").await, [3]);
    assert_eq!(pick("since=2").await, [3, 4]);
    assert_eq!(pick("path=/apply/ap-0001&status=401").await, [1]);
    site.admin(Method::GET, "/admin/journal?colour=red", None)
        .await
        .assert_refused(
            StatusCode::BAD_REQUEST,
            "BAD-REQUEST",
            "The request could not be read.",
        );
}

#[tokio::test]
async fn the_journal_keeps_json_answers_with_the_session_masked_and_never_the_password() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let answer = site.login(&id, &password, true).await;
    let session = answer.json()["session"].as_str().unwrap().to_owned();
    site.login(&id, "wrong", true).await;

    let journal = site.admin(Method::GET, "/admin/journal", None).await;
    let text = journal.text();
    assert!(
        !text.contains(&password),
        "the password is never journalled"
    );
    assert!(!text.contains(&session), "the session token is masked");
    let entries = journal.json();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries[0]["body"]["step"], 2);
    assert_eq!(entries[0]["body"]["session"], "<session>");
    assert_eq!(entries[1]["body"]["error"]["id"], "AUTH-FAILED");
}
