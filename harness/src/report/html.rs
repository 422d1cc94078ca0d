//! The HTML report: an index of scenarios with their verdicts and the ids they cover, and one page
//! per scenario with its transcript.

use std::{fmt::Write as _, path::Path};

use crate::runner::Report;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#eef3f8}.Passed{color:#0a6b2d}.Failed,.UnexpectedPass{color:#b00020;font-weight:bold}.KnownFailure{color:#8a6d00}pre{background:#f6f8fa;padding:1em;white-space:pre-wrap}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n",
        escape(title)
    )
}

/// Writes `index.html` and one `<name>.html` per scenario into `dir`.
pub fn write(dir: &Path, reports: &[Report]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let passed = reports.iter().filter(|r| r.verdict().is_ok()).count();
    let mut body = format!(
        "<h1>Conformance scenarios</h1>\n<p>{passed} of {} as expected.</p>\n<table>\n<tr><th>scenario</th><th>area</th><th>verdict</th><th>covers</th><th>time</th><th>summary</th></tr>\n",
        reports.len()
    );
    for report in reports {
        let verdict = report.verdict();
        let _ = writeln!(
            body,
            "<tr><td><a href=\"{name}.html\">{name}</a></td><td>{}</td><td class=\"{verdict:?}\">{verdict:?}</td><td>{}</td><td>{:.2} s</td><td>{}</td></tr>",
            escape(&report.area),
            escape(&report.covers.join(" ")),
            report.duration.as_secs_f64(),
            escape(&report.summary),
            name = escape(&report.name),
        );
        let mut detail = format!(
            "<p><a href=\"index.html\">← all scenarios</a></p>\n<h1>{}</h1>\n<p>{}</p>\n<p>covers: {}</p>\n<p class=\"{verdict:?}\">{verdict:?}</p>\n",
            escape(&report.name),
            escape(&report.summary),
            escape(&report.covers.join(", ")),
        );
        if !report.failures.is_empty() {
            detail.push_str("<ul>\n");
            for failure in &report.failures {
                let _ = writeln!(detail, "<li>{}</li>", escape(failure));
            }
            detail.push_str("</ul>\n");
        }
        let _ = writeln!(detail, "<pre>{}</pre>", escape(&report.transcript));
        std::fs::write(
            dir.join(format!("{}.html", report.name)),
            page(&report.name, &detail),
        )?;
    }
    body.push_str("</table>\n");
    std::fs::write(dir.join("index.html"), page("Conformance scenarios", &body))
}
