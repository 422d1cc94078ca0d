//! The default site profile (the guide v3.10's, embedded in mock-ca) says what the catalogue
//! says: every id's message and remedy, and every message a screen shows, read with the harness's
//! own reading of `fixtures/catalogue.toml` (as the coverage tests read it).

use std::collections::BTreeSet;

use harness::{catalogue, fixtures_dir};
use mock_ca::Profile;

fn entries() -> Vec<catalogue::Entry> {
    catalogue::load(&fixtures_dir().join("catalogue.toml")).expect("the catalogue reads")
}

/// The text of a screen's template and of every template it extends, includes or imports.
fn screen_text(profile: &Profile, template: &str) -> String {
    let mut seen = BTreeSet::new();
    let mut todo = vec![template.to_owned()];
    let mut text = String::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let source = &profile.templates[&name];
        text.push_str(source);
        for piece in source.split('"').skip(1).step_by(2) {
            if piece.ends_with(".html") && profile.templates.contains_key(piece) {
                todo.push(piece.to_owned());
            }
        }
    }
    text
}

#[test]
fn every_message_and_remedy_of_the_default_profile_is_the_catalogues() {
    let profile = Profile::default();
    let mut checked = 0;
    for entry in entries() {
        let Some(words) = profile.message(&entry.id) else {
            continue;
        };
        if let Some(message) = &entry.message {
            assert_eq!(&words.text, message, "{}'s message", entry.id);
            assert!(
                words.identify.contains(message),
                "{} is not identified by its message",
                entry.id
            );
            checked += 1;
        }
        if let (Some(recovery), Some(remedy)) = (&entry.recovery, &words.remedy) {
            assert_eq!(remedy, recovery, "{}'s remedy", entry.id);
            checked += 1;
        }
    }
    // 12 messages (six refusals, three mails, three notices) and four remedies.
    assert_eq!(checked, 16, "texts checked against the catalogue");
}

#[test]
fn every_message_a_screen_of_the_default_profile_shows_is_the_catalogues() {
    let profile = Profile::default();
    let entries = entries();
    let mut checked = 0;
    for (name, screen) in &profile.screen {
        let shown = format!(
            "{}\n{}\n{}",
            screen.titles(&profile.sites).join("\n"),
            screen.identify.join("\n"),
            screen_text(&profile, &screen.template)
        );
        for id in &screen.ids {
            let entry = entries
                .iter()
                .find(|e| &e.id == id)
                .unwrap_or_else(|| panic!("screen {name} names {id}, not a catalogue id"));
            let Some(message) = &entry.message else {
                continue;
            };
            if id == "STEP1-LOGIN" {
                // The catalogue describes both sites' title at once: 証明書発行サイト(又は
                // 証明書更新サイト)画面【ステップ 1】.
                for title in screen.titles(&profile.sites) {
                    let (site, step) = title.split_once('【').unwrap();
                    assert!(message.contains(site), "{title} against {message}");
                    assert!(message.ends_with(&format!("【{step}")), "{title}");
                }
            } else {
                assert!(
                    shown.contains(message.as_str()),
                    "screen {name} does not show {id}'s {message:?}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} screen messages checked");
}

#[test]
fn the_default_profiles_titles_are_the_guides_screens() {
    let profile = Profile::default();
    assert_eq!(
        profile.screen("confirm").unwrap().titles(&profile.sites),
        ["証明書確認ページ"]
    );
    assert_eq!(
        profile.screen("step2").unwrap().titles(&profile.sites),
        [
            "証明書発行サイト【ステップ 2】",
            "証明書更新サイト【ステップ 2】"
        ]
    );
}
