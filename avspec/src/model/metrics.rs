//! Metrics, their labels and the label value domains.

use super::Allow;
use crate::span::Sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A label and the values it may take.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelDef {
    pub name: Sp<String>,
    pub help: Sp<String>,
    pub domain: Sp<Domain>,
    /// Why the domain is what it is (for reviewers; copied into the metrics reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Allow>,
}

/// The value domain of a label: it drives cardinality estimates and value checks in PromQL.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Domain {
    /// A closed set of values.
    Values(Vec<Sp<String>>),
    /// An open set with at most this many distinct values at once.
    Max(u64),
    /// The names of the spec's scrape jobs (for `job`).
    ScrapeJobs,
    /// No known bound: flagged by the cardinality lint.
    Unbounded,
}

impl Domain {
    /// Worst-case number of distinct values, `None` when unbounded.
    pub fn size(&self, scrape_jobs: usize) -> Option<u64> {
        match self {
            Self::Values(v) => Some(v.len() as u64),
            Self::Max(n) => Some(*n),
            Self::ScrapeJobs => Some(scrape_jobs as u64),
            Self::Unbounded => None,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    Summary,
}

impl MetricType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
            Self::Summary => "summary",
        }
    }
}

/// The base unit of a metric's values; names must end in the unit's suffix.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Seconds,
    Bytes,
    /// 0-100.
    Percent,
    /// 0-1.
    Ratio,
    Celsius,
    Watts,
    Hertz,
    /// 1 = true, 0 = false.
    Boolean,
    /// A count of things (requests, connections): no suffix required.
    Count,
    /// Mebibytes, as some exporters (DCGM) report; only allowed on external metrics.
    Mebibytes,
    /// Semitone hundredths (pitch error); `_cents` suffix.
    Cents,
}

impl Unit {
    /// The name suffix the Prometheus naming rules ask for, if any.
    pub fn suffix(self) -> Option<&'static str> {
        match self {
            Self::Seconds => Some("_seconds"),
            Self::Bytes => Some("_bytes"),
            Self::Percent => Some("_percent"),
            Self::Ratio => Some("_ratio"),
            Self::Celsius => Some("_celsius"),
            Self::Watts => Some("_watts"),
            Self::Hertz => Some("_hertz"),
            Self::Cents => Some("_cents"),
            Self::Boolean | Self::Count | Self::Mebibytes => None,
        }
    }

    /// Grafana's unit id for values in this unit.
    pub fn grafana(self) -> &'static str {
        match self {
            Self::Seconds => "s",
            Self::Bytes => "bytes",
            Self::Percent => "percent",
            Self::Ratio => "percentunit",
            Self::Celsius => "celsius",
            Self::Watts => "watt",
            Self::Hertz => "hertz",
            Self::Boolean => "bool",
            Self::Count | Self::Cents => "short",
            Self::Mebibytes => "mbytes",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seconds => "seconds",
            Self::Bytes => "bytes",
            Self::Percent => "percent",
            Self::Ratio => "ratio",
            Self::Celsius => "celsius",
            Self::Watts => "watts",
            Self::Hertz => "hertz",
            Self::Boolean => "boolean",
            Self::Count => "count",
            Self::Mebibytes => "mebibytes",
            Self::Cents => "cents",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// The exposed family name (for histograms, without `_bucket`/`_sum`/`_count`).
    pub name: Sp<String>,
    #[serde(rename = "type")]
    pub kind: Sp<MetricType>,
    pub help: Sp<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Sp<Unit>>,
    /// Names of labels declared under `labels:`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Sp<String>>,
    /// Histogram upper bounds, strictly increasing; `+Inf` is implicit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buckets: Option<Sp<Vec<Sp<f64>>>>,
    /// Which code path updates it (documentation, copied into the metrics reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    /// The metric has series only where this holds (`gpu`: a GPU visible through NVML). Live
    /// checks on a machine without it report the family as absent, not missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<Sp<Requirement>>,
    /// The value describes something replicas share (the GPU they run on, a common store), not
    /// work each replica did: every replica on it reports the same value, so a `sum` across
    /// instances counts it once per replica (`promql/double-counts-replicas`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Allow>,
}

/// A condition a metric's series depend on.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// A GPU the exporter can see (NVML for the daemon, DCGM for its exporter).
    Gpu,
}

impl Requirement {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gpu => "gpu",
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// The AutoVoice daemon: metrics registered from this spec, naming rules enforced.
    Application,
    /// A third-party exporter: declared so queries on it can be checked.
    External,
    /// Series Prometheus itself attaches to every scrape (`up`, `scrape_duration_seconds`).
    Synthetic,
}

/// A group of metrics exposed by one program.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub name: Sp<String>,
    pub kind: Sp<SourceKind>,
    pub description: Sp<String>,
    pub metrics: Vec<Metric>,
}
