//! The harness's own client of the site's admin API (docs/protocol.md, "Admin API"). Written from
//! the document, apart from the site's code, so the harness checks the site rather than agreeing with it.

use reqwest::{Certificate, Client, header};
use serde_json::{Value, json};

use crate::scenario::Application;

/// The admin API could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The request failed.
    #[error("admin API {what}: {why}")]
    Request {
        /// Which call.
        what: String,
        /// Why.
        why: String,
    },
}

/// A client of one site's admin API.
#[derive(Debug, Clone)]
pub struct Admin {
    http: Client,
    base: String,
    token: String,
}

impl Admin {
    /// A client for the site at `base` (its URL), with its token and TLS trust anchor.
    pub fn new(base: &str, token: &str, site_trust_pem: &[u8]) -> Result<Self, AdminError> {
        let fail = |why: String| AdminError::Request {
            what: "set-up".into(),
            why,
        };
        let anchors =
            Certificate::from_pem_bundle(site_trust_pem).map_err(|e| fail(e.to_string()))?;
        let http = Client::builder()
            .tls_certs_only(anchors)
            .build()
            .map_err(|e| fail(e.to_string()))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
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
        method: reqwest::Method,
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
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            return Err(AdminError::Request {
                what,
                why: format!("HTTP {status}: {body}"),
            });
        }
        Ok(response)
    }

    /// A call whose answer is JSON; an empty answer (204) reads as `null`.
    async fn json(
        &self,
        method: reqwest::Method,
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
    pub async fn file(&self, application: &Application) -> Result<Value, AdminError> {
        let body = json!({
            "applicant": application.applicant,
            "email": application.email,
            "subject": application.subject,
            "kind": application.kind,
        });
        self.json(reqwest::Method::POST, "/applications", Some(body))
            .await
    }

    /// Approves an application.
    pub async fn approve(&self, id: &str) -> Result<Value, AdminError> {
        self.json(
            reqwest::Method::POST,
            &format!("/applications/{id}/approve"),
            None,
        )
        .await
    }

    /// Every application.
    pub async fn applications(&self) -> Result<Vec<Value>, AdminError> {
        Ok(as_list(
            self.json(reqwest::Method::GET, "/applications", None)
                .await?,
        ))
    }

    /// The mails sent.
    pub async fn outbox(&self) -> Result<Vec<Value>, AdminError> {
        Ok(as_list(
            self.json(reqwest::Method::GET, "/outbox", None).await?,
        ))
    }

    /// One mail, raw RFC 5322.
    pub async fn mail(&self, id: &str) -> Result<Vec<u8>, AdminError> {
        let what = format!("GET /outbox/{id}");
        let response = self
            .call(reqwest::Method::GET, &format!("/outbox/{id}"), None)
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

    /// The request journal.
    pub async fn journal(&self) -> Result<Vec<Value>, AdminError> {
        Ok(as_list(
            self.json(reqwest::Method::GET, "/journal", None).await?,
        ))
    }

    /// Any admin GET answering JSON (the clock, the faults).
    pub async fn get(&self, path: &str) -> Result<Value, AdminError> {
        self.json(reqwest::Method::GET, path, None).await
    }

    /// Any admin call with a JSON body, for the calls the harness scripts (clock, faults, withdraw).
    pub async fn post(&self, path: &str, body: Value) -> Result<Value, AdminError> {
        self.json(reqwest::Method::POST, path, Some(body)).await
    }

    /// Any admin call with PUT and a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> Result<Value, AdminError> {
        self.json(reqwest::Method::PUT, path, Some(body)).await
    }

    /// One application.
    pub async fn application(&self, id: &str) -> Result<Value, AdminError> {
        self.json(reqwest::Method::GET, &format!("/applications/{id}"), None)
            .await
    }

    /// Empties the request journal.
    pub async fn clear_journal(&self) -> Result<(), AdminError> {
        self.delete("/journal").await
    }

    /// Any admin DELETE.
    pub async fn delete(&self, path: &str) -> Result<(), AdminError> {
        self.call(reqwest::Method::DELETE, path, None)
            .await
            .map(|_| ())
    }
}

fn as_list(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}
