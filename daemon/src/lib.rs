//! The AutoVoice daemon as a library, in layers: `server` (the accept loop and its client
//! limits) and `api` (HTTP and WebSocket routes, the only place that knows axum's handlers)
//! over `pipeline` (the voice service) over the state, the compute `engine` (the backend chosen at start-up) with the signal
//! path (`dsp`) and the neural models (`models`), `wav`, `speakers`, the synthesis `cache` with its Redis (`shared`) and
//! the spec's `metrics`.

pub mod answer;
pub mod api;
pub mod background;
pub mod cache;
pub mod config;
pub mod dsp;
pub mod engine;
pub mod gpu;
pub mod limits;
pub mod metrics;
pub mod models;
pub mod pipeline;
pub mod probe;
pub mod quality;
pub mod server;
pub mod shared;
pub mod speakers;
pub mod state;
pub mod wav;

pub use api::router;
pub use state::AppState;
