//! The daemon's tests as one test binary, in a package of its own (see its Cargo.toml): each
//! module was its own binary, and each binary instantiated and optimised burn's generic kernels
//! again (release builds share no generics across crates), which made the test build minutes
//! longer. Run one area with a filter: `cargo test --release -p autovoice-daemon-tests --test
//! suite fuzz::`.

mod common;

mod api;
mod backend;
mod cache;
mod dsp;
mod formats;
mod fuzz;
mod models;
mod quality;
mod server;
mod slow_clients;
mod streaming;
mod units;
