//! Generated promtool unit tests: for every alert, input series synthesized from the metrics'
//! types, a case where it fires (after exactly its `for`, with labels and annotations) and cases
//! where it must stay quiet. Expected outcomes come from simulating the rules with `eval`.

pub mod binop;
pub mod eval;
pub mod render;
mod series;
mod slo_cases;
mod synth;

pub use synth::{AlertTests, Case, Check, ExpAlert, tests_for};

pub const MINUTE: i64 = 60_000;
