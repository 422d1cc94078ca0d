//! The mails by the site's clock: the 14:00 cut-off, processing days, and reminders.

use super::*;

#[tokio::test]
async fn an_application_filed_at_14_00_with_auto_approval_gets_its_mails_on_the_next_processing_day()
 {
    let site = TestSite::new();
    let on = site
        .admin(
            Method::PUT,
            "/admin/auto-approve",
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(on.json(), json!({"enabled": true}));

    // 13:59 on a Wednesday: processed at once.
    site.clock(
        Method::PUT,
        "/admin/clock",
        json!({"now": "2026-11-25T13:59:00+09:00"}),
    )
    .await;
    let early = site.file_kind("new").await;
    assert_eq!(site.state_of(&early), "approved");
    assert_eq!(site.mails_of(&early), ["MAIL-URL", "MAIL-PASSWORD"]);

    // 14:00: filed, not approved, no mails, and a login says so (AUTH-FAILED).
    site.clock(Method::POST, "/admin/clock/advance", json!({"minutes": 1}))
        .await;
    let late = site.file_kind("new").await;
    let inspected = site
        .admin(Method::GET, &format!("/admin/applications/{late}"), None)
        .await
        .json();
    assert_eq!(inspected["state"], "filed");
    assert_eq!(inspected["filed_at"], "2026-11-25T14:00:00+09:00");
    assert_eq!(inspected["approve_at"], "2026-11-26T09:00:00+09:00");
    assert!(site.mails_of(&late).is_empty());
    let password = "Abcdefgh2345";
    site.login(&late, password, true).await.assert_refused(
        StatusCode::UNAUTHORIZED,
        "AUTH-FAILED",
        AUTH_FAILED,
    );

    // Still nothing at 08:59 the next day; the mails at 09:00.
    let clock = site
        .clock(
            Method::PUT,
            "/admin/clock",
            json!({"now": "2026-11-26T08:59:59+09:00"}),
        )
        .await;
    assert_eq!(clock["mails_sent"], 0);
    assert!(site.mails_of(&late).is_empty());
    let clock = site
        .clock(Method::POST, "/admin/clock/advance", json!({"seconds": 1}))
        .await;
    assert_eq!(clock["now"], "2026-11-26T09:00:00+09:00");
    assert_eq!(clock["mails_sent"], 2);
    assert_eq!(site.mails_of(&late), ["MAIL-URL", "MAIL-PASSWORD"]);
    assert_eq!(site.state_of(&late), "approved");
    let sent_at = site
        .site
        .registration()
        .outbox()
        .sent()
        .last()
        .unwrap()
        .sent_at;
    assert_eq!(sent_at, datetime!(2026-11-26 09:00 +9));
}

#[tokio::test]
async fn an_application_filed_on_friday_afternoon_is_processed_on_monday_by_the_periodic_tick() {
    let site = TestSite::new();
    site.site.registration().set_auto_approve(true).unwrap();
    site.site
        .registration()
        .clock()
        .set(datetime!(2026-11-27 15:00 +9)); // Friday
    let id = site.file_kind("new").await;
    site.site
        .registration()
        .clock()
        .set(datetime!(2026-11-29 23:59 +9)); // Sunday
    assert_eq!(site.site.registration().tick().unwrap(), 0);
    site.site
        .registration()
        .clock()
        .set(datetime!(2026-11-30 09:00 +9)); // Monday
    assert_eq!(site.site.registration().tick().unwrap(), 2);
    assert_eq!(site.mails_of(&id), ["MAIL-URL", "MAIL-PASSWORD"]);
}

#[tokio::test]
async fn an_approved_application_not_completed_is_reminded_once_per_interval() {
    let site = TestSite::new();
    let (id, password) = site.approved().await;
    let done = site.enrolled().await; // a second application, completed: never reminded
    drop(done);

    let advance =
        |days: i64| site.clock(Method::POST, "/admin/clock/advance", json!({"days": days}));
    assert_eq!(advance(6).await["mails_sent"], 0);
    assert_eq!(advance(1).await["mails_sent"], 1); // day 7
    assert_eq!(
        site.mails_of(&id),
        ["MAIL-URL", "MAIL-PASSWORD", "MAIL-REMINDER"]
    );
    assert_eq!(advance(6).await["mails_sent"], 0); // day 13: once per interval
    // A jump over several intervals sends one reminder, not a pile.
    assert_eq!(advance(30).await["mails_sent"], 1);
    let reminders = site
        .admin(
            Method::GET,
            &format!("/admin/outbox?application={id}&catalogue=MAIL-REMINDER"),
            None,
        )
        .await
        .json();
    assert_eq!(reminders.as_array().unwrap().len(), 2, "{reminders}");
    assert_eq!(reminders[0]["subject"], MAIL_REMINDER);
    assert_eq!(reminders[0]["sent_at"], "2026-12-02T10:00:00+09:00");

    // A real RFC 5322 message with its subject RFC 2047-encoded, the URL inside.
    let raw = site
        .admin(
            Method::GET,
            &format!("/admin/outbox/{}", reminders[0]["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(raw.content_type(), "message/rfc822");
    let text = raw.text();
    assert!(
        text.is_ascii() && text.contains("Subject: =?utf-8?"),
        "{text}"
    );
    assert!(text.contains("X-Catalogue-Id: MAIL-REMINDER"), "{text}");
    let sent = site.site.registration().outbox().sent().to_vec();
    let body = &sent
        .iter()
        .find(|m| m.mail.catalogue == "MAIL-REMINDER")
        .unwrap()
        .mail
        .body;
    assert!(
        body.contains(&format!("https://127.0.0.1:1/apply/{id}")),
        "{body}"
    );

    // The login still works (MAIL-NO-DEADLINE), and once completed the reminders stop.
    let session = site.at_step_three(&id, &password).await;
    let (_, csr) = csr_for(&subject(), RsaKeySize::_2048);
    assert_eq!(
        site.submit_csr(&id, &session, &csr).await.status,
        StatusCode::CREATED
    );
    site.step(&id, "complete", &session, true, None).await;
    assert_eq!(advance(60).await["mails_sent"], 0);
}
