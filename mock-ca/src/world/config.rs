//! The `mock-ca serve --config FILE` file: the site's policy and the applications to file at start.
//!
//! ```toml
//! admin_token = "secret"            # optional; random otherwise
//! [site]
//! profile = "profiles/v3.11"        # optional: a site profile directory, relative to this file
//! [policy]                          # each key overrides the profile's [policy]
//! csp = "Microsoft Enhanced RSA and AES Cryptographic Provider"
//! key_length = 2048
//! validity_days = 730
//! platforms = ["windows", "linux", "macos"]  # what the enrollment component may declare
//! [mail]
//! auto_approve = false              # the back office approves filed applications by itself
//! cutoff = "14:00"                  # filed at or after it: mails on the next processing day
//! opening = "09:00"                 # when a processing day (Mon-Fri, Japan time) starts
//! reminder_days = 7                 # 電子証明書発行手続きのお願い every 7 days; 0: never
//! smtp = "smtp://127.0.0.1:2525"    # optional: deliver every mail to this server too
//! [[application]]
//! applicant = "山田 太郎"
//! email = "taro@example.jp"
//! subject = [["C", "JP"], ["O", "Example Securities"], ["CN", "Taro Yamada"]]
//! kind = "new"                      # or "renewal"
//! approve = true                    # send its mails at start
//! ```

use serde::Deserialize;
use time::{Duration, Time, macros::format_description};

use crate::{
    enrollment::application::{ApplicationForm, Kind, Subject},
    enrollment::registration::Policy,
    enrollment::request::KeyDescription,
};

/// The configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The admin API's bearer token.
    pub admin_token: Option<String>,
    /// The site: its profile.
    #[serde(default)]
    pub site: SiteConfig,
    /// What the site requires and decides.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// The mails: schedule, reminders, delivery.
    #[serde(default)]
    pub mail: MailConfig,
    /// Applications to file at start.
    #[serde(default, rename = "application")]
    pub applications: Vec<ApplicationConfig>,
}

/// `[site]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// A site profile directory (`mock-ca profile export`), relative to the config file.
    pub profile: Option<std::path::PathBuf>,
}

/// `[mail]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// The back office approves filed applications by itself, on its schedule.
    #[serde(default)]
    pub auto_approve: bool,
    /// The cut-off, `HH:MM` Japan time (default 14:00).
    pub cutoff: Option<String>,
    /// The start of a processing day, `HH:MM` (default 09:00).
    pub opening: Option<String>,
    /// Days between reminders; 0 turns them off (default 7).
    pub reminder_days: Option<i64>,
    /// An SMTP server to deliver every mail to, `smtp://host:port`.
    pub smtp: Option<String>,
}

/// The configuration does not make sense.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not TOML of this shape.
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    /// A time of day that is not `HH:MM`.
    #[error("[mail] {field} = {value:?} is not HH:MM")]
    Time {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
    },
}

/// `[policy]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// The CSP step 2 names.
    pub csp: Option<String>,
    /// The RSA key length step 2 names.
    pub key_length: Option<usize>,
    /// Validity of issued certificates, in days.
    pub validity_days: Option<i64>,
    /// The platforms the enrollment component may declare.
    pub platforms: Option<Vec<String>>,
}

/// `[[application]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationConfig {
    /// The applicant's name.
    pub applicant: String,
    /// Where the mails go.
    pub email: String,
    /// The certificate subject.
    pub subject: Subject,
    /// New or renewal.
    #[serde(default)]
    pub kind: Kind,
    /// Approve at start.
    #[serde(default)]
    pub approve: bool,
}

impl Config {
    /// Parses the TOML text, and checks what TOML cannot.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text)?;
        config.policy()?;
        Ok(config)
    }

    /// The policy, the default profile's filled in where the file says nothing.
    pub fn policy(&self) -> Result<Policy, ConfigError> {
        self.policy_over(Policy::default())
    }

    /// The policy, `base` (the site profile's) filled in where the file says nothing.
    pub fn policy_over(&self, base: Policy) -> Result<Policy, ConfigError> {
        let mut policy = base;
        let time =
            |field: &'static str, value: &Option<String>| -> Result<Option<Time>, ConfigError> {
                value
                    .as_deref()
                    .map(|v| {
                        Time::parse(v, format_description!("[hour]:[minute]")).map_err(|_| {
                            ConfigError::Time {
                                field,
                                value: v.to_owned(),
                            }
                        })
                    })
                    .transpose()
            };
        if let Some(cutoff) = time("cutoff", &self.mail.cutoff)? {
            policy.calendar.cutoff = cutoff;
        }
        if let Some(opening) = time("opening", &self.mail.opening)? {
            policy.calendar.opening = opening;
        }
        if let Some(days) = self.mail.reminder_days {
            policy.reminder_interval = (days > 0).then(|| Duration::days(days));
        }
        if let Some(platforms) = &self.policy.platforms {
            policy.platforms = platforms.iter().map(|p| p.to_ascii_lowercase()).collect();
        }
        if let Some(csp) = &self.policy.csp {
            policy.csp.clone_from(csp);
        }
        if let Some(bits) = self.policy.key_length {
            policy.key = KeyDescription {
                algorithm: "RSA".into(),
                bits,
            };
        }
        if let Some(days) = self.policy.validity_days {
            policy.validity = Duration::days(days);
        }
        Ok(policy)
    }
}

impl ApplicationConfig {
    /// The application form.
    pub fn form(&self) -> ApplicationForm {
        ApplicationForm {
            applicant: self.applicant.clone(),
            email: self.email.clone(),
            subject: self.subject.clone(),
            kind: self.kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let text = include_str!("config.rs")
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        let config = Config::parse(&text).unwrap();
        assert_eq!(config.applications.len(), 1);
        assert!(config.applications[0].approve);
        let policy = config.policy().unwrap();
        assert_eq!(policy.key.bits, 2048);
        assert_eq!(policy.validity, Duration::days(730));
        assert_eq!(policy.reminder_interval, Some(Duration::days(7)));
        assert_eq!(policy.calendar.cutoff, time::macros::time!(14:00));
        assert_eq!(config.mail.smtp.as_deref(), Some("smtp://127.0.0.1:2525"));
        assert_eq!(
            config.site.profile.as_deref(),
            Some(std::path::Path::new("profiles/v3.11"))
        );
    }

    #[test]
    fn a_cutoff_that_is_not_a_time_of_day_is_refused() {
        let error = Config::parse("[mail]\ncutoff = \"2 pm\"\n").unwrap_err();
        assert!(error.to_string().contains("cutoff"), "{error}");
    }
}
