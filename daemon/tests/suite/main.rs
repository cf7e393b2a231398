//! The daemon's integration tests as one test binary: each module was its own binary, and each
//! binary instantiated and optimised burn's generic kernels again (release builds share no
//! generics across crates), which made the test build minutes longer. Run one area with a
//! filter: `cargo test --release -p autovoice-daemon --test suite fuzz::`.

mod common;

mod api;
mod backend;
mod cache;
mod dsp;
mod durability;
mod formats;
mod fuzz;
mod models;
mod quality;
mod server;
mod slow_clients;
mod streaming;
mod units;
