//! An application (申請) for a client certificate, and the one state machine that governs it.
//!
//! ```text
//!  filed ──approve──▶ approved ──発行──▶ issuing ──CSR accepted──▶ issued ──complete──▶ completed
//! ```
//! Each transition is a method that either moves the application on or says why not; nothing else
//! changes its state.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    enrollment::refusal::Refusal,
    enrollment::secret::{PasswordHash, SessionDigest},
};

/// Which site serves the application: the issuance site or, for a renewal/reissue, the renewal site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A first certificate: 証明書発行サイト.
    #[default]
    New,
    /// A renewal or reissue (更新・再発行), e.g. after a certificate was made on another PC: 証明書更新サイト.
    Renewal,
}

impl Kind {
    /// The site's name as the guide writes it.
    pub fn site_name(self) -> &'static str {
        match self {
            Self::New => "証明書発行サイト",
            Self::Renewal => "証明書更新サイト",
        }
    }
}

/// An attribute of a certificate subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Attribute {
    /// countryName
    C,
    /// stateOrProvinceName
    ST,
    /// localityName
    L,
    /// organizationName
    O,
    /// organizationalUnitName
    OU,
    /// commonName
    CN,
}

impl Attribute {
    /// The attribute named by its short name (`CN`, `O`, …).
    pub fn from_short_name(name: &str) -> Option<Self> {
        Some(match name {
            "C" => Self::C,
            "ST" => Self::ST,
            "L" => Self::L,
            "O" => Self::O,
            "OU" => Self::OU,
            "CN" => Self::CN,
            _ => return None,
        })
    }

    /// The short name, as in `CN=…`.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::C => "C",
            Self::ST => "ST",
            Self::L => "L",
            Self::O => "O",
            Self::OU => "OU",
            Self::CN => "CN",
        }
    }

    pub(crate) fn dn_type(self) -> rcgen::DnType {
        match self {
            Self::C => rcgen::DnType::CountryName,
            Self::ST => rcgen::DnType::StateOrProvinceName,
            Self::L => rcgen::DnType::LocalityName,
            Self::O => rcgen::DnType::OrganizationName,
            Self::OU => rcgen::DnType::OrganizationalUnitName,
            Self::CN => rcgen::DnType::CommonName,
        }
    }
}

/// A certificate subject: attributes in order, outermost (usually `C`) first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject(pub Vec<(Attribute, String)>);

impl Subject {
    /// The subject as an rcgen distinguished name, every value a UTF8String.
    pub(crate) fn to_distinguished_name(&self) -> rcgen::DistinguishedName {
        let mut dn = rcgen::DistinguishedName::new();
        for (attribute, value) in &self.0 {
            let value = match attribute {
                // countryName is a PrintableString by its ASN.1 definition.
                Attribute::C => {
                    rcgen::DnValue::PrintableString(value.clone().try_into().unwrap_or_else(|_| {
                        rcgen::string::PrintableString::try_from("XX").expect("XX is printable")
                    }))
                }
                _ => rcgen::DnValue::Utf8String(value.clone()),
            };
            dn.push(attribute.dn_type(), value);
        }
        dn
    }
}

impl fmt::Display for Subject {
    /// RFC 4514 order: innermost (`CN`) first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (attribute, value)) in self.0.iter().rev().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}={}", attribute.short_name(), value)?;
        }
        Ok(())
    }
}

/// What an applicant files. A field it does not know is refused (BAD-REQUEST), as everywhere in
/// the admin API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationForm {
    /// The applicant's name.
    pub applicant: String,
    /// Where the mails go.
    pub email: String,
    /// The subject the certificate will carry.
    pub subject: Subject,
    /// New, or renewal/reissue.
    #[serde(default)]
    pub kind: Kind,
}

impl ApplicationForm {
    /// A new application (not a renewal) for `applicant`, mailed at `email`, whose certificate
    /// will carry `C=JP, CN=<applicant>`.
    pub fn new(applicant: impl Into<String>, email: impl Into<String>) -> Self {
        let applicant = applicant.into();
        Self {
            subject: Subject(vec![
                (Attribute::C, "JP".into()),
                (Attribute::CN, applicant.clone()),
            ]),
            applicant,
            email: email.into(),
            kind: Kind::default(),
        }
    }

    /// With this subject for the certificate instead.
    pub fn subject(mut self, subject: Subject) -> Self {
        self.subject = subject;
        self
    }

    /// Of this kind (new, or renewal/reissue: the other site's name and mails).
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }
}

/// Where an application stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum State {
    /// Filed, not approved: no mails yet, logins fail with AUTH-FAILED.
    Filed,
    /// Approved, mails sent: a login opens step 2.
    Approved,
    /// 発行 was pressed: step 3. A login after a cancel resumes here (CANCEL-RESUME).
    Issuing,
    /// A certificate was issued; the install never reported complete (STEP3-ONE-WAY).
    Issued {
        /// The issued certificate's serial.
        serial: String,
    },
    /// The install completed; the site is closed for this application (SITE-ONE-TIME).
    Completed {
        /// The issued certificate's serial.
        serial: String,
    },
    /// Withdrawn by the site's staff: no login, no mails (NO-VALID-REQUEST).
    Withdrawn,
}

impl State {
    /// The state's name, as in the protocol document.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Filed => "filed",
            Self::Approved => "approved",
            Self::Issuing => "issuing",
            Self::Issued { .. } => "issued",
            Self::Completed { .. } => "completed",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// The step a successful login opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Step 2: CSP and key length, and the 発行 button.
    Two,
    /// Step 3, resumed after a cancel.
    Three,
}

/// An application and its state.
#[derive(Debug, Clone)]
pub struct Application {
    /// Its id, the last segment of its URL.
    pub id: String,
    /// What was filed.
    pub form: ApplicationForm,
    /// Where it stands.
    pub state: State,
    /// When it was filed, by the site's clock (decides MAIL-CUTOFF).
    pub filed_at: OffsetDateTime,
    /// When the back office will approve it, for an application waiting for auto-approval.
    pub approve_at: Option<OffsetDateTime>,
    /// When its MAIL-URL and MAIL-PASSWORD went out (reminders count from here).
    pub mailed_at: Option<OffsetDateTime>,
    /// How many reminder intervals a MAIL-REMINDER has covered so far.
    pub reminders: u32,
    /// The password's salted hash, from approval (when the password is made and mailed) on; the
    /// password itself is kept nowhere.
    pub(crate) password: Option<PasswordHash>,
    /// The current session's digest.
    pub(crate) session: Option<SessionDigest>,
}

impl Application {
    /// A newly filed application. It has no password until it is approved.
    pub fn file(id: String, form: ApplicationForm, at: OffsetDateTime) -> Self {
        Self {
            id,
            form,
            state: State::Filed,
            filed_at: at,
            approve_at: None,
            mailed_at: None,
            reminders: 0,
            password: None,
            session: None,
        }
    }

    /// Whether the install is still to be completed: what MAIL-REMINDER is about.
    pub fn awaits_install(&self) -> bool {
        matches!(
            self.state,
            State::Approved | State::Issuing | State::Issued { .. }
        )
    }

    /// Withdrawn by the site: any state but completed → withdrawn; the session ends.
    pub fn withdraw(&mut self) -> Result<(), Refusal> {
        match self.state {
            State::Completed { .. } | State::Withdrawn => {
                Err(Refusal::OutOfOrder(self.state.name()))
            }
            _ => {
                self.state = State::Withdrawn;
                self.approve_at = None;
                self.session = None;
                Ok(())
            }
        }
    }

    /// filed → approved, with the hash of the password its MAIL-PASSWORD will carry.
    pub fn approve(&mut self, password: PasswordHash) -> Result<(), Refusal> {
        match self.state {
            State::Filed => {
                self.state = State::Approved;
                self.approve_at = None;
                self.password = Some(password);
                Ok(())
            }
            ref other => Err(Refusal::OutOfOrder(other.name())),
        }
    }

    /// A login with `password`; on success the application holds `session` as its one session.
    ///
    /// The password is checked first, whatever the state: a wrong one is AUTH-FAILED, so that
    /// someone with only the URL learns nothing of the application (not whether its holder has
    /// installed). The right one gets the state's answer, which tells the holder what happened.
    /// An application not approved yet has no password: every login is AUTH-FAILED, after the
    /// same work as a wrong password.
    pub fn login(&mut self, password: &str, session: &str) -> Result<Step, Refusal> {
        let right = check_password(self.password.as_ref(), password);
        self.login_checked(right, session)
    }

    /// [`Self::login`] with the password already checked (outside the desk's lock: the slow part).
    pub(crate) fn login_checked(&mut self, right: bool, session: &str) -> Result<Step, Refusal> {
        if !right {
            return Err(Refusal::AuthFailed);
        }
        let step = match self.state {
            State::Filed => return Err(Refusal::AuthFailed),
            State::Completed { .. } | State::Withdrawn => return Err(Refusal::NoValidRequest),
            State::Issued { .. } => return Err(Refusal::InstallAbandoned),
            State::Approved => Step::Two,
            State::Issuing => Step::Three,
        };
        self.session = Some(SessionDigest::of(session));
        Ok(step)
    }

    /// Checks that `session` is this application's current session.
    pub fn check_session(&self, session: Option<&str>) -> Result<(), Refusal> {
        match (session, &self.session) {
            (Some(given), Some(ours)) if ours.matches(given) => Ok(()),
            _ => Err(Refusal::SessionRequired),
        }
    }

    /// 発行 pressed: approved → issuing (pressing it again in step 3 is harmless).
    pub fn press_issue(&mut self) -> Result<(), Refusal> {
        match self.state {
            State::Approved | State::Issuing => {
                self.state = State::Issuing;
                Ok(())
            }
            ref other => Err(Refusal::OutOfOrder(other.name())),
        }
    }

    /// Whether a CSR may be accepted now.
    pub fn expects_csr(&self) -> Result<(), Refusal> {
        match self.state {
            State::Issuing => Ok(()),
            ref other => Err(Refusal::OutOfOrder(other.name())),
        }
    }

    /// A certificate was issued: issuing → issued. From here no login is possible (STEP3-ONE-WAY).
    pub fn record_issued(&mut self, serial: String) -> Result<(), Refusal> {
        self.expects_csr()?;
        self.state = State::Issued { serial };
        Ok(())
    }

    /// The client reported the install complete: issued → completed, and the session ends.
    pub fn complete(&mut self) -> Result<(), Refusal> {
        match &self.state {
            State::Issued { serial } => {
                self.state = State::Completed {
                    serial: serial.clone(),
                };
                self.session = None;
                Ok(())
            }
            other => Err(Refusal::OutOfOrder(other.name())),
        }
    }
}

/// Whether `password` is the one `hash` was made of; without a hash (not approved yet), false
/// after the same work.
pub(crate) fn check_password(hash: Option<&PasswordHash>, password: &str) -> bool {
    match hash {
        Some(hash) => hash.verify(password),
        None => {
            PasswordHash::verify_none(password);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approved() -> Application {
        let form = ApplicationForm {
            applicant: "山田 太郎".into(),
            email: "taro@example.jp".into(),
            subject: Subject(vec![
                (Attribute::C, "JP".into()),
                (Attribute::CN, "Taro".into()),
            ]),
            kind: Kind::New,
        };
        let mut application = Application::file(
            "ap-0001".into(),
            form,
            time::macros::datetime!(2026-11-25 10:00 +9),
        );
        application
            .approve(PasswordHash::new("pw", [1; 16]))
            .unwrap();
        application
    }

    #[test]
    fn login_to_a_filed_application_answers_auth_failed_whatever_the_password() {
        let form = approved().form;
        let mut filed = Application::file(
            "ap-0002".into(),
            form,
            time::macros::datetime!(2026-11-25 10:00 +9),
        );
        assert_eq!(filed.login("pw", "s"), Err(Refusal::AuthFailed));
        assert_eq!(filed.login("", "s"), Err(Refusal::AuthFailed));
    }

    #[test]
    fn a_wrong_password_is_auth_failed_in_every_state_and_the_right_one_gets_the_states_answer() {
        let mut application = approved();
        application.login("pw", "s").unwrap();
        application.press_issue().unwrap();
        application.record_issued("01".into()).unwrap();
        assert_eq!(application.login("wrong", "t"), Err(Refusal::AuthFailed));
        assert_eq!(application.login("pw", "t"), Err(Refusal::InstallAbandoned));
        application.complete().unwrap();
        assert_eq!(application.login("wrong", "t"), Err(Refusal::AuthFailed));
        assert_eq!(application.login("pw", "t"), Err(Refusal::NoValidRequest));
        let mut withdrawn = approved();
        withdrawn.withdraw().unwrap();
        assert_eq!(withdrawn.login("wrong", "t"), Err(Refusal::AuthFailed));
        assert_eq!(withdrawn.login("pw", "t"), Err(Refusal::NoValidRequest));
    }

    #[test]
    fn the_application_keeps_only_the_hash_of_its_password_and_the_digest_of_its_session() {
        let mut application = approved();
        application.login("pw", "session-token").unwrap();
        let kept = format!("{application:?}");
        assert!(!kept.contains("session-token"));
        assert!(!kept.contains("\"pw\""));
    }

    #[test]
    fn login_with_a_wrong_password_answers_auth_failed() {
        assert_eq!(approved().login("wrong", "s"), Err(Refusal::AuthFailed));
    }

    #[test]
    fn login_after_a_cancel_in_step_3_resumes_step_3() {
        let mut application = approved();
        application.login("pw", "s1").unwrap();
        application.press_issue().unwrap();
        assert_eq!(application.login("pw", "s2"), Ok(Step::Three));
        assert_eq!(
            application.check_session(Some("s1")),
            Err(Refusal::SessionRequired)
        );
        assert_eq!(application.check_session(Some("s2")), Ok(()));
    }

    #[test]
    fn login_after_issue_answers_one_way_and_after_completion_no_valid_request() {
        let mut application = approved();
        application.login("pw", "s").unwrap();
        application.press_issue().unwrap();
        application.record_issued("01".into()).unwrap();
        assert_eq!(application.login("pw", "t"), Err(Refusal::InstallAbandoned));
        application.complete().unwrap();
        assert_eq!(application.login("pw", "t"), Err(Refusal::NoValidRequest));
    }

    #[test]
    fn a_withdrawn_application_answers_no_valid_request_and_cannot_be_withdrawn_twice() {
        let mut application = approved();
        application.login("pw", "s").unwrap();
        application.withdraw().unwrap();
        assert_eq!(
            application.check_session(Some("s")),
            Err(Refusal::SessionRequired)
        );
        assert_eq!(application.login("pw", "t"), Err(Refusal::NoValidRequest));
        assert_eq!(
            application.withdraw(),
            Err(Refusal::OutOfOrder("withdrawn"))
        );
    }

    #[test]
    fn subject_displays_innermost_first() {
        let subject = Subject(vec![
            (Attribute::C, "JP".into()),
            (Attribute::CN, "太郎".into()),
        ]);
        assert_eq!(subject.to_string(), "CN=太郎,C=JP");
    }
}
