//! The admin API: its bearer token, filing and withdrawing applications, and its clock.

use super::*;

#[tokio::test]
async fn admin_requests_without_the_right_bearer_token_are_refused_with_admin_unauthorized() {
    let site = TestSite::new();
    let message = "The admin API needs its bearer token.";
    for authorization in [
        None,
        Some("Bearer wrong"),
        Some(ADMIN_TOKEN),
        Some("Basic dGVzdA=="),
    ] {
        let mut request = Request::get("/admin/applications");
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        site.send(request.body(Body::empty()).unwrap())
            .await
            .assert_refused(StatusCode::UNAUTHORIZED, "ADMIN-UNAUTHORIZED", message);
    }
    // Filing without the token files nothing.
    let filing = Request::post("/admin/applications")
        .header(header::CONTENT_TYPE, JSON)
        .body(Body::from(
            json!({"applicant": "x", "email": "x@example.jp", "subject": subject()}).to_string(),
        ))
        .unwrap();
    site.send(filing)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "ADMIN-UNAUTHORIZED", message);
    assert_eq!(site.site.registration().applications().count(), 0);
}

#[tokio::test]
async fn the_admin_bearer_scheme_is_case_insensitive() {
    let site = TestSite::new();
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let answer = site
            .send(
                Request::get("/admin/applications")
                    .header(header::AUTHORIZATION, format!("{scheme} {ADMIN_TOKEN}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{scheme}: {}", answer.text());
    }
}

#[tokio::test]
async fn filing_an_application_with_an_unknown_field_is_refused_with_bad_request_and_files_nothing()
{
    let site = TestSite::new();
    let answer = site
        .admin(
            Method::POST,
            "/admin/applications",
            Some(
                json!({"applicant": "x", "email": "x@example.jp", "subject": [["CN", "x"]],
                        "kind": "new", "approve": true}),
            ),
        )
        .await;
    answer.assert_refused(
        StatusCode::BAD_REQUEST,
        "BAD-REQUEST",
        "The request could not be read.",
    );
    assert!(
        answer.json()["error"]["detail"]
            .as_str()
            .unwrap()
            .contains("unknown field")
    );
    assert_eq!(
        site.admin(Method::GET, "/admin/applications", None)
            .await
            .json(),
        json!([])
    );
}

#[tokio::test]
async fn a_withdrawn_application_answers_no_valid_request_and_gets_no_reminders() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let withdrawn = site
        .admin(
            Method::POST,
            &format!("/admin/applications/{id}/withdraw"),
            None,
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());
    assert_eq!(withdrawn.json()["state"], "withdrawn");
    site.login(&id, &password, true).await.assert_refused(
        StatusCode::GONE,
        "NO-VALID-REQUEST",
        NO_VALID_REQUEST,
    );
    site.clock(Method::POST, "/admin/clock/advance", json!({"days": 30}))
        .await;
    assert_eq!(site.mails_of(&id), ["MAIL-URL", "MAIL-PASSWORD"]);
    // Twice is out of order.
    let again = site
        .admin(
            Method::POST,
            &format!("/admin/applications/{id}/withdraw"),
            None,
        )
        .await;
    again.assert_refused(
        StatusCode::CONFLICT,
        "OUT-OF-ORDER",
        "This step is not available now.",
    );
}

#[tokio::test]
async fn the_admin_clock_reads_sets_freezes_and_advances() {
    let site = TestSite::new();
    let read = site.admin(Method::GET, "/admin/clock", None).await.json();
    assert_eq!(read["now"], "2026-11-25T10:00:00+09:00");
    assert_eq!(read["frozen"], true);
    let set = site
        .clock(
            Method::PUT,
            "/admin/clock",
            json!({"now": "2027-01-04T00:00:00Z", "frozen": true}),
        )
        .await;
    assert_eq!(set["now"], "2027-01-04T09:00:00+09:00");
    let advanced = site
        .clock(
            Method::POST,
            "/admin/clock/advance",
            json!({"days": 1, "hours": 2, "minutes": 3, "seconds": 4}),
        )
        .await;
    assert_eq!(advanced["now"], "2027-01-05T11:03:04+09:00");
    site.admin(
        Method::PUT,
        "/admin/clock",
        Some(json!({"now": "yesterday"})),
    )
    .await
    .assert_refused(
        StatusCode::BAD_REQUEST,
        "BAD-REQUEST",
        "The request could not be read.",
    );
    // Beyond the calendar is refused, not a panic.
    site.admin(
        Method::POST,
        "/admin/clock/advance",
        Some(json!({"days": 9_000_000})),
    )
    .await
    .assert_refused(
        StatusCode::BAD_REQUEST,
        "BAD-REQUEST",
        "The request could not be read.",
    );
    // Running from a time set.
    let running = site
        .clock(
            Method::PUT,
            "/admin/clock",
            json!({"now": "2030-01-01T00:00:00+09:00", "frozen": false}),
        )
        .await;
    assert_eq!(running["frozen"], false);
}
