//! Probes and metrics: `/health` (the process answers), `/ready` (the signal path and both
//! neural models are loaded; it also reports the compute backend, the cache and Redis, which never fail it) and `/metrics` (the spec's families, text format).

use super::error::ApiError;
use crate::state::{AppState, ModelStatus};
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new().route("/health", get(health)).route("/ready", get(ready)).route("/metrics", get(metrics))
}

async fn health() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

/// 200 once the signal path and both neural models are loaded; otherwise 503 naming what is
/// missing and how to fix it.
async fn ready(State(state): State<AppState>) -> Result<Response, ApiError> {
    if !state.can_serve() {
        return Err(ApiError::NotReady);
    }
    let status = state.model_status();
    let failed: Vec<String> = status
        .iter()
        .filter_map(|(m, s)| match s {
            ModelStatus::Loaded => None,
            ModelStatus::Loading => Some(format!("{}: loading", m.as_str())),
            ModelStatus::Failed(why) => Some(format!("{}: {why}", m.as_str())),
        })
        .collect();
    if !failed.is_empty() || !state.is_ready() {
        return Err(ApiError::ModelsMissing(format!("models not loaded: {}", failed.join("; "))));
    }
    let models: serde_json::Map<String, serde_json::Value> =
        status.iter().map(|(m, _)| (m.as_str().to_owned(), "loaded".into())).collect();
    Ok(axum::Json(serde_json::json!({
        "status": "ready",
        "backend": backend_state(&state),
        "models": models,
        "cache": cache_state(&state),
    }))
    .into_response())
}

/// The compute backend: what runs, what was asked for, the device, why the CPU runs, and
/// whether that is a CUDA build's fallback.
fn backend_state(state: &AppState) -> serde_json::Value {
    let selection = state.backend();
    serde_json::json!({
        "name": selection.map(|s| s.backend.as_str()),
        "requested": selection.map(|s| s.requested),
        "device": selection.and_then(|s| s.device.as_deref()),
        "reason": selection.and_then(|s| s.reason.as_deref()),
        "fallback": selection.is_some_and(|s| s.fallback),
    })
}

/// The cache and speaker store as `/ready` reports them. Redis being down never fails
/// readiness: the daemon serves uncached.
fn cache_state(state: &AppState) -> serde_json::Value {
    let memory = state.cache.memory_size().map(|(entries, bytes, capacity)| {
        serde_json::json!({"entries": entries, "bytes": bytes, "capacity_bytes": capacity})
    });
    let redis = state
        .redis
        .as_ref()
        .map(|r| serde_json::json!({"address": r.address, "state": if r.is_up() { "up" } else { "down" }}));
    serde_json::json!({
        "memory": memory,
        "redis": redis,
        "speakers": state.speaker_store_kind(),
        "speakers_appendfsync": state.speakers_fsync.get(),
    })
}

async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = state.metrics.render().map_err(|e| ApiError::Internal(format!("metrics: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}
