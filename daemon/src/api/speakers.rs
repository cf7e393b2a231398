//! `GET /speakers` lists every speaker; `POST /speakers?id=...` enrolls one from a reference
//! recording (see `pipeline::enroll`).

use super::error::ApiError;
use super::extract::{LimitedBody, QueryPairs};
use crate::pipeline::{EnrollRequest, enroll};
use crate::state::{AppState, SpeakerEntry};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new().route("/speakers", get(list).post(create))
}

/// Every speaker; enrolled ones with `enrolled: true` and their recording's F0 statistics.
async fn list(State(state): State<AppState>) -> Response {
    let list: Vec<serde_json::Value> = state.speaker_list_fresh().await.iter().map(|s| describe(s)).collect();
    axum::Json(serde_json::json!({ "speakers": list })).into_response()
}

async fn create(State(state): State<AppState>, query: QueryPairs, body: Body) -> Result<Response, ApiError> {
    // Parameters are checked before the recording is read.
    let req = EnrollRequest::from_pairs(query.iter())?;
    let LimitedBody(bytes) = LimitedBody::read(&state, body).await?;
    let entry = enroll::enroll(&state, req, &bytes).await?;
    Ok((StatusCode::CREATED, axum::Json(describe(&entry))).into_response())
}

/// A speaker as `GET /speakers` and `POST /speakers` show it.
pub fn describe(e: &SpeakerEntry) -> serde_json::Value {
    let mut v = serde_json::to_value(&e.speaker).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("enrolled".into(), e.f0.is_some().into());
        if let Some(f0) = e.f0 {
            obj.insert("f0".into(), serde_json::to_value(f0).unwrap_or_default());
        }
    }
    v
}
