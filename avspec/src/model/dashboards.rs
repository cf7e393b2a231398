//! Grafana datasources and dashboards: rows, panels, queries, thresholds and variables.

use super::Allow;
use crate::duration::PromDuration;
use crate::span::Sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Datasource {
    /// Identifier panels and alerts refer to; also the Grafana uid.
    pub uid: Sp<String>,
    /// Display name in Grafana.
    pub name: Sp<String>,
    #[serde(rename = "type")]
    pub kind: Sp<DatasourceType>,
    pub url: Sp<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DatasourceType {
    Prometheus,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    /// Stable Grafana uid; also the JSON file name.
    pub uid: Sp<String>,
    pub title: Sp<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default = "default_refresh")]
    pub refresh: Sp<PromDuration>,
    /// Default time range, e.g. `6h` for now-6h .. now.
    #[serde(default = "default_range")]
    pub time_range: Sp<PromDuration>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<Variable>,
    /// Append a generated row with each SLO's error budget left and burn rates.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub slo_row: bool,
    pub rows: Vec<Row>,
}

/// A custom template variable with fixed options.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub name: Sp<String>,
    pub label: String,
    pub options: Vec<VariableOption>,
    /// Value selected by default; the first option when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Sp<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariableOption {
    pub text: String,
    pub value: Sp<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub title: Sp<String>,
    pub panels: Vec<Panel>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PanelType {
    Timeseries,
    Stat,
    Gauge,
}

impl PanelType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeseries => "timeseries",
            Self::Stat => "stat",
            Self::Gauge => "gauge",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    /// Identifier unique within the spec (`dashboard/panel` in diagnostics).
    pub id: Sp<String>,
    pub title: Sp<String>,
    #[serde(rename = "type")]
    pub kind: Sp<PanelType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Datasource uid; defaults to the spec's default datasource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datasource: Option<Sp<String>>,
    pub queries: Vec<Query>,
    /// Grafana unit id (`s`, `reqps`, `percent`, `bytes`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Sp<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Sp<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Sp<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u32>,
    /// Threshold steps above the base colour, strictly increasing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<Threshold>,
    /// Colour of values under the first threshold.
    #[serde(default = "default_base_color")]
    pub base_color: String,
    /// Draw thresholds on time series as lines (default) or shaded areas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_style: Option<ThresholdStyle>,
    /// Area fill opacity (0-100) for time series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_opacity: Option<Sp<u32>>,
    /// The SLO whose threshold this panel must show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<Sp<String>>,
    /// Grid width (1-24) and height.
    #[serde(default = "default_width")]
    pub width: Sp<u32>,
    #[serde(default = "default_height")]
    pub height: Sp<u32>,
    /// Where and why this differs from the monitoring guide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Allow>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Query {
    pub expr: Sp<String>,
    /// Legend format, e.g. `{{speaker_id}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legend: Option<String>,
    /// Return only the latest sample (stat and gauge panels).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub instant: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub value: Sp<f64>,
    pub color: String,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdStyle {
    Line,
    Area,
    LineAndArea,
}

fn default_refresh() -> Sp<PromDuration> {
    Sp::synthetic(PromDuration::from_secs(30))
}

fn default_range() -> Sp<PromDuration> {
    Sp::synthetic(PromDuration::from_secs(6 * 3600))
}

fn default_base_color() -> String {
    "green".to_owned()
}

fn default_width() -> Sp<u32> {
    Sp::synthetic(12)
}

fn default_height() -> Sp<u32> {
    Sp::synthetic(8)
}
