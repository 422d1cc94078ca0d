//! HTML for people: the guide's screens, in Japanese, from the site profile's templates
//! (`mock-ca/profile/templates/` for the default; minijinja, HTML escaping by the engine). Every
//! page is rendered from the same view the JSON answer is made from, plus what only a page needs
//! (its title, frame and way back).

use std::sync::Arc;

use minijinja::{Environment, Value, value::Serde};
use serde::Serialize;

use crate::world::profile::Profile;

/// The profile's templates, compiled once per site, with the filters and the labels they use.
#[derive(Debug)]
pub(crate) struct Pages {
    env: Environment<'static>,
    profile: Arc<Profile>,
}

impl Pages {
    /// The pages of `profile`.
    pub(crate) fn new(profile: Arc<Profile>) -> Self {
        // A loaded profile's templates parse (its loading checks them, and the site checks a
        // profile it is given at start); should one not, every page answers the plain page
        // `render` falls back to rather than the site not starting.
        let mut env = profile.compile().unwrap_or_else(|e| {
            tracing::error!("profile templates: {e}");
            Environment::new()
        });
        env.add_filter("jdate", japanese_date);
        env.add_filter("size", size);
        env.add_global("labels", Value::from(Serde(&profile.labels)));
        Self { env, profile }
    }

    /// The profile the pages are made from.
    pub(crate) fn profile(&self) -> &Arc<Profile> {
        &self.profile
    }

    /// Renders template `name` with `view` (the page's data, usually the JSON answer) in
    /// `frame`; `links` are the profile's extra pages linked from a screen of that template.
    pub(crate) fn render(&self, name: &str, frame: &Frame<'_>, view: &impl Serialize) -> String {
        let links: Vec<Value> = self
            .profile
            .page
            .iter()
            .filter(|page| {
                page.linked_from.iter().any(|screen| {
                    self.profile
                        .screen(screen)
                        .is_some_and(|s| s.template == name)
                })
            })
            .map(|page| minijinja::context! { path => page.path.as_str(), title => page.title.as_str() })
            .collect();
        let context = minijinja::context! {
            ..Value::from(Serde(frame)),
            ..Value::from(Serde(view)),
            ..minijinja::context! { links => links },
        };
        match self
            .env
            .get_template(name)
            .and_then(|template| template.render(context))
        {
            Ok(page) => page,
            Err(e) => {
                // Never a panic or an empty answer: a plain page that still says where to go.
                tracing::error!("rendering {name}: {e:#}");
                "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>エラー</title><p>ページを表示できませんでした。</p><p><a href=\"/\">トップページへ戻る</a></p></html>\n".to_owned()
            }
        }
    }

    /// The way back to the site's top page.
    pub(crate) fn back_top(&self) -> Back {
        self.back("/", "back_top")
    }

    /// The way back to step 1 of an application, where a person starts again.
    pub(crate) fn back_step_one(&self, application: &str) -> Back {
        self.back(format!("/apply/{application}"), "back_step_one")
    }

    /// A way to `href`, labelled with the profile's label `label`.
    pub(crate) fn back(&self, href: impl Into<String>, label: &str) -> Back {
        Back {
            href: href.into(),
            label: self.profile.label(label).to_owned(),
        }
    }
}

/// Where a page's way back leads.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Back {
    pub(crate) href: String,
    pub(crate) label: String,
}

/// The frame of a page: the site it belongs to, its title and its way back.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Frame<'a> {
    pub(crate) site_name: &'a str,
    pub(crate) title: &'a str,
    pub(crate) back: Option<Back>,
}

/// `2026-11-30T08:13:00+09:00` → `2026年11月30日 08:13`, in the time's own offset (the site
/// speaks Japan time). Anything that is not RFC 3339 is shown as it is.
fn japanese_date(value: String) -> String {
    use time::format_description::well_known::Rfc3339;
    match time::OffsetDateTime::parse(&value, &Rfc3339) {
        Ok(t) => format!(
            "{}年{}月{}日 {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        Err(_) => value,
    }
}

/// A byte count with its unit, as a person reads it: `512 バイト`, `47.1 KB`, `3.2 MB`.
fn size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    // Sizes here are at most a few MiB: f64 holds them exactly enough for one decimal.
    #[expect(clippy::cast_precision_loss, reason = "one decimal of a size in KB/MB")]
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} バイト")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{:.1} MB", b / (KB * KB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages() -> Pages {
        Pages::new(Profile::shared_default())
    }

    #[test]
    fn every_template_parses() {
        let pages = pages();
        for name in pages.profile().templates.keys() {
            assert!(pages.env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn dates_read_as_a_japanese_person_writes_them_and_sizes_have_units() {
        assert_eq!(
            japanese_date("2026-11-30T08:13:59+09:00".into()),
            "2026年11月30日 08:13"
        );
        assert_eq!(japanese_date("soon".into()), "soon");
        assert_eq!(size(512), "512 バイト");
        assert_eq!(size(48_213), "47.1 KB");
        assert_eq!(size(3 * 1024 * 1024 + 200_000), "3.2 MB");
    }

    #[test]
    fn text_is_escaped_by_the_engine() {
        let frame = Frame {
            site_name: "<b>site</b>",
            title: "t",
            back: Some(pages().back_top()),
        };
        let page = pages().render(
            "step4.html",
            &frame,
            &serde_json::json!({"confirm": "\"><script>alert(1)</script>"}),
        );
        assert!(!page.contains("<script>alert(1)"), "{page}");
        assert!(!page.contains("<b>site</b>"), "{page}");
        assert!(page.contains("&lt;b&gt;site&lt;"), "{page}");
    }
}
