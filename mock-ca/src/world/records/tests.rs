use time::macros::datetime;

use super::*;
use crate::{
    enrollment::application::Attribute,
    enrollment::registration::{Opened, Policy, RegistrationAuthority},
    world::entropy::SeededEntropy,
};

/// `records.json` as an earlier version wrote it: an approved application logged into, one
/// filed, their mails (the password in clear in the application and in its mail).
const LEGACY: &str = r#"{
  "applications": [
    {"id": "ap-0001",
     "form": {"applicant": "山田 太郎", "email": "taro@example.jp",
              "subject": [["C", "JP"], ["CN", "Taro"]], "kind": "new"},
     "state": {"state": "approved"},
     "filed_at": "2026-11-25T10:00:00+09:00", "approve_at": null,
     "mailed_at": "2026-11-25T10:00:00+09:00", "reminders": 0,
     "password": "Legacy2345pw", "session": "legacy-session-token"},
    {"id": "ap-0002",
     "form": {"applicant": "x", "email": "x@example.jp", "subject": [["CN", "x"]], "kind": "renewal"},
     "state": {"state": "filed"},
     "filed_at": "2026-11-25T15:00:00+09:00", "approve_at": "2026-11-26T09:00:00+09:00",
     "mailed_at": null, "reminders": 0,
     "password": "NeverMailed22", "session": null}
  ],
  "issued": [],
  "outbox": [
    {"id": "m-0001", "mail": {"to_name": "山田 太郎", "to": "taro@example.jp",
       "subject": "電子証明書の発行 URL のお知らせ", "body": "https://127.0.0.1:1/apply/ap-0001\n",
       "application": "ap-0001", "catalogue": "MAIL-URL"},
     "sent_at": "2026-11-25T10:00:00+09:00", "path": null, "raw": "Subject: url\r\n\r\nhttps://127.0.0.1:1/apply/ap-0001\r\n"},
    {"id": "m-0002", "mail": {"to_name": "山田 太郎", "to": "taro@example.jp",
       "subject": "電子証明書の発行パスワードのお知らせ", "body": "認証情報パスワード:\nLegacy2345pw\n",
       "application": "ap-0001", "catalogue": "MAIL-PASSWORD"},
     "sent_at": "2026-11-25T10:00:00+09:00", "path": null, "raw": "Subject: pw\r\n\r\nLegacy2345pw\r\n"}
  ],
  "auto_approve": true
}"#;

fn everything_in(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(FILE) {
            all.extend(std::fs::read(entry.path()).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn desk() -> RegistrationAuthority {
    let now = datetime!(2026-11-25 10:00 +9);
    RegistrationAuthority::new(
        crate::enrollment::authority::Authority::from_pem(
            test_support::pki::ROOT_PEM,
            test_support::pki::ROOT_KEY_PEM,
        )
        .unwrap(),
        Policy::default(),
        std::sync::Arc::new(crate::world::clock::Clock::frozen(now)),
        Box::new(SeededEntropy::new(3)),
        crate::world::outbox::Outbox::memory(),
        "https://127.0.0.1:1".into(),
    )
}

fn form(cn: &str) -> ApplicationForm {
    ApplicationForm {
        applicant: "山田 太郎".into(),
        email: "taro@example.jp".into(),
        subject: Subject(vec![
            (Attribute::C, "JP".into()),
            (Attribute::CN, cn.into()),
        ]),
        kind: Kind::New,
    }
}

#[test]
fn a_records_json_is_migrated_at_start_with_its_passwords_hashed_and_its_file_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let legacy = dir.path().join(LEGACY_FILE);
    std::fs::write(&legacy, LEGACY).unwrap();

    let mut desk = desk();
    desk.keep_records(dir.path()).unwrap();
    let states: Vec<(&str, &str)> = desk
        .applications()
        .map(|a| (a.id.as_str(), a.state.name()))
        .collect();
    assert_eq!(states, [("ap-0001", "approved"), ("ap-0002", "filed")]);
    assert!(desk.auto_approve());
    assert_eq!(desk.outbox().sent().len(), 2);
    let waiting = desk.application("ap-0002").unwrap();
    assert_eq!(waiting.form.kind, Kind::Renewal);
    assert_eq!(waiting.approve_at, Some(datetime!(2026-11-26 09:00 +9)));
    // The mailed password still logs in; the one never mailed is gone (made at approval now).
    assert!(matches!(
        desk.login("ap-0001", "Legacy2345pw"),
        Ok(Opened::StepTwo(_))
    ));
    assert_eq!(
        desk.login("ap-0002", "NeverMailed22").unwrap_err(),
        crate::Refusal::AuthFailed
    );

    assert_eq!(std::fs::read_to_string(&legacy).unwrap(), LEGACY);
    let stored = everything_in(dir.path());
    for secret in ["Legacy2345pw", "NeverMailed22", "legacy-session-token"] {
        assert!(!contains(&stored, secret), "{secret} is in the database");
    }

    // Migrated once: a restart reads the database, not the file again.
    drop(desk);
    let mut again = self::desk();
    again.keep_records(dir.path()).unwrap();
    assert_eq!(again.applications().count(), 2);
    let records = Records::open(dir.path(), &mut SeededEntropy::new(1)).unwrap();
    let migrated: String = records
        .connection
        .query_row(
            "SELECT value FROM meta WHERE key = 'migrated_from'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(migrated.ends_with(LEGACY_FILE));
}

#[test]
fn every_acknowledged_change_reads_back_and_the_database_holds_no_secret_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let mut desk = desk();
    desk.keep_records(dir.path()).unwrap();
    let first = desk.file(form("Taro")).unwrap().id.clone();
    desk.approve(&first).unwrap();
    let second = desk.file(form("Jiro")).unwrap().id.clone();
    desk.set_auto_approve(true).unwrap();
    desk.withdraw(&second).unwrap();
    let password = crate::enrollment::registration::tests::password_of(&desk, &first);
    let Ok(Opened::StepTwo(two)) = desk.login(&first, &password) else {
        panic!("a first login opens step 2");
    };
    drop(desk);

    let mut again = self::desk();
    again.keep_records(dir.path()).unwrap();
    let states: Vec<(String, &str)> = again
        .applications()
        .map(|a| (a.id.clone(), a.state.name()))
        .collect();
    assert_eq!(states, [(first.clone(), "approved"), (second, "withdrawn")]);
    assert!(again.auto_approve());
    // The session goes on across the restart; the password still logs in.
    assert_eq!(
        again
            .application(&first)
            .unwrap()
            .check_session(Some(&two.session)),
        Ok(())
    );
    let mails: Vec<&str> = again
        .outbox()
        .sent()
        .iter()
        .map(|m| m.mail.catalogue.as_str())
        .collect();
    // The second was approved when auto-approval came on (10:00 on a processing day).
    assert_eq!(
        mails,
        ["MAIL-URL", "MAIL-PASSWORD", "MAIL-URL", "MAIL-PASSWORD"]
    );
    assert!(matches!(
        again.login(&first, &password),
        Ok(Opened::StepTwo(_))
    ));

    let stored = everything_in(dir.path());
    assert!(
        !contains(&stored, &password),
        "the password is in the database"
    );
    assert!(
        !contains(&stored, &two.session),
        "the session is in the database"
    );
    assert!(contains(&stored, "$pbkdf2-sha256$i="));
}

#[test]
fn a_database_of_a_later_schema_is_refused_rather_than_misread() {
    let dir = tempfile::tempdir().unwrap();
    let records = Records::open(dir.path(), &mut SeededEntropy::new(1)).unwrap();
    records
        .connection
        .execute("UPDATE meta SET value = '99' WHERE key = 'schema'", [])
        .unwrap();
    drop(records);
    assert!(matches!(
        Records::open(dir.path(), &mut SeededEntropy::new(1)),
        Err(RecordsError::Unreadable { .. })
    ));
}

#[test]
fn unreadable_legacy_records_are_an_error_not_an_empty_site() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(LEGACY_FILE), b"{not json").unwrap();
    assert!(matches!(
        Records::open(dir.path(), &mut SeededEntropy::new(1)),
        Err(RecordsError::Unreadable { .. })
    ));
    // Nothing half-made: the next start tries the migration again.
    std::fs::write(dir.path().join(LEGACY_FILE), LEGACY).unwrap();
    let records = Records::open(dir.path(), &mut SeededEntropy::new(1)).unwrap();
    assert_eq!(records.load().unwrap().applications.len(), 2);
}

#[test]
fn a_refused_change_leaves_nothing_in_memory_or_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut desk = desk();
    desk.keep_records(dir.path()).unwrap();
    let id = desk.file(form("Taro")).unwrap().id.clone();
    desk.approve(&id).unwrap();
    // A second approval is refused after nothing moved; a withdrawal of an unknown id too.
    assert!(desk.approve(&id).is_err());
    assert!(desk.withdraw("ap-9999").is_err());
    assert_eq!(desk.outbox().sent().len(), 2);
    let snapshot = Records::open(dir.path(), &mut SeededEntropy::new(1))
        .unwrap()
        .load()
        .unwrap();
    assert_eq!(snapshot.applications.len(), 1);
    assert_eq!(snapshot.outbox.len(), 2);
}
