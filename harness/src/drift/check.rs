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
//! - the CSP and key length step 2 names [STEP2-CSP-KEYLEN] against `policy.csp` and
//!   `policy.key_bits`: from the component's `data-` attributes where the page has them,
//!   else looked for as words.
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
    /// Two lists, diffed item by item.
    fn list(field: &str, expected: &[String], seen: &[String]) -> Self {
        let mut diff: Vec<Piece> = Vec::new();
        for op in similar::capture_diff_slices(similar::Algorithm::Myers, expected, seen) {
            for change in op.iter_changes(expected, seen) {
                if !diff.is_empty() {
                    diff.push(Piece::Same(", ".into()));
                }
                let item = change.value().clone();
                diff.push(match change.tag() {
                    similar::ChangeTag::Equal => Piece::Same(item),
                    similar::ChangeTag::Delete => Piece::Removed(item),
                    similar::ChangeTag::Insert => Piece::Added(item),
                });
            }
        }
        Self {
            field: field.to_owned(),
            expected: Some(expected.join(", ")),
            seen: Some(seen.join(", ")),
            diff,
        }
    }

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
    /// The CSP step 2 names.
    Csp(String),
    /// The key length step 2 names.
    KeyBits(usize),
    /// A page the profile does not know: its path, title, the inside of its `<main>`, and the
    /// screens whose pages link to it.
    NewPage {
        path: String,
        title: String,
        main: String,
        linked_from: Vec<String>,
        /// Its first paragraph's text, to identify it by.
        identify: Option<String>,
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
    /// Whether any request had a body (a form, JSON): where a password could be.
    pub forms_sent: bool,
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
        key_spec: None,
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
        forms_sent: recording
            .exchanges
            .iter()
            .any(|x| x.request_body.as_deref().is_some_and(|b| !b.is_empty())),
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
    /// What step 2 named as the CSP and key length [STEP2-CSP-KEYLEN], and where.
    key_spec: Option<(KeySpec, usize)>,
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
        // A page with no error markup (another site's) whose title is no screen's, holding a
        // refusal's identifying text: that refusal, as far as its texts can tell.
        if l.html
            && !self.any_title(&l.shown)
            && let Some(id) = self
                .profile
                .ids_in(&l.shown.text)
                .into_iter()
                .find(|id| mock_ca::Refusal::from_id(id).is_some())
        {
            let error = self.error_from_text(id, &l.shown);
            self.refusal(l, &error);
            if let Some(name) = self.screen_by_texts(&l.shown) {
                self.compare_screen(&name, l);
            }
            return;
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

    /// Whether a page's title is any screen's or extra page's.
    fn any_title(&self, shown: &Shown) -> bool {
        let heading = self.heading(shown);
        // A title that is only a placeholder (a mail's `{subject}`) says nothing here.
        let says =
            |t: &String| !(t.starts_with('{') && t.ends_with('}') && t.matches('{').count() == 1);
        self.profile.screen.values().any(|s| {
            s.titles(&self.profile.sites)
                .iter()
                .filter(|t| says(t))
                .any(|t| title_matches(t, &heading))
        }) || self
            .profile
            .page
            .iter()
            .any(|p| title_matches(&p.title, &heading))
    }

    /// A refusal read from a page's text alone: its message and remedy as the profile has them
    /// where the page holds them (the markup does not say where they are).
    fn error_from_text(&self, id: &str, shown: &Shown) -> ErrorShown {
        let message = self.profile.message.get(id);
        let held = |t: Option<&String>| t.filter(|t| text::holds(&shown.text, t)).cloned();
        ErrorShown {
            id: Some(id.to_owned()),
            message: message.and_then(|m| {
                held(m.headline.as_ref())
                    .or_else(|| held(Some(&m.text)))
                    .or_else(|| {
                        m.identify
                            .iter()
                            .find(|t| text::holds(&shown.text, t))
                            .cloned()
                    })
            }),
            remedy: message.and_then(|m| held(m.remedy.as_ref())),
            supported: Vec::new(),
        }
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
            // Step 2 names the CSP and key length the site asks for [STEP2-CSP-KEYLEN]: a new
            // guide version may well change them, and a page's words would not show it.
            if screen.ids.iter().any(|id| id == "STEP2-CSP-KEYLEN")
                && self.key_spec.is_none()
                && let Some(html) = &l.exchange.text
            {
                self.key_spec = Some((KeySpec::read(html, &self.profile.policy), l.exchange.seq));
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
                .map(|m| self.normaliser.apply_html(&m))
                .unwrap_or_default();
            self.edits.push(Edit::NewPage {
                path: path.clone(),
                title: title.clone(),
                identify: text::first_paragraph(&main),
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
                seen.differ(Detail::list("platforms", &want, &have));
                self.edits.push(Edit::Platforms(listed.clone()));
            }
            points.push(point(
                Kind::Policy,
                "platforms",
                seen,
                Some("as a refusal listed them".into()),
            ));
        }
        if let Some((spec, seq)) = &self.key_spec {
            let policy = &self.profile.policy;
            let mut csp = Seen {
                seen_in: vec![*seq],
                ..Seen::default()
            };
            match &spec.csp {
                Named::Read(seen) if *seen != policy.csp => {
                    csp.differ(Detail::texts("csp", Some(&policy.csp), Some(seen)));
                    self.edits.push(Edit::Csp(seen.clone()));
                }
                Named::Absent => csp.differ(Detail::texts("csp", Some(&policy.csp), None)),
                _ => {}
            }
            points.push(point(
                Kind::Policy,
                "csp",
                csp,
                Some("as step 2 named it".into()),
            ));
            let mut bits = Seen {
                seen_in: vec![*seq],
                ..Seen::default()
            };
            let want = policy.key_bits.to_string();
            match &spec.key_bits {
                Named::Read(seen) if *seen != want => {
                    bits.differ(Detail::texts("key length", Some(&want), Some(seen)));
                    if let Ok(n) = seen.parse() {
                        self.edits.push(Edit::KeyBits(n));
                    }
                }
                Named::Absent => bits.differ(Detail::texts("key length", Some(&want), None)),
                _ => {}
            }
            points.push(point(
                Kind::Policy,
                "key length",
                bits,
                Some("as step 2 named it".into()),
            ));
        }
        points
    }
}

/// One value step 2 names: read from the page's markup, or only looked for in its text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Named {
    /// The page says it in a form this check reads (the component's `data-` attribute).
    Read(String),
    /// Not readable, but the profile's value is somewhere in the page.
    Present,
    /// Neither.
    Absent,
}

/// The CSP and key length step 2 names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeySpec {
    csp: Named,
    key_bits: Named,
}

impl KeySpec {
    /// From step 2's page: this site's component reads them from `data-csp` and
    /// `data-key-length` (component.js's contract); on another site's page (the real one's
    /// component takes them as its parameters) the profile's values are looked for instead.
    fn read(html: &str, policy: &mock_ca::profile::PolicyRules) -> Self {
        let attribute = |name: &str| {
            let key = format!(" data-{name}=\"");
            let start = html.find(&key)? + key.len();
            let end = html[start..].find('"')?;
            Some(text::decode_entities(&html[start..start + end]))
        };
        let or_present = |read: Option<String>, wanted: &str| match read {
            Some(value) => Named::Read(value),
            None if html.contains(wanted) => Named::Present,
            None => Named::Absent,
        };
        Self {
            csp: or_present(attribute("csp"), &policy.csp),
            key_bits: or_present(attribute("key-length"), &policy.key_bits.to_string()),
        }
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
    origins: Vec<String>,
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
        for origin in &origins {
            redactor.literal(*origin, "");
        }
        let origins: Vec<String> = origins.into_iter().map(str::to_owned).collect();
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
        Self { redactor, origins }
    }

    /// Markup with what varies replaced: in its texts as [`Normaliser::apply`] does, with the
    /// placeholders in brackets (`[date]`: `<date>` would be a tag); in its tags only the
    /// origins (links become relative).
    pub fn apply_html(&self, html: &str) -> String {
        static TAG: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").expect("a valid pattern"));
        static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"<([a-z0-9][a-z0-9 -]*)>|\{([a-z_]+)\}").expect("a valid pattern")
        });
        let text = |t: &str| {
            let t = self.apply(t);
            PLACEHOLDER
                .replace_all(&t, |c: &regex::Captures<'_>| {
                    format!("[{}]", c.get(1).or(c.get(2)).map_or("", |m| m.as_str()))
                })
                .into_owned()
        };
        let mut out = String::with_capacity(html.len());
        let mut last = 0;
        for tag in TAG.find_iter(html) {
            out.push_str(&text(&html[last..tag.start()]));
            let mut markup = tag.as_str().to_owned();
            for origin in &self.origins {
                markup = markup.replace(origin.as_str(), "");
            }
            out.push_str(&markup);
            last = tag.end();
        }
        out.push_str(&text(&html[last..]));
        out
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const SITE: &str = "https://site.example:8443";

    /// A page in the site's frame.
    fn page(title: &str, body: &str) -> String {
        format!(
            "<!doctype html><html><head><title>{title}</title><style>h1{{}}</style></head>\
             <body><header>証明書発行サイト</header><main><h1>{title}</h1>{body}</main></body></html>"
        )
    }

    /// An error page as the site writes one.
    fn error_page(id: &str, message: &str, remedy: &str) -> String {
        page(
            "エラー",
            &format!(
                "<div class=\"error\" id=\"error\" data-catalogue-id=\"{id}\">\
                 <p class=\"message\">{message}</p><p class=\"remedy\">{remedy}</p>\
                 <details id=\"support-details\"><summary>サポート用の情報 (support details)</summary></details></div>"
            ),
        )
    }

    fn entry(method: &str, path: &str, status: u16, mime: &str, text: &str) -> Value {
        json!({
            "startedDateTime": "2026-11-30T05:00:00.000Z", "time": 1, "_resourceType": "document",
            "request": {"method": method, "url": format!("{SITE}{path}"), "httpVersion": "h2",
                        "headers": [], "cookies": [], "queryString": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": status, "statusText": "", "httpVersion": "h2", "headers": [], "cookies": [],
                         "content": {"size": text.len(), "mimeType": mime, "text": text},
                         "redirectURL": "", "headersSize": -1, "bodySize": -1},
            "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0},
        })
    }

    fn recording(entries: Vec<Value>) -> Recording {
        Recording::parse(&json!({"log": {"version": "1.2", "entries": entries}}).to_string())
            .unwrap()
    }

    fn point<'d>(drift: &'d Drift, kind: Kind, name: &str) -> &'d Point {
        drift
            .points
            .iter()
            .find(|p| p.kind == kind && p.name == name)
            .unwrap_or_else(|| panic!("no {name}: {:#?}", drift.points))
    }

    /// Step 2 as this site's component reads it, or as another site's page says it in words.
    fn step2(section: &str) -> Value {
        let body = format!(
            "<section id=\"component\"{section}><p>「CSP」及び「Key 長」の表示を確認し、発行 ボタンを押します</p></section>"
        );
        entry(
            "POST",
            "/apply/ap-0001/login",
            200,
            "text/html",
            &page("証明書発行サイト【ステップ 2】", &body),
        )
    }

    #[test]
    fn a_csp_or_key_length_step_2_names_otherwise_is_drift_and_taken_into_the_profile() {
        let profile = Profile::default();
        let same = format!(
            " data-csp=\"{}\" data-key-length=\"{}\"",
            profile.policy.csp, profile.policy.key_bits
        );
        let found = check(&recording(vec![step2(&same)]), &profile);
        assert_eq!(point(&found, Kind::Policy, "csp").status, Status::Same);
        assert_eq!(
            point(&found, Kind::Policy, "key length").status,
            Status::Same
        );

        let other =
            " data-csp=\"Microsoft Software Key Storage Provider\" data-key-length=\"3072\"";
        let found = check(&recording(vec![step2(other)]), &profile);
        let csp = point(&found, Kind::Policy, "csp");
        assert_eq!(csp.status, Status::Changed, "{csp:#?}");
        assert_eq!(
            point(&found, Kind::Policy, "key length").status,
            Status::Changed
        );
        assert!(found.has_drift());
        let taken = crate::drift::profile_with_changes(&profile, &found);
        assert_eq!(taken.policy.csp, "Microsoft Software Key Storage Provider");
        assert_eq!(taken.policy.key_bits, 3072);

        // Another site's step 2, its values in words: the profile's present is the same, absent
        // is a change nothing can be taken from.
        let words = format!("><p>CSP: {} / Key 長: 2048</p", profile.policy.csp);
        let found = check(
            &recording(vec![step2(&words.replace("><p>", " hidden><p>"))]),
            &profile,
        );
        assert_eq!(point(&found, Kind::Policy, "csp").status, Status::Same);
        let found = check(&recording(vec![step2("")]), &profile);
        assert_eq!(point(&found, Kind::Policy, "csp").status, Status::Changed);
        let taken = crate::drift::profile_with_changes(&profile, &found);
        assert_eq!(taken.policy.csp, profile.policy.csp);
    }

    #[test]
    fn each_kind_of_drift_is_found_in_a_recording_made_by_hand() {
        let mut profile = Profile::default();
        profile.page.push(mock_ca::profile::ExtraPage {
            path: "/faq".into(),
            title: "よくある質問".into(),
            template: "top.html".into(),
            linked_from: vec![],
            identify: vec![],
        });
        let auth = profile.message["AUTH-FAILED"].clone();
        let top = page(
            "証明書発行サイト",
            "<p>このサイトは稼働しています。</p><a href=\"/notice\">お知らせ</a>",
        );
        let recorded = recording(vec![
            entry("GET", "/", 200, "text/html; charset=utf-8", &top),
            entry("GET", "/notice", 200, "text/html", &page("お知らせ", "<p>2026年12月1日 09:00 から新しい手順です。</p>")),
            entry("GET", "/faq", 404, "text/html", &error_page("NOT-FOUND", "お探しのページは見つかりませんでした", &profile.message["NOT-FOUND"].remedy.clone().unwrap())),
            // Reworded, and answered with another status.
            entry("POST", "/apply/ap-0001/login", 403, "text/html", &error_page("AUTH-FAILED", "パスワードが違います", auth.remedy.as_deref().unwrap())),
            entry("POST", "/apply/ap-0001/issue", 422, "application/json", &json!({"error": {
                "id": "ENV-SUPPORTED", "message": "正式サポート OS は、Windows 11 です。",
                "remedy": profile.message["ENV-SUPPORTED"].remedy, "supported": ["windows 11", "linux", "macos"]}}).to_string()),
            entry("GET", "/favicon.ico", 404, "text/html", &error_page("NOT-FOUND", "x", "y")),
            entry("GET", "/apply/ap-0002", 503, "text/html", &error_page("SITE-CLOSED", "ただいまメンテナンス中です", "しばらくお待ちください")),
        ]);
        let found = check(&recorded, &profile);
        assert!(found.has_drift());
        assert_eq!(point(&found, Kind::Screen, "top").status, Status::Same);
        let notice = point(&found, Kind::Page, "/notice");
        assert_eq!(notice.status, Status::New);
        assert_eq!(notice.note.as_deref(), Some("linked from top"));
        assert_eq!(point(&found, Kind::Page, "/faq").status, Status::Gone);
        let auth = point(&found, Kind::Message, "AUTH-FAILED");
        assert_eq!(auth.status, Status::Changed);
        let fields: Vec<&str> = auth.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["message", "status"]);
        assert_eq!(auth.details[1].expected.as_deref(), Some("401"));
        let env = point(&found, Kind::Message, "ENV-SUPPORTED");
        assert_eq!(
            text::plain(&env.details[0].diff),
            "正式サポート OS は、Windows [-10 および Windows -]11 です。"
        );
        let platforms = point(&found, Kind::Policy, "platforms");
        assert_eq!(
            text::plain(&platforms.details[0].diff),
            "[-windows 10-], windows 11, linux, macos"
        );
        // The favicon's answer is not a page a person saw.
        assert_eq!(point(&found, Kind::Message, "NOT-FOUND").seen_in, [3]);
        assert_eq!(
            point(&found, Kind::Screen, "step1").status,
            Status::NotVisited
        );
        let closed = point(&found, Kind::Message, "SITE-CLOSED");
        assert_eq!(closed.status, Status::New);
        assert_eq!(
            closed.details[0].seen.as_deref(),
            Some("ただいまメンテナンス中です")
        );

        // Taken in: the new page with its template (its date made a placeholder), the gone page
        // out, the words and the platforms as seen.
        let taken = crate::drift::profile_with_changes(&profile, &found);
        let notice = taken.page.iter().find(|p| p.path == "/notice").unwrap();
        assert_eq!(
            (notice.title.as_str(), notice.linked_from.as_slice()),
            ("お知らせ", &["top".to_owned()][..])
        );
        let template = &taken.templates[&notice.template];
        assert!(
            template.contains("{% extends \"base.html\" %}")
                && template.contains("[date] から新しい手順です。"),
            "{template}"
        );
        assert!(!template.contains("<h1>"), "{template}");
        assert_eq!(notice.identify, ["[date] から新しい手順です。"]);
        assert!(taken.page.iter().all(|p| p.path != "/faq"));
        assert_eq!(
            taken.message["SITE-CLOSED"].text,
            "ただいまメンテナンス中です"
        );
        assert_eq!(
            taken.message["SITE-CLOSED"].remedy.as_deref(),
            Some("しばらくお待ちください")
        );
        assert_eq!(taken.message["AUTH-FAILED"].text, "パスワードが違います");
        assert_eq!(
            taken.message["AUTH-FAILED"].identify,
            ["パスワードが違います"]
        );
        assert_eq!(
            taken.message["ENV-SUPPORTED"].text,
            "正式サポート OS は、Windows 11 です。"
        );
        assert_eq!(taken.policy.platforms, ["windows 11", "linux", "macos"]);
    }

    #[test]
    fn another_sites_error_page_without_ids_is_matched_by_its_texts() {
        let profile = Profile::default();
        let message = &profile.message["NO-VALID-REQUEST"];
        let html = format!(
            "<html><head><title>証明書発行</title></head><body><h2>ご案内</h2><p>{}</p></body></html>",
            message.text
        );
        let found = check(
            &recording(vec![entry(
                "POST",
                "/apply/X7Q9/login",
                410,
                "text/html",
                &html,
            )]),
            &profile,
        );
        let seen = point(&found, Kind::Message, "NO-VALID-REQUEST");
        assert_eq!(seen.status, Status::Changed, "{seen:#?}");
        // Its message is there; its remedy is not.
        let fields: Vec<&str> = seen.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["remedy"]);
        assert_eq!(
            point(&found, Kind::Screen, "step2").status,
            Status::NotVisited
        );
    }

    #[test]
    fn what_varies_between_recordings_is_made_fixed() {
        let recorded = recording(vec![entry("GET", "/apply/ap-0042", 200, "text/html", "")]);
        let normaliser = Normaliser::new(&recorded, &Profile::default());
        assert_eq!(
            normaliser.apply(&format!(
                "{SITE}/apply/ap-0042 2026年11月30日 08:13 session=SenMriBfa5eNeUxESFwYd2WoN17Ps5SN 2026-11-30T08:13:00+09:00"
            )),
            "/apply/{application} <date> session=<token> <time>"
        );
    }
}
