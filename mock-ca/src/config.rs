//! The `mock-ca serve --config FILE` file: the site's policy and the applications to file at start.
//!
//! ```toml
//! admin_token = "secret"            # optional; random otherwise
//! [policy]
//! csp = "Microsoft Enhanced RSA and AES Cryptographic Provider"
//! key_length = 2048
//! validity_days = 730
//! [[application]]
//! applicant = "山田 太郎"
//! email = "taro@example.jp"
//! subject = [["C", "JP"], ["O", "Example Securities"], ["CN", "Taro Yamada"]]
//! kind = "new"                      # or "renewal"
//! approve = true                    # send its mails at start
//! ```

use serde::Deserialize;
use time::Duration;

use crate::{
    application::{ApplicationForm, Kind, Subject},
    registration::Policy,
    request::KeyDescription,
};

/// The configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The admin API's bearer token.
    pub admin_token: Option<String>,
    /// What the site requires and decides.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// Applications to file at start.
    #[serde(default, rename = "application")]
    pub applications: Vec<ApplicationConfig>,
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
    /// Parses the TOML text.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The policy, defaults filled in.
    pub fn policy(&self) -> Policy {
        let mut policy = Policy::default();
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
        policy
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
        assert_eq!(config.policy().key.bits, 2048);
        assert_eq!(config.policy().validity, Duration::days(730));
    }
}
