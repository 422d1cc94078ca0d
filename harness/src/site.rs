//! The site under test: a fresh `mock-ca` started in-process for one scenario, or a site started
//! elsewhere (`--target`), reached only through its public pages and its admin API.

use mock_ca::MockCa;

use crate::admin::{Admin, AdminError};

/// Where the scenarios run.
#[derive(Debug, Clone)]
pub enum Target {
    /// A fresh site in this process for each scenario (isolated; scenarios may run in parallel).
    InProcess,
    /// The same, the site serving this profile (`harness compare`).
    Profiled(std::sync::Arc<mock_ca::Profile>),
    /// A running site (its URL, admin token and TLS trust anchor); scenarios run one at a time.
    Remote {
        /// The site's URL.
        url: String,
        /// Its admin token.
        admin_token: String,
        /// Its TLS trust anchor (PEM).
        site_trust_pem: Vec<u8>,
    },
}

/// The site could not be started or reached.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SiteError {
    /// The in-process site did not start.
    #[error("mock-ca: {0}")]
    Start(#[from] mock_ca::StartError),
    /// The test root did not load.
    #[error("the test root: {0}")]
    Root(#[from] mock_ca::AuthorityError),
    /// The admin API failed.
    #[error(transparent)]
    Admin(#[from] AdminError),
}

/// A site a scenario runs against.
#[derive(Debug)]
pub struct SiteUnderTest {
    /// Its URL (the issuance site).
    pub url: String,
    /// Its confirmation site's URL (証明書確認サイト: `/confirm`, `/documents`).
    pub confirm_url: String,
    /// Its TLS trust anchor (PEM).
    pub site_trust_pem: Vec<u8>,
    /// Its admin API.
    pub admin: Admin,
    running: Option<MockCa>,
}

impl SiteUnderTest {
    /// Starts or reaches the site; a remote site's journal is emptied so the transcript holds only
    /// this scenario's requests.
    pub async fn open(target: &Target) -> Result<Self, SiteError> {
        match target {
            Target::InProcess | Target::Profiled(_) => {
                // The checked-in test root (fixtures/pki), so no scenario makes an RSA key for
                // its site; thumbprints and serials are redacted from the transcripts anyway.
                let root = mock_ca::Authority::from_pem(
                    test_support::pki::ROOT_PEM,
                    test_support::pki::ROOT_KEY_PEM,
                )?;
                let mut builder = MockCa::builder().seed(1).authority(root);
                if let Target::Profiled(profile) = target {
                    builder = builder.profile(profile.as_ref().clone());
                }
                let site = builder.start().await?;
                let admin = Admin::new(
                    site.url(),
                    site.admin_token(),
                    site.site_trust_pem().as_bytes(),
                )?;
                Ok(Self {
                    url: site.url().to_owned(),
                    confirm_url: site.confirm_url().to_owned(),
                    site_trust_pem: site.site_trust_pem().as_bytes().to_vec(),
                    admin,
                    running: Some(site),
                })
            }
            Target::Remote {
                url,
                admin_token,
                site_trust_pem,
            } => {
                let admin = Admin::new(url, admin_token, site_trust_pem)?;
                // Asked before the journal is emptied: the transcript holds only the scenario.
                let confirm_url = admin.confirmation_site().await?;
                admin.clear_journal().await?;
                Ok(Self {
                    url: url.trim_end_matches('/').to_owned(),
                    confirm_url,
                    site_trust_pem: site_trust_pem.clone(),
                    admin,
                    running: None,
                })
            }
        }
    }

    /// Stops an in-process site; leaves a shared one as the next scenario expects it: the clock
    /// running from the real time, no faults armed, auto-approval off.
    pub async fn close(self) -> Result<(), SiteError> {
        match self.running {
            Some(site) => site.shutdown().await,
            None => {
                let now = time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
                self.admin
                    .put("/clock", serde_json::json!({ "now": now, "frozen": false }))
                    .await?;
                self.admin.delete("/faults").await?;
                self.admin
                    .put("/auto-approve", serde_json::json!({ "enabled": false }))
                    .await?;
            }
        }
        Ok(())
    }
}
