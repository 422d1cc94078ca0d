//! The enrollment, step by step as the guide walks it: log in, read the CSP and key length, install
//! the root after checking its thumbprint, make the key and the request, install the certificate,
//! and open the confirmation page with it.
//!
//! Each step is reported as an [`Event`] as it happens; the CLI prints them, the harness records them.

use std::{fmt, ops::ControlFlow, sync::Arc};

use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair, PublicKeyData as _};

use crate::{
    error::Error,
    prompt::{Prompter, Question},
    site::{ConfirmPage, KeyRequirement, LoggedIn, RootReference, SiteClient, StepThree},
    store::{PendingRequest, RequestRecord, SiteRecord, Store},
    thumbprint::{pairs, sha1, sha256},
};

/// What an enrollment needs.
#[derive(Debug, Clone)]
pub struct Invitation {
    /// The step 1 URL from the MAIL-URL mail.
    pub url: String,
    /// The password from the MAIL-PASSWORD mail.
    pub password: String,
    /// The anchor trusted for the site's TLS (PEM).
    pub site_trust_pem: Vec<u8>,
}

/// A step of the enrollment, as it happens.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Event {
    /// A pending request of this application, left by an earlier attempt, was found in the store.
    PendingFound {
        /// Its id.
        id: String,
        /// When its key was made.
        created: String,
        /// Whether the site's certificate for it arrived before the attempt stopped.
        answered: bool,
    },
    /// The certificate of an earlier attempt, kept in the store, was installed [CANCEL-RESUME].
    Recovered {
        /// The pending request it answered.
        id: String,
        /// Its serial.
        serial: String,
    },
    /// The login page was found: which site it is.
    Opened {
        /// 証明書発行サイト【ステップ 1】 or 証明書更新サイト【ステップ 1】
        title: String,
    },
    /// Logged in; step 2 shows what the key must be [STEP2-CSP-KEYLEN].
    Requirements {
        /// The CSP.
        csp: String,
        /// Algorithm.
        algorithm: String,
        /// Key length.
        length: u64,
    },
    /// A login resumed step 3 after a cancel [CANCEL-RESUME].
    Resumed,
    /// The root was downloaded and its thumbprints match the repository page [REPOSITORY-PAGE].
    RootVerified {
        /// Its subject, as published.
        subject: String,
        /// SHA-1.
        sha1: String,
        /// SHA-256.
        sha256: String,
    },
    /// The root is now trusted [STEP3-ROOT-INSTALL].
    RootInstalled,
    /// The root was already trusted.
    RootAlreadyTrusted,
    /// The root install was declined: the certificate will not chain (CHAIN-INCOMPLETE).
    RootDeclined,
    /// The key was made and stored with its request, before anything was sent.
    KeyStored {
        /// Key length.
        length: u64,
        /// The pending request's id.
        id: String,
    },
    /// The CSR was accepted and a certificate came back.
    Issued {
        /// Its serial.
        serial: String,
    },
    /// The certificate is installed beside its key [STEP3-CLIENT-INSTALL].
    Installed {
        /// Its subject.
        subject: String,
    },
    /// The site was told the install completed; step 4.
    Completed,
    /// The confirmation page answered [STEP4-CONFIRM].
    Confirmed {
        /// 証明書確認ページ
        title: String,
        /// The holder's subject as the page shows it.
        subject: String,
        /// How many certificates the page lists for the holder.
        listed: usize,
    },
}

impl Event {
    /// The event as a `--json` line: its fields, and the text a person would see.
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert("text".into(), self.to_string().into());
        }
        value
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PendingFound { id, created, answered } => {
                write!(
                    f,
                    "[0/4] 前回の申請の鍵が残っています (a key from an earlier attempt is kept): pending/{id}, {created}"
                )?;
                if *answered {
                    f.write_str("\n      証明書も届いています: インストールします (its certificate arrived before the attempt stopped: installing it)")?;
                }
                Ok(())
            }
            Self::Recovered { id, serial } => write!(
                f,
                "[3/4] 前回届いた証明書をインストールします (installing the certificate kept for pending/{id}, serial {serial}; the site already issued it, so there is no login)"
            ),
            Self::Opened { title } => write!(f, "[1/4] {title} を開きました (login page found)"),
            Self::Requirements { csp, algorithm, length } => write!(
                f,
                "[2/4] ログインしました (logged in). CSP: {csp} / Key 長: {length} ({algorithm})"
            ),
            Self::Resumed => f.write_str(
                "[2/4] 再度ログインしました: インストールを再開します (resumed after a cancel)",
            ),
            Self::RootVerified { subject, sha1, .. } => write!(
                f,
                "[3/4] ルート CA 証明書をダウンロードしました: {subject}\n      拇印 (sha1) {sha1} はリポジトリの公開値と一致します (thumbprints match the repository page)"
            ),
            Self::RootInstalled => f.write_str(
                "[3/4] ルート CA 証明書を信頼されたルート証明機関にインストールしました (root installed)",
            ),
            Self::RootAlreadyTrusted => {
                f.write_str("[3/4] ルート CA 証明書はインストール済みです (root already trusted)")
            }
            Self::RootDeclined => f.write_str(
                "[3/4] ルート CA 証明書のインストールを取り消しました (root not installed: the certificate will not chain)",
            ),
            Self::KeyStored { length, id } => write!(
                f,
                "[3/4] RSA {length} ビットの鍵を生成し、保存しました (key made and stored first: pending/{id})"
            ),
            Self::Issued { serial } => {
                write!(f, "[3/4] 証明書が発行されました (certificate issued, serial {serial})")
            }
            Self::Installed { subject } => write!(
                f,
                "[3/4] クライアント証明書をインストールしました (certificate installed beside its key): {subject}"
            ),
            Self::Completed => f.write_str(
                "[4/4] インストールが完了しました。証明書発行サイトは無効になりました (install complete; the site is now closed)",
            ),
            Self::Confirmed { title, subject, listed } => write!(
                f,
                "[4/4] {title}: {subject} (所持する証明書 {listed} 件 / {listed} certificate(s) listed)"
            ),
        }
    }
}

/// What an enrollment ended with.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The installed certificate's serial.
    pub serial: String,
    /// Its subject.
    pub subject: String,
    /// The confirmation page's answer.
    pub confirmation: ConfirmPage,
}

impl Outcome {
    /// The final result object of `--json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "result": "ok",
            "subject": self.subject,
            "serial": self.serial,
            "confirmation": self.confirmation,
        })
    }
}

/// What the caller decides at a checkpoint: go on, or stop there with [`Error::Stopped`].
pub type CheckpointHook = Arc<dyn Fn(Checkpoint) -> ControlFlow<()> + Send + Sync>;

/// How the client is set up for an enrollment.
///
/// ```
/// use std::ops::ControlFlow;
/// use client::enrollment::{Checkpoint, Options};
///
/// // Stop once the CSR has been answered, to see what a crash there leaves in the store.
/// let options = Options::default().on_checkpoint(|reached| {
///     if reached == Checkpoint::CsrSent { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
/// });
/// assert!(options.component());
/// ```
#[derive(Clone)]
pub struct Options {
    component: bool,
    checkpoint: Option<CheckpointHook>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            component: true,
            checkpoint: None,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("component", &self.component)
            .field("checkpoint", &self.checkpoint.as_ref().map(|_| "hook"))
            .finish()
    }
}

impl Options {
    /// With the enrollment component disabled: the client declares none (no
    /// `X-Enrollment-Component`) and makes no key (COMPONENT-UNAVAILABLE).
    pub fn without_component(mut self) -> Self {
        self.component = false;
        self
    }

    /// Whether the enrollment component is enabled (the default).
    pub fn component(&self) -> bool {
        self.component
    }

    /// Calls `hook` at each [`Checkpoint`] reached; `ControlFlow::Break` stops the enrollment
    /// there with [`Error::Stopped`], as a crash there would (the hook may also never return,
    /// as the binary's `CERT_CLIENT_HOLD_AT` does, waiting to be killed).
    pub fn on_checkpoint(
        mut self,
        hook: impl Fn(Checkpoint) -> ControlFlow<()> + Send + Sync + 'static,
    ) -> Self {
        self.checkpoint = Some(Arc::new(hook));
        self
    }
}

/// A point of the enrollment where a crash matters to the store: the conformance harness and
/// the reliability tests interrupt the client there (`CERT_CLIENT_HOLD_AT` for the binary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoint {
    /// Web access agreed, the key being made: nothing is on disk yet.
    KeyGeneration,
    /// The site accepted the CSR and answered; the answer is not yet written anywhere.
    CsrSent,
    /// The certificate is kept beside its pending key, not yet installed.
    CertificateReceived,
}

impl Checkpoint {
    /// Every checkpoint, in the order the enrollment reaches them.
    pub const ALL: [Self; 3] = [
        Self::KeyGeneration,
        Self::CsrSent,
        Self::CertificateReceived,
    ];

    /// Its name: `key-generation`, `csr-sent`, `certificate-received`.
    pub fn name(self) -> &'static str {
        match self {
            Self::KeyGeneration => "key-generation",
            Self::CsrSent => "csr-sent",
            Self::CertificateReceived => "certificate-received",
        }
    }

    /// The checkpoint with this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// The line the binary prints on stderr when `CERT_CLIENT_HOLD_AT` holds it, followed by the
/// checkpoint's name.
pub const HOLDING: &str = "cert-client: holding at checkpoint ";

fn reach(options: &Options, point: Checkpoint) -> Result<(), Error> {
    match options.checkpoint.as_ref().map(|hook| hook(point)) {
        Some(ControlFlow::Break(())) => Err(Error::Stopped { at: point.name() }),
        _ => Ok(()),
    }
}

/// Runs the whole enrollment with the component enabled.
pub async fn enroll(
    invitation: &Invitation,
    store: &Store,
    prompter: &mut dyn Prompter,
    observe: &mut (dyn FnMut(&Event) + Send),
) -> Result<Outcome, Error> {
    enroll_with(invitation, &Options::default(), store, prompter, observe).await
}

/// Runs the whole enrollment. A pending request of the same application left by an earlier
/// attempt is taken up first: its certificate installed if it arrived (CANCEL-RESUME); one whose
/// certificate never came is reported and kept, and a resumed step 3 makes a new key.
pub async fn enroll_with(
    invitation: &Invitation,
    options: &Options,
    store: &Store,
    prompter: &mut dyn Prompter,
    observe: &mut (dyn FnMut(&Event) + Send),
) -> Result<Outcome, Error> {
    let mut site = SiteClient::new(&invitation.url, &invitation.site_trust_pem, None)?;
    if !options.component {
        site = site.without_component();
    }

    // What an earlier attempt left: a damaged entry is not ours to judge here (`doctor` reports it).
    let earlier: Vec<PendingRequest> = store
        .survey()?
        .pending
        .into_iter()
        .filter(|p| p.record().application_url == invitation.url)
        .collect();
    for pending in &earlier {
        observe(&Event::PendingFound {
            id: pending.id().to_owned(),
            created: pending.record().created.clone(),
            answered: pending.answer().is_some(),
        });
    }
    if let Some((pending, answer)) = earlier.iter().find_map(|p| p.answer().map(|a| (p, a))) {
        // The certificate arrived before a crash: the site has issued it (STEP3-ONE-WAY), so there
        // is nothing to log in to; install it and confirm it.
        let installed = store.reinstall(answer)?;
        observe(&Event::Recovered {
            id: pending.id().to_owned(),
            serial: installed.serial.clone(),
        });
        observe(&Event::Installed {
            subject: installed.subject.clone(),
        });
        // The top page names the confirmation site (a listener of its own).
        let top = site.top().await?;
        let confirm_url = site
            .url(top.confirm.as_deref().unwrap_or("/confirm"))?
            .to_string();
        let confirmation =
            confirm(&confirm_url, &invitation.site_trust_pem, store, observe).await?;
        remember(store, &confirm_url, invitation)?;
        return Ok(Outcome {
            serial: installed.serial,
            subject: installed.subject,
            confirmation,
        });
    }

    let step_one = site.step_one(&invitation.url).await?;
    observe(&Event::Opened {
        title: step_one.title.clone(),
    });

    let three = match site.login(&step_one.login, &invitation.password).await? {
        LoggedIn::StepTwo(two) => {
            observe(&Event::Requirements {
                csp: two.csp.clone(),
                algorithm: two.key.algorithm.clone(),
                length: two.key.length,
            });
            // Refuse a key we cannot make before anything is pressed (STEP2-CSP-KEYLEN).
            check_csp(&two)?;
            rsa_size(&two.key, &two.csp)?;
            let question = Question::Issue {
                csp: two.csp.clone(),
                length: two.key.length,
            };
            if !prompter.confirm(&question) {
                return Err(Error::CsrGenerationFailed(
                    "発行 was answered いいえ".into(),
                ));
            }
            site.press_issue(&two.issue).await?
        }
        LoggedIn::StepThree(three) => {
            observe(&Event::Resumed);
            three
        }
    };

    install_root(&site, &three, store, prompter, observe).await?;

    // The component is what makes the key: disabled, this client cannot go on (the site may
    // already have refused a step without it).
    if !options.component {
        return Err(Error::ComponentUnavailable);
    }
    if !prompter.confirm(&Question::WebAccess {
        site: site.url("/")?.to_string(),
    }) {
        return Err(Error::EnrollCancelled);
    }
    let size = rsa_size(&three.key, "the site's CSP")?;
    reach(options, Checkpoint::KeyGeneration)?;
    let key = tokio::task::spawn_blocking(move || {
        KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size)
    })
    .await
    .map_err(|e| Error::CsrGenerationFailed(e.to_string()))?
    .map_err(|e| Error::CsrGenerationFailed(e.to_string()))?;
    let csr = make_csr(&key, &three.subject)?;
    let pending = store.begin_request(
        &key.serialize_pem(),
        &key.subject_public_key_info(),
        RequestRecord {
            csr,
            application_url: invitation.url.clone(),
            created: now_rfc3339(),
        },
    )?;
    observe(&Event::KeyStored {
        length: three.key.length,
        id: pending.id().to_owned(),
    });

    let issued = site.submit_csr(&three.csr, &pending).await?;
    reach(options, Checkpoint::CsrSent)?;
    store.record_answer(&pending, &issued.certificate)?;
    reach(options, Checkpoint::CertificateReceived)?;
    observe(&Event::Issued {
        serial: issued.serial.clone(),
    });
    let installed = store.reinstall(&issued.certificate)?;
    observe(&Event::Installed {
        subject: installed.subject.clone(),
    });
    let four = site.complete(&issued.complete).await?;
    observe(&Event::Completed);

    let confirm_url = site.url(&four.confirm)?.to_string();
    let confirmation = confirm(&confirm_url, &invitation.site_trust_pem, store, observe).await?;
    remember(store, &confirm_url, invitation)?;
    Ok(Outcome {
        serial: installed.serial,
        subject: installed.subject,
        confirmation,
    })
}

fn remember(store: &Store, confirm: &str, invitation: &Invitation) -> Result<(), Error> {
    store.remember_site(&SiteRecord {
        confirm: confirm.to_owned(),
        site_ca: String::from_utf8_lossy(&invitation.site_trust_pem).into_owned(),
    })?;
    Ok(())
}

/// Opens the confirmation page with the store's current certificate [STEP4-CONFIRM], which lists
/// every certificate the site issued to the holder [CONFIRM-SITE-LISTING].
pub async fn confirm(
    url: &str,
    site_trust_pem: &[u8],
    store: &Store,
    observe: &mut (dyn FnMut(&Event) + Send),
) -> Result<ConfirmPage, Error> {
    let identity = store
        .identity()?
        .map(|(_, certificate, key)| format!("{certificate}{key}"));
    let site = SiteClient::new(url, site_trust_pem, identity.as_deref())?;
    let page = site.confirm(url).await?;
    observe(&Event::Confirmed {
        title: page.title.clone(),
        subject: page.holder.subject.clone(),
        listed: page.certificates.len(),
    });
    Ok(page)
}

/// Installs the issuing root from the site's repository page, after checking the download
/// against the thumbprints published there and asking (CHAIN-INCOMPLETE's remedy).
pub async fn install_published_root(
    url: &str,
    site_trust_pem: &[u8],
    store: &Store,
    prompter: &mut dyn Prompter,
    observe: &mut (dyn FnMut(&Event) + Send),
) -> Result<(), Error> {
    let site = SiteClient::new(url, site_trust_pem, None)?;
    let repository = site.repository("/repository").await?;
    let reference = RootReference {
        certificate: "/repository/root.cer".into(),
        sha1: repository.root.sha1.clone(),
        sha256: repository.root.sha256.clone(),
    };
    check_and_install_root(&site, &reference, "/repository", store, prompter, observe).await
}

async fn install_root(
    site: &SiteClient,
    three: &StepThree,
    store: &Store,
    prompter: &mut dyn Prompter,
    observe: &mut (dyn FnMut(&Event) + Send),
) -> Result<(), Error> {
    check_and_install_root(
        site,
        &three.root,
        &three.repository,
        store,
        prompter,
        observe,
    )
    .await
}

async fn check_and_install_root(
    site: &SiteClient,
    root: &RootReference,
    repository_path: &str,
    store: &Store,
    prompter: &mut dyn Prompter,
    observe: &mut (dyn FnMut(&Event) + Send),
) -> Result<(), Error> {
    let der = site.download(&root.certificate).await?;
    let repository = site.repository(repository_path).await?;
    let (found_sha1, found_sha256) = (pairs(&sha1(&der)), pairs(&sha256(&der)));
    // The downloaded root must be the one the repository publishes, and the one step 3 named.
    let matches = found_sha256.eq_ignore_ascii_case(&repository.root.sha256)
        && found_sha1.eq_ignore_ascii_case(&repository.root.sha1)
        && found_sha256.eq_ignore_ascii_case(&root.sha256);
    if !matches {
        return Err(Error::RootMismatch {
            published: repository.root.sha256,
            found: found_sha256,
        });
    }
    observe(&Event::RootVerified {
        subject: repository.root.subject.clone(),
        sha1: found_sha1.clone(),
        sha256: found_sha256,
    });
    if store.has_root(&der) {
        observe(&Event::RootAlreadyTrusted);
        return Ok(());
    }
    let question = Question::InstallRoot {
        subject: repository.root.subject,
        sha1: found_sha1,
    };
    if prompter.confirm(&question) {
        store.add_root(&der)?;
        observe(&Event::RootInstalled);
    } else {
        observe(&Event::RootDeclined);
    }
    Ok(())
}

/// The Microsoft software CSPs whose RSA keys this client makes in their stead; any other (a smart
/// card's, a hardware module's) holds its keys where this client cannot.
const CSPS: [&str; 5] = [
    "Microsoft Enhanced RSA and AES Cryptographic Provider",
    "Microsoft Enhanced Cryptographic Provider v1.0",
    "Microsoft Strong Cryptographic Provider",
    "Microsoft Base Cryptographic Provider v1.0",
    "Microsoft RSA SChannel Cryptographic Provider",
];

fn check_csp(two: &crate::site::StepTwo) -> Result<(), Error> {
    if CSPS
        .iter()
        .any(|csp| csp.eq_ignore_ascii_case(two.csp.trim()))
    {
        Ok(())
    } else {
        Err(Error::KeyUnsupported {
            csp: two.csp.clone(),
            algorithm: two.key.algorithm.clone(),
            length: two.key.length,
        })
    }
}

fn rsa_size(key: &KeyRequirement, csp: &str) -> Result<rcgen::RsaKeySize, Error> {
    let unsupported = || Error::KeyUnsupported {
        csp: csp.to_owned(),
        algorithm: key.algorithm.clone(),
        length: key.length,
    };
    if !key.algorithm.eq_ignore_ascii_case("RSA") {
        return Err(unsupported());
    }
    match key.length {
        2048 => Ok(rcgen::RsaKeySize::_2048),
        3072 => Ok(rcgen::RsaKeySize::_3072),
        4096 => Ok(rcgen::RsaKeySize::_4096),
        _ => Err(unsupported()),
    }
}

/// A PKCS#10 request for `key` with the subject the site named, SHA-256 with RSA.
pub fn make_csr(key: &KeyPair, subject: &[(String, String)]) -> Result<String, Error> {
    let mut dn = DistinguishedName::new();
    for (attribute, value) in subject {
        let ty = match attribute.as_str() {
            "C" => DnType::CountryName,
            "ST" => DnType::StateOrProvinceName,
            "L" => DnType::LocalityName,
            "O" => DnType::OrganizationName,
            "OU" => DnType::OrganizationalUnitName,
            "CN" => DnType::CommonName,
            other => {
                return Err(Error::Protocol(format!(
                    "the site asks for an unknown subject attribute {other}"
                )));
            }
        };
        let value = if ty == DnType::CountryName {
            DnValue::PrintableString(
                value
                    .clone()
                    .try_into()
                    .map_err(|e| Error::Protocol(format!("country {value}: {e}")))?,
            )
        } else {
            DnValue::Utf8String(value.clone())
        };
        dn.push(ty, value);
    }
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    params
        .serialize_request(key)
        .and_then(|csr| csr.pem())
        .map_err(|e| Error::CsrGenerationFailed(e.to_string()))
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
