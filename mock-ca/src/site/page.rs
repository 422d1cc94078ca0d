//! HTML for people: the guide's screens, in Japanese. Every page is rendered from the same view the
//! JSON answer is made from.

use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page: the site's frame around `body` (already HTML).
pub(crate) fn layout(site: &str, title: &str, body: &str) -> String {
    let mut page = String::with_capacity(body.len() + 1024);
    let _ = write!(
        page,
        r#"<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: "Noto Sans CJK JP", "Hiragino Sans", "Meiryo", sans-serif; margin: 0; color: #222; }}
header {{ background: #0b3d6e; color: #fff; padding: .8em 1.5em; font-size: 1.2em; }}
main {{ max-width: 48em; margin: 1.5em auto; padding: 0 1.5em; }}
h1 {{ font-size: 1.4em; border-bottom: 2px solid #0b3d6e; padding-bottom: .3em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #bbb; padding: .3em .6em; text-align: left; vertical-align: top; }}
th {{ background: #eef3f8; }}
.error {{ border: 2px solid #b00020; background: #fff3f4; padding: 1em; }}
.error .message {{ color: #b00020; font-weight: bold; font-size: 1.1em; }}
.id {{ color: #666; font-family: monospace; }}
code, pre {{ font-family: monospace; word-break: break-all; }}
button {{ font-size: 1em; padding: .4em 1.6em; }}
</style>
</head>
<body>
<header>{site}</header>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"#,
        site = escape(site),
        title = escape(title),
    );
    page
}

/// A table of (label, value) rows; values are escaped.
pub(crate) fn rows(rows: &[(&str, &str)]) -> String {
    let mut out = String::from("<table>\n");
    for (label, value) in rows {
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            escape(label),
            escape(value)
        );
    }
    out.push_str("</table>\n");
    out
}

/// A form with one button that posts to `action`.
pub(crate) fn button(action: &str, label: &str, id: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\"><button type=\"submit\" id=\"{}\">{}</button></form>\n",
        escape(action),
        escape(id),
        escape(label)
    )
}

/// The in-page enrollment component's block: a `<section id="component">` carrying what the script
/// needs as `data-` attributes (values escaped), `inner` (already HTML), and the two scripts. The
/// contract (ids, attributes, classes) is described at the top of `mock-ca/assets/component.js`.
pub(crate) fn component(data: &[(&str, &str)], inner: &str) -> String {
    let mut out = String::from(
        "<!-- enrollment component: begin (contract: mock-ca/assets/component.js) -->\n<section id=\"component\"",
    );
    for (name, value) in data {
        let _ = write!(out, " data-{}=\"{}\"", escape(name), escape(value));
    }
    out.push_str(">\n");
    out.push_str(inner);
    out.push_str(
        "<div id=\"component-status\" aria-live=\"polite\"></div>\n</section>\n<script src=\"/assets/forge.min.js\" defer></script>\n<script src=\"/assets/component.js\" defer></script>\n<!-- enrollment component: end -->\n",
    );
    out
}

/// Shown where the component cannot run [STEP2-CSP-HIDDEN]: visible as rendered (scripts off,
/// or a script that failed to load), hidden by the script once it knows it can run, and kept with
/// the reason filled in when WebCrypto or IndexedDB is missing.
pub(crate) fn component_missing(step_one: &str) -> String {
    format!(
        r#"<div id="component-missing" class="error" data-catalogue-id="STEP2-CSP-HIDDEN">
<p class="message">「CSP」及び「Key 長」を表示できません。このブラウザでは証明書発行コンポーネントが動作していません。</p>
<p class="remedy">Microsoft Edge (Internet Explorer モード) の設定により表示されないことがあります。</p>
<p>・Microsoft Edge (Internet Explorer モード) のセキュリティのレベルが「高」に設定されている場合、「1.3. ブラウザの設定」を実施してください。</p>
<noscript><p class="why">JavaScript (アクティブスクリプト) が無効になっています。</p></noscript>
<p class="why" id="component-missing-why" hidden></p>
<p>このサイトの証明書発行コンポーネントは、ブラウザの JavaScript と Web Crypto API、IndexedDB を使います。最新の Microsoft Edge、Google Chrome、Firefox、Safari で、このサイトの JavaScript を許可してから、もう一度ログインしてください。</p>
<ul>
<li>Microsoft Edge: 設定 → Cookie とサイトのアクセス許可 → JavaScript → 許可</li>
<li>Google Chrome / Chromium: 設定 → プライバシーとセキュリティ → サイトの設定 → JavaScript → サイトに JavaScript の使用を許可する</li>
<li>Firefox: about:config の javascript.enabled を true にする</li>
</ul>
<details><summary>サポート情報 (support details)</summary><p class="id">STEP2-CSP-HIDDEN</p><p class="detail">The enrollment component did not run in this browser (scripts off, or WebCrypto / IndexedDB missing), so step 2 shows no CSP and key length and offers no 発行.</p></details>
<p><a href="{}">ステップ 1 に戻る</a></p>
</div>
"#,
        escape(step_one)
    )
}
