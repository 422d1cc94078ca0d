//! From what a customer read out to the catalogue ids it may be: `harness reproduce --search`.
//!
//! A customer on the phone says the words as they remember them: full-width or half-width
//! letters and digits (ＣＳＰ, CSP), half-width katakana, with or without spaces and punctuation,
//! often only part of the message. So both sides are normalised (NFKC, lower case, no spaces or
//! punctuation) and a field matches when it holds the words, or enough of their character
//! pairs (Japanese has no spaces to split words at).

use icu_normalizer::ComposingNormalizerBorrowed;

use crate::catalogue::Entry;

/// Where in an entry the words were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The catalogue id itself.
    Id,
    /// The guide's message (what the screen or mail says).
    Message,
    /// The guide's remedy.
    Remedy,
    /// A question of the guide's FAQ that the entry answers.
    FaqQuestion,
}

impl Field {
    /// How the search output names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Message => "画面の表示 (message)",
            Self::Remedy => "対処 (remedy)",
            Self::FaqQuestion => "FAQ の質問 (FAQ question)",
        }
    }
}

/// One entry the words match, with the best matching field.
#[derive(Debug, Clone)]
pub struct Found<'a> {
    /// The entry.
    pub entry: &'a Entry,
    /// The field that matched best.
    pub field: Field,
    /// Its text, as the catalogue has it.
    pub text: String,
    /// 1.0 when the field holds the words whole; otherwise the share of the words' character
    /// pairs the field holds.
    pub score: f64,
}

/// Below this share of character pairs a field does not match: half of what was said, so a
/// customer's paraphrase (認証に失敗しました for 認証に失敗したか) is found and a single shared
/// word is not.
const THRESHOLD: f64 = 0.5;

/// The entries the words match, best first (ties in catalogue order).
pub fn search<'a>(entries: &'a [Entry], words: &str) -> Vec<Found<'a>> {
    let wanted = normalise(words);
    if wanted.is_empty() {
        return Vec::new();
    }
    let wanted_pairs = pairs(&wanted);
    let mut found: Vec<Found<'a>> = entries
        .iter()
        .filter_map(|entry| {
            fields(entry)
                .into_iter()
                .map(|(field, text)| {
                    let have = normalise(&text);
                    let score = if have.contains(&wanted) {
                        1.0
                    } else if wanted_pairs.is_empty() {
                        0.0
                    } else {
                        let held = pairs(&have);
                        let shared = wanted_pairs.iter().filter(|p| held.contains(p)).count();
                        shared as f64 / wanted_pairs.len() as f64
                    };
                    Found {
                        entry,
                        field,
                        text,
                        score,
                    }
                })
                .filter(|f| f.score >= THRESHOLD)
                .max_by(|a, b| a.score.total_cmp(&b.score))
        })
        .collect();
    // Stable: equal scores keep the catalogue's order.
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    found
}

/// The fields a customer's words may come from.
fn fields(entry: &Entry) -> Vec<(Field, String)> {
    let mut out = vec![(Field::Id, entry.id.clone())];
    if let Some(message) = &entry.message {
        out.push((Field::Message, message.clone()));
    }
    if let Some(recovery) = &entry.recovery {
        out.push((Field::Remedy, recovery.clone()));
    }
    out.extend(
        faq_questions(&entry.guide)
            .into_iter()
            .map(|q| (Field::FaqQuestion, q)),
    );
    out
}

/// The FAQ questions an entry's `guide` names: `FAQ '<question>'`, possibly several.
fn faq_questions(guide: &str) -> Vec<String> {
    guide
        .split("FAQ '")
        .skip(1)
        .filter_map(|rest| rest.split_once('\'').map(|(q, _)| q.to_owned()))
        .collect()
}

/// NFKC (full-width letters and digits to half-width, half-width katakana to full-width), lower
/// case, without white space (U+3000 included) and punctuation.
pub fn normalise(text: &str) -> String {
    const NFKC: ComposingNormalizerBorrowed<'static> = ComposingNormalizerBorrowed::new_nfkc();
    NFKC.normalize(text)
        .chars()
        .filter(|c| !c.is_whitespace() && !is_punctuation(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_punctuation(c: char) -> bool {
    // After NFKC, full-width ASCII punctuation is ASCII; the long vowel mark ー is a letter.
    c.is_ascii_punctuation()
        || matches!(
            c,
            '、' | '。'
                | '・'
                | '「'
                | '」'
                | '『'
                | '』'
                | '【'
                | '】'
                | '〔'
                | '〕'
                | '“'
                | '”'
                | '…'
        )
}

/// The character pairs of a normalised text (a single character is its own pair).
fn pairs(text: &str) -> Vec<(char, char)> {
    let chars: Vec<char> = text.chars().collect();
    match chars.as_slice() {
        [] => Vec::new(),
        [only] => vec![(*only, *only)],
        _ => chars.windows(2).map(|w| (w[0], w[1])).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, guide: &str, message: Option<&str>, recovery: Option<&str>) -> Entry {
        Entry {
            id: id.into(),
            guide: guide.into(),
            kind: "server".into(),
            trigger: String::new(),
            message: message.map(Into::into),
            verbatim: false,
            recovery: recovery.map(Into::into),
            ours: None,
        }
    }

    fn catalogue() -> Vec<Entry> {
        vec![
            entry(
                "AUTH-FAILED",
                "FAQ 'パスワードを入力したらエラーになりました'",
                Some("認証に失敗したか、申請が承認されていません"),
                Some("パスワードを確認の上、正しく入力してください"),
            ),
            entry(
                "STEP2-CSP-HIDDEN",
                "FAQ '電子証明書発行サイトの操作中に CSP が表示されませんでした。', 1.3",
                None,
                Some(
                    "Microsoft Edge (Internet Explorer モード) の設定により表示されないことがあります。",
                ),
            ),
            entry(
                "MAIL-URL",
                "1.1",
                Some("電子証明書の発行 URL のお知らせ"),
                None,
            ),
        ]
    }

    fn ids<'a>(found: &[Found<'a>]) -> Vec<&'a str> {
        found.iter().map(|f| f.entry.id.as_str()).collect()
    }

    #[test]
    fn the_message_as_the_screen_shows_it_finds_its_id() {
        let catalogue = catalogue();
        let found = search(&catalogue, "認証に失敗したか、申請が承認されていません");
        assert_eq!(ids(&found), ["AUTH-FAILED"]);
        assert_eq!(found[0].field, Field::Message);
        assert_eq!(found[0].score, 1.0);
    }

    #[test]
    fn full_width_letters_and_spaces_do_not_matter() {
        let catalogue = catalogue();
        let found = search(&catalogue, "ＣＳＰ　が 表示 されませんでした");
        assert_eq!(ids(&found), ["STEP2-CSP-HIDDEN"]);
        assert_eq!(found[0].field, Field::FaqQuestion);
        let half = search(&catalogue, "ﾊﾟｽﾜｰﾄﾞを入力したらｴﾗｰ");
        assert_eq!(ids(&half), ["AUTH-FAILED"]);
    }

    #[test]
    fn a_paraphrase_is_found_and_an_unrelated_phrase_is_not() {
        let catalogue = catalogue();
        assert_eq!(
            ids(&search(&catalogue, "認証に失敗しました")),
            ["AUTH-FAILED"]
        );
        assert!(search(&catalogue, "印刷できません").is_empty());
        assert!(search(&catalogue, "  ").is_empty());
    }

    #[test]
    fn an_id_in_any_case_finds_itself() {
        let catalogue = catalogue();
        assert_eq!(ids(&search(&catalogue, "mail-url")), ["MAIL-URL"]);
    }

    #[test]
    fn normalising_keeps_the_long_vowel_mark_and_drops_punctuation() {
        assert_eq!(normalise("エラー。"), "エラー");
        assert_eq!(normalise("ＵＲＬ（Ａ）"), "urla");
    }
}
