//! The spec model: typed, span-carrying structs that the YAML files deserialize into.

mod alerting;
mod dashboards;
mod kubernetes;
mod metrics;
mod prometheus;
mod rules;
mod slo;
mod stack;

pub use alerting::*;
pub use dashboards::*;
pub use kubernetes::*;
pub use metrics::*;
pub use prometheus::*;
pub use rules::*;
pub use slo::*;
pub use stack::*;

use crate::span::Sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One spec file. Every section is optional so the spec can be split across files; the loader
/// merges them into a [`Spec`]. Singleton sections (`project`, `prometheus`, `stack`,
/// `alertmanager`) may appear
/// in only one file.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "AutoVoice observability spec file")]
pub struct SpecFile {
    /// Project-wide settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<Project>,
    /// Label definitions shared by metrics: name, help and value domain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<LabelDef>,
    /// Metric sources: the application itself and the exporters the stack queries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// Prometheus server settings and scrape jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusConfig>,
    /// Alerting rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<Alert>,
    /// Recording rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recording_rules: Vec<RecordingRule>,
    /// Service level objectives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slos: Vec<Slo>,
    /// Grafana datasources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasources: Vec<Datasource>,
    /// Grafana dashboards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dashboards: Vec<Dashboard>,
    /// The docker-compose stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<Stack>,
    /// Alert routing: Alertmanager receivers, routes and inhibition rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertmanager: Option<Alerting>,
    /// The Kubernetes deployment (a kustomize base and overlays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<Kubernetes>,
}

/// The whole spec, merged from every file.
#[derive(Clone, Debug, Default)]
pub struct Spec {
    pub project: Project,
    pub labels: Vec<LabelDef>,
    pub sources: Vec<Source>,
    pub prometheus: PrometheusConfig,
    pub alerts: Vec<Alert>,
    pub recording_rules: Vec<RecordingRule>,
    pub slos: Vec<Slo>,
    pub datasources: Vec<Datasource>,
    pub dashboards: Vec<Dashboard>,
    /// `None` when no file has a `stack:` section (no compose file is generated).
    pub stack: Option<Stack>,
    /// `None` when no file has an `alertmanager:` section (nothing is routed).
    pub alertmanager: Option<Alerting>,
    /// `None` when no file has a `kubernetes:` section (nothing is generated for it).
    pub kubernetes: Option<Kubernetes>,
}

impl Spec {
    /// The compose stack's services; none without a `stack:` section.
    pub fn services(&self) -> &[Service] {
        self.stack.as_ref().map_or(&[], |s| s.services.as_slice())
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Short name, used as the compose project name and in generated headers.
    pub name: Sp<String>,
    /// Base URL of the generated runbook; each alert links to `<runbook_url>#<alert-anchor>`.
    pub runbook_url: Sp<String>,
    /// Worst-case number of series the application may expose, summed over its metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cardinality_budget: Option<Sp<u64>>,
}

/// A finding silenced for one item, with the reason a reviewer will read.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    /// The diagnostic code to silence, e.g. `lint/unused-metric`.
    pub code: Sp<String>,
    /// Why this is acceptable. Required and non-empty.
    pub reason: Sp<String>,
}

/// A key/value pair (labels, environment variables): a list keeps each entry's location.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeyValue {
    pub name: Sp<String>,
    pub value: Sp<String>,
}
