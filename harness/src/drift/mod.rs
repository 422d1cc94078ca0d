//! `harness drift`: what a recording of a site (a HAR with contents, as Chrome's and Edge's
//! DevTools save one) shows against what a site profile says it should.
//!
//! [`har`] reads the recording and takes the login's password out before anything else sees
//! it; [`text`] reads what each answer shows and diffs texts word by word (Japanese split by
//! script); [`check`] matches the exchanges to the profile's screens, pages and messages by the
//! profile's rules and says, point by point, same, changed, gone, new, or not visited / not
//! seen; [`profile_with_changes`] takes the changes into a copy of the profile, for a person to
//! review. The terminal report ([`terminal`]) and the HTML one ([`html`]) say the same.

pub mod check;
pub mod har;
pub mod text;

use std::fmt::Write as _;

use mock_ca::{
    Profile,
    profile::{ExtraPage, Message},
};

pub use check::{Detail, Drift, Edit, Kind, Point, Status, check};
pub use har::{HarError, PASSWORD_PLACEHOLDER, Recording};

/// The points a terminal lists one by one (the others are summed up on one line per kind).
fn listed(point: &Point) -> bool {
    !matches!(point.status, Status::NotVisited | Status::NotSeen)
}

/// The report for a terminal: drift first, one line a point, the diffs under it.
pub fn terminal(drift: &Drift, recording: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "drift: {recording} against profile {} (guide {})",
        drift.profile, drift.guide
    );
    let _ = writeln!(
        out,
        "  {} exchanges, {} pages and answers matched{}",
        drift.exchanges,
        drift.looked_at,
        if drift.password_removed {
            "; the login's password was taken out on reading and is shown nowhere"
        } else {
            ""
        }
    );
    if !drift.password_removed && drift.forms_sent {
        let _ = writeln!(
            out,
            "  note: requests with a body, but no field named like a password (password, passwd, \
             pwd, pass, pin): if the site's login field is named otherwise, its value was not taken out"
        );
    }
    for kind in [Kind::Screen, Kind::Page, Kind::Message, Kind::Policy] {
        let points: Vec<&Point> = drift.points.iter().filter(|p| p.kind == kind).collect();
        if points.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}", kind.heading());
        for point in points.iter().filter(|p| listed(p)) {
            let seen = if point.seen_in.is_empty() {
                String::new()
            } else {
                let places: Vec<String> = point
                    .seen_in
                    .iter()
                    .take(3)
                    .map(|n| format!("#{n}"))
                    .collect();
                let more = point.seen_in.len().saturating_sub(3);
                format!(
                    "  ({}{})",
                    places.join(" "),
                    if more > 0 {
                        format!(" +{more}")
                    } else {
                        String::new()
                    }
                )
            };
            let mark = if point.status.is_drift() { "!" } else { " " };
            let _ = writeln!(
                out,
                "{mark} {:<12} {}{seen}",
                point.status.label(),
                point.name
            );
            if let Some(note) = &point.note
                && point.status != Status::Same
            {
                let _ = writeln!(out, "      {note}");
            }
            for detail in &point.details {
                let _ = writeln!(out, "      {}", detail_line(detail));
            }
        }
        for status in [Status::NotVisited, Status::NotSeen] {
            let names: Vec<&str> = points
                .iter()
                .filter(|p| p.status == status)
                .map(|p| p.name.as_str())
                .collect();
            if !names.is_empty() {
                let _ = writeln!(out, "  {:<12} {}", status.label(), names.join(", "));
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{} changed, {} new, {} gone; {} same; {} not visited, {} not seen: {}",
        drift.count(Status::Changed),
        drift.count(Status::New),
        drift.count(Status::Gone),
        drift.count(Status::Same),
        drift.count(Status::NotVisited),
        drift.count(Status::NotSeen),
        if drift.has_drift() {
            "DRIFT (the site differs from the profile)"
        } else {
            "no drift"
        }
    );
    out
}

/// One difference on one line: `field: the word diff`, or what was expected or seen alone.
fn detail_line(detail: &Detail) -> String {
    match (&detail.expected, &detail.seen) {
        (Some(_), Some(_)) => format!("{}: {}", detail.field, text::plain(&detail.diff)),
        (Some(expected), None) => format!("{}: 「{expected}」 not found", detail.field),
        (None, Some(seen)) => format!("{}: 「{seen}」", detail.field),
        (None, None) => detail.field.clone(),
    }
}

const TEMPLATE: &str = include_str!("../../templates/drift.html");

/// The report as one HTML page.
pub fn html(drift: &Drift, recording: &str) -> Result<String, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.add_template("drift.html", TEMPLATE)?;
    let kinds: Vec<minijinja::Value> = [Kind::Screen, Kind::Page, Kind::Message, Kind::Policy]
        .into_iter()
        .map(|kind| {
            let points: Vec<&Point> = drift.points.iter().filter(|p| p.kind == kind).collect();
            minijinja::context! {
                name => kind.heading(),
                points => points
                    .iter()
                    .map(|p| minijinja::context! {
                        point => minijinja::Value::from(minijinja::value::Serde(p)),
                        label => p.status.label(),
                        drift => p.status.is_drift(),
                    })
                    .collect::<Vec<_>>(),
            }
        })
        .collect();
    env.get_template("drift.html")?.render(minijinja::context! {
        recording => recording,
        drift => minijinja::Value::from(minijinja::value::Serde(drift)),
        has_drift => drift.has_drift(),
        kinds => kinds,
        changed => drift.count(Status::Changed),
        new => drift.count(Status::New),
        gone => drift.count(Status::Gone),
        same => drift.count(Status::Same),
        not_visited => drift.count(Status::NotVisited),
        not_seen => drift.count(Status::NotSeen),
    })
}

/// `base` with the recording's changes taken in, for a person to review before use: messages
/// and remedies as shown, screens' titles, the supported platforms, new pages (their template
/// made from the recorded page's `<main>`, their links from the screens that link to them),
/// gone pages removed. What a recording cannot say (a screen gone, a message never shown) is
/// left as it was.
pub fn profile_with_changes(base: &Profile, drift: &Drift) -> Profile {
    let mut profile = base.clone();
    for edit in &drift.edits {
        match edit {
            Edit::MessageText { id, headline, text } => {
                if let Some(message) = profile.message.get_mut(id) {
                    let old = if *headline {
                        message.headline.replace(text.clone())
                    } else {
                        Some(std::mem::replace(&mut message.text, text.clone()))
                    };
                    // The texts that identify it follow its words.
                    for identify in &mut message.identify {
                        if Some(&*identify) == old.as_ref() {
                            identify.clone_from(text);
                        }
                    }
                }
            }
            Edit::Remedy { id, text } => {
                if let Some(message) = profile.message.get_mut(id) {
                    message.remedy = Some(text.clone());
                }
            }
            Edit::NewMessage { id, text, remedy } => {
                profile.message.insert(
                    id.clone(),
                    Message {
                        text: text.clone(),
                        remedy: remedy.clone(),
                        headline: None,
                        explanation: None,
                        identify: vec![text.clone()],
                    },
                );
            }
            Edit::Title { screen, title } => {
                if let Some(screen) = profile.screen.get_mut(screen) {
                    screen.title.clone_from(title);
                }
            }
            Edit::Platforms(platforms) => {
                profile.policy.platforms.clone_from(platforms);
                profile
                    .platform_names
                    .retain(|p, _| platforms.iter().any(|q| q.eq_ignore_ascii_case(p)));
            }
            Edit::Csp(csp) => profile.policy.csp.clone_from(csp),
            Edit::KeyBits(bits) => profile.policy.key_bits = *bits,
            Edit::NewPage {
                path,
                title,
                main,
                linked_from,
                identify,
            } => {
                let stem: String = path
                    .trim_matches('/')
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                let template = format!("{}.html", if stem.is_empty() { "page" } else { &stem });
                profile
                    .templates
                    .insert(template.clone(), page_template(path, main));
                profile.page.retain(|p| &p.path != path);
                profile.page.push(ExtraPage {
                    path: path.clone(),
                    title: title.clone(),
                    template,
                    linked_from: linked_from.clone(),
                    identify: identify.iter().cloned().collect(),
                });
            }
            Edit::GonePage { path } => profile.page.retain(|p| &p.path != path),
        }
    }
    profile
}

/// A template for a new page: its recorded `<main>`, without the h1 the frame writes.
fn page_template(path: &str, main: &str) -> String {
    let body = match (main.find("<h1"), main.find("</h1>")) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{}", &main[..start], &main[end + "</h1>".len()..])
        }
        _ => main.to_owned(),
    };
    let body = body.trim();
    // The recorded markup is text to the engine, whatever braces it holds.
    let body = if ["{{", "{%", "{#"].iter().any(|s| body.contains(s)) {
        format!("{{% raw %}}{body}{{% endraw %}}")
    } else {
        body.to_owned()
    };
    format!(
        "{{# {path}: taken from a recording by `harness drift --write-profile`; review it. #}}\n\
         {{% extends \"base.html\" %}}\n{{% block body %}}\n{body}\n{{% endblock %}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_whose_login_field_is_not_named_like_a_password_is_said_so() {
        let har = r#"{"log": {"entries": [{"request": {"method": "POST", "url": "https://a/login",
            "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "id=taro&secret=xyzzy42"}},
            "response": {"status": 200, "content": {"mimeType": "text/html", "text": "<h1>x</h1>"}}}]}}"#;
        let recording = Recording::parse(har).unwrap();
        let report = terminal(&check(&recording, &Profile::default()), "a.har");
        assert!(report.contains("note: requests with a body"), "{report}");
        assert!(!report.contains("taken out on reading"), "{report}");
    }
}
