//! Extractors whose rejections are `ApiError`s, so a bad body or query is answered (and
//! counted) like every other error: a body bounded by the configured size and stall limits, the query's
//! `key=value` pairs, and a validated synthesis request.

use super::error::ApiError;
use crate::pipeline::{QualityMode, SynthesisRequest};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use bytes::BytesMut;
use http_body_util::BodyExt;
use std::time::Duration;

/// The request body, at most `max_body_bytes`, each piece arriving within `body_timeout_secs`
/// of the last (a client that stops sending mid-upload is answered 408 and holds nothing).
pub struct LimitedBody(pub Bytes);

impl LimitedBody {
    /// Reads `body` up to the limit: for handlers that check their query before the body.
    pub async fn read(state: &AppState, mut body: Body) -> Result<Self, ApiError> {
        let limit = state.cfg.max_body_bytes;
        let stall = Duration::from_secs_f64(state.cfg.body_timeout_secs);
        let mut out = BytesMut::new();
        loop {
            let frame = match tokio::time::timeout(stall, body.frame()).await {
                Err(_) => return Err(ApiError::BodyStalled(stall.as_secs_f64())),
                Ok(None) => break,
                Ok(Some(Err(e))) => return Err(ApiError::UnreadableBody(e.to_string())),
                Ok(Some(Ok(frame))) => frame,
            };
            if let Ok(data) = frame.into_data() {
                if out.len() + data.len() > limit {
                    return Err(ApiError::PayloadTooLarge(format!("the body exceeds {limit} bytes")));
                }
                out.extend_from_slice(&data);
            }
        }
        Ok(Self(out.freeze()))
    }
}

impl FromRequest<AppState> for LimitedBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        Self::read(state, req.into_body()).await
    }
}

/// The query string's `key=value` pairs in order (a bare `key` gives an empty value). Values
/// are taken as written: espeak-ng voice names such as `en-gb+f3` keep their `+`.
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Splits a query string into pairs.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Self(query_pairs(parts.uri.query().unwrap_or_default())))
    }
}

/// A JSON synthesis request, checked against the limits.
pub struct Synthesis(pub SynthesisRequest);

impl FromRequest<AppState> for Synthesis {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let LimitedBody(bytes) = LimitedBody::from_request(req, state).await?;
        Ok(Self(SynthesisRequest::parse(&state.cfg, &bytes)?))
    }
}

/// The header by which a client asks for its answer's quality before the answer.
pub const QUALITY_HEADER: &str = "x-autovoice-quality";

/// `x-autovoice-quality: sync | sampled`, when the request has it.
pub struct QualityHeader(pub Option<QualityMode>);

impl<S: Send + Sync> FromRequestParts<S> for QualityHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(v) = parts.headers.get(QUALITY_HEADER) else { return Ok(Self(None)) };
        let v = v.to_str().map_err(|_| {
            ApiError::InvalidParameter(format!("{QUALITY_HEADER} is not text; expected sync or sampled"))
        })?;
        Ok(Self(Some(QualityMode::parse(v.trim())?)))
    }
}
