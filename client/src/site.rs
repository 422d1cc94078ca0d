//! The client's side of the protocol (docs/protocol.md), written from the document alone: its own
//! types for the site's answers, and the requests the steps send.

use reqwest::{Certificate, Client, Identity, RequestBuilder, Response, Url, header};
use serde::{Deserialize, de::DeserializeOwned};

use crate::{
    error::{Error, Problem},
    store::PendingRequest,
};

/// What the client declares itself as: the guide's enrollment component.
pub fn component() -> String {
    // CERT_CLIENT_PLATFORM declares another platform, to reproduce a customer's environment
    // (ENV-SUPPORTED) from a machine that is not theirs.
    let platform = std::env::var("CERT_CLIENT_PLATFORM")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| std::env::consts::OS.to_owned());
    format!("cert-client/{} ({platform})", env!("CARGO_PKG_VERSION"))
}

/// The key the site requires.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct KeyRequirement {
    /// `RSA`
    pub algorithm: String,
    /// Bits.
    pub length: u64,
}

/// Step 1's page.
#[derive(Debug, Clone, Deserialize)]
pub struct StepOne {
    /// `issuance` or `renewal`.
    pub site: String,
    /// The page's title.
    pub title: String,
    /// Where to post the password.
    pub login: String,
}

/// Step 2: CSP and key length.
#[derive(Debug, Clone, Deserialize)]
pub struct StepTwo {
    /// The session token.
    pub session: String,
    /// The key provider.
    pub csp: String,
    /// The key.
    pub key: KeyRequirement,
    /// The 発行 button's target.
    pub issue: String,
}

/// The root as step 3 names it.
#[derive(Debug, Clone, Deserialize)]
pub struct RootReference {
    /// Where to download it (DER).
    pub certificate: String,
    /// SHA-1 thumbprint.
    pub sha1: String,
    /// SHA-256 thumbprint.
    pub sha256: String,
}

/// Step 3: the root, then the client certificate.
#[derive(Debug, Clone, Deserialize)]
pub struct StepThree {
    /// Whether a login resumed it after a cancel.
    #[serde(default)]
    pub resumed: bool,
    /// The session token, on a resumed login.
    #[serde(default)]
    pub session: Option<String>,
    /// The root.
    pub root: RootReference,
    /// The repository page.
    pub repository: String,
    /// The key the request must hold.
    pub key: KeyRequirement,
    /// The subject the request must carry, outermost first.
    pub subject: Vec<(String, String)>,
    /// Where to send the CSR.
    pub csr: String,
}

/// What a login opened.
#[derive(Debug, Clone)]
pub enum LoggedIn {
    /// Step 2.
    StepTwo(StepTwo),
    /// Step 3, resumed (CANCEL-RESUME).
    StepThree(StepThree),
}

/// The repository page.
#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    /// The page's notice.
    pub notice: String,
    /// The root, as published.
    pub root: PublishedRoot,
}

/// The root as the repository publishes it.
#[derive(Debug, Clone, Deserialize)]
pub struct PublishedRoot {
    /// Its subject.
    pub subject: String,
    /// SHA-1 thumbprint.
    pub sha1: String,
    /// SHA-256 thumbprint.
    pub sha256: String,
}

/// The answer to a CSR.
#[derive(Debug, Clone, Deserialize)]
pub struct Issued {
    /// The certificate, PEM.
    pub certificate: String,
    /// Its serial.
    pub serial: String,
    /// Where to report the install complete.
    pub complete: String,
}

/// Step 4.
#[derive(Debug, Clone, Deserialize)]
pub struct StepFour {
    /// The confirmation page.
    pub confirm: String,
}

/// A certificate as the confirmation page describes it.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Described {
    /// Subject.
    pub subject: String,
    /// Serial.
    pub serial: String,
    /// Start of validity.
    pub not_before: String,
    /// End of validity.
    pub not_after: String,
}

/// The confirmation page.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct ConfirmPage {
    /// 証明書確認ページ
    pub title: String,
    /// The certificate presented.
    pub holder: Described,
    /// The listing's caption.
    pub listing: String,
    /// Every certificate the site issued to the holder, newest first.
    pub certificates: Vec<Described>,
}

/// The top page.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct TopPage {
    /// The site's name.
    pub site: String,
    /// `ok`
    pub status: String,
    /// The confirmation site's 証明書確認ページ (absolute; absent on sites before it had its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<String>,
}

/// An HTTPS client for one site.
#[derive(Debug, Clone)]
pub struct SiteClient {
    http: Client,
    base: Url,
    session: Option<String>,
    /// Whether requests declare the enrollment component (`--no-component` turns it off).
    component: bool,
}

impl SiteClient {
    /// A client for the site at `url` (any URL of it), trusting only `trust_pem` (one or more PEM
    /// certificates) for the site's TLS, presenting `identity` (certificate and key, PEM) if given.
    pub fn new(url: &str, trust_pem: &[u8], identity: Option<&str>) -> Result<Self, Error> {
        let base = Url::parse(url).map_err(|e| Error::Protocol(format!("bad URL {url}: {e}")))?;
        if base.scheme() != "https" {
            return Err(Error::Protocol(format!(
                "{url}: the site is only reached over https"
            )));
        }
        let anchors = Certificate::from_pem_bundle(trust_pem)
            .map_err(|e| Error::Protocol(format!("site trust anchor: {e}")))?;
        let mut builder = Client::builder()
            .tls_certs_only(anchors)
            .https_only(true)
            .user_agent(component())
            .timeout(std::time::Duration::from_secs(30));
        if let Some(pem) = identity {
            let identity = Identity::from_pem(pem.as_bytes())
                .map_err(|e| Error::Protocol(format!("client certificate: {e}")))?;
            builder = builder.identity(identity);
        }
        let http = builder
            .build()
            .map_err(|e| Error::Network(format!("TLS set-up: {e}")))?;
        Ok(Self {
            http,
            base,
            session: None,
            component: true,
        })
    }

    /// The same client without the enrollment component: no `X-Enrollment-Component` is sent, as a
    /// plain browser would (COMPONENT-UNAVAILABLE).
    #[must_use]
    pub fn without_component(mut self) -> Self {
        self.component = false;
        self
    }

    /// The absolute URL of a path the site gave.
    pub fn url(&self, path: &str) -> Result<Url, Error> {
        self.base
            .join(path)
            .map_err(|e| Error::Protocol(format!("bad path {path}: {e}")))
    }

    fn request(&self, method: reqwest::Method, path: &str) -> Result<RequestBuilder, Error> {
        let mut request = self
            .http
            .request(method, self.url(path)?)
            .header(header::ACCEPT, "application/json");
        if self.component {
            request = request.header("X-Enrollment-Component", component());
        }
        if let Some(session) = &self.session {
            request = request.header(header::COOKIE, format!("session={session}"));
        }
        Ok(request)
    }

    async fn send(request: RequestBuilder) -> Result<Response, Error> {
        let response = request
            .send()
            .await
            .map_err(|e| Error::Network(describe(&e)))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let body = read_body(response, MAX_JSON_ANSWER).await?;
        #[derive(Deserialize)]
        struct Body {
            error: Problem,
        }
        match serde_json::from_slice::<Body>(&body) {
            Ok(Body { error }) => Err(Error::Site {
                status,
                problem: error,
            }),
            Err(_) => Err(Error::Protocol(format!(
                "HTTP {status} without an error body: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ))),
        }
    }

    async fn json<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, Error> {
        let response = Self::send(request).await?;
        let body = read_body(response, MAX_JSON_ANSWER).await?;
        serde_json::from_slice(&body).map_err(|e| {
            Error::Protocol(format!(
                "{e} in {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ))
        })
    }

    /// GET / [SITE-REACHABLE]
    pub async fn top(&self) -> Result<TopPage, Error> {
        Self::json(self.request(reqwest::Method::GET, "/")?).await
    }

    /// GET the application's step 1 page [STEP1-LOGIN].
    pub async fn step_one(&self, application_url: &str) -> Result<StepOne, Error> {
        Self::json(self.request(reqwest::Method::GET, application_url)?).await
    }

    /// POST the password [STEP1-LOGIN]; keeps the session it opens.
    pub async fn login(&mut self, path: &str, password: &str) -> Result<LoggedIn, Error> {
        let request = self
            .request(reqwest::Method::POST, path)?
            .json(&serde_json::json!({ "password": password }));
        let answer: serde_json::Value = Self::json(request).await?;
        let step = answer.get("step").and_then(serde_json::Value::as_u64);
        let opened = match step {
            Some(2) => LoggedIn::StepTwo(from_value(answer)?),
            Some(3) => LoggedIn::StepThree(from_value(answer)?),
            other => return Err(Error::Protocol(format!("login opened step {other:?}"))),
        };
        self.session = match &opened {
            LoggedIn::StepTwo(two) => Some(two.session.clone()),
            LoggedIn::StepThree(three) => three.session.clone(),
        };
        Ok(opened)
    }

    /// POST 発行 → step 3.
    pub async fn press_issue(&self, path: &str) -> Result<StepThree, Error> {
        Self::json(self.request(reqwest::Method::POST, path)?).await
    }

    /// GET the root certificate (DER).
    pub async fn download(&self, path: &str) -> Result<Vec<u8>, Error> {
        let response = Self::send(self.request(reqwest::Method::GET, path)?).await?;
        read_body(response, MAX_DOWNLOAD).await
    }

    /// GET the repository page [REPOSITORY-PAGE].
    pub async fn repository(&self, path: &str) -> Result<Repository, Error> {
        Self::json(self.request(reqwest::Method::GET, path)?).await
    }

    /// POST the CSR of a pending request: its key is already in the store.
    pub async fn submit_csr(&self, path: &str, pending: &PendingRequest) -> Result<Issued, Error> {
        let request = self
            .request(reqwest::Method::POST, path)?
            .json(&serde_json::json!({ "csr": pending.record().csr }));
        Self::json(request).await
    }

    /// POST install complete → step 4.
    pub async fn complete(&self, path: &str) -> Result<StepFour, Error> {
        Self::json(self.request(reqwest::Method::POST, path)?).await
    }

    /// GET a page of the site as JSON (the download page [DATA-DECRYPT], …).
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        Self::json(self.request(reqwest::Method::GET, path)?).await
    }

    /// GET the confirmation page [STEP4-CONFIRM].
    pub async fn confirm(&self, path: &str) -> Result<ConfirmPage, Error> {
        Self::json(self.request(reqwest::Method::GET, path)?).await
    }
}

/// What `check-site` found: the site answers [SITE-REACHABLE].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reachable {
    /// The base URL checked.
    pub url: String,
    /// The top page.
    pub top: TopPage,
    /// The title of the page the URL named (a step 1 page), when it named one.
    pub page: Option<String>,
}

/// Checks the connection to the site [SITE-REACHABLE]: its top page, then the page `url` names if
/// it names one (the URL of the MAIL-URL mail). A fault below HTTP (refused, reset, DNS, TLS) is
/// [`Error::Network`]; an answer with the site's error body is [`Error::Site`]; anything else
/// the site says outside the protocol is [`Error::Protocol`].
pub async fn check_site(url: &str, trust_pem: &[u8]) -> Result<Reachable, Error> {
    let site = SiteClient::new(url, trust_pem, None)?.without_component();
    let top = site.top().await?;
    let path = site.base.path();
    let page = if path.is_empty() || path == "/" {
        None
    } else {
        let page: serde_json::Value =
            SiteClient::json(site.request(reqwest::Method::GET, url)?).await?;
        Some(
            page.get("title")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        )
    };
    Ok(Reachable {
        url: site.url("/")?.to_string(),
        top,
        page,
    })
}

/// The most of a JSON answer (a page or an error) the client reads: the site's are a few KiB. A
/// site (or something pretending to be it) that sends more is refused before the memory is spent.
pub const MAX_JSON_ANSWER: usize = 1024 * 1024;

/// The most of a download the client reads: a document envelope (the site publishes files of at
/// most 8 MiB; CMS adds a little) or a root certificate.
pub const MAX_DOWNLOAD: usize = 16 * 1024 * 1024;

/// Reads an answer's body, refusing one over `limit` bytes (declared or streamed) as
/// [`Error::Protocol`].
async fn read_body(mut response: Response, limit: usize) -> Result<Vec<u8>, Error> {
    let too_large = || {
        Error::Protocol(format!(
            "the site's answer is over {limit} bytes: not read further"
        ))
    };
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Error::Network(describe(&e)))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|e| Error::Protocol(e.to_string()))
}

/// A reqwest error with its causes, which hold the useful part (refused, TLS alert, …).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: Vec<u8>) -> Response {
        Response::from(http::Response::new(body))
    }

    #[tokio::test]
    async fn an_answer_over_the_limit_is_refused_not_read_into_memory() {
        // The hostile site's 100 MB answer, scaled down: over the limit is refused whatever its size.
        let Err(Error::Protocol(why)) =
            read_body(answer(vec![b'a'; MAX_JSON_ANSWER + 1]), MAX_JSON_ANSWER).await
        else {
            panic!("an oversized answer was read");
        };
        assert!(why.contains("over 1048576 bytes"), "{why}");
    }

    #[tokio::test]
    async fn an_answer_within_the_limit_is_read_whole() {
        let body = read_body(answer(b"{\"step\": 1}".to_vec()), MAX_JSON_ANSWER)
            .await
            .unwrap();
        assert_eq!(body, b"{\"step\": 1}");
    }
}
