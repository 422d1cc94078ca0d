//! Carries out the faults armed through the admin API (`crate::enrollment::faults` decides which):
//! a middleware in front of the public pages, and the marker the server turns into a dropped
//! connection.

use std::{convert::Infallible, sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{Representation, Site, SiteError};
use crate::{enrollment::faults::Effect, enrollment::refusal::Refusal};

/// The fault a request met, left in the response for the journal.
#[derive(Debug, Clone)]
pub(crate) struct Faulted(pub(crate) &'static str);

/// Asks the server to drop the connection instead of answering.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// The largest body a truncate fault reads before cutting it (the site's pages are far smaller).
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Middleware: the public request meets the first armed fault that matches it, if any.
pub(crate) async fn inject(
    State(site): State<Arc<Site>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if path == "/admin" || path.starts_with("/admin/") {
        return next.run(request).await;
    }
    let Some(hit) = site.faults().meet(&path) else {
        return next.run(request).await;
    };
    tracing::info!(fault = hit.fault, path, "injecting {}", hit.effect.name());
    let representation = Representation::of(request.headers());
    let mut response = match &hit.effect {
        Effect::Error { id } => {
            // Invariant: `Faults::arm` accepts only ids `Refusal::from_id` knows.
            let refusal = Refusal::from_id(id).unwrap_or(Refusal::Internal);
            SiteError::new(representation, refusal).into_response()
        }
        Effect::Status { status } => {
            SiteError::new(representation, Refusal::FaultInjected(*status)).into_response()
        }
        Effect::Delay { ms } => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            next.run(request).await
        }
        Effect::Reset => {
            let mut response = Response::new(Body::empty());
            response.extensions_mut().insert(DropConnection);
            response
        }
        Effect::Truncate => truncate(next.run(request).await).await,
    };
    response.extensions_mut().insert(Faulted(hit.effect.name()));
    response
}

/// The answer with its full `Content-Length` but only half its body, then a broken stream: the
/// server closes the connection where the body stops.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let half = bytes.slice(..bytes.len() / 2);
    if let Ok(length) = HeaderValue::from_str(&bytes.len().to_string()) {
        parts.headers.insert(header::CONTENT_LENGTH, length);
    }
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::other("truncated by an injected fault")),
    ];
    Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(chunks)))
}

/// The site as the server runs it: a response marked [`DropConnection`] becomes an error, which
/// makes hyper close the connection (HTTP/1) or reset the stream (HTTP/2) without an answer.
#[derive(Debug, Clone)]
pub(crate) struct DroppingConnections(pub(crate) axum::Router);

impl<B> tower::Service<axum::http::Request<B>> for DroppingConnections
where
    axum::Router: tower::Service<axum::http::Request<B>, Response = Response, Error = Infallible>,
    <axum::Router as tower::Service<axum::http::Request<B>>>::Future: Send + 'static,
{
    type Response = Response;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Response, Self::Error>> + Send + 'static>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        tower::Service::<axum::http::Request<B>>::poll_ready(&mut self.0, cx)
            .map_err(|never| match never {})
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let answer = self.0.call(request);
        Box::pin(async move {
            match answer.await {
                Ok(response) if response.extensions().get::<DropConnection>().is_some() => {
                    Err("connection dropped by an injected fault".into())
                }
                Ok(response) => Ok(response),
                Err(never) => match never {},
            }
        })
    }
}
