//! Reading a HAR 1.2 (as Chrome's and Edge's DevTools "Save all as HAR with content" write it,
//! Firefox's too) into the exchanges a drift check looks at, with the password taken out.
//!
//! Tolerant of what browsers actually write: every field a drift check does not need is
//! optional, unknown keys (Chrome's `_initiator`, `_resourceType`, `_transferSize`...) are
//! ignored, a body may be `"encoding": "base64"`, a form may come as `postData.params` rather
//! than `text`, a status may be `0` (a request that got no answer).
//!
//! **The password.** A recording of a login holds the password in the login request's body. As
//! the file is read, every form or JSON field whose name says password (`password`, `passwd`,
//! `pwd`, `pass`, `pin`, any case) is taken as a secret: the value is replaced by `[password]`
//! in that body, and every other occurrence of it (URL, response bodies: a mail page showing it,
//! in plain, URL-encoded or HTML-escaped form) is replaced too. Nothing after this module ever
//! sees it, so nothing drift prints or writes can hold it.

use std::path::Path;

use base64::Engine as _;
use serde::Deserialize;

/// What a login's password is replaced with.
pub const PASSWORD_PLACEHOLDER: &str = "[password]";

/// Why a recording could not be read (exit code 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// The file is not a HAR: not JSON, or without `log.entries`.
    #[error("{path} is not a HAR file (JSON with log.entries): {source}")]
    Format {
        path: String,
        source: serde_json::Error,
    },
}

/// The HAR file as far as drift reads it.
#[derive(Deserialize)]
struct HarFile {
    log: Log,
}

#[derive(Deserialize)]
struct Log {
    #[serde(default)]
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default, rename = "startedDateTime")]
    started: String,
    request: Request,
    #[serde(default)]
    response: Option<Response>,
    #[serde(default, rename = "_resourceType")]
    resource_type: Option<String>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    method: String,
    url: String,
    #[serde(default, rename = "postData")]
    post_data: Option<PostData>,
}

#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct PostData {
    #[serde(default, rename = "mimeType")]
    mime_type: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    params: Vec<Param>,
}

#[derive(Deserialize)]
struct Param {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    status: i64,
    #[serde(default)]
    headers: Vec<Header>,
    #[serde(default)]
    content: Option<Content>,
    #[serde(default, rename = "redirectURL")]
    redirect_url: String,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default, rename = "mimeType")]
    mime_type: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

/// One request and its answer, as drift reads it (the password already out).
#[derive(Clone, Debug)]
pub struct Exchange {
    /// Its place in the recording (1-based), for the report.
    pub seq: usize,
    pub started: String,
    pub method: String,
    /// `scheme://host:port`.
    pub origin: String,
    /// The path, without query or fragment.
    pub path: String,
    /// Chrome's `_resourceType` (`document`, `fetch`, `script`...), lower case, when written.
    pub resource_type: Option<String>,
    /// The request's body (text), the password replaced.
    pub request_body: Option<String>,
    /// `0` where no answer came.
    pub status: u16,
    /// The answer's media type without parameters (`text/html`, `application/json`).
    pub mime_type: String,
    /// The answer's body as text (base64 decoded), when it is text; the password replaced.
    pub text: Option<String>,
    /// Where a redirect leads (`redirectURL`, else the `Location` header).
    pub location: Option<String>,
}

/// A recording read: its exchanges in order, and whether a password was found and taken out.
#[derive(Debug)]
pub struct Recording {
    pub exchanges: Vec<Exchange>,
    /// How many distinct secrets were taken out (a login recorded: at least one).
    pub secrets_removed: usize,
}

impl Recording {
    /// Reads the HAR at `path`.
    pub fn read(path: &Path) -> Result<Self, HarError> {
        let text = std::fs::read_to_string(path).map_err(|source| HarError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|source| HarError::Format {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads a HAR's JSON.
    pub fn parse(json: &str) -> Result<Self, serde_json::Error> {
        // A UTF-8 byte-order mark, as some Windows tools write one.
        let har: HarFile = serde_json::from_str(json.trim_start_matches('\u{feff}'))?;
        let mut secrets: Vec<String> = Vec::new();
        for entry in &har.log.entries {
            if let Some(post) = &entry.request.post_data {
                secrets.extend(password_fields(post));
            }
        }
        secrets.retain(|s| !s.is_empty());
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        let scrub = Scrubber::new(&secrets);
        let exchanges = har
            .log
            .entries
            .into_iter()
            .enumerate()
            .map(|(n, entry)| exchange(n + 1, entry, &scrub))
            .collect();
        Ok(Self {
            exchanges,
            secrets_removed: secrets.len(),
        })
    }
}

fn exchange(seq: usize, entry: Entry, scrub: &Scrubber) -> Exchange {
    let url = scrub.apply(&entry.request.url);
    let (origin, path) = split_url(&url);
    let request_body = entry.request.post_data.as_ref().map(|post| {
        let body = match &post.text {
            Some(text) => text.clone(),
            None => post
                .params
                .iter()
                .map(|p| format!("{}={}", p.name, p.value.as_deref().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("&"),
        };
        scrub.apply(&body)
    });
    let (status, mime_type, text, location) = match entry.response {
        Some(response) => {
            let content = response.content.unwrap_or(Content {
                mime_type: String::new(),
                text: None,
                encoding: None,
            });
            let mime = content
                .mime_type
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_lowercase();
            let text = content.text.and_then(|t| {
                if content.encoding.as_deref() == Some("base64") {
                    base64::engine::general_purpose::STANDARD
                        .decode(t.trim())
                        .ok()
                        .and_then(|bytes| String::from_utf8(bytes).ok())
                } else {
                    Some(t)
                }
            });
            let text = text.map(|t| scrub.apply(&t));
            let location = if response.redirect_url.is_empty() {
                response
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("location"))
                    .map(|h| scrub.apply(&h.value))
            } else {
                Some(scrub.apply(&response.redirect_url))
            };
            (
                u16::try_from(response.status).unwrap_or(0),
                mime,
                text,
                location,
            )
        }
        None => (0, String::new(), None, None),
    };
    Exchange {
        seq,
        started: entry.started,
        method: entry.request.method.to_uppercase(),
        origin,
        path,
        resource_type: entry.resource_type.map(|t| t.to_lowercase()),
        request_body,
        status,
        mime_type,
        text,
        location,
    }
}

/// `scheme://authority` and the path (no query, no fragment) of a URL.
pub fn split_url(url: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let cut = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(cut);
    let path = tail.split(['?', '#']).next().unwrap_or("");
    let path = if path.is_empty() { "/" } else { path };
    (format!("{scheme}://{authority}"), path.to_owned())
}

/// Whether a form or JSON field name says it holds a password.
fn is_password_field(name: &str) -> bool {
    let name = name.to_lowercase();
    ["password", "passwd", "pwd", "pass", "pin", "パスワード"]
        .iter()
        .any(|p| name == *p || name.ends_with(&format!("_{p}")) || name.contains("password"))
}

/// The values of a body's password fields (form, form params, or JSON object).
fn password_fields(post: &PostData) -> Vec<String> {
    let mut found: Vec<String> = post
        .params
        .iter()
        .filter(|p| is_password_field(&percent_decode(&p.name)))
        .filter_map(|p| p.value.as_deref().map(percent_decode))
        .collect();
    let Some(text) = &post.text else {
        return found;
    };
    let json = post.mime_type.contains("json") || text.trim_start().starts_with('{');
    if json && let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        collect_json_passwords(&value, &mut found);
    } else {
        for pair in text.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if is_password_field(&percent_decode(name)) {
                found.push(percent_decode(value));
            }
        }
    }
    found
}

fn collect_json_passwords(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match v {
                    serde_json::Value::String(s) if is_password_field(k) => found.push(s.clone()),
                    _ => collect_json_passwords(v, found),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_json_passwords(item, found);
            }
        }
        _ => {}
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        // Two hex digits: at most 0xFF.
                        out.push((high * 16 + low) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every form of each secret a text may hold it in, replaced by [`PASSWORD_PLACEHOLDER`].
struct Scrubber {
    forms: Vec<String>,
}

impl Scrubber {
    fn new(secrets: &[String]) -> Self {
        let mut forms: Vec<String> = secrets
            .iter()
            .flat_map(|s| {
                [
                    s.clone(),
                    percent_encode(s, false),
                    percent_encode(s, true),
                    html_escape(s),
                    serde_json::Value::from(s.as_str())
                        .to_string()
                        .trim_matches('"')
                        .to_owned(),
                ]
            })
            .filter(|f| !f.is_empty())
            .collect();
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        forms.dedup();
        Self { forms }
    }

    fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for form in &self.forms {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), PASSWORD_PLACEHOLDER);
            }
        }
        out
    }
}

fn percent_encode(text: &str, plus_for_space: bool) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' if plus_for_space => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A HAR as Chrome writes it, trimmed: extension keys, a base64 body, a form login.
    const CHROME: &str = r#"{"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
      "pages": [{"startedDateTime": "2026-11-30T05:00:00.000Z", "id": "page_1", "title": "x", "pageTimings": {}}],
      "entries": [
        {"_initiator": {"type": "other"}, "_priority": "VeryHigh", "_resourceType": "document",
         "cache": {}, "pageref": "page_1", "startedDateTime": "2026-11-30T05:00:00.000Z", "time": 12.5,
         "request": {"method": "POST", "url": "https://site.example:8443/apply/ap-0001/login",
           "httpVersion": "http/2.0", "headers": [{"name": "content-type", "value": "application/x-www-form-urlencoded"}],
           "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 21,
           "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "password=s%3Dcr%2Bt+x9"}},
         "response": {"status": 200, "statusText": "", "httpVersion": "http/2.0", "headers": [], "cookies": [],
           "content": {"size": 40, "mimeType": "text/html; charset=utf-8",
             "text": "PHA+cyUzRGNyJTJCdCt4OTwvcD48cD5zPWNyK3QgeDk8L3A+", "encoding": "base64"},
           "redirectURL": "", "headersSize": -1, "bodySize": -1, "_transferSize": 100, "_error": null},
         "serverIPAddress": "127.0.0.1", "_connectionId": "1", "timings": {"blocked": 1, "dns": -1, "ssl": -1, "connect": -1, "send": 0, "wait": 10, "receive": 1.5, "_blocked_queueing": 0.5}},
        {"request": {"method": "GET", "url": "https://site.example:8443/"}, "response": {"status": 0}}
      ]}}"#;

    #[test]
    fn a_chrome_har_is_read_with_its_extension_keys_base64_bodies_and_a_missing_answer() {
        let recording = Recording::parse(CHROME).unwrap();
        assert_eq!(recording.exchanges.len(), 2);
        let login = &recording.exchanges[0];
        assert_eq!(login.method, "POST");
        assert_eq!(login.origin, "https://site.example:8443");
        assert_eq!(login.path, "/apply/ap-0001/login");
        assert_eq!(login.mime_type, "text/html");
        assert_eq!(login.resource_type.as_deref(), Some("document"));
        assert_eq!(login.status, 200);
        let top = &recording.exchanges[1];
        assert_eq!((top.status, top.path.as_str()), (0, "/"));
        assert_eq!(top.text, None);
    }

    #[test]
    fn the_password_is_taken_out_of_the_login_body_and_every_answer_in_every_form() {
        let recording = Recording::parse(CHROME).unwrap();
        assert_eq!(recording.secrets_removed, 1);
        let login = &recording.exchanges[0];
        assert_eq!(login.request_body.as_deref(), Some("password=[password]"));
        // The body held it URL-encoded and plain: both are gone.
        assert_eq!(
            login.text.as_deref(),
            Some("<p>[password]</p><p>[password]</p>")
        );
        let everything = format!("{:?}", recording.exchanges);
        assert!(!everything.contains("s=cr+t x9"));
        assert!(!everything.contains("s%3Dcr%2Bt"));
    }

    #[test]
    fn a_json_login_and_form_params_give_their_passwords_too() {
        let har = r#"{"log": {"entries": [
          {"request": {"method": "POST", "url": "https://a/x", "postData": {"mimeType": "application/json", "text": "{\"user\": \"u\", \"password\": \"hunter22\"}"}},
           "response": {"status": 401, "content": {"mimeType": "application/json", "text": "{\"echo\": \"hunter22\"}"}}},
          {"request": {"method": "POST", "url": "https://a/y", "postData": {"mimeType": "application/x-www-form-urlencoded", "params": [{"name": "Passwd", "value": "letmein99"}]}},
           "response": {"status": 200, "content": {"text": "letmein99"}}}
        ]}}"#;
        let recording = Recording::parse(har).unwrap();
        assert_eq!(recording.secrets_removed, 2);
        let all = format!("{:?}", recording.exchanges);
        assert!(
            !all.contains("hunter22") && !all.contains("letmein99"),
            "{all}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_har_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.har");
        std::fs::write(&path, "{\"entries\": []}").unwrap();
        let error = Recording::read(&path).unwrap_err();
        assert!(matches!(error, HarError::Format { .. }));
        assert!(error.to_string().contains("x.har"), "{error}");
    }
}
