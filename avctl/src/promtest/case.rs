//! What a generated promtool test states: input series and, at given times, exactly which
//! alerts fire with which labels and annotations.

use crate::promql::value::{Labels, Series};

/// One minute in milliseconds, the evaluator's time unit.
pub const MINUTE: i64 = 60_000;

#[derive(Debug, Clone)]
pub struct ExpAlert {
    pub labels: Labels,
    pub annotations: Labels,
}

/// At `eval_ms`, exactly `alerts` of `alertname` are firing.
#[derive(Debug, Clone)]
pub struct Check {
    pub eval_ms: i64,
    pub alertname: String,
    pub alerts: Vec<ExpAlert>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// Sample spacing of the input series.
    pub interval_ms: i64,
    pub series: Vec<Series>,
    pub checks: Vec<Check>,
}

/// The tests of one alert, or why none could be generated.
#[derive(Debug, Clone)]
pub struct AlertTests {
    pub alert: String,
    pub group: String,
    pub eval_interval_ms: i64,
    pub cases: Vec<Case>,
    pub unsupported: Option<String>,
}
