//! A client of a site's admin API (docs/protocol.md, "Admin API") over HTTPS with its bearer
//! token. Written from the document, apart from the site's code, so a test checks the site rather
//! than agreeing with it: it speaks HTTP and JSON, and shares no type with mock-ca.

pub use reqwest::Method;
use reqwest::{Certificate, Client, header};
use serde::Serialize;
use serde_json::{Value, json};

use crate::mail::{Mail, MailError};

/// The admin API could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The request failed (no connection, no answer, an unreadable answer).
    #[error("admin API {what}: {why}")]
    Request {
        /// Which call.
        what: String,
        /// Why.
        why: String,
    },
    /// The site answered, with a status other than 2xx.
    #[error("admin API {what}: HTTP {status}: {body}")]
    Refused {
        /// Which call.
        what: String,
        /// The HTTP status.
        status: u16,
        /// The answer's body (the site's error JSON).
        body: String,
    },
    /// A mail the call needed was not there, or said nothing of what was looked for.
    #[error("admin API {what}: {source}")]
    Mail {
        /// Which call.
        what: String,
        /// What the mail lacked.
        source: MailError,
    },
}

impl AdminError {
    /// The HTTP status the site answered, when it answered one other than 2xx.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// An application to file (`POST /admin/applications`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewApplication {
    /// The applicant's name.
    pub applicant: String,
    /// Where the mails go.
    pub email: String,
    /// The subject, outermost first (`[["C", "JP"], …]`).
    pub subject: Vec<(String, String)>,
    /// `new` or `renewal`.
    pub kind: String,
}

impl NewApplication {
    /// 山田 太郎 (taro@example.jp) for `C=JP, O=Example Securities, CN=<cn>`, a new application:
    /// the holder most tests enroll.
    pub fn for_cn(cn: &str) -> Self {
        Self {
            applicant: "山田 太郎".into(),
            email: "taro@example.jp".into(),
            subject: vec![
                ("C".into(), "JP".into()),
                ("O".into(), "Example Securities".into()),
                ("CN".into(), cn.into()),
            ],
            kind: "new".into(),
        }
    }

    /// The same with another applicant and address.
    pub fn by(mut self, applicant: &str, email: &str) -> Self {
        self.applicant = applicant.into();
        self.email = email.into();
        self
    }
}

/// A client of one site's admin API.
#[derive(Debug, Clone)]
pub struct Admin {
    http: Client,
    base: String,
    token: String,
}

impl Admin {
    /// A client for the site at `base` (its URL), with its token and TLS trust anchor (PEM).
    pub fn new(base: &str, token: &str, site_trust_pem: &[u8]) -> Result<Self, AdminError> {
        let fail = |why: String| AdminError::Request {
            what: "set-up".into(),
            why,
        };
        let anchors =
            Certificate::from_pem_bundle(site_trust_pem).map_err(|e| fail(e.to_string()))?;
        let http = Client::builder()
            .tls_certs_only(anchors)
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| fail(e.to_string()))?;
        Ok(Self::with_client(http, base, token))
    }

    /// A client over an HTTP client the caller made (its own pool, HTTP version, timeouts).
    pub fn with_client(http: Client, base: &str, token: &str) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        }
    }

    /// The site's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Where the site's confirmation site answers (`https://host:port`): its top page names it.
    pub async fn confirmation_site(&self) -> Result<String, AdminError> {
        let fail = |why: String| AdminError::Request {
            what: "GET /".into(),
            why,
        };
        let top: Value = self
            .http
            .get(format!("{}/", self.base))
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| fail(e.to_string()))?
            .json()
            .await
            .map_err(|e| fail(e.to_string()))?;
        let confirm = top["confirm"]
            .as_str()
            .ok_or_else(|| fail("the top page names no confirmation site".into()))?;
        Ok(confirm.trim_end_matches("/confirm").to_owned())
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<reqwest::Response, AdminError> {
        let what = format!("{method} {path}");
        let mut request = self
            .http
            .request(method, format!("{}/admin{path}", self.base))
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| AdminError::Request {
            what: what.clone(),
            why: e.to_string(),
        })?;
        if !response.status().is_success() {
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            return Err(AdminError::Refused { what, status, body });
        }
        Ok(response)
    }

    /// Any admin call, its status and JSON answer whatever the status (`null` when empty or not
    /// JSON): for tests of the refusals themselves.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), AdminError> {
        let what = format!("{method} {path}");
        let fail = |why: String| AdminError::Request {
            what: what.clone(),
            why,
        };
        let mut request = self
            .http
            .request(method.clone(), format!("{}/admin{path}", self.base))
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| fail(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| fail(e.to_string()))?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// A call whose answer is JSON; an empty answer (204) reads as `null`.
    async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, AdminError> {
        let what = format!("{method} {path}");
        let fail = |why: String| AdminError::Request {
            what: what.clone(),
            why,
        };
        let text = self
            .call(method, path, body)
            .await?
            .text()
            .await
            .map_err(|e| fail(e.to_string()))?;
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| fail(e.to_string()))
    }

    /// Files an application; returns the site's description of it.
    pub async fn file(&self, application: impl Into<NewApplication>) -> Result<Value, AdminError> {
        let application = application.into();
        let body = json!({
            "applicant": application.applicant,
            "email": application.email,
            "subject": application.subject,
            "kind": application.kind,
        });
        self.json(Method::POST, "/applications", Some(body)).await
    }

    /// Approves an application (its two mails go out at once).
    pub async fn approve(&self, id: &str) -> Result<Value, AdminError> {
        self.json(Method::POST, &format!("/applications/{id}/approve"), None)
            .await
    }

    /// Files and approves an application; its id.
    pub async fn approved(
        &self,
        application: impl Into<NewApplication>,
    ) -> Result<String, AdminError> {
        let filed = self.file(application).await?;
        let id = filed["id"]
            .as_str()
            .ok_or_else(|| AdminError::Request {
                what: "POST /applications".into(),
                why: format!("filed without an id: {filed}"),
            })?
            .to_owned();
        self.approve(&id).await?;
        Ok(id)
    }

    /// Every application.
    pub async fn applications(&self) -> Result<Vec<Value>, AdminError> {
        Ok(as_list(
            self.json(Method::GET, "/applications", None).await?,
        ))
    }

    /// One application.
    pub async fn application(&self, id: &str) -> Result<Value, AdminError> {
        self.json(Method::GET, &format!("/applications/{id}"), None)
            .await
    }

    /// The mails sent.
    pub async fn outbox(&self) -> Result<Vec<Value>, AdminError> {
        Ok(as_list(self.json(Method::GET, "/outbox", None).await?))
    }

    /// The mails of one application with one catalogue id (`MAIL-PASSWORD`, …), in order.
    pub async fn outbox_of(
        &self,
        application: &str,
        catalogue: &str,
    ) -> Result<Vec<Value>, AdminError> {
        let path = format!("/outbox?application={application}&catalogue={catalogue}");
        Ok(as_list(self.json(Method::GET, &path, None).await?))
    }

    /// One mail, raw RFC 5322.
    pub async fn mail(&self, id: &str) -> Result<Vec<u8>, AdminError> {
        let what = format!("GET /outbox/{id}");
        let response = self
            .call(Method::GET, &format!("/outbox/{id}"), None)
            .await?;
        Ok(response
            .bytes()
            .await
            .map_err(|e| AdminError::Request {
                what,
                why: e.to_string(),
            })?
            .to_vec())
    }

    /// The latest mail of an application with a catalogue id, read.
    pub async fn latest_mail(
        &self,
        application: &str,
        catalogue: &str,
    ) -> Result<Mail, AdminError> {
        let what = format!("{catalogue} of {application}");
        let listed = self.outbox_of(application, catalogue).await?;
        let id = listed
            .last()
            .and_then(|m| m["id"].as_str())
            .ok_or_else(|| AdminError::Request {
                what: what.clone(),
                why: "no such mail in the outbox".into(),
            })?;
        Mail::parse(&self.mail(id).await?).map_err(|source| AdminError::Mail { what, source })
    }

    /// The password of an approved application, read from its MAIL-PASSWORD mail.
    pub async fn password_of(&self, application: &str) -> Result<String, AdminError> {
        let mail = self.latest_mail(application, "MAIL-PASSWORD").await?;
        mail.password().map_err(|source| AdminError::Mail {
            what: format!("MAIL-PASSWORD of {application}"),
            source,
        })
    }

    /// The step 1 URL of an approved application, read from its MAIL-URL mail.
    pub async fn url_of(&self, application: &str) -> Result<String, AdminError> {
        let mail = self.latest_mail(application, "MAIL-URL").await?;
        mail.url().map_err(|source| AdminError::Mail {
            what: format!("MAIL-URL of {application}"),
            source,
        })
    }

    /// The request journal.
    pub async fn journal(&self) -> Result<Vec<Value>, AdminError> {
        Ok(as_list(self.json(Method::GET, "/journal", None).await?))
    }

    /// Empties the request journal.
    pub async fn clear_journal(&self) -> Result<(), AdminError> {
        self.delete("/journal").await
    }

    /// Any admin GET whose answer is JSON.
    pub async fn get(&self, path: &str) -> Result<Value, AdminError> {
        self.json(Method::GET, path, None).await
    }

    /// Any admin call with a JSON body (clock, faults, withdraw, documents, …).
    pub async fn post(&self, path: &str, body: Value) -> Result<Value, AdminError> {
        self.json(Method::POST, path, Some(body)).await
    }

    /// Any admin call with PUT and a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> Result<Value, AdminError> {
        self.json(Method::PUT, path, Some(body)).await
    }

    /// Any admin DELETE.
    pub async fn delete(&self, path: &str) -> Result<(), AdminError> {
        self.call(Method::DELETE, path, None).await.map(|_| ())
    }
}

fn as_list(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}
