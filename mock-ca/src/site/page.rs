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
