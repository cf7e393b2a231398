//! The daemon library's unit tests, one file per module they test. They live in the suite, not
//! in `#[cfg(test)]` modules beside the code, because a library's unit tests are a second
//! compilation of the whole library (`lib` in test mode): in the release build the test command
//! uses, that compile took about 86 CPU-seconds of the build on its own (docs/test-times.md),
//! for tests that need only the library's public items.

mod answer;
mod api_error;
mod api_extract;
mod background;
mod cache_envelope;
mod cache_flight;
mod cache_keys;
mod cache_memory;
mod engine;
mod engine_select;
mod joins;
mod kernels;
mod limits;
mod pieces;
mod probe;
mod requests;
mod shared;
mod state;
mod wav;
