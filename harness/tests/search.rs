//! `harness reproduce --search`: support gets from the customer's words to the catalogue case.

use std::process::Command;

use harness::{catalogue, fixtures_dir, search::search};

fn entries() -> Vec<catalogue::Entry> {
    catalogue::load(&fixtures_dir().join("catalogue.toml")).expect("the catalogue reads")
}

#[test]
fn every_message_and_remedy_of_the_catalogue_finds_its_own_id_first_or_whole() {
    let entries = entries();
    let mut checked = 0;
    for entry in &entries {
        for text in [&entry.message, &entry.recovery].into_iter().flatten() {
            let found = search(&entries, text);
            let own = found
                .iter()
                .find(|f| f.entry.id == entry.id)
                .unwrap_or_else(|| panic!("{text:?} does not find {}", entry.id));
            assert_eq!(own.score, 1.0, "{text:?} finds {} only in part", entry.id);
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} texts in the catalogue");
}

#[test]
fn the_words_of_a_call_find_the_case_whatever_their_width_and_spacing() {
    let entries = entries();
    for (words, id) in [
        ("認証に失敗したか、申請が承認されていません", "AUTH-FAILED"),
        ("認証に失敗したか 申請が承認されていません", "AUTH-FAILED"),
        ("ＣＳＰ　が表示されませんでした", "STEP2-CSP-HIDDEN"),
        ("csp が表示されません", "STEP2-CSP-HIDDEN"),
    ] {
        let found = search(&entries, words);
        assert_eq!(
            found.first().map(|f| f.entry.id.as_str()),
            Some(id),
            "{words:?}: {:?}",
            found.iter().map(|f| &f.entry.id).collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_binary_prints_the_cases_and_fails_when_nothing_matches() {
    let run = |words: &str| {
        Command::new(env!("CARGO_BIN_EXE_harness"))
            .args(["reproduce", "--search", words])
            .output()
            .expect("the harness runs")
    };
    let found = run("認証に失敗したか、申請が承認されていません");
    assert!(found.status.success());
    let out = String::from_utf8(found.stdout).unwrap();
    assert!(out.contains("AUTH-FAILED"), "{out}");
    assert!(out.contains("harness reproduce AUTH-FAILED"), "{out}");

    let none = run("印刷ボタンが押せない");
    assert_eq!(none.status.code(), Some(1));
    let out = String::from_utf8(none.stdout).unwrap();
    assert!(out.contains("当たるケースはありません"), "{out}");
}
