//! The evaluator's values: label sets, samples, series and instant-query results.

use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;
/// Timestamps are milliseconds.
pub type Sample = (i64, f64);

#[derive(Debug, Clone)]
pub struct Series {
    pub labels: Labels,
    pub samples: Vec<Sample>,
    /// The same samples in promtool's expanding notation (`a+bxn` segments).
    pub notation: String,
}

#[derive(Debug, Clone)]
pub enum Value {
    Scalar(f64),
    Vector(Vec<(Labels, f64)>),
}
