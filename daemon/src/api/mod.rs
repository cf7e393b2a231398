//! The HTTP and WebSocket API: each module owns its routes and thin handlers over the
//! pipeline; `router` merges them under the middleware. Domain errors become `ApiError` here.

pub mod audio;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod probes;
pub mod speakers;
pub mod ws;

pub use error::ApiError;

use crate::state::AppState;
use axum::Router;

/// The whole API over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(audio::routes())
        .merge(speakers::routes())
        .merge(ws::routes())
        .merge(probes::routes())
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::observe))
        .with_state(state)
}
