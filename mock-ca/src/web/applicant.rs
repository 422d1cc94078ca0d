//! What a test embedding [`MockCa`] does as the back office would, without the admin API's JSON
//! or the registration's lock: file an application and hold it as an [`Applicant`], approve it,
//! read its password from the mail it was sent, see its state; arm a fault; read the journal and
//! the outbox as types; count the panics of this site.

use std::sync::{MutexGuard, atomic::Ordering};

use crate::{
    enrollment::application::{ApplicationForm, State},
    enrollment::authority::Thumbprints,
    enrollment::delivery::{Document, DocumentForm},
    enrollment::faults::{Fault, FaultError, FaultSpec},
    enrollment::journal,
    enrollment::refusal::Refusal,
    enrollment::registration::RegistrationAuthority,
    web::server::MockCa,
    world::outbox::SentMail,
};

impl MockCa {
    /// Files an application as the back office would (its mails are sent at approval).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mock_ca::{ApplicationForm, MockCa, State};
    ///
    /// let site = MockCa::start().await?;
    /// let taro = site.file(ApplicationForm::new("山田 太郎", "taro@example.jp"))?;
    /// assert_eq!(taro.state(), State::Filed);
    /// assert_eq!(taro.password(), None); // made and mailed at approval
    /// taro.approve()?;
    /// assert_eq!(taro.state(), State::Approved);
    /// assert_eq!(taro.password().map(|p| p.len()), Some(12));
    /// println!("log in at {} with {}", taro.url(), taro.password().unwrap_or_default());
    /// # Ok(()) }
    /// ```
    pub fn file(&self, form: ApplicationForm) -> Result<Applicant<'_>, Refusal> {
        let id = self.registration_now().file(form)?.id.clone();
        Ok(Applicant { site: self, id })
    }

    /// An application filed earlier (by [`MockCa::file`], the admin API or the config file).
    pub fn applicant(&self, id: &str) -> Result<Applicant<'_>, Refusal> {
        let id = self.registration_now().application(id)?.id.clone();
        Ok(Applicant { site: self, id })
    }

    /// Every application, in the order filed.
    pub fn applicants(&self) -> Vec<Applicant<'_>> {
        let ids: Vec<String> = self
            .registration_now()
            .applications()
            .map(|a| a.id.clone())
            .collect();
        ids.into_iter()
            .map(|id| Applicant { site: self, id })
            .collect()
    }

    /// Arms a fault, as `POST /admin/faults` does; the fault as armed (its id disarms it).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mock_ca::{Effect, Endpoint, FaultSpec, MockCa};
    ///
    /// let site = MockCa::start().await?;
    /// // The next CSR sent is answered 503, once.
    /// let fault = site.arm(FaultSpec::new(Effect::Status { status: 503 }).at(Endpoint::Csr))?;
    /// assert_eq!(fault.hits, 0);
    /// assert!(site.disarm(&fault.id));
    /// # Ok(()) }
    /// ```
    pub fn arm(&self, spec: FaultSpec) -> Result<Fault, FaultError> {
        self.site().faults().arm(spec).cloned()
    }

    /// Disarms a fault; whether it was armed.
    pub fn disarm(&self, id: &str) -> bool {
        self.site().faults().disarm(id)
    }

    /// The faults armed now, with how often each has hit.
    pub fn faults(&self) -> Vec<Fault> {
        self.site().faults().armed().to_vec()
    }

    /// Every mail sent so far, oldest first (also in the Maildir when there is one).
    pub fn outbox(&self) -> Vec<SentMail> {
        self.registration_now().outbox().sent().to_vec()
    }

    /// The request journal, filtered to one application.
    pub fn journal_of(&self, application: &str) -> Vec<journal::Entry> {
        self.journal()
            .into_iter()
            .filter(|e| e.application.as_deref() == Some(application))
            .collect()
    }

    /// Publishes a document for an application's holder (data delivery); its id.
    pub fn publish(&self, form: DocumentForm) -> Result<String, Refusal> {
        Ok(self.registration_now().publish(form)?.id.clone())
    }

    /// Every document published, with the deliveries made of it.
    pub fn documents(&self) -> Vec<Document> {
        self.registration_now().documents().to_vec()
    }

    /// The root's thumbprints, as step 3 and the repository show them.
    pub fn thumbprints(&self) -> Thumbprints {
        self.registration_now().authority().thumbprints()
    }

    /// How many requests made this site panic (each was answered INTERNAL instead of dropping its
    /// connection). A conformance run expects 0.
    pub fn panics(&self) -> u64 {
        self.site().panics.load(Ordering::Relaxed)
    }

    /// The registration, locked for the shortest time: a poisoned lock is taken over, since every
    /// change puts back what it touched before it returns an error.
    fn registration_now(&self) -> MutexGuard<'_, RegistrationAuthority> {
        self.site().registration()
    }
}

/// One application on a running [`MockCa`], by its id. Each call reads the site now, so a handle
/// stays true while the client under test moves the application on.
#[derive(Debug, Clone)]
pub struct Applicant<'a> {
    site: &'a MockCa,
    id: String,
}

impl Applicant<'_> {
    /// Its id, e.g. `ap-0001`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its step 1 URL, as the MAIL-URL mail gives it.
    pub fn url(&self) -> String {
        self.site.registration_now().application_url(&self.id)
    }

    /// Approves it: its password is made, and both mails are sent.
    pub fn approve(&self) -> Result<(), Refusal> {
        self.site.registration_now().approve(&self.id).map(|_| ())
    }

    /// Withdraws it: logins fail from now on.
    pub fn withdraw(&self) -> Result<(), Refusal> {
        self.site.registration_now().withdraw(&self.id).map(|_| ())
    }

    /// Its password, read from the MAIL-PASSWORD mail it was sent (the site keeps only a hash);
    /// `None` before approval.
    pub fn password(&self) -> Option<String> {
        let label = self
            .site
            .registration_now()
            .profile()
            .mail
            .password
            .password_label
            .trim()
            .to_owned();
        self.mails()
            .iter()
            .rev()
            .filter(|m| m.mail.catalogue == "MAIL-PASSWORD")
            .find_map(|m| {
                let mut lines = m.mail.body.lines();
                lines.find(|l| l.trim() == label)?;
                lines.next().map(|l| l.trim().to_owned())
            })
    }

    /// Where it stands now.
    pub fn state(&self) -> State {
        self.site
            .registration_now()
            .state_of(&self.id)
            .cloned()
            // A handle is made only for a filed application, and applications are never removed.
            .unwrap_or(State::Withdrawn)
    }

    /// The mails sent to its applicant, oldest first.
    pub fn mails(&self) -> Vec<SentMail> {
        self.site
            .outbox()
            .into_iter()
            .filter(|m| m.mail.application == self.id)
            .collect()
    }

    /// The serials of the certificates issued for it, oldest first.
    pub fn serials(&self) -> Vec<String> {
        self.site.registration_now().serials_of(&self.id)
    }

    /// The requests made to its pages, from the journal.
    pub fn journal(&self) -> Vec<journal::Entry> {
        self.site.journal_of(&self.id)
    }
}
