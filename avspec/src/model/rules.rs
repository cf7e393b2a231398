//! Alerting and recording rules.

use super::{Allow, KeyValue};
use crate::duration::PromDuration;
use crate::span::Sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    Info,
    Warning,
    Critical,
}

impl AlertSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// Alert name (CamelCase by convention).
    pub name: Sp<String>,
    /// Rule group; one rule file is written per group.
    pub group: Sp<String>,
    /// PromQL expression; the alert fires for every series it returns.
    pub expr: Sp<String>,
    /// How long the condition must hold before the alert fires.
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub for_: Option<Sp<PromDuration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Sp<AlertSeverity>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Sp<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Sp<String>>,
    /// Anchor in the runbook; defaults to the lower-cased alert name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook_anchor: Option<Sp<String>>,
    /// Datasource the expression is written for; defaults to the default datasource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datasource: Option<Sp<String>>,
    /// The SLO this alert protects; its threshold is checked against the SLO's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guards_slo: Option<Sp<String>>,
    /// The Alertmanager receivers this alert must reach (checked against the route tree).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receivers: Vec<Sp<String>>,
    /// Extra labels attached to the alert.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<KeyValue>,
    /// Runbook content: what the alert means and what to check first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<Runbook>,
    /// Where and why this differs from the monitoring guide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Allow>,
}

impl Alert {
    pub fn anchor(&self) -> String {
        self.runbook_anchor.as_ref().map_or_else(|| self.name.to_lowercase(), |a| a.value.clone())
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    pub meaning: String,
    #[serde(default)]
    pub checks: Vec<String>,
    /// PromQL queries to run while investigating.
    #[serde(default)]
    pub queries: Vec<Sp<String>>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordingRule {
    /// Output series name, `level:metric:operations` by convention.
    pub record: Sp<String>,
    pub group: Sp<String>,
    pub expr: Sp<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<KeyValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Allow>,
}
