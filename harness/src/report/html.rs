//! The HTML report, for support people, in Japanese: an index by the guide's FAQ question and by
//! the message the customer saw (both from `fixtures/catalogue.toml`), searchable in the page
//! itself (a small inline script filters the index; no server), and one page per case showing, in
//! order, the screenshots (what the customer saw), the dialogs with the answers given, the mails,
//! and the raw transcript folded below. Rendered from `harness/templates/` by minijinja, which
//! escapes every value in an `.html` template (as mock-ca's pages are). The screenshots are copied
//! beside the pages (`shots/<case>/`), so the directory can be handed on as it is.

use std::path::Path;

use minijinja::{Environment, Value, context, value::Serde};
use serde::Serialize;

use crate::{
    catalogue::Entry,
    runner::{Report, Verdict},
};

/// The templates, embedded: the report needs no file beside the binary.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("index.html", include_str!("../../templates/index.html")),
    (
        "scenario.html",
        include_str!("../../templates/scenario.html"),
    ),
];

/// A case as the pages show it.
#[derive(Serialize)]
struct View<'a> {
    name: &'a str,
    area: &'a str,
    /// Which client lived it: ブラウザ, cert-client, ライブラリ, or several.
    clients: String,
    /// For support: what the case is, in Japanese.
    summary_ja: &'a str,
    /// For developers: the same in English.
    summary: &'a str,
    covers: Vec<Covered>,
    verdict: String,
    /// The verdict in Japanese.
    verdict_ja: &'static str,
    duration: String,
    failures: &'a [String],
    screenshots: Vec<Shot>,
    dialogs: Vec<String>,
    mails: Vec<Mail>,
    transcript: &'a str,
    /// What the index's search looks in: the case's name, ids, messages, FAQ questions.
    search: String,
}

/// A catalogue id a case covers, with the guide's message for it.
#[derive(Serialize, Clone)]
struct Covered {
    id: String,
    message: Option<String>,
}

/// A screenshot, as the page links it.
#[derive(Serialize)]
struct Shot {
    step: usize,
    caption: String,
    /// Relative to the report's directory.
    src: String,
}

/// A mail as the transcript recorded it: its first line, then its body.
#[derive(Serialize)]
struct Mail {
    head: String,
    body: String,
}

/// One line of an index: an FAQ question or a message, the ids it is, and the cases showing it.
#[derive(Serialize)]
struct Entrance {
    text: String,
    ids: Vec<String>,
    cases: Vec<String>,
    search: String,
}

fn verdict_ja(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Passed => "期待どおり",
        Verdict::Failed => "不一致 (要確認)",
        Verdict::KnownFailure => "既知の不具合",
        Verdict::UnexpectedPass => "既知の不具合の印が不要 (要確認)",
    }
}

/// Which clients a case's transcript shows at work.
fn clients(transcript: &str) -> String {
    let mut found = Vec::new();
    for (marker, name) in [
        ("(via browser)", "ブラウザ"),
        ("(via binary)", "cert-client"),
        ("(via library)", "ライブラリ"),
    ] {
        if transcript.contains(marker) {
            found.push(name);
        }
    }
    found.join("・")
}

/// The dialogs answered, as the transcript recorded them (`? name → はい`).
fn dialogs(transcript: &str) -> Vec<String> {
    let mut step = String::new();
    let mut out = Vec::new();
    for line in transcript.lines() {
        if let Some(rest) = line.strip_prefix("== step ") {
            step = rest.to_owned();
        } else if let Some(question) = line.trim_start().strip_prefix("? ") {
            out.push(format!("ステップ {step}: {question}"));
        }
    }
    out
}

/// The mails, as the transcript recorded them: a `mail m-…` line and the `|` lines under it.
fn mails(transcript: &str) -> Vec<Mail> {
    let mut out: Vec<Mail> = Vec::new();
    let mut open = false;
    for line in transcript.lines() {
        if line.starts_with("mail m-") {
            out.push(Mail {
                head: line.to_owned(),
                body: String::new(),
            });
            open = true;
        } else if open && let Some(body) = line.trim_start().strip_prefix('|') {
            if let Some(mail) = out.last_mut() {
                mail.body.push_str(body.strip_prefix(' ').unwrap_or(body));
                mail.body.push('\n');
            }
        } else if open && line.trim_start().starts_with("Subject (decoded)") {
        } else {
            open = false;
        }
    }
    out
}

fn templates() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

/// Writes `index.html`, one `<name>.html` per case and the screenshots (`shots/<name>/`) into
/// `dir`; `catalogue` gives the index its FAQ questions and messages.
pub fn write(dir: &Path, reports: &[Report], catalogue: &[Entry]) -> std::io::Result<()> {
    let env = templates().map_err(std::io::Error::other)?;
    let render = |template: &str, context: Value| {
        env.get_template(template)
            .and_then(|t| t.render(context))
            .map_err(std::io::Error::other)
    };
    std::fs::create_dir_all(dir)?;
    let mut views = Vec::with_capacity(reports.len());
    for report in reports {
        let covers: Vec<Covered> = report
            .covers
            .iter()
            .map(|id| Covered {
                id: id.clone(),
                // A step of the flow has no message of its own: what the guide says to do
                // (its recovery), else where the guide describes it.
                message: catalogue.iter().find(|e| e.id == *id).map(|e| {
                    e.message
                        .clone()
                        .or_else(|| e.recovery.clone())
                        .unwrap_or_else(|| format!("ガイド {}", e.guide))
                }),
            })
            .collect();
        let mut screenshots = Vec::new();
        if !report.screenshots.is_empty() {
            let shots = dir.join("shots").join(&report.name);
            let _ = std::fs::remove_dir_all(&shots);
            std::fs::create_dir_all(&shots)?;
            for (n, shot) in report.screenshots.iter().enumerate() {
                let file = format!("{:02}.png", n + 1);
                std::fs::copy(&shot.path, shots.join(&file))?;
                screenshots.push(Shot {
                    step: shot.step,
                    caption: shot.caption.clone(),
                    src: format!("shots/{}/{file}", report.name),
                });
            }
        }
        let mut search = format!(
            "{} {} {} {}",
            report.name, report.area, report.summary_ja, report.summary
        );
        for id in &report.covers {
            search.push(' ');
            search.push_str(id);
            if let Some(entry) = catalogue.iter().find(|e| e.id == *id) {
                for text in entry
                    .message
                    .iter()
                    .chain(entry.recovery.iter())
                    .cloned()
                    .chain(entry.faq_questions())
                {
                    search.push(' ');
                    search.push_str(&text);
                }
            }
        }
        views.push(View {
            name: &report.name,
            area: &report.area,
            clients: clients(&report.transcript),
            summary_ja: &report.summary_ja,
            summary: &report.summary,
            covers,
            verdict: format!("{:?}", report.verdict()),
            verdict_ja: verdict_ja(report.verdict()),
            duration: format!("{:.2} s", report.duration.as_secs_f64()),
            failures: &report.failures,
            screenshots,
            dialogs: dialogs(&report.transcript),
            mails: mails(&report.transcript),
            transcript: &report.transcript,
            search,
        });
    }
    for view in &views {
        let page = render(
            "scenario.html",
            context! { title => view.name, report => Value::from(Serde(view)) },
        )?;
        std::fs::write(dir.join(format!("{}.html", view.name)), page)?;
    }
    let cases_of = |id: &str| -> Vec<String> {
        reports
            .iter()
            .filter(|r| r.covers.iter().any(|c| c == id))
            .map(|r| r.name.clone())
            .collect()
    };
    // By FAQ question: each question once, with every id that answers it.
    let mut faq: Vec<Entrance> = Vec::new();
    for entry in catalogue {
        for question in entry.faq_questions() {
            match faq.iter_mut().find(|f| f.text == question) {
                Some(found) => found.ids.push(entry.id.clone()),
                None => faq.push(Entrance {
                    search: format!("{question} {}", entry.id),
                    text: question,
                    ids: vec![entry.id.clone()],
                    cases: Vec::new(),
                }),
            }
        }
    }
    // By the message the customer saw (the guide's words).
    let mut messages: Vec<Entrance> = catalogue
        .iter()
        .filter_map(|entry| {
            let message = entry.message.clone()?;
            Some(Entrance {
                search: format!(
                    "{message} {} {}",
                    entry.id,
                    entry.recovery.clone().unwrap_or_default()
                ),
                text: message,
                ids: vec![entry.id.clone()],
                cases: Vec::new(),
            })
        })
        .collect();
    for entrance in faq.iter_mut().chain(messages.iter_mut()) {
        for id in &entrance.ids {
            for case in cases_of(id) {
                if !entrance.cases.contains(&case) {
                    entrance.cases.push(case);
                }
            }
        }
    }
    let passed = reports.iter().filter(|r| r.verdict().is_ok()).count();
    let index = render(
        "index.html",
        context! {
            title => "証明書発行サイト 再現レポート",
            passed,
            faq => Value::from(Serde(&faq)),
            messages => Value::from(Serde(&messages)),
            reports => Value::from(Serde(&views)),
        },
    )?;
    std::fs::write(dir.join("index.html"), index)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn report(name: &str, transcript: &str) -> Report {
        Report {
            name: name.into(),
            area: "a<b".into(),
            covers: vec!["AUTH-FAILED".into(), "X&Y".into()],
            summary: "<script>alert(1)</script>".into(),
            summary_ja: "パスワードを間違えた場合です。".into(),
            transcript: transcript.into(),
            failures: vec!["-<li>\n+</ul>".into()],
            known_failure: None,
            duration: Duration::from_millis(1234),
            screenshots: Vec::new(),
        }
    }

    fn catalogue() -> Vec<Entry> {
        crate::catalogue::load(&crate::fixtures_dir().join("catalogue.toml")).unwrap()
    }

    #[test]
    fn what_a_scenario_says_is_escaped_on_both_pages() {
        let report = report("escaping", "error[AUTH-FAILED]: \"<tmp>\" & 'quoted'");
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), std::slice::from_ref(&report), &catalogue()).unwrap();
        let index = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
        let page = std::fs::read_to_string(dir.path().join("escaping.html")).unwrap();
        for html in [&index, &page] {
            assert!(!html.contains("<script>alert"), "{html}");
            assert!(
                html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
                "{html}"
            );
        }
        assert!(index.contains("<td>a&lt;b</td>"), "{index}");
        assert!(index.contains("X&amp;Y"), "{index}");
        assert!(index.contains("<td>1.23 s</td>"), "{index}");
        assert!(index.contains("1 件中 0 件が期待どおり"), "{index}");
        assert!(
            index.contains(r#"<a href="escaping.html">escaping</a>"#),
            "{index}"
        );
        assert!(
            page.contains(
                "<pre>error[AUTH-FAILED]: &quot;&lt;tmp&gt;&quot; &amp; &#x27;quoted&#x27;</pre>"
            ),
            "{page}"
        );
        assert!(
            page.contains("<li>-&lt;li&gt;\n+&lt;&#x2f;ul&gt;</li>"),
            "{page}"
        );
        assert!(page.contains(r#"class="Failed""#), "{page}");
        assert!(
            page.contains(r#"<a href="index.html""#),
            "a way back: {page}"
        );
    }

    #[test]
    fn the_index_leads_from_a_message_and_from_an_faq_question_to_the_cases() {
        let report = report("auth-failed", "");
        let mut other = report.clone();
        other.name = "csp".into();
        other.covers = vec!["STEP2-CSP-HIDDEN".into()];
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[report, other], &catalogue()).unwrap();
        let index = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
        let message = index
            .split("<td>認証に失敗したか、申請が承認されていません</td>")
            .nth(1)
            .expect("the message is in the index");
        let row = message.split("</tr>").next().unwrap();
        assert!(row.contains(r#"href="auth-failed.html""#), "{row}");
        let question = index
            .split("<td>電子証明書発行サイトの操作中に CSP が表示されませんでした。</td>")
            .nth(1)
            .expect("the FAQ question is in the index");
        let row = question.split("</tr>").next().unwrap();
        assert!(row.contains(r#"href="csp.html""#), "{row}");
        assert!(index.contains(r#"id="search""#), "the search box: {index}");
    }

    #[test]
    fn a_case_page_shows_its_screenshots_dialogs_and_mails_before_the_folded_transcript() {
        let shots = tempfile::tempdir().unwrap();
        let png = shots.path().join("01-step-1.png");
        std::fs::write(&png, b"\x89PNG").unwrap();
        let mut report = report(
            "whole",
            "mail m-0001 MAIL-URL to taro@example.jp: 電子証明書の発行 URL のお知らせ\n  Subject (decoded): 電子証明書の発行 URL のお知らせ\n  | 山田 太郎 様\n\n== step 1: Enroll (via browser)\n  ? issue → はい   (ダイアログ: 発行)\nresult: ok\n",
        );
        report.screenshots = vec![crate::runner::Screenshot {
            step: 1,
            caption: "証明書発行サイト【ステップ 1】 (step-1)".into(),
            path: png,
        }];
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[report], &catalogue()).unwrap();
        let page = std::fs::read_to_string(dir.path().join("whole.html")).unwrap();
        assert!(dir.path().join("shots/whole/01.png").exists());
        let at = |what: &str| {
            page.find(what)
                .unwrap_or_else(|| panic!("{what} not in {page}"))
        };
        let shot = at(r#"src="shots&#x2f;whole&#x2f;01.png""#);
        let dialog = at("issue → はい");
        let mail = at("山田 太郎 様");
        let raw = at("<details");
        assert!(shot < dialog && dialog < mail && mail < raw, "{page}");
        assert!(page.contains("ブラウザ"), "{page}");
        // Support reads the case in Japanese first; the developers' English comes after it.
        let japanese = at("<p id=\"summary\">パスワードを間違えた場合です。</p>");
        let english = at("&lt;script&gt;alert(1)");
        assert!(japanese < english && english < shot, "{page}");
    }
}
