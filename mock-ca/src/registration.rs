//! The registration authority: the desk that takes applications, sends the mails, runs each
//! application's state machine and asks the authority to sign. Plain Rust: the HTTP layer only
//! translates requests into these calls and their answers into pages.

use std::{collections::BTreeMap, sync::Arc};

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::{
    application::{Application, ApplicationForm, Kind, State, Step, Subject},
    authority::{Authority, IssuedCertificate, Thumbprints},
    clock::Clock,
    delivery::{Document, DocumentForm},
    entropy::{Entropy, draw_string},
    outbox::{Mail, Outbox, SentMail},
    processing::Calendar,
    records::Records,
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
    /// The back office's processing days and cut-off [MAIL-CUTOFF].
    pub calendar: Calendar,
    /// How often an approved application whose install is not complete is reminded
    /// [MAIL-REMINDER]; `None`: never.
    pub reminder_interval: Option<Duration>,
    /// The platforms the enrollment component may declare, lower case [ENV-SUPPORTED]. `windows`
    /// stands for the guide's Windows 10 and 11; `linux` and `macos` for where this project's
    /// component runs.
    pub platforms: Vec<String>,
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
            calendar: Calendar::default(),
            reminder_interval: Some(Duration::days(7)),
            // The guide supports Windows 10 and 11 only; this client's own platforms stand in for them.
            platforms: vec![
                "windows 10".into(),
                "windows 11".into(),
                "linux".into(),
                "macos".into(),
            ],
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

/// A certificate the site issued, with the application it was issued for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Issued {
    /// The application.
    pub application: String,
    /// The certificate.
    pub certificate: IssuedCertificate,
}

/// A CSR the desk accepted, with what it decided the certificate holds: signed outside the
/// desk's lock ([`RegistrationAuthority::begin_csr`]), recorded back under it.
#[derive(Debug)]
#[must_use = "a signing does nothing until it is signed and finished"]
pub struct Signing {
    id: String,
    session: Option<String>,
    request: CertificateRequest,
    subject: Subject,
    serial: [u8; 16],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    authority: Arc<Authority>,
}

impl Signing {
    /// Signs the certificate (the slow step: an RSA signature by the root's key).
    pub fn sign(self) -> Signed {
        let issued = self.authority.issue(
            &self.request,
            &self.subject,
            &self.serial,
            self.not_before,
            self.not_after,
        );
        Signed {
            id: self.id,
            session: self.session,
            issued,
        }
    }
}

/// A signed certificate, to record with [`RegistrationAuthority::finish_csr`].
#[derive(Debug)]
#[must_use = "a certificate is issued only once it is finished"]
pub struct Signed {
    id: String,
    session: Option<String>,
    issued: Result<IssuedCertificate, crate::authority::AuthorityError>,
}

/// Everything the desk must not forget across a restart (`--data-dir`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Snapshot {
    /// Every application, in filing order.
    pub applications: Vec<Application>,
    /// Every certificate issued, oldest first.
    pub issued: Vec<Issued>,
    /// Every mail sent, oldest first.
    pub outbox: Vec<SentMail>,
    /// Whether the back office approves filed applications by itself.
    pub auto_approve: bool,
    /// Every document published, oldest first [DATA-DECRYPT]; absent in records of older versions.
    #[serde(default)]
    pub documents: Vec<Document>,
}

/// The registration authority.
#[derive(Debug)]
pub struct RegistrationAuthority {
    /// Shared with the signings in flight, which run outside the desk's lock.
    authority: Arc<Authority>,
    policy: Policy,
    clock: Arc<Clock>,
    entropy: Box<dyn Entropy>,
    outbox: Outbox,
    base_url: String,
    applications: BTreeMap<String, Application>,
    issued: Vec<Issued>,
    auto_approve: bool,
    documents: Vec<Document>,
    records: Option<Records>,
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
            authority: Arc::new(authority),
            policy,
            clock,
            entropy,
            outbox,
            base_url,
            applications: BTreeMap::new(),
            issued: Vec::new(),
            auto_approve: false,
            documents: Vec::new(),
            records: None,
        }
    }

    /// Keeps the desk's records in `records`: what they hold is taken back now, and every change
    /// is written there before it is acknowledged.
    pub fn keep_records(&mut self, records: Records) -> Result<(), crate::records::RecordsError> {
        if let Some(snapshot) = records.load()? {
            self.applications = snapshot
                .applications
                .into_iter()
                .map(|a| (a.id.clone(), a))
                .collect();
            self.issued = snapshot.issued;
            self.outbox.restore(snapshot.outbox);
            self.auto_approve = snapshot.auto_approve;
            self.documents = snapshot.documents;
        }
        self.records = Some(records);
        Ok(())
    }

    /// What `keep_records` writes.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            applications: self.applications.values().cloned().collect(),
            issued: self.issued.clone(),
            outbox: self.outbox.sent().to_vec(),
            auto_approve: self.auto_approve,
            documents: self.documents.clone(),
        }
    }

    /// Writes the records, if kept; a failure refuses the request that changed them.
    fn persist(&self) -> Result<(), Refusal> {
        match &self.records {
            Some(records) => records.save(&self.snapshot()).map_err(|e| {
                tracing::error!("writing the records failed: {e}");
                Refusal::Internal
            }),
            None => Ok(()),
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

    /// Where the issuance site answers (`https://host:port`), as the mails give it.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The URL of an application's step 1 page.
    pub fn application_url(&self, id: &str) -> String {
        format!("{}/apply/{id}", self.base_url)
    }

    /// Files an application; it waits for approval. With auto-approval on, the back office
    /// approves it on its processing schedule [MAIL-CUTOFF]: at once before 14:00 on a processing
    /// day, else at the next processing day's opening.
    pub fn file(&mut self, form: ApplicationForm) -> Result<&Application, Refusal> {
        let id = format!("ap-{:04}", self.applications.len() + 1);
        let password = draw_string(self.entropy.as_mut(), PASSWORD_ALPHABET, 12);
        let now = self.clock.now();
        let mut application = Application::file(id.clone(), form, password, now);
        if self.auto_approve {
            application.approve_at = Some(self.policy.calendar.processing_time(now));
        }
        let due = application.approve_at.is_some_and(|at| at <= now);
        self.applications.insert(id.clone(), application);
        // Filing makes at most this application due (auto-approval before the cut-off): what
        // falls due with time is done by `tick`, and at once when the clock is set or advanced.
        // Scanning every application here made filing O(n) and 100,000 filings take minutes.
        if due {
            self.approve_now(&id)?;
        }
        self.persist()?;
        self.application(&id)
    }

    /// Whether the back office approves filed applications by itself.
    pub fn auto_approve(&self) -> bool {
        self.auto_approve
    }

    /// Turns auto-approval on or off. Turned on, every filed application is scheduled from when
    /// it was filed (so one filed long ago is approved at once).
    pub fn set_auto_approve(&mut self, on: bool) -> Result<(), Refusal> {
        self.auto_approve = on;
        let calendar = self.policy.calendar;
        for application in self.applications.values_mut() {
            if application.state == State::Filed {
                application.approve_at = on.then(|| calendar.processing_time(application.filed_at));
            }
        }
        self.run_due()?;
        self.persist()
    }

    /// Withdraws an application: no login, no more mails.
    pub fn withdraw(&mut self, id: &str) -> Result<&Application, Refusal> {
        self.applications
            .get_mut(id)
            .ok_or(Refusal::NotFound)?
            .withdraw()?;
        self.persist()?;
        self.application(id)
    }

    /// What is due at the site's clock: auto-approvals whose processing time came, and
    /// MAIL-REMINDER for applications whose install is still to be completed. Called when the
    /// clock is set or advanced, and by the server's periodic tick (a filing approves only the
    /// application filed, when it is due).
    pub fn tick(&mut self) -> Result<usize, Refusal> {
        let sent = self.run_due()?;
        if sent > 0 {
            self.persist()?;
        }
        Ok(sent)
    }

    /// The mails sent by what was due; nothing is persisted here.
    fn run_due(&mut self) -> Result<usize, Refusal> {
        let now = self.clock.now();
        let due: Vec<String> = self
            .applications
            .values()
            .filter(|a| a.state == State::Filed && a.approve_at.is_some_and(|at| at <= now))
            .map(|a| a.id.clone())
            .collect();
        let mut sent = 0;
        for id in due {
            self.approve_now(&id)?;
            sent += 2;
        }
        // Whole seconds: an interval under a second would divide by zero below.
        let Some(interval) = self
            .policy
            .reminder_interval
            .filter(|i| i.whole_seconds() > 0)
        else {
            return Ok(sent);
        };
        let reminders: Vec<(String, u32)> = self
            .applications
            .values()
            .filter(|a| a.awaits_install())
            .filter_map(|a| {
                let elapsed = now - a.mailed_at?;
                let intervals = u32::try_from(elapsed.whole_seconds() / interval.whole_seconds())
                    .unwrap_or(u32::MAX);
                (intervals > a.reminders).then(|| (a.id.clone(), intervals))
            })
            .collect();
        for (id, intervals) in reminders {
            // One mail however many intervals passed at once: a clock moved by weeks does not
            // make the applicant receive a pile of reminders.
            self.send_reminder(&id)?;
            if let Some(application) = self.applications.get_mut(&id) {
                application.reminders = intervals;
            }
            sent += 1;
        }
        Ok(sent)
    }

    fn send_reminder(&mut self, id: &str) -> Result<(), Refusal> {
        let url = self.application_url(id);
        let application = self.application(id)?;
        let form = &application.form;
        let site = form.kind.site_name();
        let mail = Mail {
            to_name: form.applicant.clone(),
            to: form.email.clone(),
            subject: "電子証明書発行手続きのお願い".into(),
            body: format!(
                "{} 様\n\n{site}での電子証明書のインストールが完了していません。\n再度、{site}にログインを行い、インストールを完了してください。\n\n{url}\n\nURL とパスワードに有効期限はありません。パスワードは先にお送りしたメールをご覧ください。\n",
                form.applicant
            ),
            application: id.to_owned(),
            catalogue: "MAIL-REMINDER".into(),
        };
        self.send(mail)
    }

    fn send(&mut self, mail: Mail) -> Result<(), Refusal> {
        let now = self.clock.now();
        let application = mail.application.clone();
        self.outbox.send(mail, now).map(|_| ()).map_err(|e| {
            tracing::error!(application, "mail delivery failed: {e}");
            Refusal::Internal
        })
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
            .filter(|issued| issued.application == id)
            .map(|issued| issued.certificate.serial.clone())
            .collect()
    }

    /// Approves an application now, whatever the hour (the operator's hand, not the back
    /// office's schedule), and sends its two mails, the URL and the password apart.
    pub fn approve(&mut self, id: &str) -> Result<&Application, Refusal> {
        self.approve_now(id)?;
        self.persist()?;
        self.application(id)
    }

    fn approve_now(&mut self, id: &str) -> Result<(), Refusal> {
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
                catalogue: "MAIL-URL".into(),
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
                catalogue: "MAIL-PASSWORD".into(),
            },
        ];
        for mail in mails {
            self.send(mail)?;
        }
        let now = self.clock.now();
        if let Some(application) = self.applications.get_mut(id) {
            application.mailed_at = Some(now);
        }
        Ok(())
    }

    /// A login with the password from the mail [STEP1-LOGIN].
    pub fn login(&mut self, id: &str, password: &str) -> Result<Opened, Refusal> {
        let session = draw_string(self.entropy.as_mut(), TOKEN_ALPHABET, 32);
        let application = self.applications.get_mut(id).ok_or(Refusal::NotFound)?;
        let step = application.login(password, session.clone())?;
        self.persist()?;
        match step {
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
        self.persist()?;
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
    /// application can no longer be logged into [STEP3-ONE-WAY]. [`Self::begin_csr`], the
    /// signature and [`Self::finish_csr`] in one go.
    pub fn submit_csr(
        &mut self,
        id: &str,
        session: Option<&str>,
        csr: &[u8],
    ) -> Result<IssuedCertificate, Refusal> {
        let signing = self.begin_csr(id, session, csr)?;
        self.finish_csr(signing.sign())
    }

    /// Checks a CSR and decides what is signed (serial, validity, subject), without signing: the
    /// signature, the one slow step, runs outside the desk's lock ([`Signing::sign`]), so that
    /// enrollments in flight sign on every core. Nothing changes here but the entropy drawn.
    pub fn begin_csr(
        &mut self,
        id: &str,
        session: Option<&str>,
        csr: &[u8],
    ) -> Result<Signing, Refusal> {
        let application = self.applications.get(id).ok_or(Refusal::NotFound)?;
        application.check_session(session)?;
        application.expects_csr()?;
        let request = CertificateRequest::parse(csr).map_err(Refusal::CertRequestFailed)?;
        request
            .check_key(&self.policy.key)
            .and_then(|()| request.check_subject(&application.form.subject))
            .map_err(Refusal::CertRequestFailed)?;
        let subject = application.form.subject.clone();

        let mut serial = [0u8; 16];
        self.entropy.fill(&mut serial);
        // A positive INTEGER with no leading zero octet: 16 significant bytes.
        serial[0] = (serial[0] & 0x7F) | 0x40;
        let not_before = self
            .clock
            .now()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| self.clock.now());
        Ok(Signing {
            id: id.to_owned(),
            session: session.map(str::to_owned),
            request,
            subject,
            serial,
            not_before,
            not_after: not_before + self.policy.validity,
            authority: self.authority.clone(),
        })
    }

    /// Records a signed certificate: issuing → issued. The application is checked again, as it
    /// may have moved while the certificate was signed: a withdrawal, or a new login (whose
    /// session replaced this one) wins, and the certificate is thrown away unseen; so does a
    /// second CSR signed at the same time as the first (OUT-OF-ORDER, as if it came after).
    pub fn finish_csr(&mut self, signed: Signed) -> Result<IssuedCertificate, Refusal> {
        let Signed {
            id,
            session,
            issued,
        } = signed;
        let issued = issued.map_err(|e| {
            tracing::error!(application = id, "signing failed: {e}");
            Refusal::Internal
        })?;
        let application = self.applications.get_mut(&id).ok_or(Refusal::NotFound)?;
        application.check_session(session.as_deref())?;
        application.record_issued(issued.serial.clone())?;
        self.issued.push(Issued {
            application: id,
            certificate: issued.clone(),
        });
        self.persist()?;
        Ok(issued)
    }

    /// The client reports the install complete: the site closes for this application [SITE-ONE-TIME].
    pub fn complete(&mut self, id: &str, session: Option<&str>) -> Result<(), Refusal> {
        let application = self.applications.get_mut(id).ok_or(Refusal::NotFound)?;
        application.check_session(session)?;
        application.complete()?;
        self.persist()
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
            .map(|issued| &issued.certificate)
            .find(|certificate| certificate.serial == holder.serial)
            .ok_or_else(|| {
                Refusal::ConfirmForbidden("the certificate is not in this site's records".into())
            })?
            .clone();
        let mut certificates: Vec<IssuedCertificate> = self
            .issued
            .iter()
            .map(|issued| &issued.certificate)
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

    /// Checks the platform the enrollment component declared against the supported ones
    /// [ENV-SUPPORTED]. A supported entry matches a declaration that starts with it, case aside:
    /// `windows 11` admits `Windows 11 23H2`, and `Windows 8.1` matches none of the defaults.
    pub fn check_platform(&self, platform: &str) -> Result<(), Refusal> {
        let declared = platform.trim().to_ascii_lowercase();
        let supported = self.policy.platforms.iter().any(|p| {
            declared
                .strip_prefix(p.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '-', '/']))
        });
        if supported {
            Ok(())
        } else {
            Err(Refusal::PlatformUnsupported(platform.to_owned()))
        }
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

    /// Publishes a document for the holder of an application [DATA-DECRYPT]: any state but
    /// withdrawn (a holder without a certificate yet receives it once enrolled).
    pub fn publish(&mut self, form: DocumentForm) -> Result<&Document, Refusal> {
        let application = self.application(&form.application)?;
        if application.state == State::Withdrawn {
            return Err(Refusal::OutOfOrder("withdrawn"));
        }
        let subject = application.form.subject.to_string();
        // Whole seconds, as every other time the site shows.
        let now = self.now();
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let document = Document::publish(self.documents.len() + 1, form, subject, now)
            .map_err(|e| Refusal::BadRequest(e.to_string()))?;
        self.documents.push(document);
        self.persist()?;
        self.documents.last().ok_or(Refusal::Internal)
    }

    /// Every document published, oldest first.
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    /// The holder of a presented certificate, and the documents published for them, oldest
    /// first: CONFIRM-FORBIDDEN without an acceptable certificate, as the confirmation page.
    pub fn documents_for(
        &self,
        presented: Option<&[u8]>,
    ) -> Result<(IssuedCertificate, Vec<&Document>), Refusal> {
        let holder = self.confirm(presented)?.holder;
        let documents = self
            .documents
            .iter()
            .filter(|d| d.subject == holder.subject)
            .collect();
        Ok((holder, documents))
    }

    /// Delivers a document to the holder of a presented certificate: CMS EnvelopedData encrypted
    /// to that certificate [DATA-DECRYPT]. NOT-FOUND for a document that is not theirs (whether
    /// another holder's exists is not told).
    pub fn deliver(
        &mut self,
        presented: Option<&[u8]>,
        id: &str,
    ) -> Result<(Document, Vec<u8>), Refusal> {
        let holder = self.confirm(presented)?.holder;
        let document = self
            .documents
            .iter_mut()
            .find(|d| d.id == id && d.subject == holder.subject)
            .ok_or(Refusal::NotFound)?;
        let envelope = crate::delivery::seal(&document.content, &holder.der).map_err(|e| {
            tracing::error!(document = id, "sealing failed: {e}");
            Refusal::Internal
        })?;
        document.deliveries.push(holder.serial.clone());
        let delivered = document.clone();
        self.persist()?;
        Ok((delivered, envelope))
    }
}

#[cfg(test)]
mod tests {
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_RSA_SHA256};
    use time::macros::datetime;

    use super::*;
    use crate::{application::Attribute, entropy::SeededEntropy};

    /// A desk with one application logged into and at step 3, and a CSR for it.
    fn at_step_three() -> (RegistrationAuthority, String, String, String) {
        let now = datetime!(2026-11-25 10:00 +9);
        let mut desk = RegistrationAuthority::new(
            Authority::generate("Test Root", now).unwrap(),
            Policy::default(),
            Arc::new(Clock::frozen(now)),
            Box::new(SeededEntropy::new(7)),
            Outbox::memory(),
            "https://127.0.0.1:1".into(),
        );
        let subject = Subject(vec![
            (Attribute::C, "JP".into()),
            (Attribute::CN, "Taro".into()),
        ]);
        let form = ApplicationForm {
            applicant: "山田 太郎".into(),
            email: "taro@example.jp".into(),
            subject,
            kind: Kind::New,
        };
        let id = desk.file(form).unwrap().id.clone();
        desk.approve(&id).unwrap();
        let password = desk.application(&id).unwrap().password().to_owned();
        let Opened::StepTwo(two) = desk.login(&id, &password).unwrap() else {
            panic!("a first login opens step 2");
        };
        desk.press_issue(&id, Some(&two.session)).unwrap();
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "JP");
        dn.push(DnType::CommonName, "Taro");
        params.distinguished_name = dn;
        let csr = params.serialize_request(&key).unwrap().pem().unwrap();
        (desk, id, two.session, csr)
    }

    #[test]
    fn a_certificate_signed_while_the_application_was_withdrawn_is_thrown_away() {
        let (mut desk, id, session, csr) = at_step_three();
        let signing = desk.begin_csr(&id, Some(&session), csr.as_bytes()).unwrap();
        desk.withdraw(&id).unwrap();
        assert_eq!(
            desk.finish_csr(signing.sign()).unwrap_err(),
            Refusal::SessionRequired
        );
        assert!(desk.serials_of(&id).is_empty());
        assert_eq!(desk.state_of(&id).unwrap(), &State::Withdrawn);
    }

    #[test]
    fn of_two_csrs_signed_at_once_the_first_finished_is_issued_and_the_second_is_out_of_order() {
        let (mut desk, id, session, csr) = at_step_three();
        let first = desk.begin_csr(&id, Some(&session), csr.as_bytes()).unwrap();
        let second = desk.begin_csr(&id, Some(&session), csr.as_bytes()).unwrap();
        let (first, second) = (first.sign(), second.sign());
        let issued = desk.finish_csr(first).unwrap();
        assert_eq!(
            desk.finish_csr(second).unwrap_err(),
            Refusal::OutOfOrder("issued")
        );
        assert_eq!(desk.serials_of(&id), vec![issued.serial.clone()]);
        assert_eq!(
            desk.state_of(&id).unwrap(),
            &State::Issued {
                serial: issued.serial
            }
        );
    }
}
