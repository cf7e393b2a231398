//! avctl's integration tests as one test binary. Each file was a test binary of its own, and
//! each linked avctl and instantiated its generic code (serde, the YAML reader, regex) again,
//! which the release build the test command uses does not share between crates. Run one area
//! with a filter: `cargo test --release -p avctl --test suite validate_fixtures::`.

mod common;

mod clusters;
mod fuzz;
mod generate;
mod kubernetes;
mod live;
mod mutation;
mod overlay;
mod real_tools;
mod remote_write;
mod render;
mod validate_fixtures;
