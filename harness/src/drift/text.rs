//! What a drift check reads in an answer (an HTML page's title, heading, error and text; a JSON
//! answer's error and strings), and the word-level diff of two texts.
//!
//! **Words in Japanese.** Japanese has no spaces between words, so splitting on spaces would
//! make a whole sentence one "word". The diff splits a text into runs of one script instead:
//! kanji, hiragana, katakana (with ー), Latin letters and digits, each other symbol on its own;
//! spaces separate runs and are kept. A run of kanji followed by hiragana is roughly a word and
//! its ending (認証 / に / 失敗 / しました), which reads well in a diff without a dictionary.
//!
//! The HTML is read with a few patterns, not a parser: enough for the site's own pages and the
//! usual markup of the real one (`<title>`, `<h1>`, the error page's `data-catalogue-id`,
//! `.message`, `.remedy`); the visible text is the markup without tags, scripts and styles.

use std::sync::LazyLock;

use regex::Regex;
use similar::{Algorithm, DiffOp};

/// What an answer shows, as far as drift compares it.
#[derive(Clone, Debug, Default)]
pub struct Shown {
    /// `<title>`.
    pub title: Option<String>,
    /// The first `<h1>`.
    pub heading: Option<String>,
    /// A refusal, in an error page (`id="error"`) or the JSON error format.
    pub error: Option<ErrorShown>,
    /// Every block of a page that carries a `data-catalogue-id` (the error's included): the
    /// messages a page holds beside its own words, shown or kept for when a script cannot run.
    pub blocks: Vec<ErrorShown>,
    /// The visible text (HTML) or every string value (JSON), spaces collapsed.
    pub text: String,
    /// The links' targets (`href`), in order.
    pub links: Vec<String>,
    /// The inside of `<main>` (HTML), for a new page's template.
    pub main: Option<String>,
}

/// A refusal as shown.
#[derive(Clone, Debug, Default)]
pub struct ErrorShown {
    pub id: Option<String>,
    pub message: Option<String>,
    pub remedy: Option<String>,
    /// The supported platforms it lists (JSON `supported`, the page's `data-platform`).
    pub supported: Vec<String>,
}

macro_rules! pattern {
    ($name:ident, $re:expr) => {
        static $name: LazyLock<Regex> =
            LazyLock::new(|| Regex::new($re).expect("drift's HTML patterns are valid"));
    };
}

pattern!(ERROR_TAG, r#"(?is)<[a-z]+[^>]*\bid\s*=\s*"error"[^>]*>"#);
pattern!(PARAGRAPH, r"(?is)<p\b[^>]*>(.*?)</p>");
pattern!(TITLE, r"(?is)<title[^>]*>(.*?)</title>");
pattern!(H1, r"(?is)<h1[^>]*>(.*?)</h1>");
pattern!(ERROR_ID, r#"(?is)data-catalogue-id\s*=\s*"([^"]*)""#);
pattern!(
    MESSAGE,
    r#"(?is)<p[^>]*class\s*=\s*"[^"]*\bmessage\b[^"]*"[^>]*>(.*?)</p>"#
);
pattern!(
    REMEDY,
    r#"(?is)<p[^>]*class\s*=\s*"[^"]*\bremedy\b[^"]*"[^>]*>(.*?)</p>"#
);
pattern!(PLATFORM, r#"(?is)<li[^>]*data-platform\s*=\s*"([^"]*)""#);
pattern!(HREF, r#"(?is)<a\b[^>]*\bhref\s*=\s*"([^"]*)""#);
pattern!(MAIN, r"(?is)<main[^>]*>(.*)</main>");
pattern!(
    HIDDEN,
    r"(?is)<script\b.*?</script>|<style\b.*?</style>|<template\b.*?</template>|<!--.*?-->|<head\b.*?</head>"
);
pattern!(TAG, r"(?s)<[^>]*>");
pattern!(SPACES, r"\s+");
pattern!(ENTITY, r"&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);");

impl Shown {
    /// Reads an answer by its media type; `None` for what is neither HTML nor JSON.
    pub fn read(mime_type: &str, body: &str) -> Option<Self> {
        if mime_type.contains("json") {
            let value = serde_json::from_str::<serde_json::Value>(body).ok()?;
            Some(Self::from_json(&value))
        } else if mime_type.contains("html") {
            Some(Self::from_html(body))
        } else {
            None
        }
    }

    fn from_json(value: &serde_json::Value) -> Self {
        let mut strings = Vec::new();
        collect_strings(value, &mut strings);
        let error = value.get("error").and_then(|e| e.as_object()).map(|e| {
            let field = |k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            ErrorShown {
                id: field("id"),
                message: field("message"),
                remedy: field("remedy"),
                supported: e
                    .get("supported")
                    .and_then(|s| s.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        });
        Self {
            error,
            text: collapse(&strings.join(" ")),
            ..Self::default()
        }
    }

    fn from_html(html: &str) -> Self {
        let first = |re: &Regex| first_in(re, html);
        // Each block: from its tag's `data-catalogue-id` to the next block's.
        let starts: Vec<(usize, usize, String)> = ERROR_ID
            .captures_iter(html)
            .filter_map(|c| {
                let whole = c.get(0)?;
                let tag_start = html[..whole.start()].rfind('<').unwrap_or(0);
                let tag_end = html[whole.end()..]
                    .find('>')
                    .map_or(html.len(), |n| whole.end() + n + 1);
                Some((tag_start, tag_end, decode_entities(&c[1])))
            })
            .collect();
        let mut blocks = Vec::new();
        let mut error = None;
        for (n, (tag_start, tag_end, id)) in starts.iter().enumerate() {
            let end = starts.get(n + 1).map_or(html.len(), |next| next.0);
            let inside = &html[*tag_end..end.max(*tag_end)];
            let block = ErrorShown {
                id: Some(id.clone()),
                message: first_in(&MESSAGE, inside),
                remedy: first_in(&REMEDY, inside),
                supported: PLATFORM
                    .captures_iter(inside)
                    .filter_map(|c| c.get(1).map(|m| decode_entities(m.as_str())))
                    .collect(),
            };
            if error.is_none() && ERROR_TAG.is_match(&html[*tag_start..*tag_end]) {
                error = Some(block.clone());
            }
            blocks.push(block);
        }
        // An error page without ids (another site's): the element `id="error"` and its texts.
        if error.is_none()
            && let Some(at) = ERROR_TAG.find(html)
        {
            let inside = &html[at.end()..];
            let message = first_in(&MESSAGE, inside);
            if message.is_some() {
                error = Some(ErrorShown {
                    id: None,
                    message,
                    remedy: first_in(&REMEDY, inside),
                    supported: Vec::new(),
                });
            }
        }
        Self {
            title: first(&TITLE),
            heading: first(&H1),
            error,
            blocks,
            text: visible(html),
            links: HREF
                .captures_iter(html)
                .filter_map(|c| c.get(1).map(|m| decode_entities(m.as_str())))
                .collect(),
            main: MAIN
                .captures(html)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_owned()),
        }
    }
}

/// The visible text of the first match of `re`'s group 1 in `html`, when not empty.
fn first_in(re: &Regex, html: &str) -> Option<String> {
    re.captures(html)
        .and_then(|c| c.get(1))
        .map(|m| visible(m.as_str()))
        .filter(|t| !t.is_empty())
}

fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// Markup as a person reads it: no tags, scripts or styles; entities decoded; spaces collapsed.
pub fn visible(html: &str) -> String {
    let text = HIDDEN.replace_all(html, " ");
    let text = TAG.replace_all(&text, " ");
    collapse(&decode_entities(&text))
}

fn collapse(text: &str) -> String {
    SPACES.replace_all(text, " ").trim().to_owned()
}

/// HTML's character references: named (the usual few), decimal and hexadecimal.
pub fn decode_entities(text: &str) -> String {
    ENTITY
        .replace_all(text, |c: &regex::Captures<'_>| {
            let name = &c[1];
            let decoded = if let Some(hex) = name.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(dec) = name.strip_prefix('#') {
                dec.parse().ok().and_then(char::from_u32)
            } else {
                match name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some(' '),
                    _ => None,
                }
            };
            decoded.map_or_else(|| c[0].to_owned(), String::from)
        })
        .into_owned()
}

/// The visible text of the first paragraph (`<p>`) of `html` that has any: what identifies a
/// page the profile does not know yet.
pub fn first_paragraph(html: &str) -> Option<String> {
    PARAGRAPH
        .captures_iter(html)
        .filter_map(|c| c.get(1).map(|m| visible(m.as_str())))
        .find(|t| !t.is_empty())
}

/// Whether `haystack` holds `needle`, spaces aside on both (markup puts spaces where tags were).
pub fn holds(haystack: &str, needle: &str) -> bool {
    let squeeze = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let needle = squeeze(needle);
    !needle.is_empty() && squeeze(haystack).contains(&needle)
}

/// The script a character belongs to, for splitting Japanese into words.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Kanji,
    Hiragana,
    Katakana,
    Latin,
    Space,
    /// Punctuation and everything else: one token per character.
    Other,
}

fn script(c: char) -> Script {
    match c {
        '々'
        | '〆'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}' => Script::Kanji,
        '\u{3041}'..='\u{309F}' => Script::Hiragana,
        'ー' | '\u{30A0}'..='\u{30FF}' | '\u{FF66}'..='\u{FF9F}' => Script::Katakana,
        c if c.is_alphanumeric() => Script::Latin,
        c if c.is_whitespace() => Script::Space,
        _ => Script::Other,
    }
}

/// A text split into words as the diff sees them (see the module's doc).
pub fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut current: Option<Script> = None;
    for (i, c) in text.char_indices() {
        let s = script(c);
        let joins = current == Some(s) && s != Script::Other;
        if !joins && i > start {
            out.push(&text[start..i]);
            start = i;
        }
        current = Some(s);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// One piece of a word diff.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "lowercase")]
pub enum Piece {
    Same(String),
    Removed(String),
    Added(String),
}

/// The word-level diff from `old` to `new`.
pub fn diff(old: &str, new: &str) -> Vec<Piece> {
    let (a, b) = (words(old), words(new));
    let mut pieces: Vec<Piece> = Vec::new();
    let mut push = |piece: Piece| match (pieces.last_mut(), &piece) {
        (Some(Piece::Same(t)), Piece::Same(n))
        | (Some(Piece::Removed(t)), Piece::Removed(n))
        | (Some(Piece::Added(t)), Piece::Added(n)) => t.push_str(n),
        _ => pieces.push(piece),
    };
    for op in similar::capture_diff_slices(Algorithm::Myers, &a, &b) {
        let (old_range, new_range) = (op.old_range(), op.new_range());
        match op {
            DiffOp::Equal { .. } => push(Piece::Same(a[old_range].concat())),
            DiffOp::Delete { .. } => push(Piece::Removed(a[old_range].concat())),
            DiffOp::Insert { .. } => push(Piece::Added(b[new_range].concat())),
            DiffOp::Replace { .. } => {
                push(Piece::Removed(a[old_range].concat()));
                push(Piece::Added(b[new_range].concat()));
            }
        }
    }
    pieces
}

/// A diff for a terminal: `[-removed-]{+added+}` (git's `--word-diff=plain`).
pub fn plain(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Same(t) => t.clone(),
            Piece::Removed(t) => format!("[-{t}-]"),
            Piece::Added(t) => format!("{{+{t}+}}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_is_split_into_runs_of_one_script() {
        assert_eq!(
            words("認証に失敗したか、申請が承認されていません"),
            [
                "認証",
                "に",
                "失敗",
                "したか",
                "、",
                "申請",
                "が",
                "承認",
                "されていません"
            ]
        );
        assert_eq!(
            words("正式サポート OS は、Windows 10 および"),
            [
                "正式",
                "サポート",
                " ",
                "OS",
                " ",
                "は",
                "、",
                "Windows",
                " ",
                "10",
                " ",
                "および"
            ]
        );
    }

    #[test]
    fn a_reworded_message_diffs_by_words() {
        let pieces = diff(
            "正式サポート OS は、Windows 10 および Windows 11 です。",
            "正式サポート OS は、Windows 11 です。",
        );
        assert_eq!(
            plain(&pieces),
            "正式サポート OS は、Windows [-10 および Windows -]11 です。"
        );
    }

    #[test]
    fn an_error_page_is_read_for_its_id_message_remedy_and_platforms() {
        let html = r#"<html><head><title>エラー</title><style>p{}</style></head><body>
          <h1>エラー</h1><div class="error" id="error" data-catalogue-id="ENV-SUPPORTED">
          <p class="message">正式サポート OS は、Windows&nbsp;11 です。</p>
          <p class="remedy">また &amp; ほか</p><ul id="supported"><li data-platform="windows 11">Windows 11</li></ul>
          <script>var x = "<p>";</script><a id="back" href="/apply/ap-1">戻る</a></div></body></html>"#;
        let shown = Shown::read("text/html", html).unwrap();
        let error = shown.error.unwrap();
        assert_eq!(error.id.as_deref(), Some("ENV-SUPPORTED"));
        assert_eq!(
            error.message.as_deref(),
            Some("正式サポート OS は、Windows 11 です。")
        );
        assert_eq!(error.remedy.as_deref(), Some("また & ほか"));
        assert_eq!(error.supported, ["windows 11"]);
        assert_eq!(shown.title.as_deref(), Some("エラー"));
        assert_eq!(shown.links, ["/apply/ap-1"]);
        assert!(!shown.text.contains("var x"));
        assert!(holds(&shown.text, "Windows 11です。"));
    }

    #[test]
    fn a_json_refusal_is_read_as_the_page_is() {
        let json = r#"{"error": {"id": "AUTH-FAILED", "message": "認証に失敗", "remedy": "確認", "supported": ["linux"]}}"#;
        let error = Shown::read("application/json", json)
            .unwrap()
            .error
            .unwrap();
        assert_eq!(error.id.as_deref(), Some("AUTH-FAILED"));
        assert_eq!(error.supported, ["linux"]);
        assert!(Shown::read("image/png", "x").is_none());
    }
}
