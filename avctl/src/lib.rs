//! `avctl` as a library: the generators, checks and commands behind the CLI, also used by the
//! benchmarks and integration tests.

pub mod bench_spec;
pub mod cmd;
pub mod emit;
pub mod grafana_check;
pub mod live;
pub mod output;
pub mod par;
pub mod promql;
pub mod promtest;
pub mod render;
pub mod resolved;
pub mod routing;
pub mod slo;
pub mod usage;
pub mod validate;
