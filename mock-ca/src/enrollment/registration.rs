//! The registration authority: the desk that takes applications, sends the mails, runs each
//! application's state machine and asks the authority to sign. Plain Rust: the HTTP layer only
//! translates requests into these calls and their answers into pages.

use std::{collections::BTreeMap, path::Path, sync::Arc};

use time::{Duration, OffsetDateTime};

use crate::{
    enrollment::application::{Application, ApplicationForm, Kind, State, Step, Subject},
    enrollment::authority::{Authority, IssuedCertificate, Thumbprints},
    enrollment::delivery::{Document, DocumentForm},
    enrollment::processing::Calendar,
    enrollment::refusal::Refusal,
    enrollment::request::{CertificateRequest, KeyDescription},
    enrollment::secret::PasswordHash,
    world::clock::Clock,
    world::entropy::{Entropy, draw_string},
    world::outbox::{Mail, Outbox},
    world::profile::Profile,
    world::records::{Changes, Records, RecordsError},
};

// What the desk keeps across a restart is the records' shape; it is named here too, where the
// desk's callers have always found it.
pub use crate::world::records::{Issued, Snapshot};

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
    /// Whether steps 2 (発行) and 3 (the CSR) need the enrollment component
    /// [COMPONENT-UNAVAILABLE].
    pub component_required: bool,
}

impl Default for Policy {
    /// The default profile's (the guide v3.10's): `mock-ca/profile/profile.toml`, `[policy]`.
    fn default() -> Self {
        crate::world::profile::Profile::shared_default().site_policy()
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

/// A login's password, to check outside the desk's lock ([`RegistrationAuthority::begin_login`]).
#[derive(Debug)]
#[must_use = "a login goes on only once its password is checked"]
pub struct PasswordCheck {
    id: String,
    hash: Option<crate::enrollment::secret::PasswordHash>,
}

impl PasswordCheck {
    /// Checks `password` (the slow step: PBKDF2).
    pub fn check(self, password: &str) -> CheckedPassword {
        CheckedPassword {
            right: crate::enrollment::application::check_password(self.hash.as_ref(), password),
            id: self.id,
        }
    }
}

/// A checked password, to open the login with [`RegistrationAuthority::finish_login`].
#[derive(Debug)]
#[must_use = "a login opens only once it is finished"]
pub struct CheckedPassword {
    id: String,
    right: bool,
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
    issued: Result<IssuedCertificate, crate::enrollment::authority::AuthorityError>,
}

/// What the change in progress touched: what to write when it succeeds, and the pre-images to
/// put back when it fails (a refusal, or records that cannot be written), so that a change that
/// was not acknowledged leaves nothing behind, in memory or on disk.
#[derive(Debug, Default)]
struct Change {
    /// The applications touched, each as it was before (`None`: made by this change).
    applications: BTreeMap<String, Option<Application>>,
    /// How many certificates, mails and documents there were before.
    issued: usize,
    mails: usize,
    documents: usize,
    /// Documents delivered (by index), each as it was before.
    delivered: BTreeMap<usize, Document>,
    /// Auto-approval as it was before, where it was switched.
    auto_approve: Option<bool>,
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
    change: Change,
    /// The words of the mails and pages (the default profile unless one is given).
    profile: Arc<Profile>,
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
            change: Change::default(),
            profile: Profile::shared_default(),
        }
    }

    /// The site's profile: its mails' words from now on (the policy is given apart, to `new`).
    pub fn set_profile(&mut self, profile: Arc<Profile>) {
        self.profile = profile;
    }

    /// The site's profile.
    pub fn profile(&self) -> &Arc<Profile> {
        &self.profile
    }

    /// Keeps the desk's records in the database of `dir` (a `records.json` of an earlier version
    /// found there is migrated into it): what they hold is taken back now, and every change is
    /// written there before it is acknowledged.
    pub fn keep_records(&mut self, dir: &Path) -> Result<(), RecordsError> {
        let records = Records::open(dir, self.entropy.as_mut())?;
        let snapshot = records.load()?;
        self.applications = snapshot
            .applications
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
        self.issued = snapshot.issued;
        self.outbox.restore(snapshot.outbox);
        self.auto_approve = snapshot.auto_approve;
        self.documents = snapshot.documents;
        self.records = Some(records);
        Ok(())
    }

    /// What the records hold, in memory.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            applications: self.applications.values().cloned().collect(),
            issued: self.issued.clone(),
            outbox: self.outbox.sent().to_vec(),
            auto_approve: self.auto_approve,
            documents: self.documents.clone(),
        }
    }

    /// Starts a change: from here, what is touched is remembered as it was.
    fn begin(&mut self) {
        self.change = Change {
            issued: self.issued.len(),
            mails: self.outbox.sent().len(),
            documents: self.documents.len(),
            ..Change::default()
        };
    }

    /// Remembers an application as it was before the change first touches it.
    fn touch(&mut self, id: &str) {
        if !self.change.applications.contains_key(id) {
            let before = self.applications.get(id).cloned();
            self.change.applications.insert(id.to_owned(), before);
        }
    }

    /// An application to change, remembered as it was first.
    fn application_mut(&mut self, id: &str) -> Result<&mut Application, Refusal> {
        self.touch(id);
        self.applications.get_mut(id).ok_or(Refusal::NotFound)
    }

    /// Ends a change: written to the records (one transaction) when it succeeded, then its
    /// mails are handed to the SMTP relay; put back as it was when it failed or could not be
    /// written (STORAGE-UNAVAILABLE), so nothing unacknowledged remains.
    fn finish<T>(&mut self, result: Result<T, Refusal>) -> Result<T, Refusal> {
        let change = std::mem::take(&mut self.change);
        match result.and_then(|value| self.commit(&change).map(|()| value)) {
            Ok(value) => {
                self.outbox.release(change.mails);
                Ok(value)
            }
            Err(refusal) => {
                self.roll_back(change);
                Err(refusal)
            }
        }
    }

    fn commit(&mut self, change: &Change) -> Result<(), Refusal> {
        let Some(records) = &mut self.records else {
            return Ok(());
        };
        let mut documents: Vec<&Document> = change
            .delivered
            .keys()
            .filter_map(|&i| self.documents.get(i))
            .collect();
        documents.extend(self.documents.get(change.documents..).unwrap_or_default());
        let changes = Changes {
            applications: change
                .applications
                .keys()
                .map(|id| (id.as_str(), self.applications.get(id)))
                .collect(),
            issued: self.issued.get(change.issued..).unwrap_or_default(),
            mails: self.outbox.sent().get(change.mails..).unwrap_or_default(),
            documents,
            auto_approve: change.auto_approve.map(|_| self.auto_approve),
        };
        records.write(&changes).map_err(|e| {
            tracing::error!("writing the records failed; the change is refused: {e}");
            Refusal::StorageUnavailable {
                full: e.is_disk_full(),
            }
        })
    }

    fn roll_back(&mut self, change: Change) {
        for (id, before) in change.applications {
            match before {
                Some(application) => self.applications.insert(id, application),
                None => self.applications.remove(&id),
            };
        }
        self.issued.truncate(change.issued);
        self.outbox.take_back(change.mails);
        for (i, before) in change.delivered {
            if let Some(document) = self.documents.get_mut(i) {
                *document = before;
            }
        }
        self.documents.truncate(change.documents);
        if let Some(before) = change.auto_approve {
            self.auto_approve = before;
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
        self.begin();
        let result = self.file_now(form);
        let id = self.finish(result)?;
        self.application(&id)
    }

    fn file_now(&mut self, form: ApplicationForm) -> Result<String, Refusal> {
        let id = format!("ap-{:04}", self.applications.len() + 1);
        let now = self.clock.now();
        let mut application = Application::file(id.clone(), form, now);
        if self.auto_approve {
            application.approve_at = Some(self.policy.calendar.processing_time(now));
        }
        let due = application.approve_at.is_some_and(|at| at <= now);
        self.touch(&id);
        self.applications.insert(id.clone(), application);
        // Filing makes at most this application due (auto-approval before the cut-off): what
        // falls due with time is done by `tick`, and at once when the clock is set or advanced.
        // Scanning every application here made filing O(n) and 100,000 filings take minutes.
        if due {
            self.approve_now(&id)?;
        }
        Ok(id)
    }

    /// Whether the back office approves filed applications by itself.
    pub fn auto_approve(&self) -> bool {
        self.auto_approve
    }

    /// Turns auto-approval on or off. Turned on, every filed application is scheduled from when
    /// it was filed (so one filed long ago is approved at once).
    pub fn set_auto_approve(&mut self, on: bool) -> Result<(), Refusal> {
        self.begin();
        let result = self.set_auto_approve_now(on);
        self.finish(result)
    }

    fn set_auto_approve_now(&mut self, on: bool) -> Result<(), Refusal> {
        self.change.auto_approve = Some(self.auto_approve);
        self.auto_approve = on;
        let calendar = self.policy.calendar;
        let filed: Vec<String> = self
            .applications
            .values()
            .filter(|a| a.state == State::Filed)
            .map(|a| a.id.clone())
            .collect();
        for id in filed {
            let application = self.application_mut(&id)?;
            application.approve_at = on.then(|| calendar.processing_time(application.filed_at));
        }
        self.run_due().map(drop)
    }

    /// Withdraws an application: no login, no more mails.
    pub fn withdraw(&mut self, id: &str) -> Result<&Application, Refusal> {
        self.begin();
        let result = self.application_mut(id).and_then(Application::withdraw);
        self.finish(result)?;
        self.application(id)
    }

    /// What is due at the site's clock: auto-approvals whose processing time came, and
    /// MAIL-REMINDER for applications whose install is still to be completed. Called when the
    /// clock is set or advanced, and by the server's periodic tick (a filing approves only the
    /// application filed, when it is due).
    pub fn tick(&mut self) -> Result<usize, Refusal> {
        self.begin();
        let result = self.run_due();
        self.finish(result)
    }

    /// The mails sent by what was due, within the change in progress.
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
            self.application_mut(&id)?.reminders = intervals;
            sent += 1;
        }
        Ok(sent)
    }

    fn send_reminder(&mut self, id: &str) -> Result<(), Refusal> {
        let url = self.application_url(id);
        let application = self.application(id)?;
        let form = &application.form;
        let profile = &self.profile;
        let site = profile.site_name(form.kind);
        let mail = Mail {
            to_name: form.applicant.clone(),
            to: form.email.clone(),
            subject: profile.text("MAIL-REMINDER").to_owned(),
            body: Profile::mail_body(
                &profile.mail.reminder.body,
                &[("name", &form.applicant), ("site", site), ("url", &url)],
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
            // The Maildir is the site's storage too: a full disk refuses the change, as the
            // records do.
            Refusal::StorageUnavailable {
                full: e.kind() == std::io::ErrorKind::StorageFull,
            }
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
        self.begin();
        let result = self.approve_now(id);
        self.finish(result)?;
        self.application(id)
    }

    /// Approves: the password is made here, mailed, and kept only as its hash.
    fn approve_now(&mut self, id: &str) -> Result<(), Refusal> {
        let url = self.application_url(id);
        match &self.application(id)?.state {
            State::Filed => {}
            other => return Err(Refusal::OutOfOrder(other.name())),
        }
        let password = draw_string(self.entropy.as_mut(), PASSWORD_ALPHABET, 12);
        let mut salt = [0u8; 16];
        self.entropy.fill(&mut salt);
        let hash = PasswordHash::new(&password, salt);
        let profile = self.profile.clone();
        let application = self.application_mut(id)?;
        application.approve(hash)?;
        let form = &application.form;
        let site = profile.site_name(form.kind);
        let fill = [
            ("name", form.applicant.as_str()),
            ("site", site),
            ("url", url.as_str()),
            (
                "password_label",
                profile.mail.password.password_label.as_str(),
            ),
            ("password", password.as_str()),
        ];
        let mails = [
            Mail {
                to_name: form.applicant.clone(),
                to: form.email.clone(),
                subject: profile.text("MAIL-URL").to_owned(),
                // The password is not a placeholder of the URL's mail: never filled in there.
                body: Profile::mail_body(&profile.mail.url.body, &fill[..3]),
                application: id.to_owned(),
                catalogue: "MAIL-URL".into(),
            },
            Mail {
                to_name: form.applicant.clone(),
                to: form.email.clone(),
                subject: profile.text("MAIL-PASSWORD").to_owned(),
                body: Profile::mail_body(&profile.mail.password.body, &fill),
                application: id.to_owned(),
                catalogue: "MAIL-PASSWORD".into(),
            },
        ];
        for mail in mails {
            self.send(mail)?;
        }
        let now = self.clock.now();
        self.application_mut(id)?.mailed_at = Some(now);
        Ok(())
    }

    /// A login with the password from the mail [STEP1-LOGIN]: [`Self::begin_login`], the
    /// password's check and [`Self::finish_login`] in one go.
    pub fn login(&mut self, id: &str, password: &str) -> Result<Opened, Refusal> {
        let check = self.begin_login(id)?;
        self.finish_login(check.check(password))
    }

    /// What a login's password is checked against, to check outside the desk's lock: the hash
    /// (PBKDF2) is a login's one slow step, and under the lock it would hold every other request
    /// of the site back. NOT-FOUND for an unknown application.
    pub fn begin_login(&self, id: &str) -> Result<PasswordCheck, Refusal> {
        Ok(PasswordCheck {
            id: id.to_owned(),
            hash: self.application(id)?.password.clone(),
        })
    }

    /// Opens the step a checked login leads to, or says why not [STEP1-LOGIN]: a wrong password
    /// is AUTH-FAILED whatever the state. A password does not change once made, so a check made
    /// outside the lock still holds.
    pub fn finish_login(&mut self, checked: CheckedPassword) -> Result<Opened, Refusal> {
        self.begin();
        let result = self.login_now(&checked.id, checked.right);
        self.finish(result)
    }

    fn login_now(&mut self, id: &str, right: bool) -> Result<Opened, Refusal> {
        self.application(id)?;
        let session = draw_string(self.entropy.as_mut(), TOKEN_ALPHABET, 32);
        let step = self.application_mut(id)?.login_checked(right, &session)?;
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
        self.begin();
        let result = self.application(id).and_then(|a| a.check_session(session));
        let result = result.and_then(|()| self.application_mut(id)?.press_issue());
        self.finish(result)?;
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
        self.begin();
        let result = self.finish_csr_now(signed);
        self.finish(result)
    }

    fn finish_csr_now(&mut self, signed: Signed) -> Result<IssuedCertificate, Refusal> {
        let Signed {
            id,
            session,
            issued,
        } = signed;
        let issued = issued.map_err(|e| {
            tracing::error!(application = id, "signing failed: {e}");
            Refusal::Internal
        })?;
        self.application(&id)?.check_session(session.as_deref())?;
        self.application_mut(&id)?
            .record_issued(issued.serial.clone())?;
        self.issued.push(Issued {
            application: id,
            certificate: issued.clone(),
        });
        Ok(issued)
    }

    /// The client reports the install complete: the site closes for this application [SITE-ONE-TIME].
    pub fn complete(&mut self, id: &str, session: Option<&str>) -> Result<(), Refusal> {
        self.begin();
        let result = self.application(id).and_then(|a| a.check_session(session));
        let result = result.and_then(|()| self.application_mut(id)?.complete());
        self.finish(result)
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
        self.begin();
        self.documents.push(document);
        self.finish(Ok(()))?;
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
        let index = self
            .documents
            .iter()
            .position(|d| d.id == id && d.subject == holder.subject)
            .ok_or(Refusal::NotFound)?;
        let before = self.documents[index].clone();
        let envelope =
            crate::enrollment::delivery::seal(&before.content, &holder.der).map_err(|e| {
                tracing::error!(document = id, "sealing failed: {e}");
                Refusal::Internal
            })?;
        self.begin();
        self.change.delivered.insert(index, before);
        self.documents[index].deliveries.push(holder.serial.clone());
        let delivered = self.documents[index].clone();
        self.finish(Ok((delivered, envelope)))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
    use time::macros::datetime;

    use super::*;
    use crate::{enrollment::application::Attribute, world::entropy::SeededEntropy};

    /// The password, from the application's MAIL-PASSWORD mail: the desk keeps only its hash.
    pub(crate) fn password_of(desk: &RegistrationAuthority, id: &str) -> String {
        let sent = desk
            .outbox()
            .sent()
            .iter()
            .find(|m| m.mail.catalogue == "MAIL-PASSWORD" && m.mail.application == id)
            .unwrap();
        let mut lines = sent.mail.body.lines();
        lines.find(|l| l.starts_with("認証情報パスワード"));
        lines.next().unwrap().trim().to_owned()
    }

    /// A desk with one application logged into and at step 3, and a CSR for it.
    fn at_step_three() -> (RegistrationAuthority, String, String, String) {
        let now = datetime!(2026-11-25 10:00 +9);
        let mut desk = RegistrationAuthority::new(
            Authority::from_pem(test_support::pki::ROOT_PEM, test_support::pki::ROOT_KEY_PEM)
                .unwrap(),
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
        let password = password_of(&desk, &id);
        let Opened::StepTwo(two) = desk.login(&id, &password).unwrap() else {
            panic!("a first login opens step 2");
        };
        desk.press_issue(&id, Some(&two.session)).unwrap();
        let key = KeyPair::from_pem(test_support::pki::holder_key(0)).unwrap();
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
