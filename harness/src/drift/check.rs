//! Matching a recording to a profile, point by point.
//!
//! Each exchange that answered a page or a program (HTML or JSON: not scripts, styles, images,
//! the favicon, the admin API) is matched by the profile's rules:
//! - **a refusal** (an error page `id="error"` with its `data-catalogue-id`, or the JSON error
//!   format) is the message of its id; without an id, the message whose identifying texts it
//!   holds. Compared: the message (an HTML page's headline where the profile has one), the remedy,
//!   the HTTP status (the protocol's, from mock-ca's refusals), the platforms it lists against
//!   `policy.platforms`. An HTML error page is also the error screen (matched by its texts).
//! - **a screen**: the screens whose request patterns (`METHOD /path`, `{placeholder}` segments)
//!   match, and the extra pages by path; among several (the two sites' `GET /`), the one whose
//!   title and texts the page holds. An HTML page is compared by its title (the h1, else
//!   `<title>`) and the texts that identify it; a JSON answer (the component's calls) by its
//!   status only, its words being the component's.
//! - texts of other ids (the repository's notice, the mails' subjects) found in any page.
//!
//! Then each point of the profile is **same**, **changed** (with a word diff), **not visited**
//! / **not seen** (the recording never reached it: not drift, nothing can be said), **gone**
//! (a fixed path the profile knows was requested and answered 404/410) or **new** (a page or a
//! message the profile does not know). Only changed, gone and new are drift.
//!
//! Before any comparison the texts are normalised: what varies between two recordings of the
//! same site (the origins, application and mail ids found through the URL patterns, dates and
//! times, thumbprints, serials, long tokens such as session ids and nonces) becomes a fixed
//! placeholder, with the harness's own redactor and a few patterns of Japanese dates.

use std::{collections::BTreeMap, sync::LazyLock};

use mock_ca::Profile;
use regex::Regex;
use serde::Serialize;

use super::{
    har::{Exchange, Recording},
    text::{self, ErrorShown, Piece, Shown},
};
use crate::redact::Redactor;

/// What a point of the profile is in the recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A page or a message the profile does not know.
    New,
    /// Seen, and different.
    Changed,
    /// A fixed path the profile knows, requested and answered 404 or 410.
    Gone,
    /// Seen, and as the profile says.
    Same,
    /// A screen no request of the recording matched.
    NotVisited,
    /// A message the recording never showed (the case was not reached).
    NotSeen,
}

impl Status {
    /// Whether it is drift (exit code 1).
    pub fn is_drift(self) -> bool {
        matches!(self, Self::New | Self::Changed | Self::Gone)
    }

    /// How the report writes it.
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Changed => "changed",
            Self::Gone => "gone",
            Self::Same => "same",
            Self::NotVisited => "not visited",
            Self::NotSeen => "not seen",
        }
    }
}

/// What kind of point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Screen,
    Page,
    Message,
    Policy,
}

impl Kind {
    /// The report's heading for points of this kind.
    pub fn heading(self) -> &'static str {
        match self {
            Self::Screen => "screens",
            Self::Page => "pages",
            Self::Message => "messages",
            Self::Policy => "policy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Screen => "screen",
            Self::Page => "page",
            Self::Message => "message",
            Self::Policy => "policy",
        }
    }
}

/// One point: a screen, an extra page, a message or a policy rule.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub kind: Kind,
    /// The screen's name, the page's path, the id, the rule.
    pub name: String,
    pub status: Status,
    /// What differs, or what was seen (a new page's title).
    pub details: Vec<Detail>,
    /// The exchanges it was seen in (their place in the recording, 1-based).
    pub seen_in: Vec<usize>,
    /// A word of explanation (why not visited, where it was found).
    pub note: Option<String>,
}

/// One difference.
#[derive(Clone, Debug, Serialize)]
pub struct Detail {
    /// `title`, `message`, `remedy`, `status`, `text`, `platforms`...
    pub field: String,
    pub expected: Option<String>,
    pub seen: Option<String>,
    /// The word diff from expected to seen, where both are texts.
    pub diff: Vec<Piece>,
}

impl Detail {
    fn texts(field: &str, expected: Option<&str>, seen: Option<&str>) -> Self {
        let diff = match (expected, seen) {
            (Some(e), Some(s)) => text::diff(e, s),
            _ => Vec::new(),
        };
        Self {
            field: field.to_owned(),
            expected: expected.map(str::to_owned),
            seen: seen.map(str::to_owned),
            diff,
        }
    }
}

/// A change a person may take into a new profile (`--write-profile`).
#[derive(Clone, Debug)]
pub enum Edit {
    /// An id's message as an error page or answer shows it.
    MessageText {
        id: String,
        headline: bool,
        text: String,
    },
    /// An id's remedy.
    Remedy { id: String, text: String },
    /// A message the profile does not know, with its id.
    NewMessage {
        id: String,
        text: String,
        remedy: Option<String>,
    },
    /// A screen's title, as the page showed it.
    Title { screen: String, title: String },
    /// The platforms the site lists as supported.
    Platforms(Vec<String>),
    /// A page the profile does not know: its path, title, the inside of its `<main>`, and the
    /// screens whose pages link to it.
    NewPage {
        path: String,
        title: String,
        main: String,
        linked_from: Vec<String>,
    },
    /// An extra page answered 404/410.
    GonePage { path: String },
}

/// The whole check.
#[derive(Debug, Serialize)]
pub struct Drift {
    /// The profile's name and guide version.
    pub profile: String,
    pub guide: String,
    /// Exchanges in the recording, and how many were pages or answers matched.
    pub exchanges: usize,
    pub looked_at: usize,
    /// Whether a password was found and taken out.
    pub password_removed: bool,
    pub points: Vec<Point>,
    #[serde(skip)]
    pub edits: Vec<Edit>,
}

impl Drift {
    /// Whether anything changed, went or came.
    pub fn has_drift(&self) -> bool {
        self.points.iter().any(|p| p.status.is_drift())
    }

    /// How many points are in `status`.
    pub fn count(&self, status: Status) -> usize {
        self.points.iter().filter(|p| p.status == status).count()
    }
}

/// One answer the check looks at.
struct Looked<'r> {
    exchange: &'r Exchange,
    shown: Shown,
    html: bool,
}

/// Resource types that are never a page or a program's answer.
const NOT_PAGES: &[&str] = &[
    "script",
    "stylesheet",
    "image",
    "font",
    "media",
    "manifest",
    "texttrack",
    "ping",
    "websocket",
    "other",
];

/// Checks `recording` against `profile`.
pub fn check(recording: &Recording, profile: &Profile) -> Drift {
    let looked: Vec<Looked<'_>> = recording
        .exchanges
        .iter()
        .filter(|x| x.status != 0 && !(300..400).contains(&x.status))
        .filter(|x| {
            !x.resource_type
                .as_deref()
                .is_some_and(|t| NOT_PAGES.contains(&t))
        })
        .filter(|x| {
            !x.path.starts_with("/admin")
                && !x.path.starts_with("/assets/")
                && x.path != "/favicon.ico"
        })
        .filter_map(|x| {
            let shown = Shown::read(&x.mime_type, x.text.as_deref()?)?;
            Some(Looked {
                exchange: x,
                shown,
                html: x.mime_type.contains("html"),
            })
        })
        .collect();
    let normaliser = Normaliser::new(recording, profile);
    let mut checker = Checker {
        profile,
        normaliser,
        screens: BTreeMap::new(),
        pages: BTreeMap::new(),
        messages: BTreeMap::new(),
        new_pages: BTreeMap::new(),
        new_messages: BTreeMap::new(),
        platforms: None,
        gone: BTreeMap::new(),
        seen_screens: BTreeMap::new(),
        edits: Vec::new(),
    };
    for l in &looked {
        checker.look(l);
    }
    let mut points = checker.points(&looked);
    points.sort_by(|a, b| (a.kind, a.status, &a.name).cmp(&(b.kind, b.status, &b.name)));
    Drift {
        profile: profile.profile.name.clone(),
        guide: profile.profile.guide.clone(),
        exchanges: recording.exchanges.len(),
        looked_at: looked.len(),
        password_removed: recording.secrets_removed > 0,
        points,
        edits: checker.edits,
    }
}

/// Observations gathered over the exchanges.
#[derive(Default)]
struct Seen {
    seen_in: Vec<usize>,
    details: Vec<Detail>,
    /// Detail fields already reported (one report per field, the first difference).
    fields: Vec<String>,
}

impl Seen {
    fn differ(&mut self, detail: Detail) {
        if !self.fields.contains(&detail.field) {
            self.fields.push(detail.field.clone());
            self.details.push(detail);
        }
    }
}

struct Checker<'p> {
    profile: &'p Profile,
    normaliser: Normaliser,
    screens: BTreeMap<String, Seen>,
    pages: BTreeMap<String, Seen>,
    messages: BTreeMap<String, Seen>,
    new_pages: BTreeMap<String, (Seen, String)>,
    new_messages: BTreeMap<String, Seen>,
    /// The platforms a refusal listed, and where.
    platforms: Option<(Vec<String>, usize)>,
    /// Fixed paths the profile knows, answered 404/410: the exchange.
    gone: BTreeMap<String, usize>,
    /// The screens each exchange was matched to (for links to new pages).
    seen_screens: BTreeMap<usize, String>,
    edits: Vec<Edit>,
}

impl Checker<'_> {
    fn look(&mut self, l: &Looked<'_>) {
        let x = l.exchange;
        let norm = |t: &str| self.normaliser.apply(t);
        if let Some(error) = &l.shown.error {
            self.refusal(l, error);
            if x.method == "GET" && (x.status == 404 || x.status == 410) {
                self.gone_evidence(&x.path, x.seq);
            }
            if l.html {
                // The error page is a screen too: the one matched by its texts alone.
                if let Some(name) = self.screen_by_texts(&l.shown) {
                    self.compare_screen(&name, l);
                }
            }
            return;
        }
        // Messages shown inside a page (a notice, the component's fallback).
        for block in &l.shown.blocks {
            if let Some(id) = &block.id
                && self.profile.message.contains_key(id)
            {
                self.messages
                    .entry(id.clone())
                    .or_default()
                    .seen_in
                    .push(x.seq);
            }
        }
        if let Some(name) = self.screen_for(l) {
            match name {
                Matched::Screen(name) => {
                    self.seen_screens.insert(x.seq, name.clone());
                    self.compare_screen(&name, l);
                }
                Matched::Page(index) => self.compare_page(index, l),
            }
        } else if l.html && (200..300).contains(&x.status) {
            let path = norm(&x.path);
            let title = l
                .shown
                .heading
                .clone()
                .or_else(|| l.shown.title.clone())
                .unwrap_or_default();
            let entry = self
                .new_pages
                .entry(path)
                .or_insert_with(|| (Seen::default(), norm(&title)));
            entry.0.seen_in.push(x.seq);
        }
    }

    /// The screen or extra page an answer that is not a refusal is.
    fn screen_for(&self, l: &Looked<'_>) -> Option<Matched> {
        let x = l.exchange;
        let mut candidates: Vec<(i32, Matched)> = self
            .profile
            .screen
            .iter()
            .filter(|(_, s)| {
                s.requests
                    .iter()
                    .any(|r| request_matches(r, &x.method, &x.path).is_some())
            })
            .map(|(name, s)| {
                let score = if l.html {
                    let titles = s.titles(&self.profile.sites);
                    let title_score = i32::from(
                        titles
                            .iter()
                            .any(|t| title_matches(t, &self.heading(&l.shown))),
                    ) * 2;
                    let texts = s
                        .identify
                        .iter()
                        .filter(|t| text::holds(&l.shown.text, t))
                        .count();
                    title_score + i32::try_from(texts).unwrap_or(i32::MAX)
                } else {
                    0
                };
                (score, Matched::Screen(name.clone()))
            })
            .collect();
        if x.method == "GET" {
            for (index, page) in self.profile.page.iter().enumerate() {
                if page.path == x.path {
                    candidates.push((10, Matched::Page(index)));
                }
            }
        }
        // The best score; among equals, the profile's order (stable).
        candidates
            .into_iter()
            .enumerate()
            .max_by_key(|(n, (score, _))| (*score, std::cmp::Reverse(*n)))
            .map(|(_, (_, m))| m)
    }

    /// The screen without request patterns (the error page) whose texts a page holds.
    fn screen_by_texts(&self, shown: &Shown) -> Option<String> {
        self.profile
            .screen
            .iter()
            .filter(|(_, s)| s.requests.is_empty())
            .find(|(_, s)| {
                !s.identify.is_empty() && s.identify.iter().all(|t| text::holds(&shown.text, t))
                    || s.titles(&self.profile.sites)
                        .iter()
                        .any(|t| title_matches(t, &self.heading(shown)))
            })
            .map(|(name, _)| name.clone())
    }

    fn heading(&self, shown: &Shown) -> String {
        self.normaliser.apply(
            shown
                .heading
                .as_deref()
                .or(shown.title.as_deref())
                .unwrap_or(""),
        )
    }

    fn compare_screen(&mut self, name: &str, l: &Looked<'_>) {
        let Some(screen) = self.profile.screen.get(name) else {
            return;
        };
        let heading = self.heading(&l.shown);
        let mut details = Vec::new();
        if !(200..300).contains(&l.exchange.status) && l.shown.error.is_none() {
            details.push(Detail::texts(
                "status",
                Some("2xx"),
                Some(&l.exchange.status.to_string()),
            ));
        }
        if l.html {
            let titles = screen.titles(&self.profile.sites);
            if !titles.iter().any(|t| title_matches(t, &heading)) {
                details.push(Detail::texts(
                    "title",
                    titles.first().map(String::as_str),
                    Some(&heading),
                ));
                if let Some(title) = self.title_back(&heading) {
                    self.edits.push(Edit::Title {
                        screen: name.to_owned(),
                        title,
                    });
                }
            }
            for wanted in &screen.identify {
                if !text::holds(&l.shown.text, wanted) {
                    details.push(Detail::texts("text", Some(wanted), None));
                }
            }
            // The texts of the ids it shows that are not refusals (its notices).
            for id in &screen.ids {
                if let Some(message) = self.profile.message.get(id)
                    && mock_ca::Refusal::from_id(id).is_none()
                {
                    let found = message
                        .identify
                        .iter()
                        .chain(std::iter::once(&message.text))
                        .any(|t| text::holds(&l.shown.text, t));
                    let seen = self.messages.entry(id.clone()).or_default();
                    if found {
                        seen.seen_in.push(l.exchange.seq);
                    } else {
                        seen.differ(Detail::texts(
                            &format!("text on {name}"),
                            Some(&message.text),
                            None,
                        ));
                    }
                }
            }
        }
        let seen = self.screens.entry(name.to_owned()).or_default();
        seen.seen_in.push(l.exchange.seq);
        for detail in details {
            seen.differ(detail);
        }
    }

    fn compare_page(&mut self, index: usize, l: &Looked<'_>) {
        let page = &self.profile.page[index];
        let heading = self.heading(&l.shown);
        let mut details = Vec::new();
        if !(200..300).contains(&l.exchange.status) {
            details.push(Detail::texts(
                "status",
                Some("2xx"),
                Some(&l.exchange.status.to_string()),
            ));
        }
        if l.html && !title_matches(&page.title, &heading) {
            details.push(Detail::texts("title", Some(&page.title), Some(&heading)));
        }
        for wanted in &page.identify {
            if !text::holds(&l.shown.text, wanted) {
                details.push(Detail::texts("text", Some(wanted), None));
            }
        }
        let seen = self.pages.entry(page.path.clone()).or_default();
        seen.seen_in.push(l.exchange.seq);
        for detail in details {
            seen.differ(detail);
        }
    }

    fn refusal(&mut self, l: &Looked<'_>, error: &ErrorShown) {
        let x = l.exchange;
        let norm = |t: &str| self.normaliser.apply(t);
        let message_seen = error.message.as_deref().map(norm);
        let remedy_seen = error.remedy.as_deref().map(norm);
        let id = error.id.clone().or_else(|| {
            self.profile
                .ids_in(&l.shown.text)
                .first()
                .map(|id| (*id).to_owned())
        });
        if !error.supported.is_empty() && self.platforms.is_none() {
            self.platforms = Some((error.supported.clone(), x.seq));
        }
        let Some(message) = id.as_deref().and_then(|id| self.profile.message.get(id)) else {
            let key = id.clone().unwrap_or_else(|| {
                message_seen
                    .clone()
                    .unwrap_or_else(|| "(a refusal without id or message)".into())
            });
            let seen = self.new_messages.entry(key.clone()).or_default();
            if seen.seen_in.is_empty() {
                seen.details
                    .push(Detail::texts("message", None, message_seen.as_deref()));
                if let Some(remedy) = &remedy_seen {
                    seen.details
                        .push(Detail::texts("remedy", None, Some(remedy)));
                }
                seen.details
                    .push(Detail::texts("status", None, Some(&x.status.to_string())));
                if let (Some(id), Some(text)) = (&id, &message_seen) {
                    self.edits.push(Edit::NewMessage {
                        id: id.clone(),
                        text: text.clone(),
                        remedy: remedy_seen.clone(),
                    });
                }
            }
            seen.seen_in.push(x.seq);
            return;
        };
        let id = id.unwrap_or_default();
        // An HTML page shows the headline first where the profile has one (English texts).
        let headline = l.html && message.headline.is_some();
        let expected = if headline {
            message.headline.as_deref().unwrap_or(&message.text)
        } else {
            &message.text
        };
        let mut details = Vec::new();
        let mut edits = Vec::new();
        if message_seen.as_deref() != Some(&norm(expected)) {
            details.push(Detail::texts(
                if headline { "headline" } else { "message" },
                Some(expected),
                message_seen.as_deref(),
            ));
            if let Some(text) = &message_seen {
                edits.push(Edit::MessageText {
                    id: id.clone(),
                    headline,
                    text: text.clone(),
                });
            }
        }
        if remedy_seen.as_deref().map(str::to_owned) != message.remedy.as_deref().map(norm) {
            details.push(Detail::texts(
                "remedy",
                message.remedy.as_deref(),
                remedy_seen.as_deref(),
            ));
            if let Some(text) = &remedy_seen {
                edits.push(Edit::Remedy {
                    id: id.clone(),
                    text: text.clone(),
                });
            }
        }
        if let Some(refusal) = mock_ca::Refusal::from_id(&id) {
            let want = refusal.status().as_u16();
            if want != x.status {
                details.push(Detail::texts(
                    "status",
                    Some(&want.to_string()),
                    Some(&x.status.to_string()),
                ));
            }
        }
        let seen = self.messages.entry(id).or_default();
        seen.seen_in.push(x.seq);
        for detail in details {
            let field = detail.field.clone();
            if !seen.fields.contains(&field) {
                self.edits
                    .extend(edits.iter().filter(|e| edit_field(e) == field).cloned());
            }
            seen.differ(detail);
        }
    }

    fn gone_evidence(&mut self, path: &str, seq: usize) {
        let fixed = self.profile.page.iter().any(|p| p.path == path)
            || self.profile.screen.values().any(|s| {
                s.requests.iter().any(|r| {
                    r.strip_prefix("GET ")
                        .is_some_and(|p| p == path && !p.contains('{'))
                })
            });
        if fixed {
            self.gone.entry(path.to_owned()).or_insert(seq);
        }
    }

    /// A title as the profile writes it: the sites' names back to their placeholders.
    fn title_back(&self, title: &str) -> Option<String> {
        if title.is_empty() {
            return None;
        }
        let sites = &self.profile.sites;
        Some(
            title
                .replace(&sites.confirmation, "{confirmation}")
                .replace(&sites.issuance, "{site}")
                .replace(&sites.renewal, "{site}"),
        )
    }

    fn points(&mut self, looked: &[Looked<'_>]) -> Vec<Point> {
        let mut points = Vec::new();
        for (name, screen) in &self.profile.screen {
            let seen = self.screens.remove(name);
            let gone = screen.requests.iter().find_map(|r| {
                let path = r.strip_prefix("GET ")?;
                self.gone.get(path).map(|seq| (path.to_owned(), *seq))
            });
            points.push(match (seen, gone) {
                (Some(seen), _) => point(Kind::Screen, name, seen, None),
                (None, Some((path, seq))) => Point {
                    kind: Kind::Screen,
                    name: name.clone(),
                    status: Status::Gone,
                    details: Vec::new(),
                    seen_in: vec![seq],
                    note: Some(format!("GET {path} answered not found")),
                },
                (None, None) => Point {
                    kind: Kind::Screen,
                    name: name.clone(),
                    status: Status::NotVisited,
                    details: Vec::new(),
                    seen_in: Vec::new(),
                    note: Some(if screen.requests.is_empty() {
                        "no page of the recording showed it".to_owned()
                    } else {
                        format!(
                            "no request of the recording matched {}",
                            screen.requests.join(", ")
                        )
                    }),
                },
            });
        }
        for page in &self.profile.page {
            let seen = self.pages.remove(&page.path);
            points.push(match (seen, self.gone.get(&page.path)) {
                (Some(seen), _) => point(Kind::Page, &page.path, seen, None),
                (None, Some(seq)) => {
                    self.edits.push(Edit::GonePage {
                        path: page.path.clone(),
                    });
                    Point {
                        kind: Kind::Page,
                        name: page.path.clone(),
                        status: Status::Gone,
                        details: Vec::new(),
                        seen_in: vec![*seq],
                        note: Some(format!("GET {} answered not found", page.path)),
                    }
                }
                (None, None) => Point {
                    kind: Kind::Page,
                    name: page.path.clone(),
                    status: Status::NotVisited,
                    details: Vec::new(),
                    seen_in: Vec::new(),
                    note: Some(format!("the recording never requested {}", page.path)),
                },
            });
        }
        let new_pages = std::mem::take(&mut self.new_pages);
        for (path, (seen, title)) in new_pages {
            let first = seen.seen_in[0];
            let linked_from: Vec<String> = self
                .seen_screens
                .iter()
                .filter(|(seq, _)| {
                    looked
                        .iter()
                        .find(|l| l.exchange.seq == **seq)
                        .is_some_and(|l| {
                            l.shown
                                .links
                                .iter()
                                .any(|href| self.normaliser.apply(href) == path)
                        })
                })
                .map(|(_, screen)| screen.clone())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let main = looked
                .iter()
                .find(|l| l.exchange.seq == first)
                .and_then(|l| l.shown.main.clone())
                .map(|m| self.normaliser.apply(&m))
                .unwrap_or_default();
            self.edits.push(Edit::NewPage {
                path: path.clone(),
                title: title.clone(),
                main,
                linked_from: linked_from.clone(),
            });
            let note = (!linked_from.is_empty())
                .then(|| format!("linked from {}", linked_from.join(", ")));
            points.push(Point {
                kind: Kind::Page,
                name: path,
                status: Status::New,
                details: vec![Detail::texts("title", None, Some(&title))],
                seen_in: seen.seen_in,
                note,
            });
        }
        for (id, message) in &self.profile.message {
            // Texts of ids found anywhere (a mail's subject in the mailbox, a notice).
            let mut seen = self.messages.remove(id).unwrap_or_default();
            if seen.seen_in.is_empty() && seen.details.is_empty() {
                let wanted: Vec<&String> = message
                    .identify
                    .iter()
                    .chain(std::iter::once(&message.text))
                    .collect();
                seen.seen_in = looked
                    .iter()
                    .filter(|l| l.shown.error.is_none())
                    .filter(|l| {
                        wanted.iter().any(|t| {
                            text::holds(&l.shown.text, t)
                                || l.shown.title.as_deref().is_some_and(|h| text::holds(h, t))
                        })
                    })
                    .map(|l| l.exchange.seq)
                    .take(3)
                    .collect();
            }
            if seen.seen_in.is_empty() && seen.details.is_empty() {
                points.push(Point {
                    kind: Kind::Message,
                    name: id.clone(),
                    status: Status::NotSeen,
                    details: Vec::new(),
                    seen_in: Vec::new(),
                    note: Some("the recording did not reach this case".into()),
                });
            } else {
                points.push(point(Kind::Message, id, seen, None));
            }
        }
        for (key, seen) in std::mem::take(&mut self.new_messages) {
            points.push(Point {
                kind: Kind::Message,
                name: key,
                status: Status::New,
                details: seen.details,
                seen_in: seen.seen_in,
                note: None,
            });
        }
        if let Some((listed, seq)) = &self.platforms {
            let mut want = self.profile.policy.platforms.clone();
            let mut have = listed.clone();
            want.iter_mut().for_each(|p| *p = p.to_lowercase());
            have.iter_mut().for_each(|p| *p = p.to_lowercase());
            let mut seen = Seen {
                seen_in: vec![*seq],
                ..Seen::default()
            };
            if want != have {
                seen.differ(Detail::texts(
                    "platforms",
                    Some(&want.join(", ")),
                    Some(&have.join(", ")),
                ));
                self.edits.push(Edit::Platforms(listed.clone()));
            }
            points.push(point(
                Kind::Policy,
                "platforms",
                seen,
                Some("as a refusal listed them".into()),
            ));
        }
        points
    }
}

enum Matched {
    Screen(String),
    Page(usize),
}

fn point(kind: Kind, name: &str, seen: Seen, note: Option<String>) -> Point {
    Point {
        kind,
        name: name.to_owned(),
        status: if seen.details.is_empty() {
            Status::Same
        } else {
            Status::Changed
        },
        details: seen.details,
        seen_in: seen.seen_in,
        note,
    }
}

fn edit_field(edit: &Edit) -> &'static str {
    match edit {
        Edit::MessageText { headline: true, .. } => "headline",
        Edit::MessageText { .. } => "message",
        Edit::Remedy { .. } => "remedy",
        _ => "",
    }
}

/// The placeholders' values if `request` (`METHOD /path`) matches `method` on `path`.
pub fn request_matches(request: &str, method: &str, path: &str) -> Option<Vec<(String, String)>> {
    let (m, pattern) = request.split_once(' ')?;
    if !m.eq_ignore_ascii_case(method) {
        return None;
    }
    let want: Vec<&str> = pattern.split('/').collect();
    let have: Vec<&str> = path.split('/').collect();
    if want.len() != have.len() {
        return None;
    }
    let mut captured = Vec::new();
    for (w, h) in want.iter().zip(&have) {
        if let Some(name) = w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
            if h.is_empty() {
                return None;
            }
            captured.push((name.to_owned(), (*h).to_owned()));
        } else if w != h {
            return None;
        }
    }
    Some(captured)
}

/// Whether a page's title is a profile's title, whose remaining `{placeholders}` (a mail's
/// `{subject}`) stand for any text.
fn title_matches(expected: &str, seen: &str) -> bool {
    if !expected.contains('{') {
        return squeeze(expected) == squeeze(seen);
    }
    let mut pattern = String::from("^");
    let mut rest = expected;
    while let Some(open) = rest.find('{') {
        pattern.push_str(&regex::escape(&squeeze(&rest[..open])));
        match rest[open..].find('}') {
            Some(close) => {
                pattern.push_str(".+");
                rest = &rest[open + close + 1..];
            }
            None => {
                pattern.push_str(&regex::escape(&rest[open..]));
                rest = "";
            }
        }
    }
    pattern.push_str(&regex::escape(&squeeze(rest)));
    pattern.push('$');
    Regex::new(&pattern).is_ok_and(|re| re.is_match(&squeeze(seen)))
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// What varies between two recordings of one site, made fixed.
pub struct Normaliser {
    redactor: Redactor,
}

static JAPANESE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?|\d{4}/\d{1,2}/\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
        .expect("a valid pattern")
});

static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    // Session ids, nonces, keys: long runs of base64url or hex (with a digit: not words).
    Regex::new(r"(?-u:\b)[A-Za-z0-9_\-]{24,}").expect("a valid pattern")
});

impl Normaliser {
    /// Learns from `recording` what varies: its origins, and each placeholder's values where a
    /// request matched one of the profile's URL patterns.
    pub fn new(recording: &Recording, profile: &Profile) -> Self {
        let mut redactor = Redactor::default();
        let mut origins: Vec<&str> = recording
            .exchanges
            .iter()
            .map(|x| x.origin.as_str())
            .collect();
        origins.sort();
        origins.dedup();
        for origin in origins {
            redactor.literal(origin, "");
        }
        let patterns = profile.screen.values().flat_map(|s| s.requests.iter());
        let patterns: Vec<&String> = patterns.collect();
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        for x in &recording.exchanges {
            for pattern in &patterns {
                if let Some(captured) = request_matches(pattern, &x.method, &x.path) {
                    for (name, value) in captured {
                        values.insert(value, format!("{{{name}}}"));
                    }
                }
            }
        }
        for (value, placeholder) in values {
            // A bare number or a short word would be replaced everywhere: only ids.
            if value.len() >= 4 {
                redactor.literal(value, placeholder);
            }
        }
        Self { redactor }
    }

    /// `text` with what varies replaced.
    pub fn apply(&self, text: &str) -> String {
        let text = self.redactor.redact(text);
        let text = JAPANESE_DATE.replace_all(&text, "<date>");
        TOKEN
            .replace_all(&text, |c: &regex::Captures<'_>| {
                let run = &c[0];
                if run.chars().any(|c| c.is_ascii_digit())
                    && run.chars().any(|c| c.is_ascii_alphabetic())
                {
                    "<token>".to_owned()
                } else {
                    run.to_owned()
                }
            })
            .into_owned()
    }
}
