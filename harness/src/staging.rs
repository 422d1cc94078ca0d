//! `harness reproduce ID --target URL`: leaves a running site in a catalogue case, at the moment
//! before the customer sees the message, and says how to get there.
//!
//! Each id has its own staging, done as the back office and the customer's own client would do
//! it: applications filed and approved through the admin API, the client library run as far as
//! the customer got (stopped at one of its checkpoints), a fault armed, the clock moved. Nothing
//! is reset afterwards: the case stays until the site is. What support needs to go on (the URL,
//! the password and the mail that holds it, the certificate to import, the stores) is written to
//! a directory of its own and printed.

use std::{
    ops::ControlFlow,
    path::{Path, PathBuf},
};

use client::{
    Invitation,
    enrollment::{Checkpoint, Options},
    prompt::Scripted,
};
use serde_json::{Value, json};

use crate::{
    admin::{Admin, AdminError},
    runner::text,
    scenario::Application,
};

/// Why a case could not be staged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StageError {
    /// The admin API refused or failed.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// The client, run as the customer's, failed where it should not have.
    #[error("the client: {0}")]
    Client(#[from] client::Error),
    /// A file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The id has no staging (not a catalogue id).
    #[error("{0} is not a catalogue id this harness can stage")]
    Unknown(String),
    /// The site did not end in the state the case needs.
    #[error("the site is not in the case: {0}")]
    NotInCase(String),
}

/// An application staged for the case, as the customer holds it.
#[derive(Debug, Clone)]
pub struct StagedApplication {
    /// Its id on the site.
    pub id: String,
    /// Its step 1 URL (from its MAIL-URL mail).
    pub url: String,
    /// Its password (from its MAIL-PASSWORD mail); empty while it is not approved.
    pub password: String,
    /// The mail file holding the password, when sent.
    pub password_mail: Option<PathBuf>,
    /// Its state once staged (`approved`, `issuing`, `issued`, `completed`, …).
    pub state: String,
}

/// A case left in the site.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The catalogue id.
    pub id: String,
    /// The applications staged, first the one the case is about.
    pub applications: Vec<StagedApplication>,
    /// What to open first.
    pub open: String,
    /// What to do, in order (what to type or click).
    pub steps: Vec<String>,
    /// What the person will then see.
    pub sees: String,
    /// Files made for the case (stores, certificates, a PKCS#12 to import), with what each is.
    pub files: Vec<(String, PathBuf)>,
    /// What else changed in the site (the clock moved, a fault armed, auto-approval on).
    pub notes: Vec<String>,
}

/// The passphrase of the PKCS#12 files staging writes: support types it at the import.
pub const PASSPHRASE: &str = "support";

/// What staging works with: the site's admin API and URLs, and a directory for the case's files.
#[derive(Debug)]
pub struct Stager {
    admin: Admin,
    url: String,
    confirm_url: String,
    site_trust_pem: Vec<u8>,
    out: PathBuf,
}

impl Stager {
    /// Staging against the site at `url`, writing the case's files under `out`.
    pub async fn reach(
        url: &str,
        admin_token: &str,
        site_trust_pem: &[u8],
        out: &Path,
    ) -> Result<Self, StageError> {
        let admin = Admin::new(url, admin_token, site_trust_pem)?;
        let confirm_url = admin.confirmation_site().await?;
        let stager = Self {
            admin,
            url: url.trim_end_matches('/').to_owned(),
            confirm_url,
            site_trust_pem: site_trust_pem.to_vec(),
            out: out.to_path_buf(),
        };
        stager.write("site-ca.pem", &stager.site_trust_pem)?;
        Ok(stager)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, StageError> {
        let path = self.out.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| StageError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, bytes).map_err(|source| StageError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    /// Files an application for Taro Yamada with the case's id in the subject's OU (so cases on
    /// one site stay apart on the confirmation page), approving it unless told not to.
    async fn file(&self, case: &str, kind: &str, approve: bool) -> Result<String, StageError> {
        let application = Application {
            applicant: "山田 太郎".into(),
            email: "taro@example.jp".into(),
            subject: vec![
                ("C".into(), "JP".into()),
                ("O".into(), "Example Securities".into()),
                ("OU".into(), case.into()),
                ("CN".into(), "Taro Yamada".into()),
            ],
            kind: kind.into(),
            approve,
        };
        let filed = self.admin.file(&application).await?;
        let id = text(&filed, "id");
        // With auto-approval on, the back office may have approved it already.
        if approve && text(&filed, "state") == "filed" {
            self.admin.approve(&id).await?;
        }
        Ok(id)
    }

    /// Copies the application's mails into its own Maildir under the case's directory, as the
    /// customer's mail client holds them; the Maildir.
    async fn deliver(&self, application: &str) -> Result<PathBuf, StageError> {
        let maildir = self.out.join(format!("mail-{application}"));
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).map_err(|source| StageError::Io {
                path: maildir.join(sub),
                source,
            })?;
        }
        for mail in self.admin.outbox().await? {
            if text(&mail, "application") != application {
                continue;
            }
            let id = text(&mail, "id");
            let raw = self.admin.mail(&id).await?;
            self.write(
                &format!(
                    "mail-{application}/new/{id}-{}.eml",
                    text(&mail, "catalogue")
                ),
                &raw,
            )?;
        }
        Ok(maildir)
    }

    /// An application approved for the case, its mails delivered, read as the customer reads them.
    async fn approved(&self, case: &str, kind: &str) -> Result<StagedApplication, StageError> {
        let id = self.file(case, kind, true).await?;
        let maildir = self.deliver(&id).await?;
        let found = client::mailbox::read_invitation(&maildir)?;
        let password_mail = std::fs::read_dir(maildir.join("new"))
            .map_err(|source| StageError::Io {
                path: maildir.join("new"),
                source,
            })?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with("MAIL-PASSWORD.eml"));
        Ok(StagedApplication {
            state: self.state(&id).await?,
            id,
            url: found.url,
            password: found.password,
            password_mail,
        })
    }

    async fn state(&self, application: &str) -> Result<String, StageError> {
        Ok(text(&self.admin.application(application).await?, "state"))
    }

    /// Runs the customer's client (the library) for `application` into the store `store`,
    /// answering the guide's dialogs with `answers` and stopping at `stop` if given, as a crash
    /// or a closed window there would. The application's state after it.
    async fn enroll(
        &self,
        application: &mut StagedApplication,
        store: &str,
        answers: &[(&str, bool)],
        stop: Option<Checkpoint>,
    ) -> Result<PathBuf, StageError> {
        let dir = self.out.join(store);
        let store = client::Store::open(&dir).map_err(client::Error::from)?;
        let invitation = Invitation {
            url: application.url.clone(),
            password: application.password.clone(),
            site_trust_pem: self.site_trust_pem.clone(),
        };
        let options = Options::default().on_checkpoint(move |reached| {
            if Some(reached) == stop {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        let mut prompter = Scripted::new(answers.iter().map(|(q, a)| ((*q).to_owned(), *a)));
        let result =
            client::enroll_with(&invitation, &options, &store, &mut prompter, &mut |_| {}).await;
        match (result, stop) {
            (Ok(_), None) | (Err(client::Error::Stopped { .. }), Some(_)) => {}
            // Declining a dialog is how some cases are staged: the client's refusal is expected.
            (Err(client::Error::EnrollCancelled | client::Error::CsrGenerationFailed(_)), _) => {}
            (Err(other), _) => return Err(other.into()),
            (Ok(_), Some(point)) => {
                return Err(StageError::NotInCase(format!(
                    "the client never reached {}",
                    point.name()
                )));
            }
        }
        application.state = self.state(&application.id).await?;
        Ok(dir)
    }

    /// Exports the current certificate of `store` with its key as a PKCS#12 under [`PASSPHRASE`].
    fn pkcs12(&self, store: &Path, name: &str) -> Result<PathBuf, StageError> {
        let store = client::Store::open(store).map_err(client::Error::from)?;
        let (_, bytes) = client::export::pkcs12(&store, None, PASSPHRASE)?;
        self.write(name, &bytes)
    }

    /// The case `id`, staged.
    pub async fn stage(&self, id: &str) -> Result<Staged, StageError> {
        let mut case = Staged {
            id: id.to_owned(),
            applications: Vec::new(),
            open: self.url.clone(),
            steps: Vec::new(),
            sees: String::new(),
            files: vec![(
                "サイトの TLS 証明書の発行元 (the site's TLS trust anchor)".into(),
                self.out.join("site-ca.pem"),
            )],
            notes: Vec::new(),
        };
        let log_in = "パスワード欄に上記のパスワードを入力し、「ログイン」を押す (type the password above, press ログイン)";
        let through_step_three = [
            log_in,
            "「発行」を押し、確認に「はい」と答える (press 発行, answer はい)",
            "ルート CA 証明書のインストールで拇印を確かめ「はい」 (check the root's thumbprint, answer はい)",
        ];
        let full = [
            ("issue", true),
            ("install-root", true),
            ("web-access", true),
        ];
        match id {
            "SITE-REACHABLE" => {
                case.steps
                    .push("ページを開くだけ (just open the page)".into());
                case.sees = "トップページ: 証明書発行サイトへの接続確認 (the top page: the site is reachable)".into();
            }
            "REPOSITORY-PAGE" => {
                case.open = format!("{}/repository", self.url);
                case.steps
                    .push("ページを開くだけ (just open the page)".into());
                case.sees =
                    "リポジトリ: 認証局の公開情報とルート CA 証明書の拇印 (the CA's public information and the root's thumbprints)".into();
            }
            "CONFIRM-FORBIDDEN" => {
                case.open = format!("{}/confirm", self.confirm_url);
                case.steps.push(
                    "証明書の選択を求められたら「キャンセル」を押す(証明書を選ばない) (when asked for a certificate, cancel)"
                        .into(),
                );
                case.sees =
                    "証明書が提示されないため、確認ページは開けない旨 (CONFIRM-FORBIDDEN)".into();
            }
            "MAIL-URL"
            | "MAIL-PASSWORD"
            | "STEP1-LOGIN"
            | "STEP2-CSP-KEYLEN"
            | "STEP2-CSP-HIDDEN"
            | "STEP3-ROOT-INSTALL"
            | "STEP3-CLIENT-INSTALL"
            | "CSR-GENERATION-FAILED"
            | "ENROLL-CANCELLED"
            | "AUTH-FAILED"
            | "COMPONENT-UNAVAILABLE"
            | "ENV-SUPPORTED" => {
                let application = self.approved(id, "new").await?;
                case.open = application.url.clone();
                let maildir = self.out.join(format!("mail-{}", application.id));
                let client_command = |extra: &str| {
                    format!(
                        "{extra}cert-client --store {store} enroll --site-ca {ca} --maildir {maildir}",
                        store = self.out.join("store").display(),
                        ca = self.out.join("site-ca.pem").display(),
                        maildir = maildir.display(),
                    )
                };
                match id {
                    "MAIL-URL" | "MAIL-PASSWORD" => {
                        case.open = maildir.join("new").display().to_string();
                        case.steps.push(
                            "メールを開く(メールソフト、または `mock-ca serve --demo` の /mailbox) (open the mails)"
                                .into(),
                        );
                        case.sees = if id == "MAIL-URL" {
                            "「電子証明書の発行 URL のお知らせ」: 申請の URL (the mail with the URL)".into()
                        } else {
                            "「電子証明書の発行パスワードのお知らせ」: 認証情報パスワード (the mail with the password)".into()
                        };
                    }
                    "STEP1-LOGIN" => {
                        case.steps.push("ページを開く (open the URL)".into());
                        case.sees =
                            "【ステップ 1】 ログイン画面: パスワードの入力欄 (step 1, the login)"
                                .into();
                    }
                    "STEP2-CSP-KEYLEN" => {
                        case.steps.push(log_in.into());
                        case.sees = "【ステップ 2】 CSP と Key 長の表示、「発行」ボタン (step 2: CSP, key length, 発行)".into();
                    }
                    "STEP2-CSP-HIDDEN" => {
                        case.steps.push(
                            "ブラウザでこのサイトの JavaScript を無効にする (Chromium: 設定 → プライバシーとセキュリティ → サイトの設定 → JavaScript) (turn JavaScript off for the site)"
                                .into(),
                        );
                        case.steps.push(log_in.into());
                        case.sees = "【ステップ 2】 CSP と Key 長が表示されず、FAQ の回答と設定への案内 (step 2 without CSP: the FAQ's answer)".into();
                    }
                    "STEP3-ROOT-INSTALL" => {
                        case.steps.push(log_in.into());
                        case.steps.push(
                            "「発行」を押し、確認に「はい」と答える (press 発行, answer はい)"
                                .into(),
                        );
                        case.sees = "【ステップ 3】 ルート CA 証明書のインストールの確認と拇印 (the root install dialog and its thumbprint)".into();
                    }
                    "STEP3-CLIENT-INSTALL" => {
                        case.steps.extend(through_step_three.map(Into::into));
                        case.steps.push(
                            "「Web アクセスの確認」に「はい」と答え、証明書を保存するパスフレーズを 2 回入力する (answer はい, type a passphrase twice)"
                                .into(),
                        );
                        case.sees = "クライアント証明書のインストール: 証明書ファイルの保存と【ステップ 4】への案内 (the certificate saved, then step 4)".into();
                    }
                    "CSR-GENERATION-FAILED" => {
                        case.steps.push(log_in.into());
                        case.steps.push(
                            "「発行」を押し、確認に「いいえ」と答える(またはブラウザの「戻る」を押す) (press 発行, answer いいえ or press 戻る)"
                                .into(),
                        );
                        case.sees =
                            "証明書要求の生成に失敗した旨のメッセージ (CSR-GENERATION-FAILED)"
                                .into();
                    }
                    "ENROLL-CANCELLED" => {
                        case.steps.extend(through_step_three.map(Into::into));
                        case.steps.push(
                            "「Web アクセスの確認」に「いいえ」と答える (answer いいえ)".into(),
                        );
                        case.sees = "操作はユーザーによって取り消されました (-2147023673) (ENROLL-CANCELLED)".into();
                    }
                    "AUTH-FAILED" => {
                        case.steps.push(
                            "パスワード欄にパスワード以外の文字を入力し、「ログイン」を押す (type anything but the password, press ログイン)"
                                .into(),
                        );
                        case.sees = "認証に失敗したか、申請が承認されていません (AUTH-FAILED); 上記のパスワードならログインできる (the printed password logs in)".into();
                    }
                    "COMPONENT-UNAVAILABLE" => {
                        case.open = client_command("");
                        case.steps.push(format!(
                            "コンポーネントを無効にして実行する (run the client with its component disabled): {} --no-component --yes",
                            client_command("")
                        ));
                        case.sees = "発行コンポーネントが利用できない旨と、対応環境の案内 (COMPONENT-UNAVAILABLE)".into();
                    }
                    _ => {
                        // ENV-SUPPORTED
                        case.open = client_command("");
                        case.steps.push(format!(
                            "サポート外の OS を名乗って実行する (run the client declaring an unsupported OS): {} --yes",
                            client_command("CERT_CLIENT_PLATFORM='Windows 8.1' ")
                        ));
                        case.sees = "正式サポート OS は、Windows 10 および Windows 11 です。 (ENV-SUPPORTED)".into();
                    }
                }
                case.applications.push(application);
            }
            "CERT-REQUEST-FAILED" => {
                let application = self.approved(id, "new").await?;
                let fault = self
                    .admin
                    .post(
                        "/faults",
                        json!({"endpoint": "csr", "application": application.id, "times": 1,
                               "effect": {"kind": "error", "id": "CERT-REQUEST-FAILED"}}),
                    )
                    .await?;
                case.notes.push(format!(
                    "フォールト {} を設定: この申請の次の証明書要求は CERT-REQUEST-FAILED で拒否される (fault {} armed: the next CSR of this application is refused)",
                    text(&fault, "id"),
                    text(&fault, "id")
                ));
                case.open = application.url.clone();
                case.steps.extend(through_step_three.map(Into::into));
                case.steps
                    .push("「Web アクセスの確認」に「はい」と答える (answer はい)".into());
                case.sees = "証明書発行要求が失敗した旨のメッセージ (CERT-REQUEST-FAILED)".into();
                case.applications.push(application);
            }
            "CANCEL-RESUME" => {
                let mut application = self.approved(id, "new").await?;
                self.enroll(
                    &mut application,
                    "store",
                    &full,
                    Some(Checkpoint::KeyGeneration),
                )
                .await?;
                expect_state(&application, "issuing")?;
                case.open = application.url.clone();
                case.steps.push(log_in.into());
                case.sees = "「発行」を押した後に中断した申請: ログインすると【ステップ 3】から再開 (resumes at step 3)".into();
                case.applications.push(application);
            }
            "STEP3-ONE-WAY" => {
                let mut application = self.approved(id, "new").await?;
                self.enroll(
                    &mut application,
                    "store",
                    &full,
                    Some(Checkpoint::CertificateReceived),
                )
                .await?;
                expect_state(&application, "issued")?;
                case.open = application.url.clone();
                case.steps.push(log_in.into());
                case.sees =
                    "インストールが不完全であっても証明書発行サイトに再ログインができなくなります (STEP3-ONE-WAY); 鍵はこのブラウザではなく --out のストアにあるため、ページは続けて鍵が見つからない旨も示す (the key is in the store under --out, not in the browser, so the page also says it cannot finish here)".into();
                case.files.push((
                    "鍵と届いた証明書を持つ利用者のストア (the customer's store: the key and the certificate that arrived)".into(),
                    self.out.join("store"),
                ));
                case.applications.push(application);
            }
            "STEP4-CONFIRM"
            | "CONFIRM-SITE-LISTING"
            | "SITE-ONE-TIME"
            | "NO-VALID-REQUEST"
            | "STORE-LIST"
            | "CHAIN-INCOMPLETE"
            | "DATA-DECRYPT" => {
                let mut application = self.approved(id, "new").await?;
                let answers: &[(&str, bool)] = if id == "CHAIN-INCOMPLETE" {
                    &[
                        ("issue", true),
                        ("install-root", false),
                        ("web-access", true),
                    ]
                } else {
                    &full
                };
                let store = self
                    .enroll(&mut application, "store", answers, None)
                    .await?;
                expect_state(&application, "completed")?;
                let list = format!("cert-client --store {} list", store.display());
                match id {
                    "SITE-ONE-TIME" | "NO-VALID-REQUEST" => {
                        case.open = application.url.clone();
                        case.steps.push(log_in.into());
                        case.sees = "有効な証明書申請はありません (the site is closed for a completed application)".into();
                    }
                    "STORE-LIST" | "CHAIN-INCOMPLETE" => {
                        case.open = list.clone();
                        case.steps.push(format!("実行する (run): {list}"));
                        case.sees = if id == "STORE-LIST" {
                            "証明書の一覧: 発行先、有効期間、秘密鍵あり (the listing)".into()
                        } else {
                            "情報不足のため、この証明書・・・ (the root is not installed)".into()
                        };
                    }
                    _ => {
                        let p12 = self.pkcs12(&store, "certificate.p12")?;
                        case.files.push((
                            format!(
                                "ブラウザに取り込む証明書と鍵、パスフレーズ {PASSPHRASE} (the certificate to import, passphrase {PASSPHRASE}; Linux: pk12util -d sql:$HOME/.pki/nssdb -i FILE -W {PASSPHRASE})"
                            ),
                            p12,
                        ));
                        case.steps.push(
                            "certificate.p12 をブラウザ(または OS)の証明書ストアに取り込む (import certificate.p12)".into(),
                        );
                        if id == "DATA-DECRYPT" {
                            let published = self
                                .admin
                                .post(
                                    "/documents",
                                    json!({"application": application.id, "title": "残高証明書",
                                           "file_name": "balance.txt", "content_type": "text/plain",
                                           "content": base64_text("残高証明書 (support case)\n")}),
                                )
                                .await?;
                            case.notes.push(format!(
                                "文書 {} を公開 (document {} published for this holder)",
                                text(&published, "id"),
                                text(&published, "id")
                            ));
                            case.open = format!("{}/documents", self.confirm_url);
                            case.steps.push(
                                "ページを開き、証明書を選んで文書をダウンロードする (open, choose the certificate, download)".into(),
                            );
                            case.sees = "データのダウンロード: この証明書でしか復号できない文書 (the documents, decrypted only with this certificate)".into();
                        } else {
                            case.open = format!("{}/confirm", self.confirm_url);
                            case.steps.push(
                                "ページを開き、証明書の選択で Taro Yamada の証明書を選ぶ (open, choose Taro Yamada's certificate)".into(),
                            );
                            case.sees = "証明書確認ページ: 所持する証明書の一覧 (the confirmation page lists the certificates)".into();
                        }
                    }
                }
                case.files.push((
                    "利用者のストア (the customer's store)".into(),
                    store.clone(),
                ));
                case.applications.push(application);
            }
            "STORE-NEWEST" => {
                let mut first = self.approved(id, "new").await?;
                let store = self.enroll(&mut first, "store", &full, None).await?;
                let mut renewal = self.approved(id, "renewal").await?;
                self.enroll(
                    &mut renewal,
                    "store",
                    &[("issue", true), ("web-access", true)],
                    None,
                )
                .await?;
                expect_state(&renewal, "completed")?;
                let list = format!("cert-client --store {} list", store.display());
                case.open = list.clone();
                case.steps.push(format!("実行する (run): {list}"));
                case.sees = "同一の電子証明書を複数所有する場合、有効期間(開始)の新しいものが最新のものとなります (STORE-NEWEST)".into();
                case.files.push((
                    "同じ証明書を 2 枚持つストア (a store holding both)".into(),
                    store,
                ));
                case.applications.push(renewal);
                case.applications.push(first);
            }
            "REINSTALL-NOT-FOUND" | "OTHER-PC" => {
                let mut application = self.approved(id, "new").await?;
                let other = self
                    .enroll(&mut application, "other-pc", &full, None)
                    .await?;
                expect_state(&application, "completed")?;
                let listed = client::Store::open(&other)
                    .and_then(|s| s.list())
                    .map_err(client::Error::from)?;
                let certificate = listed
                    .first()
                    .map(|l| l.dir.join("certificate.pem"))
                    .ok_or_else(|| StageError::NotInCase("no certificate in other-pc".into()))?;
                let pem = std::fs::read(&certificate).map_err(|source| StageError::Io {
                    path: certificate.clone(),
                    source,
                })?;
                let brought = self.write("certificate-from-other-pc.pem", &pem)?;
                let this_pc = self.out.join("this-pc");
                let install = format!(
                    "cert-client --store {} install {}",
                    this_pc.display(),
                    brought.display()
                );
                case.open = install.clone();
                case.steps.push(format!(
                    "別の PC で発行された証明書をこの PC に入れる (install on this PC what another PC got): {install}"
                ));
                case.sees = "unknown_error:-2146885628 証明書の状態を確認する必要があります。 確認サイトへアクセスしてください。 (REINSTALL-NOT-FOUND)".into();
                case.files.push((
                    "別の PC のストア: 鍵はここにだけある (the other PC's store: the key is only there)".into(),
                    other,
                ));
                case.files.push((
                    "別の PC から持ってきた証明書 (the certificate brought over)".into(),
                    brought,
                ));
                case.applications.push(application);
            }
            "MAIL-NO-DEADLINE" | "MAIL-REMINDER" => {
                let application = self.approved(id, "new").await?;
                let days = if id == "MAIL-REMINDER" { 7 } else { 100 };
                self.admin
                    .post("/clock/advance", json!({ "days": days }))
                    .await?;
                self.admin.post("/tick", Value::Null).await?;
                case.notes.push(format!(
                    "サイトの時計を {days} 日進めた (the site's clock moved {days} days on)"
                ));
                let maildir = self.deliver(&application.id).await?;
                case.open = application.url.clone();
                if id == "MAIL-REMINDER" {
                    case.steps.push(format!(
                        "メールを開く (open the mails in {})",
                        maildir.join("new").display()
                    ));
                    case.sees = "「電子証明書発行手続きのお願い」: インストールが完了していない旨の催促 (the reminder)".into();
                } else {
                    case.steps.push(log_in.into());
                    case.sees = "100 日後でもログインでき【ステップ 2】が開く: URL とパスワードに有効期限はありません (no deadline)".into();
                }
                case.applications.push(application);
            }
            "MAIL-CUTOFF" => {
                // The next processing day (Mon–Fri) at 14:30, Japan time, always later than now, so
                // nothing issued before becomes not yet valid.
                let clock = self.admin.get("/clock").await?;
                let now = time::OffsetDateTime::parse(
                    &text(&clock, "now"),
                    &time::format_description::well_known::Rfc3339,
                )
                .map_err(|e| StageError::NotInCase(format!("the site's clock: {e}")))?;
                let mut day = now.date();
                loop {
                    let at = day
                        .with_hms(14, 30, 0)
                        .map_err(|e| StageError::NotInCase(format!("14:30 on {day}: {e}")))?;
                    let at = at.assume_offset(now.offset());
                    let weekday = day.weekday().number_from_monday();
                    if at > now && weekday <= 5 {
                        let at = at
                            .format(&time::format_description::well_known::Rfc3339)
                            .map_err(|e| StageError::NotInCase(e.to_string()))?;
                        self.admin.put("/clock", json!({ "now": at })).await?;
                        case.notes.push(format!(
                            "サイトの時計を {at} に進め、自動承認をオンにした (the clock moved to {at}; auto-approval on)"
                        ));
                        break;
                    }
                    day = day.next_day().ok_or_else(|| {
                        StageError::NotInCase("no processing day after the clock".into())
                    })?;
                }
                self.admin
                    .put("/auto-approve", json!({ "enabled": true }))
                    .await?;
                let id_filed = self.file(id, "new", false).await?;
                let filed = self.admin.application(&id_filed).await?;
                case.open = format!("{}/admin/applications/{id_filed}", self.url);
                case.steps.push(format!(
                    "管理 API で申請を見る (see the application): curl --cacert {} -H 'Authorization: Bearer <token>' {}",
                    self.out.join("site-ca.pem").display(),
                    case.open
                ));
                case.sees = format!(
                    "14:00 以降の申請: メールは翌営業日 ({}) に届く (filed after the cut-off: mailed on the next processing day)",
                    text(&filed, "approve_at")
                );
                case.applications.push(StagedApplication {
                    id: id_filed.clone(),
                    url: text(&filed, "url"),
                    password: String::new(),
                    password_mail: None,
                    state: text(&filed, "state"),
                });
            }
            other => return Err(StageError::Unknown(other.to_owned())),
        }
        Ok(case)
    }
}

fn expect_state(application: &StagedApplication, state: &str) -> Result<(), StageError> {
    if application.state == state {
        Ok(())
    } else {
        Err(StageError::NotInCase(format!(
            "{} is {}, not {state}",
            application.id, application.state
        )))
    }
}

fn base64_text(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

impl Staged {
    /// What support reads: where to go, with what, what to do, and what will be seen.
    pub fn describe(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "サイトを {} の直前の状態にしました (the site is left just before the customer sees {}).\n",
            self.id, self.id
        );
        for (n, application) in self.applications.iter().enumerate() {
            let _ = writeln!(
                out,
                "申請{} (application) {}: 状態 (state) {}",
                if n == 0 { "" } else { " (other)" },
                application.id,
                application.state
            );
            let _ = writeln!(out, "  URL:        {}", application.url);
            if !application.password.is_empty() {
                let _ = writeln!(out, "  パスワード: {}", application.password);
            }
            if let Some(mail) = &application.password_mail {
                let _ = writeln!(out, "  (password mail: {})", mail.display());
            }
        }
        // A page or a mail folder is opened; a client command is run.
        let opened = self.open.starts_with("https://") || self.open.starts_with('/');
        let verb = if opened {
            "開く (open)"
        } else {
            "実行する (run)"
        };
        let _ = writeln!(out, "\n{verb}: {}", self.open);
        let _ = writeln!(out, "操作 (what to do):");
        for (n, step) in self.steps.iter().enumerate() {
            let _ = writeln!(out, "  {}. {step}", n + 1);
        }
        let _ = writeln!(out, "表示されるもの (what will be seen): {}", self.sees);
        if !self.files.is_empty() {
            let _ = writeln!(out, "\nファイル (files):");
            for (what, path) in &self.files {
                let _ = writeln!(out, "  {}  — {what}", path.display());
            }
        }
        if self.open.starts_with("https://") {
            let anchor = self
                .files
                .first()
                .map(|(_, p)| p.display().to_string())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "\nブラウザがこのサイトを信頼していなければ (if the browser does not trust the site yet): \
                 certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n mock-ca-site -i {anchor} (Chromium on Linux; \
                 Windows: the file's 証明書のインストール into 信頼されたルート証明機関)"
            );
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\nサイトの変更 (what else changed in the site):");
            for note in &self.notes {
                let _ = writeln!(out, "  - {note}");
            }
        }
        let _ = writeln!(
            out,
            "\nこの状態はサイトを再起動するまで残ります (the state stays until the site is restarted)."
        );
        out
    }
}
