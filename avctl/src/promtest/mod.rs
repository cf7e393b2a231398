//! Generated promtool unit tests: for every alert, input series synthesized from the metrics'
//! types, a case where it fires (after exactly its `for`, with labels and annotations) and cases
//! where it must stay quiet. Expected outcomes come from simulating the rules with `eval`.

mod alerts;
pub mod case;
pub mod render;
pub mod series;
pub mod simulate;
mod slo_cases;

pub use alerts::tests_for;
pub use case::{AlertTests, Case, Check, ExpAlert};

pub use case::MINUTE;
