//! The registration authority: the desk that takes applications, sends the mails, runs each
//! application's state machine and asks the authority to sign. Plain Rust: the HTTP layer only
//! translates requests into these calls and their answers into pages.

use std::{collections::BTreeMap, sync::Arc};

use time::{Duration, OffsetDateTime};

use crate::{
    application::{Application, ApplicationForm, Kind, State, Step, Subject},
    authority::{Authority, IssuedCertificate, Thumbprints},
    clock::Clock,
    entropy::{Entropy, draw_string},
    outbox::{Mail, Outbox},
    refusal::Refusal,
    request::{CertificateRequest, KeyDescription},
};

/// Password characters: no look-alikes (0/O, 1/l/I).
const PASSWORD_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
const TOKEN_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// What the site requires and decides.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The key provider (CSP) step 2 names.
    pub csp: String,
    /// The key algorithm and length step 2 names.
    pub key: KeyDescription,
    /// How long an issued certificate is valid.
    pub validity: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            csp: "Microsoft Enhanced RSA and AES Cryptographic Provider".into(),
            key: KeyDescription {
                algorithm: "RSA".into(),
                bits: 2048,
            },
            validity: Duration::days(365 * 2),
        }
    }
}

/// What step 2 shows.
#[derive(Debug, Clone)]
pub struct StepTwo {
    /// The session the login opened.
    pub session: String,
    /// The key provider.
    pub csp: String,
    /// The key algorithm and length.
    pub key: KeyDescription,
}

/// What step 3 shows.
#[derive(Debug, Clone)]
pub struct StepThree {
    /// Whether this is a login resuming step 3 after a cancel.
    pub resumed: bool,
    /// The session (for a resumed login).
    pub session: String,
    /// The root's thumbprints.
    pub root: Thumbprints,
    /// The key the CSR must hold.
    pub key: KeyDescription,
    /// The subject the CSR must carry.
    pub subject: Subject,
}

/// What a login opens.
#[derive(Debug, Clone)]
pub enum Opened {
    /// Step 2.
    StepTwo(StepTwo),
    /// Step 3, resumed after a cancel (CANCEL-RESUME).
    StepThree(StepThree),
}

/// What the confirmation page shows.
#[derive(Debug, Clone)]
pub struct Confirmation {
    /// The certificate presented.
    pub holder: IssuedCertificate,
    /// Every certificate the site issued to the same subject, newest `not_before` first.
    pub certificates: Vec<IssuedCertificate>,
}

/// The registration authority.
#[derive(Debug)]
pub struct RegistrationAuthority {
    authority: Authority,
    policy: Policy,
    clock: Arc<Clock>,
    entropy: Box<dyn Entropy>,
    outbox: Outbox,
    base_url: String,
    applications: BTreeMap<String, Application>,
    issued: Vec<(String, IssuedCertificate)>,
}

impl RegistrationAuthority {
    /// A desk with no applications yet. `base_url` is where the site answers, for the mails.
    pub fn new(
        authority: Authority,
        policy: Policy,
        clock: Arc<Clock>,
        entropy: Box<dyn Entropy>,
        outbox: Outbox,
        base_url: String,
    ) -> Self {
        Self {
            authority,
            policy,
            clock,
            entropy,
            outbox,
            base_url,
            applications: BTreeMap::new(),
            issued: Vec::new(),
        }
    }

    /// The authority.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The outbox.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The site's clock.
    pub fn clock(&self) -> &Arc<Clock> {
        &self.clock
    }

    /// The URL of an application's step 1 page.
    pub fn application_url(&self, id: &str) -> String {
        format!("{}/apply/{id}", self.base_url)
    }

    /// Files an application; it waits for approval.
    pub fn file(&mut self, form: ApplicationForm) -> &Application {
        let id = format!("ap-{:04}", self.applications.len() + 1);
        let password = draw_string(self.entropy.as_mut(), PASSWORD_ALPHABET, 12);
        let application = Application::file(id.clone(), form, password);
        self.applications.entry(id).or_insert(application)
    }

    /// Every application, in filing order.
    pub fn applications(&self) -> impl Iterator<Item = &Application> {
        self.applications.values()
    }

    /// One application.
    pub fn application(&self, id: &str) -> Result<&Application, Refusal> {
        self.applications.get(id).ok_or(Refusal::NotFound)
    }

    /// The serials issued for an application, oldest first.
    pub fn serials_of(&self, id: &str) -> Vec<String> {
        self.issued
            .iter()
            .filter(|(application, _)| application == id)
            .map(|(_, certificate)| certificate.serial.clone())
            .collect()
    }

    /// Approves an application and sends its two mails, the URL and the password apart.
    pub fn approve(&mut self, id: &str) -> Result<&Application, Refusal> {
        let url = self.application_url(id);
        let application = self.applications.get_mut(id).ok_or(Refusal::NotFound)?;
        application.approve()?;
        let form = &application.form;
        let site = form.kind.site_name();
        let mails = [
            Mail {
                to_name: form.applicant.clone(),
                to: form.email.clone(),
                subject: "電子証明書の発行 URL のお知らせ".into(),
                body: format!(
                    "{} 様\n\n電子証明書の発行申請が承認されました。\n次の URL から{site}にアクセスしてください。\n\n{url}\n\nログインに必要なパスワードは別のメールでお知らせします。\n",
                    form.applicant
                ),
                application: id.to_owned(),
                catalogue: "MAIL-URL",
            },
            Mail {
                to_name: form.applicant.clone(),
                to: form.email.clone(),
                subject: "電子証明書の発行パスワードのお知らせ".into(),
                body: format!(
                    "{} 様\n\n{site}へのログインに必要な認証情報パスワードをお知らせします。\n\n認証情報パスワード:\n{}\n\nURL は別のメールでお知らせしています。\n",
                    form.applicant,
                    application.password()
                ),
                application: id.to_owned(),
                catalogue: "MAIL-PASSWORD",
            },
        ];
        let now = self.clock.now();
        for mail in mails {
            self.outbox.send(mail, now).map_err(|e| {
                tracing::error!(application = id, "mail delivery failed: {e}");
                Refusal::Internal
            })?;
        }
        self.application(id)
    }

    /// A login with the password from the mail [STEP1-LOGIN].
    pub fn login(&mut self, id: &str, password: &str) -> Result<Opened, Refusal> {
        let session = draw_string(self.entropy.as_mut(), TOKEN_ALPHABET, 32);
        let application = self.applications.get_mut(id).ok_or(Refusal::NotFound)?;
        match application.login(password, session.clone())? {
            Step::Two => Ok(Opened::StepTwo(StepTwo {
                session,
                csp: self.policy.csp.clone(),
                key: self.policy.key.clone(),
            })),
            Step::Three => Ok(Opened::StepThree(self.step_three(id, session, true)?)),
        }
    }

    /// The 発行 button: step 3.
    pub fn press_issue(&mut self, id: &str, session: Option<&str>) -> Result<StepThree, Refusal> {
        let application = self.applications.get_mut(id).ok_or(Refusal::NotFound)?;
        application.check_session(session)?;
        application.press_issue()?;
        self.step_three(id, session.unwrap_or_default().to_owned(), false)
    }

    fn step_three(&self, id: &str, session: String, resumed: bool) -> Result<StepThree, Refusal> {
        let application = self.application(id)?;
        Ok(StepThree {
            resumed,
            session,
            root: self.authority.thumbprints(),
            key: self.policy.key.clone(),
            subject: application.form.subject.clone(),
        })
    }

    /// The client certificate request [STEP3-CLIENT-INSTALL]. Once a certificate is issued, the
    /// application can no longer be logged into [STEP3-ONE-WAY].
    pub fn submit_csr(
        &mut self,
        id: &str,
        session: Option<&str>,
        csr: &[u8],
    ) -> Result<IssuedCertificate, Refusal> {
        let application = self.applications.get(id).ok_or(Refusal::NotFound)?;
        application.check_session(session)?;
        application.expects_csr()?;
        let request = CertificateRequest::parse(csr).map_err(Refusal::CertRequestFailed)?;
        request
            .check_key(&self.policy.key)
            .and_then(|()| request.check_subject(&application.form.subject))
            .map_err(Refusal::CertRequestFailed)?;

        let mut serial = [0u8; 16];
        self.entropy.fill(&mut serial);
        // A positive INTEGER with no leading zero octet: 16 significant bytes.
        serial[0] = (serial[0] & 0x7F) | 0x40;
        let not_before = self
            .clock
            .now()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| self.clock.now());
        let issued = self
            .authority
            .issue(
                &request,
                &application.form.subject,
                &serial,
                not_before,
                not_before + self.policy.validity,
            )
            .map_err(|e| {
                tracing::error!(application = id, "signing failed: {e}");
                Refusal::Internal
            })?;
        let application = self.applications.get_mut(id).ok_or(Refusal::NotFound)?;
        application.record_issued(issued.serial.clone())?;
        self.issued.push((id.to_owned(), issued.clone()));
        Ok(issued)
    }

    /// The client reports the install complete: the site closes for this application [SITE-ONE-TIME].
    pub fn complete(&mut self, id: &str, session: Option<&str>) -> Result<(), Refusal> {
        let application = self.applications.get_mut(id).ok_or(Refusal::NotFound)?;
        application.check_session(session)?;
        application.complete()
    }

    /// The confirmation page for a presented certificate [STEP4-CONFIRM], [CONFIRM-SITE-LISTING].
    pub fn confirm(&self, presented: Option<&[u8]>) -> Result<Confirmation, Refusal> {
        let der = presented.ok_or_else(|| {
            Refusal::ConfirmForbidden("no client certificate was presented".into())
        })?;
        let holder = self
            .authority
            .check_holder(der, self.clock.now())
            .map_err(Refusal::ConfirmForbidden)?;
        let issued = self
            .issued
            .iter()
            .map(|(_, certificate)| certificate)
            .find(|certificate| certificate.serial == holder.serial)
            .ok_or_else(|| {
                Refusal::ConfirmForbidden("the certificate is not in this site's records".into())
            })?
            .clone();
        let mut certificates: Vec<IssuedCertificate> = self
            .issued
            .iter()
            .map(|(_, certificate)| certificate)
            .filter(|certificate| certificate.subject == issued.subject)
            .cloned()
            .collect();
        certificates.sort_by(|a, b| {
            b.not_before
                .cmp(&a.not_before)
                .then(b.serial.cmp(&a.serial))
        });
        Ok(Confirmation {
            holder: issued,
            certificates,
        })
    }

    /// The kind of site (issuance or renewal) an application is served by.
    pub fn kind_of(&self, id: &str) -> Result<Kind, Refusal> {
        Ok(self.application(id)?.form.kind)
    }

    /// The state of an application.
    pub fn state_of(&self, id: &str) -> Result<&State, Refusal> {
        Ok(&self.application(id)?.state)
    }

    /// The instant used for pages, in Japan time.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}
