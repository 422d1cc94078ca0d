//! A page's traffic as a HAR 1.2 with contents, as Chrome's and Edge's DevTools "Save all as HAR
//! with content" write it: the recording `harness drift` reads.
//!
//! [`crate::Page::record_har`] starts a [`HarRecorder`] on a tab: a task that follows the
//! tab's DevTools network events (`Network.requestWillBeSent`, `responseReceived`,
//! `loadingFinished`, `loadingFailed`) and asks for each body (`Network.getResponseBody`) as soon
//! as its loading finishes, before a navigation can evict it. [`HarRecorder::finish`] gives the
//! log (`{"log": {...}}`); [`HarRecorder::save`] writes it.
//!
//! As DevTools does: one `pages[]` item per document the tab loaded, each entry's `pageref` the
//! document it belongs to; request and response headers, the request's body as
//! `postData.text`, the response's as `content.text` (with `"encoding": "base64"` where
//! Chromium gives it so: binary bodies); a redirect is an entry of its own (its `redirectURL`);
//! `timings` from the response's `ResourceTiming`; Chrome's `_resourceType` extension key. A
//! field the protocol does not give (header sizes, cookies apart from the headers) is `-1` or
//! empty, as the spec allows. The recording holds what the page sent, the password of a login
//! form included: keep it as private as the password.

use std::{collections::BTreeMap, path::Path, sync::Arc};

use chromiumoxide::cdp::browser_protocol::network::{
    EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent, EventResponseReceived,
    GetResponseBodyParams, Headers, Response,
};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{Mutex, oneshot};

/// A tab's exchanges being recorded; [`HarRecorder::finish`] ends the recording.
#[must_use = "a recording is only read through .finish() or .save()"]
pub struct HarRecorder {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    log: Arc<Mutex<Log>>,
    cdp: chromiumoxide::Page,
}

/// What has been recorded so far.
#[derive(Default)]
struct Log {
    pages: Vec<Value>,
    entries: Vec<Entry>,
    /// The entry each open request id is recorded in (a redirect moves the id on to a new entry).
    open: BTreeMap<String, usize>,
}

/// One exchange as it is being assembled.
struct Entry {
    pageref: Option<String>,
    /// Wall-clock start, seconds since the epoch.
    started: f64,
    /// The monotonic clock at the request, seconds (the events' `timestamp`).
    started_monotonic: f64,
    /// The monotonic clock when the last byte came (or the request failed).
    ended_monotonic: Option<f64>,
    resource_type: String,
    request: chromiumoxide::cdp::browser_protocol::network::Request,
    post_data: Option<String>,
    response: Option<Response>,
    body: Option<(String, bool)>,
    failure: Option<String>,
}

impl HarRecorder {
    /// Starts recording `cdp`'s network events (the listeners are in place when this returns).
    pub(crate) async fn start(cdp: &chromiumoxide::Page) -> Self {
        let mut requests = cdp
            .event_listener::<EventRequestWillBeSent>()
            .await
            .expect("a listener for requests");
        let mut responses = cdp
            .event_listener::<EventResponseReceived>()
            .await
            .expect("a listener for responses");
        let mut finished = cdp
            .event_listener::<EventLoadingFinished>()
            .await
            .expect("a listener for finished loads");
        let mut failed = cdp
            .event_listener::<EventLoadingFailed>()
            .await
            .expect("a listener for failed loads");
        // On, now that they are listened to.
        crate::browser::network_events_on(cdp, "record a HAR").await;
        let log = Arc::new(Mutex::new(Log::default()));
        let (stop, mut stopped) = oneshot::channel();
        let task = {
            let log = log.clone();
            let cdp = cdp.clone();
            tokio::spawn(async move {
                loop {
                    // Biased, requests first: an exchange's request event is always taken
                    // before its answer's, and the stop only once no event is waiting.
                    tokio::select! {
                        biased;
                        Some(event) = requests.next() => {
                            log.lock().await.request(&cdp, &event).await;
                        }
                        Some(event) = responses.next() => {
                            log.lock().await.response(&event);
                        }
                        Some(event) = finished.next() => {
                            let body = cdp
                                .execute(GetResponseBodyParams::new(event.request_id.clone()))
                                .await
                                .ok()
                                .map(|answer| (answer.result.body.clone(), answer.result.base64_encoded));
                            log.lock().await.finished(event.request_id.inner(), *event.timestamp.inner(), body);
                        }
                        Some(event) = failed.next() => {
                            log.lock().await.failed(&event);
                        }
                        _ = &mut stopped => break,
                        else => break,
                    }
                }
            })
        };
        Self {
            stop: Some(stop),
            task,
            log,
            cdp: cdp.clone(),
        }
    }

    /// Ends the recording once every event Chromium sent so far is taken in; the HAR's JSON.
    pub async fn finish(mut self) -> Value {
        // A round trip: Chromium sends its events before the answer to a later command, so
        // once it is back every event of the exchanges so far is in the listeners' queues.
        let _ = self.cdp.evaluate("document.readyState").await.map(|_| ());
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
        let log = self.log.lock().await;
        log.har(&browser_version(&self.cdp).await)
    }

    /// Ends the recording and writes it to `path` (pretty JSON, as DevTools writes it).
    pub async fn save(self, path: &Path) -> Value {
        let har = self.finish().await;
        let text = serde_json::to_string_pretty(&har).expect("JSON of JSON values");
        std::fs::write(path, text)
            .unwrap_or_else(|e| panic!("writing the HAR {}: {e}", path.display()));
        har
    }
}

impl Drop for HarRecorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Log {
    async fn request(&mut self, cdp: &chromiumoxide::Page, event: &EventRequestWillBeSent) {
        let id = event.request_id.inner().clone();
        // A redirect: the same request id goes on; its previous hop is answered by the redirect.
        if let Some(redirect) = &event.redirect_response
            && let Some(&n) = self.open.get(&id)
        {
            let entry = &mut self.entries[n];
            entry.response = Some(redirect.clone());
            entry.ended_monotonic = Some(*event.timestamp.inner());
        }
        let resource_type = event
            .r#type
            .as_ref()
            .map(|t| t.as_ref().to_owned())
            .unwrap_or_default();
        if resource_type == "Document" && event.frame_id.is_some() {
            let n = self.pages.len() + 1;
            self.pages.push(json!({
                "startedDateTime": iso8601(*event.wall_time.inner()),
                "id": format!("page_{n}"),
                "title": event.request.url,
                "pageTimings": { "onContentLoad": -1, "onLoad": -1 },
            }));
        }
        let post_data = crate::browser::request_body(cdp, event)
            .await
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
        self.open.insert(id, self.entries.len());
        self.entries.push(Entry {
            pageref: self
                .pages
                .last()
                .and_then(|p| p["id"].as_str())
                .map(str::to_owned),
            started: *event.wall_time.inner(),
            started_monotonic: *event.timestamp.inner(),
            ended_monotonic: None,
            resource_type,
            request: event.request.clone(),
            post_data,
            response: None,
            body: None,
            failure: None,
        });
    }

    fn response(&mut self, event: &EventResponseReceived) {
        if let Some(&n) = self.open.get(event.request_id.inner()) {
            self.entries[n].response = Some(event.response.clone());
        }
    }

    fn finished(&mut self, id: &str, at: f64, body: Option<(String, bool)>) {
        if let Some(n) = self.open.remove(id) {
            let entry = &mut self.entries[n];
            entry.ended_monotonic = Some(at);
            entry.body = body;
        }
    }

    fn failed(&mut self, event: &EventLoadingFailed) {
        if let Some(n) = self.open.remove(event.request_id.inner()) {
            let entry = &mut self.entries[n];
            entry.ended_monotonic = Some(*event.timestamp.inner());
            entry.failure = Some(event.error_text.clone());
        }
    }

    fn har(&self, browser: &str) -> Value {
        let entries: Vec<Value> = self.entries.iter().map(Entry::har).collect();
        json!({
            "log": {
                "version": "1.2",
                "creator": { "name": "test-support", "version": env!("CARGO_PKG_VERSION") },
                "browser": { "name": "Chromium", "version": browser },
                "pages": self.pages,
                "entries": entries,
            }
        })
    }
}

impl Entry {
    fn har(&self) -> Value {
        let request = &self.request;
        let request_headers = headers(&request.headers);
        let query: Vec<Value> = request
            .url
            .split_once('?')
            .map(|(_, q)| q.split('#').next().unwrap_or(q))
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                json!({ "name": name, "value": value })
            })
            .collect();
        let mut har_request = json!({
            "method": request.method,
            "url": request.url,
            "httpVersion": self.http_version(),
            "cookies": [],
            "headers": request_headers,
            "queryString": query,
            "headersSize": -1,
            "bodySize": self.post_data.as_ref().map_or(0, |b| b.len() as i64),
        });
        if let Some(text) = &self.post_data {
            let mime = header_value(&request.headers, "content-type").unwrap_or_default();
            har_request["postData"] = json!({ "mimeType": mime, "text": text, "params": [] });
        }
        let (response, timings) = match &self.response {
            Some(r) => (self.har_response(r), self.timings(r)),
            None => (
                // No answer came (a failed or cancelled request): DevTools writes status 0.
                json!({
                    "status": 0, "statusText": "", "httpVersion": "", "cookies": [],
                    "headers": [], "content": { "size": 0, "mimeType": "x-unknown" },
                    "redirectURL": "", "headersSize": -1, "bodySize": -1,
                    "_error": self.failure.clone().unwrap_or_else(|| "no answer".into()),
                }),
                json!({ "blocked": -1, "dns": -1, "ssl": -1, "connect": -1, "send": 0, "wait": 0, "receive": 0 }),
            ),
        };
        let time = ["blocked", "dns", "connect", "send", "wait", "receive"]
            .iter()
            .filter_map(|k| timings[*k].as_f64())
            .filter(|t| *t > 0.0)
            .sum::<f64>();
        let mut entry = json!({
            "startedDateTime": iso8601(self.started),
            "time": time,
            "request": har_request,
            "response": response,
            "cache": {},
            "timings": timings,
            "_resourceType": self.resource_type.to_lowercase(),
        });
        if let Some(page) = &self.pageref {
            entry["pageref"] = json!(page);
        }
        if let Some(ip) = self
            .response
            .as_ref()
            .and_then(|r| r.remote_ip_address.clone())
        {
            entry["serverIPAddress"] = json!(ip.trim_start_matches('[').trim_end_matches(']'));
        }
        entry
    }

    fn http_version(&self) -> String {
        match self.response.as_ref().and_then(|r| r.protocol.as_deref()) {
            Some("h2") => "h2".into(),
            Some("http/1.0") => "HTTP/1.0".into(),
            Some("http/1.1") | None => "HTTP/1.1".into(),
            Some(other) => other.into(),
        }
    }

    fn har_response(&self, r: &Response) -> Value {
        let mut content = json!({
            "size": 0,
            "mimeType": if r.mime_type.is_empty() { "x-unknown" } else { r.mime_type.as_str() },
        });
        if let Some((text, base64)) = &self.body {
            let size = if *base64 {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_or(0, |b| b.len())
            } else {
                text.len()
            };
            content["size"] = json!(size);
            content["text"] = json!(text);
            if *base64 {
                content["encoding"] = json!("base64");
            }
        }
        json!({
            "status": r.status,
            "statusText": r.status_text,
            "httpVersion": self.http_version(),
            "cookies": [],
            "headers": headers(&r.headers),
            "content": content,
            "redirectURL": header_value(&r.headers, "location").unwrap_or_default(),
            "headersSize": -1,
            "bodySize": r.encoded_data_length as i64,
            "_transferSize": r.encoded_data_length as i64,
        })
    }

    /// HAR's phases (ms) from Chromium's ResourceTiming: offsets in ms from `requestTime`.
    fn timings(&self, r: &Response) -> Value {
        let Some(t) = &r.timing else {
            return json!({ "blocked": -1, "dns": -1, "ssl": -1, "connect": -1, "send": 0, "wait": 0, "receive": 0 });
        };
        let span = |start: f64, end: f64| {
            if start >= 0.0 && end >= start {
                end - start
            } else {
                -1.0
            }
        };
        let blocked = (t.request_time - self.started_monotonic) * 1000.0
            + if t.dns_start >= 0.0 {
                t.dns_start
            } else if t.connect_start >= 0.0 {
                t.connect_start
            } else {
                t.send_start
            };
        let receive = self
            .ended_monotonic
            .map(|end| ((end - t.request_time) * 1000.0 - t.receive_headers_end).max(0.0))
            .unwrap_or(0.0);
        json!({
            "blocked": blocked.max(0.0),
            "dns": span(t.dns_start, t.dns_end),
            "connect": span(t.connect_start, t.connect_end),
            "ssl": span(t.ssl_start, t.ssl_end),
            "send": span(t.send_start, t.send_end).max(0.0),
            "wait": span(t.send_end, t.receive_headers_end).max(0.0),
            "receive": receive,
        })
    }
}

/// DevTools' header object as HAR's `[{name, value}]` (a header Chromium joined with `\n`, such
/// as several Set-Cookie, becomes one item per line, as DevTools writes it).
fn headers(h: &Headers) -> Vec<Value> {
    let Value::Object(map) = h.inner() else {
        return Vec::new();
    };
    map.iter()
        .flat_map(|(name, value)| {
            let value = value.as_str().unwrap_or_default();
            value
                .split('\n')
                .map(|v| json!({ "name": name, "value": v }))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn header_value(h: &Headers, wanted: &str) -> Option<String> {
    let Value::Object(map) = h.inner() else {
        return None;
    };
    map.iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
        .and_then(|(_, v)| v.as_str().map(str::to_owned))
}

/// Seconds since the epoch as ISO 8601 with milliseconds, UTC (`2026-11-30T05:44:52.123Z`).
fn iso8601(seconds: f64) -> String {
    let nanos = (seconds * 1e9) as i128;
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.format(&format).unwrap_or_default()
}

/// Chromium's version as `Browser.getVersion` says it (`Chrome/…` product string).
async fn browser_version(cdp: &chromiumoxide::Page) -> String {
    use chromiumoxide::cdp::browser_protocol::browser::GetVersionParams;
    cdp.execute(GetVersionParams::default())
        .await
        .map(|v| v.result.product.clone())
        .unwrap_or_default()
}
