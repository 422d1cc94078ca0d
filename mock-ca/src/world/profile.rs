//! The site profile: everything the site shows or decides that a new version of the guide could
//! change, in one directory a person edits without writing Rust: `profile.toml` (the words of
//! every id, the screens and how a recording is matched to them, the mails, the policy) and
//! `templates/*.html` (the pages).
//!
//! The guide v3.10's profile is the default, embedded from `mock-ca/profile/`. A refusal keeps
//! its id and HTTP status in Rust (the protocol); its words come from here.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    sync::{Arc, LazyLock},
};

use serde::{Deserialize, Serialize};
use time::{Duration, Time, macros::format_description};

use crate::{
    enrollment::application::Kind, enrollment::processing::Calendar, enrollment::refusal,
    enrollment::registration::Policy, enrollment::request::KeyDescription,
};

/// The default profile's `profile.toml`, embedded: a fresh clone needs no file beside the binary.
const DEFAULT_TOML: &str = include_str!("../../profile/profile.toml");

/// The default profile's templates, embedded.
const DEFAULT_TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../profile/templates/base.html"),
    ),
    (
        "certificate.html",
        include_str!("../../profile/templates/certificate.html"),
    ),
    (
        "component.html",
        include_str!("../../profile/templates/component.html"),
    ),
    (
        "confirm.html",
        include_str!("../../profile/templates/confirm.html"),
    ),
    (
        "confirmation_top.html",
        include_str!("../../profile/templates/confirmation_top.html"),
    ),
    (
        "documents.html",
        include_str!("../../profile/templates/documents.html"),
    ),
    (
        "error.html",
        include_str!("../../profile/templates/error.html"),
    ),
    (
        "issued.html",
        include_str!("../../profile/templates/issued.html"),
    ),
    (
        "mailbox.html",
        include_str!("../../profile/templates/mailbox.html"),
    ),
    (
        "mail.html",
        include_str!("../../profile/templates/mail.html"),
    ),
    (
        "repository.html",
        include_str!("../../profile/templates/repository.html"),
    ),
    (
        "step1.html",
        include_str!("../../profile/templates/step1.html"),
    ),
    (
        "step2.html",
        include_str!("../../profile/templates/step2.html"),
    ),
    (
        "step3.html",
        include_str!("../../profile/templates/step3.html"),
    ),
    (
        "step4.html",
        include_str!("../../profile/templates/step4.html"),
    ),
    ("top.html", include_str!("../../profile/templates/top.html")),
];

/// The screens the site renders, by name: a profile must describe each.
pub const SCREENS: &[&str] = &[
    "top",
    "repository",
    "step1",
    "step2",
    "step3",
    "issued",
    "step4",
    "confirmation_top",
    "confirm",
    "documents",
    "error",
    "mailbox",
    "mail",
];

/// The labels the templates and the site use: a profile must give each.
pub const LABELS: &[&str] = &[
    "login",
    "issue",
    "root_install",
    "client_install",
    "complete",
    "back_top",
    "back_step_one",
    "back_mailbox",
    "to_issuance_site",
    "to_confirmation_site",
    "to_confirmation_top",
];

/// The ids whose words the site shows beside the refusals': the mails' subjects and the notices
/// of the repository, confirmation and download pages.
pub const TEXT_IDS: &[&str] = &[
    "MAIL-URL",
    "MAIL-PASSWORD",
    "MAIL-REMINDER",
    "REPOSITORY-PAGE",
    "CONFIRM-SITE-LISTING",
    "DATA-DECRYPT",
];

/// Paths the site serves itself, which an extra page cannot take.
const RESERVED_PATHS: &[&str] = &[
    "/",
    "/repository",
    "/repository/root.cer",
    "/mailbox",
    "/confirm",
    "/documents",
    "/admin",
];

/// Path prefixes the site serves itself.
const RESERVED_PREFIXES: &[&str] = &["/apply/", "/assets/", "/mailbox/", "/documents/", "/admin/"];

/// Placeholders a mail body may hold.
const MAIL_PLACEHOLDERS: &[&str] = &["name", "site", "url", "password", "password_label"];

/// A site profile. Fields are public so that a tool can read the rules and write a changed
/// profile (`harness drift --write-profile`); [`Profile::load`] checks what it reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Profile {
    /// `[profile]`: which guide it follows.
    pub profile: About,
    /// `[sites]`: the sites' names.
    pub sites: Sites,
    /// `[policy]`: what the site requires and decides.
    pub policy: PolicyRules,
    /// `[platform_names]`: how pages write a platform of `policy.platforms`.
    #[serde(default)]
    pub platform_names: BTreeMap<String, String>,
    /// `[labels]`: buttons and links ([`LABELS`]).
    pub labels: BTreeMap<String, String>,
    /// `[mail.*]`: the mails' bodies.
    pub mail: Mails,
    /// `[screen.NAME]`: each screen the site serves ([`SCREENS`]).
    pub screen: BTreeMap<String, Screen>,
    /// `[message.ID]`: each id's words.
    pub message: BTreeMap<String, Message>,
    /// `[[page]]`: extra pages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub page: Vec<ExtraPage>,
    /// The templates, by file name (`templates/NAME` in the directory).
    #[serde(skip)]
    pub templates: BTreeMap<String, String>,
    /// The text `profile.toml` was read from, written back as it was (comments and all) when
    /// nothing changed since.
    #[serde(skip)]
    source: Option<String>,
}

/// `[profile]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct About {
    /// A short name, e.g. `guide-v3.10`.
    pub name: String,
    /// The guide's version the profile follows, e.g. `3.10`.
    pub guide: String,
    /// What it is, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `[sites]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sites {
    /// 証明書発行サイト
    pub issuance: String,
    /// 証明書更新サイト (a renewal's issuance site)
    pub renewal: String,
    /// 証明書確認サイト
    pub confirmation: String,
}

/// `[policy]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRules {
    /// The key provider step 2 names.
    pub csp: String,
    /// The key algorithm step 2 names (`RSA`).
    pub key_algorithm: String,
    /// The key length step 2 names.
    pub key_bits: usize,
    /// How long an issued certificate is valid, in days.
    pub validity_days: i64,
    /// What the enrollment component may declare, lower case.
    pub platforms: Vec<String>,
    /// Whether steps 2 and 3 need the enrollment component.
    pub component_required: bool,
    /// The back office's cut-off, `HH:MM` Japan time.
    pub cutoff: String,
    /// When a processing day starts, `HH:MM`.
    pub opening: String,
    /// Days between reminders; 0: never.
    pub reminder_days: i64,
}

/// `[mail]`: the bodies of the three mails (their subjects are the texts of MAIL-URL,
/// MAIL-PASSWORD and MAIL-REMINDER).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mails {
    /// MAIL-URL
    pub url: MailText,
    /// MAIL-PASSWORD
    pub password: PasswordMail,
    /// MAIL-REMINDER
    pub reminder: MailText,
}

/// A mail's body, with placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailText {
    /// The body.
    pub body: String,
}

/// The password mail's body, and the line the password follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordMail {
    /// The line before the password (`認証情報パスワード:`).
    pub password_label: String,
    /// The body.
    pub body: String,
}

/// A screen the site serves, and how a recorded exchange is matched to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screen {
    /// Which site serves it: `issuance`, `confirmation`, or `any` (the error page).
    pub site: String,
    /// The requests it answers, `METHOD /path` with `{placeholder}` segments.
    pub requests: Vec<String>,
    /// Its title (the page's h1), with `{site}`, `{issuance}`, `{confirmation}`.
    pub title: String,
    /// Its template, in `templates/`.
    pub template: String,
    /// Other texts on it that identify it.
    #[serde(default)]
    pub identify: Vec<String>,
    /// The catalogue ids it shows.
    #[serde(default)]
    pub ids: Vec<String>,
}

/// An id's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// The message (the guide's, verbatim, where it has one).
    pub text: String,
    /// What the customer can do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// What an error page says first, where `text` is for programs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// A plain word beside the guide's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Texts that identify it in a recorded page or answer.
    #[serde(default)]
    pub identify: Vec<String>,
}

/// `[[page]]`: an extra page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraPage {
    /// Its path on the issuance site, e.g. `/notice`.
    pub path: String,
    /// Its title (h1), also the link's text.
    pub title: String,
    /// Its template, in `templates/`, extending `base.html`.
    pub template: String,
    /// The screens that link to it (e.g. `top`).
    #[serde(default)]
    pub linked_from: Vec<String>,
    /// Other texts on it that identify it.
    #[serde(default)]
    pub identify: Vec<String>,
}

/// A profile that cannot be read, checked or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// A file of the profile cannot be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `profile.toml` is not TOML of the profile's shape (an unknown key included).
    #[error("{}:{line}:{column}: {message}", file.display())]
    Syntax {
        /// The file.
        file: PathBuf,
        /// Where (1-based).
        line: usize,
        /// Where (1-based).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// `profile.toml` reads but does not make sense (a missing id, a bad time of day…).
    #[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Where, if it can be told.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A template does not parse, or one a screen names is missing.
    #[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Template {
        /// The template's file.
        file: PathBuf,
        /// Where, if it can be told.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The profile cannot be written.
    #[error("{}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl ProfileError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Read { .. } => "PROFILE-READ",
            Self::Syntax { .. } => "PROFILE-SYNTAX",
            Self::Invalid { .. } => "PROFILE-INVALID",
            Self::Template { .. } => "PROFILE-TEMPLATE",
            Self::Write { .. } => "PROFILE-WRITE",
        }
    }
}

/// The default profile, parsed once.
static DEFAULT: LazyLock<Arc<Profile>> = LazyLock::new(|| {
    let templates = DEFAULT_TEMPLATES
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    // Invariant: the embedded profile is checked by this module's tests (and by every test that
    // starts a site), so it cannot fail at run time.
    let profile = Profile::parse(Path::new("profile.toml"), DEFAULT_TOML, templates)
        .expect("the embedded default profile is valid");
    Arc::new(profile)
});

/// Two profiles are equal when they say the same: the text they were read from aside.
impl PartialEq for Profile {
    fn eq(&self, other: &Self) -> bool {
        self.same_fields(other) && self.templates == other.templates
    }
}

impl Eq for Profile {}

impl Default for Profile {
    /// The guide v3.10's profile, embedded.
    fn default() -> Self {
        DEFAULT.as_ref().clone()
    }
}

impl Profile {
    /// The default profile, shared.
    pub(crate) fn shared_default() -> Arc<Self> {
        DEFAULT.clone()
    }

    /// The default profile, for words that outlive any site (`Refusal::message`).
    pub(crate) fn default_ref() -> &'static Self {
        &DEFAULT
    }

    /// Reads and checks the profile in `dir` (`profile.toml`, `templates/*.html`).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, ProfileError> {
        let dir = dir.as_ref();
        let file = dir.join("profile.toml");
        let text = std::fs::read_to_string(&file).map_err(|source| ProfileError::Read {
            path: file.clone(),
            source,
        })?;
        let templates_dir = dir.join("templates");
        let read_dir = |source| ProfileError::Read {
            path: templates_dir.clone(),
            source,
        };
        let mut templates = BTreeMap::new();
        for entry in std::fs::read_dir(&templates_dir).map_err(read_dir)? {
            let path = entry.map_err(read_dir)?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !name.ends_with(".html") || !path.is_file() {
                continue;
            }
            let source = std::fs::read_to_string(&path).map_err(|source| ProfileError::Read {
                path: path.clone(),
                source,
            })?;
            templates.insert(name.to_owned(), source);
        }
        Self::parse(&file, &text, templates)
    }

    /// Parses `text` (read from `file`, named in errors) with `templates`, and checks it.
    fn parse(
        file: &Path,
        text: &str,
        templates: BTreeMap<String, String>,
    ) -> Result<Self, ProfileError> {
        let mut profile: Self = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map_or((1, 1), |span| line_and_column(text, span.start));
            ProfileError::Syntax {
                file: file.to_owned(),
                line,
                column,
                message: e.message().to_owned(),
            }
        })?;
        profile.templates = templates;
        profile.source = Some(text.to_owned());
        profile.check(file, text)?;
        Ok(profile)
    }

    /// What TOML's shape cannot say: every screen, label and id the site uses is there, times
    /// are times, placeholders are known, templates parse.
    fn check(&self, file: &Path, text: &str) -> Result<(), ProfileError> {
        let invalid = |needle: &str, message: String| ProfileError::Invalid {
            file: file.to_owned(),
            line: line_of(text, needle),
            message,
        };
        self.policy().map_err(|(key, why)| invalid(key, why))?;
        for name in SCREENS {
            if !self.screen.contains_key(*name) {
                return Err(invalid("[screen", format!("[screen.{name}] is missing")));
            }
        }
        for (name, screen) in &self.screen {
            let header = format!("[screen.{name}]");
            if !SCREENS.contains(&name.as_str()) {
                return Err(invalid(
                    &header,
                    format!("{header}: no such screen (the site serves {SCREENS:?})"),
                ));
            }
            if !["issuance", "confirmation", "any"].contains(&screen.site.as_str()) {
                return Err(invalid(
                    &header,
                    format!(
                        "{header} site = {:?}: issuance, confirmation or any",
                        screen.site
                    ),
                ));
            }
            for request in &screen.requests {
                parse_request(request).map_err(|why| invalid(request, why))?;
            }
            self.check_template(&screen.template)
                .map_err(|why| invalid(&header, format!("{header}: {why}")))?;
        }
        for label in LABELS {
            if !self.labels.contains_key(*label) {
                return Err(invalid("[labels]", format!("[labels] {label} is missing")));
            }
        }
        let ids = refusal::IDS
            .iter()
            .chain(&["FAULT-INJECTED", "ADMIN-UNAUTHORIZED"])
            .chain(TEXT_IDS);
        for id in ids {
            match self.message.get(*id) {
                None => {
                    return Err(invalid("[message", format!("[message.{id}] is missing")));
                }
                Some(message) if refusal::IDS.contains(id) && message.remedy.is_none() => {
                    return Err(invalid(
                        &format!("[message.{id}]"),
                        format!("[message.{id}] has no remedy: every refusal has one"),
                    ));
                }
                Some(_) => {}
            }
        }
        for (which, body) in [
            ("url", &self.mail.url.body),
            ("password", &self.mail.password.body),
            ("reminder", &self.mail.reminder.body),
        ] {
            for placeholder in placeholders(body) {
                if !MAIL_PLACEHOLDERS.contains(&placeholder) {
                    return Err(invalid(
                        &format!("[mail.{which}]"),
                        format!(
                            "[mail.{which}] body: unknown placeholder {{{placeholder}}} (known: {MAIL_PLACEHOLDERS:?})"
                        ),
                    ));
                }
            }
        }
        if !self.mail.password.body.contains("{password}") {
            return Err(invalid(
                "[mail.password]",
                "[mail.password] body: no {password}".into(),
            ));
        }
        let screens_paths: BTreeSet<&str> = self
            .screen
            .values()
            .filter(|s| s.site != "confirmation")
            .flat_map(|s| s.requests.iter())
            .filter_map(|r| r.strip_prefix("GET "))
            .collect();
        let mut pages = BTreeSet::new();
        for page in &self.page {
            let at = |why: String| invalid(&format!("\"{}\"", page.path), why);
            let plain = page.path.len() > 1
                && page.path.starts_with('/')
                && page
                    .path
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c));
            if !plain {
                return Err(at(format!(
                    "[[page]] path = {:?}: a fixed path starting with / (letters, digits, / - _ .)",
                    page.path
                )));
            }
            let taken = screens_paths.contains(page.path.as_str())
                || RESERVED_PATHS.contains(&page.path.as_str())
                || RESERVED_PREFIXES.iter().any(|p| page.path.starts_with(p));
            if taken || !pages.insert(page.path.as_str()) {
                return Err(at(format!(
                    "[[page]] path = {:?} is a path the site already serves",
                    page.path
                )));
            }
            for screen in &page.linked_from {
                if !self.screen.contains_key(screen) {
                    return Err(at(format!(
                        "[[page]] {}: linked_from names no screen {screen:?}",
                        page.path
                    )));
                }
            }
            self.check_template(&page.template)
                .map_err(|why| at(format!("[[page]] {}: {why}", page.path)))?;
        }
        self.compile().map(|_| ())
    }

    fn check_template(&self, name: &str) -> Result<(), String> {
        if self.templates.contains_key(name) {
            Ok(())
        } else {
            Err(format!("template {name} is not in templates/"))
        }
    }

    /// The templates, compiled (filters and globals are the pages' to add).
    pub(crate) fn compile(&self) -> Result<minijinja::Environment<'static>, ProfileError> {
        let mut env = minijinja::Environment::new();
        for (name, source) in &self.templates {
            env.add_template_owned(name.clone(), source.clone())
                .map_err(|e| ProfileError::Template {
                    file: PathBuf::from("templates").join(name),
                    line: e.line(),
                    message: e.to_string(),
                })?;
        }
        Ok(env)
    }

    /// Writes the profile to `dir` (made if missing): `profile.toml` and `templates/`. Each file
    /// is written whole or not at all; a directory that already holds a profile is refused.
    pub fn export(&self, dir: impl AsRef<Path>) -> Result<(), ProfileError> {
        let dir = dir.as_ref();
        let file = dir.join("profile.toml");
        if file.exists() {
            return Err(ProfileError::Write {
                path: file,
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "a profile is already there; export into a new directory",
                ),
            });
        }
        let templates_dir = dir.join("templates");
        std::fs::create_dir_all(&templates_dir).map_err(|source| ProfileError::Write {
            path: templates_dir.clone(),
            source,
        })?;
        for (name, source) in &self.templates {
            write_atomically(&templates_dir.join(name), source)?;
        }
        write_atomically(&file, &self.to_toml()?)
    }

    /// `profile.toml`'s text: as it was read when nothing changed since (comments kept), else
    /// written out from the fields.
    pub fn to_toml(&self) -> Result<String, ProfileError> {
        if let Some(source) = &self.source
            && toml::from_str::<Self>(source).is_ok_and(|read| self.same_fields(&read))
        {
            return Ok(source.clone());
        }
        toml::to_string_pretty(self).map_err(|e| ProfileError::Write {
            path: PathBuf::from("profile.toml"),
            source: std::io::Error::other(e.to_string()),
        })
    }

    /// Whether the two say the same in `profile.toml` (templates aside).
    fn same_fields(&self, other: &Self) -> bool {
        let Self {
            profile,
            sites,
            policy,
            platform_names,
            labels,
            mail,
            screen,
            message,
            page,
            templates: _,
            source: _,
        } = self;
        *profile == other.profile
            && *sites == other.sites
            && *policy == other.policy
            && *platform_names == other.platform_names
            && *labels == other.labels
            && *mail == other.mail
            && *screen == other.screen
            && *message == other.message
            && *page == other.page
    }

    /// Checks the profile again, as [`Profile::load`] does: for one changed through its fields
    /// (the site checks the profile it is given at start).
    pub fn validate(&self) -> Result<(), ProfileError> {
        let text = match &self.source {
            Some(source) => source.clone(),
            None => self.to_toml()?,
        };
        self.check(Path::new("profile.toml"), &text)
    }

    /// What the site requires and decides, from `[policy]`. A profile that was loaded (or
    /// [validated](Profile::validate)) reads; for one whose `[policy]` was since broken through
    /// its fields, the default profile's.
    pub fn site_policy(&self) -> Policy {
        self.policy().unwrap_or_else(|_| DEFAULT.site_policy())
    }

    /// `[policy]` as the site's [`Policy`], or the key at fault and why.
    fn policy(&self) -> Result<Policy, (&'static str, String)> {
        let rules = &self.policy;
        let time = |key: &'static str, value: &str| {
            Time::parse(value, format_description!("[hour]:[minute]"))
                .map_err(|_| (key, format!("[policy] {key} = {value:?} is not HH:MM")))
        };
        if rules.key_bits == 0 {
            return Err(("key_bits", "[policy] key_bits must be over 0".into()));
        }
        if rules.validity_days <= 0 {
            return Err((
                "validity_days",
                "[policy] validity_days must be over 0".into(),
            ));
        }
        if rules.reminder_days < 0 {
            return Err((
                "reminder_days",
                "[policy] reminder_days must be 0 (never) or more".into(),
            ));
        }
        Ok(Policy {
            csp: rules.csp.clone(),
            key: KeyDescription {
                algorithm: rules.key_algorithm.clone(),
                bits: rules.key_bits,
            },
            validity: Duration::days(rules.validity_days),
            calendar: Calendar {
                cutoff: time("cutoff", &rules.cutoff)?,
                opening: time("opening", &rules.opening)?,
            },
            reminder_interval: (rules.reminder_days > 0)
                .then(|| Duration::days(rules.reminder_days)),
            platforms: rules
                .platforms
                .iter()
                .map(|p| p.to_ascii_lowercase())
                .collect(),
            component_required: rules.component_required,
        })
    }

    /// The words of `id`; `None` for an id the profile does not know.
    pub fn message(&self, id: &str) -> Option<&Message> {
        self.message.get(id)
    }

    /// The text of `id` (empty for an id the profile does not know: checked at load for every id
    /// the site uses).
    pub fn text(&self, id: &str) -> &str {
        self.message.get(id).map_or("", |m| m.text.as_str())
    }

    /// A label of `[labels]` (checked at load for every one the site uses).
    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).map_or("", String::as_str)
    }

    /// The name of the site an application of `kind` uses.
    pub fn site_name(&self, kind: Kind) -> &str {
        match kind {
            Kind::New => &self.sites.issuance,
            Kind::Renewal => &self.sites.renewal,
        }
    }

    /// How pages write `platform`.
    pub fn platform_name(&self, platform: &str) -> String {
        self.platform_names
            .get(platform)
            .cloned()
            .unwrap_or_else(|| platform.to_owned())
    }

    /// A screen of [`SCREENS`] (checked at load for each).
    pub fn screen(&self, name: &str) -> Option<&Screen> {
        self.screen.get(name)
    }

    /// The title of screen `name` on a page of the site `site_name` (`{site}`).
    pub fn title(&self, name: &str, site_name: &str) -> String {
        self.screen
            .get(name)
            .map(|s| s.title_on(&self.sites, site_name))
            .unwrap_or_default()
    }

    /// The screens whose requests match `method` and `path`, by name.
    pub fn screens_for(&self, method: &str, path: &str) -> Vec<(&str, &Screen)> {
        self.screen
            .iter()
            .filter(|(_, s)| s.answers(method, path))
            .map(|(name, s)| (name.as_str(), s))
            .collect()
    }

    /// The ids any of whose identifying texts `text` holds.
    pub fn ids_in(&self, text: &str) -> Vec<&str> {
        self.message
            .iter()
            .filter(|(_, m)| {
                m.identify
                    .iter()
                    .any(|t| !t.is_empty() && text.contains(t.as_str()))
            })
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// A body of `[mail]` with its placeholders filled in.
    pub(crate) fn mail_body(body: &str, fill: &[(&str, &str)]) -> String {
        let mut out = body.to_owned();
        for (name, value) in fill {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

impl Screen {
    /// Its title on a page of the site `site_name` (what `{site}` stands for).
    pub fn title_on(&self, sites: &Sites, site_name: &str) -> String {
        self.title
            .replace("{site}", site_name)
            .replace("{issuance}", &sites.issuance)
            .replace("{confirmation}", &sites.confirmation)
    }

    /// Every title it can have: `{site}` as the issuance and the renewal site.
    pub fn titles(&self, sites: &Sites) -> Vec<String> {
        let mut titles = vec![self.title_on(sites, &sites.issuance)];
        let renewal = self.title_on(sites, &sites.renewal);
        if !titles.contains(&renewal) {
            titles.push(renewal);
        }
        titles
    }

    /// Whether one of its requests is `method` on `path`.
    pub fn answers(&self, method: &str, path: &str) -> bool {
        self.requests.iter().any(|r| {
            parse_request(r).is_ok_and(|(m, pattern)| {
                m.eq_ignore_ascii_case(method) && pattern_matches(pattern, path)
            })
        })
    }
}

/// `METHOD /path` → its two parts.
fn parse_request(request: &str) -> Result<(&str, &str), String> {
    match request.split_once(' ') {
        Some((method, path))
            if !method.is_empty()
                && method.chars().all(|c| c.is_ascii_uppercase())
                && path.starts_with('/') =>
        {
            Ok((method, path))
        }
        _ => Err(format!(
            "request {request:?} is not `METHOD /path` (e.g. \"GET /apply/{{application}}\")"
        )),
    }
}

/// Whether `path` (its query, if any, ignored) matches `pattern`, whose `{name}` segments stand
/// for any one non-empty segment.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut want = pattern.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(h)) => {
                let placeholder = w.starts_with('{') && w.ends_with('}');
                if !(placeholder && !h.is_empty() || w == h) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The `{name}` placeholders of a text.
fn placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        rest = &rest[start + 1..];
        if let Some(end) = rest.find('}') {
            let name = &rest[..end];
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                found.push(name);
            }
            rest = &rest[end + 1..];
        }
    }
    found
}

/// The 1-based line and column of byte `offset` of `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before, |i| &before[i + 1..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The first line of `text` that holds `needle`, if any: where an error is pointed at.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            !l.starts_with('#') && l.contains(needle)
        })
        .map(|i| i + 1)
}

/// Writes `text` to `path` whole or not at all: a temporary file beside it, then a rename.
fn write_atomically(path: &Path, text: &str) -> Result<(), ProfileError> {
    use std::io::Write as _;
    let fail = |source| ProfileError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)?;
    file.as_file().sync_all().map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests;
