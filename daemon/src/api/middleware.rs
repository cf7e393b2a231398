//! Middleware: request ids, bearer auth, HTTP metrics by route template (not raw path), error
//! counts by type, and one structured log line per request.

use super::error::ApiError;
use crate::metrics::label::{Endpoint, ErrorType, Method, Status};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

/// Routes that stay open without a token: probes and metrics.
fn is_public(path: &str) -> bool {
    matches!(path, "/health" | "/ready" | "/metrics")
}

fn valid_request_id(v: &str) -> bool {
    (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_request_id(v))
        .map_or_else(|| state.next_request_id(), str::to_owned);
    let endpoint = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| Endpoint::parse(p.as_str()))
        .unwrap_or(Endpoint::Unmatched);
    let method = Method::parse(req.method().as_str()).unwrap_or(Method::Other);
    let span = tracing::info_span!("request", request_id = %id, method = method.as_str(), endpoint = endpoint.as_str());

    let authorized = match &state.token {
        Some(token) if !is_public(req.uri().path()) => {
            let given = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
            given
                .and_then(|g| g.strip_prefix("Bearer "))
                .is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes()))
        }
        _ => true,
    };
    let mut res = if authorized {
        next.run(req).instrument(span.clone()).await
    } else {
        ApiError::Unauthorized.into_response()
    };

    let secs = start.elapsed().as_secs_f64();
    let m = &state.metrics;
    match Status::parse(res.status().as_str()) {
        Some(status) => m.http_requests_total.get(method, endpoint, status).inc(),
        None => {
            tracing::warn!(parent: &span, status = res.status().as_u16(), "status outside the spec's `status` domain; not counted")
        }
    }
    m.http_request_duration_seconds.get(method, endpoint).observe(secs);
    if let Some(error_type) = res.extensions().get::<ErrorType>() {
        m.request_errors_total.get(endpoint, *error_type).inc();
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    tracing::info!(parent: &span, status = res.status().as_u16(), duration_ms = secs * 1000.0, "request");
    res
}

/// Compares without an early exit, so response time does not leak how much of a token matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
