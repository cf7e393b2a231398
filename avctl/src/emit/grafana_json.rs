//! Typed Grafana dashboard JSON (schemaVersion 39), serialized by serde.

use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 39;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardJson {
    pub annotations: Annotations,
    pub description: String,
    pub editable: bool,
    pub fiscal_year_start_month: u32,
    pub graph_tooltip: u32,
    pub links: Vec<serde_json::Value>,
    pub panels: Vec<PanelJson>,
    pub refresh: String,
    pub schema_version: u32,
    pub tags: Vec<String>,
    pub templating: Templating,
    pub time: TimeRange,
    pub timepicker: serde_json::Map<String, serde_json::Value>,
    pub timezone: String,
    pub title: String,
    pub uid: String,
    pub version: u32,
}

#[derive(Serialize)]
pub struct Annotations {
    pub list: Vec<AnnotationQuery>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationQuery {
    pub built_in: u32,
    pub datasource: DatasourceRef,
    pub enable: bool,
    pub hide: bool,
    pub icon_color: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Serialize, Clone)]
pub struct DatasourceRef {
    #[serde(rename = "type")]
    pub kind: String,
    pub uid: String,
}

#[derive(Serialize)]
pub struct Templating {
    pub list: Vec<VariableJson>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VariableJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub query: String,
    pub current: VariableOptionJson,
    pub options: Vec<VariableOptionJson>,
    pub hide: u32,
    pub skip_url_sync: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

#[derive(Serialize, Clone)]
pub struct VariableOptionJson {
    pub selected: bool,
    pub text: String,
    pub value: String,
}

#[derive(Serialize)]
pub struct TimeRange {
    pub from: String,
    pub to: String,
}

#[derive(Serialize, Clone, Copy)]
pub struct GridPos {
    pub h: u32,
    pub w: u32,
    pub x: u32,
    pub y: u32,
}

/// A row header or a visualization panel.
#[derive(Serialize)]
#[serde(untagged)]
pub enum PanelJson {
    Row(RowJson),
    Panel(Box<VizJson>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub id: u32,
    pub collapsed: bool,
    pub grid_pos: GridPos,
    pub panels: Vec<serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VizJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub datasource: DatasourceRef,
    pub grid_pos: GridPos,
    pub targets: Vec<TargetJson>,
    pub field_config: FieldConfigSource,
    pub options: PanelOptions,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetJson {
    pub datasource: DatasourceRef,
    pub editor_mode: String,
    pub expr: String,
    pub instant: bool,
    pub legend_format: String,
    pub range: bool,
    pub ref_id: String,
}

#[derive(Serialize)]
pub struct FieldConfigSource {
    pub defaults: FieldDefaults,
    pub overrides: Vec<serde_json::Value>,
}

#[derive(Serialize)]
pub struct FieldDefaults {
    pub color: FieldColor,
    pub custom: CustomFieldConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    pub thresholds: Thresholds,
    pub unit: String,
}

#[derive(Serialize)]
pub struct FieldColor {
    pub mode: String,
}

#[derive(Serialize)]
pub struct Thresholds {
    pub mode: String,
    pub steps: Vec<Step>,
}

#[derive(Serialize)]
pub struct Step {
    pub color: String,
    /// `null` for the base step.
    pub value: Option<f64>,
}

/// A panel's `options`, by panel type.
#[derive(Serialize)]
#[serde(untagged)]
pub enum PanelOptions {
    Timeseries(TimeseriesOptions),
    Stat(StatOptions),
    Gauge(GaugeOptions),
}

#[derive(Serialize)]
pub struct TimeseriesOptions {
    pub legend: Legend,
    pub tooltip: Tooltip,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Legend {
    pub calcs: Vec<String>,
    pub display_mode: String,
    pub placement: String,
    pub show_legend: bool,
}

#[derive(Serialize)]
pub struct Tooltip {
    pub mode: String,
    pub sort: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReduceOptions {
    pub calcs: Vec<String>,
    pub fields: String,
    pub values: bool,
}

impl ReduceOptions {
    pub fn last() -> Self {
        Self { calcs: vec!["lastNotNull".to_owned()], fields: String::new(), values: false }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatOptions {
    pub color_mode: String,
    pub graph_mode: String,
    pub justify_mode: String,
    pub orientation: String,
    // No `percentChangeColorMode`: it arrived in Grafana 11, and the 10.4.2 the stack runs
    // rejects unknown stat options (its schema has `additionalProperties: false`).
    pub reduce_options: ReduceOptions,
    pub show_percent_change: bool,
    pub text_mode: String,
    pub wide_layout: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GaugeOptions {
    pub min_viz_height: u32,
    pub min_viz_width: u32,
    pub orientation: String,
    pub reduce_options: ReduceOptions,
    pub show_threshold_labels: bool,
    pub show_threshold_markers: bool,
    pub sizing: String,
}

/// `fieldConfig.defaults.custom`: only time series have one.
#[derive(Serialize)]
#[serde(untagged)]
pub enum CustomFieldConfig {
    Timeseries(TimeseriesCustom),
    None {},
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeseriesCustom {
    pub draw_style: String,
    pub fill_opacity: u32,
    pub line_width: u32,
    pub show_points: String,
    pub span_nulls: bool,
    pub thresholds_style: ThresholdsStyle,
}

#[derive(Serialize)]
pub struct ThresholdsStyle {
    pub mode: String,
}
