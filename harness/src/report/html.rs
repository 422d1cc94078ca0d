//! The HTML report: an index of scenarios with their verdicts and the ids they cover, and one page
//! per scenario with its transcript. Rendered from `harness/templates/` by minijinja, which escapes
//! every value in an `.html` template (as mock-ca's pages are).

use std::path::Path;

use minijinja::{Environment, Value, context, value::Serde};
use serde::Serialize;

use crate::runner::Report;

/// The templates, embedded: the report needs no file beside the binary.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("index.html", include_str!("../../templates/index.html")),
    (
        "scenario.html",
        include_str!("../../templates/scenario.html"),
    ),
];

/// A scenario as the pages show it.
#[derive(Serialize)]
struct View<'a> {
    name: &'a str,
    area: &'a str,
    summary: &'a str,
    covers: &'a [String],
    verdict: String,
    duration: String,
    failures: &'a [String],
    transcript: &'a str,
}

impl<'a> From<&'a Report> for View<'a> {
    fn from(report: &'a Report) -> Self {
        Self {
            name: &report.name,
            area: &report.area,
            summary: &report.summary,
            covers: &report.covers,
            verdict: format!("{:?}", report.verdict()),
            duration: format!("{:.2} s", report.duration.as_secs_f64()),
            failures: &report.failures,
            transcript: &report.transcript,
        }
    }
}

fn templates() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

/// Writes `index.html` and one `<name>.html` per scenario into `dir`.
pub fn write(dir: &Path, reports: &[Report]) -> std::io::Result<()> {
    let env = templates().map_err(std::io::Error::other)?;
    let render = |template: &str, context: Value| {
        env.get_template(template)
            .and_then(|t| t.render(context))
            .map_err(std::io::Error::other)
    };
    std::fs::create_dir_all(dir)?;
    let views: Vec<View<'_>> = reports.iter().map(View::from).collect();
    for view in &views {
        let page = render(
            "scenario.html",
            context! { title => view.name, report => Value::from(Serde(view)) },
        )?;
        std::fs::write(dir.join(format!("{}.html", view.name)), page)?;
    }
    let passed = reports.iter().filter(|r| r.verdict().is_ok()).count();
    let index = render(
        "index.html",
        context! {
            title => "Conformance scenarios",
            passed,
            reports => Value::from(Serde(&views)),
        },
    )?;
    std::fs::write(dir.join("index.html"), index)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn what_a_scenario_says_is_escaped_on_both_pages() {
        let report = Report {
            name: "escaping".into(),
            area: "a<b".into(),
            covers: vec!["X&Y".into()],
            summary: "<script>alert(1)</script>".into(),
            transcript: "error[AUTH-FAILED]: \"<tmp>\" & 'quoted'".into(),
            failures: vec!["-<li>\n+</ul>".into()],
            known_failure: None,
            duration: Duration::from_millis(1234),
        };
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), std::slice::from_ref(&report)).unwrap();
        let index = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
        let page = std::fs::read_to_string(dir.path().join("escaping.html")).unwrap();
        for html in [&index, &page] {
            assert!(!html.contains("<script>"), "{html}");
            assert!(
                html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
                "{html}"
            );
        }
        assert!(index.contains("<td>a&lt;b</td>"), "{index}");
        assert!(index.contains("<td>X&amp;Y</td>"), "{index}");
        assert!(index.contains("<td>1.23 s</td>"), "{index}");
        assert!(index.contains("<p>0 of 1 as expected.</p>"), "{index}");
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
        assert!(page.contains(r#"<p class="Failed">Failed</p>"#), "{page}");
    }
}
