//! Faults armed through the admin API (/admin/faults) and how the site carries them out.

use super::*;

#[tokio::test]
async fn an_armed_fault_answers_a_catalogue_error_for_the_next_n_requests_of_its_endpoint() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let fault = site
        .arm(json!({"endpoint": "login", "times": 2, "effect": {"kind": "error", "id": "NO-VALID-REQUEST"}}))
        .await;
    let listed = site.admin(Method::GET, "/admin/faults", None).await.json();
    assert_eq!(listed[0]["id"], fault.as_str());
    assert_eq!(listed[0]["hits"], 0);

    assert_eq!(
        site.get("/", true).await.status,
        StatusCode::OK,
        "other endpoints are untouched"
    );
    for _ in 0..2 {
        let answer = site.login(&id, &password, true).await;
        answer.assert_refused(StatusCode::GONE, "NO-VALID-REQUEST", NO_VALID_REQUEST);
        assert_eq!(answer.json()["error"]["detail"], "injected fault");
        assert_eq!(
            answer.json()["error"]["remedy"],
            "既に URL にアクセスして証明書を発行された後ではありませんか"
        );
    }
    assert_eq!(
        site.login(&id, &password, true).await.status,
        StatusCode::OK
    );
    assert_eq!(
        site.admin(Method::GET, "/admin/faults", None).await.json(),
        json!([])
    );

    let journal = site
        .admin(
            Method::GET,
            &format!("/admin/journal?path=/apply/{id}/login"),
            None,
        )
        .await
        .json();
    let faults: Vec<&Value> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["fault"])
        .collect();
    assert_eq!(faults, [&json!("error"), &json!("error"), &Value::Null]);
}

#[tokio::test]
async fn an_armed_status_fault_scoped_to_one_application_leaves_the_others_alone() {
    let site = TestSite::new();
    let (first, _) = site.approved().await;
    let (second, _) = site.approved().await;
    site.arm(json!({"application": second, "forever": true, "effect": {"kind": "status", "status": 503}}))
        .await;
    assert_eq!(
        site.get(&format!("/apply/{first}"), true).await.status,
        StatusCode::OK
    );
    for _ in 0..3 {
        site.get(&format!("/apply/{second}"), true)
            .await
            .assert_refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "FAULT-INJECTED",
                "Injected fault.",
            );
    }
    let cleared = site.admin(Method::DELETE, "/admin/faults", None).await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    assert_eq!(
        site.get(&format!("/apply/{second}"), true).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn faults_that_cannot_be_carried_out_are_refused_and_one_can_be_disarmed_by_id() {
    let site = TestSite::new();
    for bad in [
        json!({"effect": {"kind": "error", "id": "NOT-AN-ID"}}),
        json!({"effect": {"kind": "status", "status": 200}}),
        json!({"effect": {"kind": "reset"}, "probability": 1.5}),
        json!({"effect": {"kind": "explode"}}),
        json!({"endpoint": "nowhere", "effect": {"kind": "reset"}}),
    ] {
        site.admin(Method::POST, "/admin/faults", Some(bad))
            .await
            .assert_refused(
                StatusCode::BAD_REQUEST,
                "BAD-REQUEST",
                "The request could not be read.",
            );
    }
    let id = site.arm(json!({"effect": {"kind": "reset"}})).await;
    let gone = site
        .admin(Method::DELETE, &format!("/admin/faults/{id}"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    site.admin(Method::DELETE, &format!("/admin/faults/{id}"), None)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "NOT-FOUND", "Not found.");
}

#[tokio::test(start_paused = true)]
async fn a_delay_fault_holds_the_answer_for_its_time_then_answers_normally() {
    let site = TestSite::new();
    site.arm(json!({"endpoint": "top", "effect": {"kind": "delay", "ms": 1500}}))
        .await;
    // The clock of this test runtime is paused: it moves only by the fault's sleep.
    let start = tokio::time::Instant::now();
    let answer = site.get("/", true).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(start.elapsed(), std::time::Duration::from_millis(1500));
    let start = tokio::time::Instant::now();
    site.get("/", true).await;
    assert_eq!(start.elapsed(), std::time::Duration::ZERO);
}

#[tokio::test]
async fn reset_and_truncate_faults_mark_the_answer_for_the_server_and_the_journal() {
    let site = TestSite::new();
    site.arm(json!({"endpoint": "repository", "effect": {"kind": "reset"}}))
        .await;
    let response = site
        .app
        .clone()
        .oneshot(Request::get("/repository").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(
        response
            .extensions()
            .get::<crate::web::site::faults::DropConnection>()
            .is_some()
    );

    site.arm(json!({"endpoint": "repository", "effect": {"kind": "truncate"}}))
        .await;
    let response = site
        .app
        .clone()
        .oneshot(Request::get("/repository").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let length: usize = response.headers()[header::CONTENT_LENGTH]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(length > 0);
    assert!(
        response.into_body().collect().await.is_err(),
        "the body breaks off"
    );

    let journal = site
        .admin(Method::GET, "/admin/journal?path=/repository", None)
        .await
        .json();
    let seen: Vec<Value> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| json!([e["status"], e["fault"]]))
        .collect();
    assert_eq!(seen, [json!([0, "reset"]), json!([200, "truncate"])]);
}
