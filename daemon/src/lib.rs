//! The AutoVoice daemon as a library: router, state and signal path, used by the binary, the
//! in-process tests and the benchmarks.

pub mod config;
pub mod dsp;
pub mod enroll;
pub mod error;
pub mod gpu;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod models;
pub mod quality;
pub mod routes;
pub mod speakers;
pub mod state;
pub mod tts;
pub mod voice;
pub mod wav;
pub mod ws;

pub use routes::router;
pub use state::AppState;
