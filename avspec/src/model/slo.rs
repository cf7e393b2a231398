//! Service level objectives and how their indicators are measured.

use super::{AlertSeverity, Allow};
use crate::duration::PromDuration;
use crate::span::Sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// Identifier, kebab-case; used in recording rule names and alert labels.
    pub name: Sp<String>,
    pub description: Sp<String>,
    /// Target share of good events, in percent (e.g. 99.9).
    pub objective: Sp<f64>,
    /// Compliance window.
    pub window: Sp<PromDuration>,
    pub sli: Sp<Sli>,
    /// Minimum request rate (requests/s) below which burn-rate alerts stay quiet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_floor: Option<Sp<f64>>,
    #[serde(default = "default_page", skip_serializing_if = "is_critical")]
    pub page_severity: Sp<AlertSeverity>,
    #[serde(default = "default_ticket", skip_serializing_if = "is_warning")]
    pub ticket_severity: Sp<AlertSeverity>,
    /// Receivers the page-tier burn-rate alerts must reach.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub page_receivers: Vec<Sp<String>>,
    /// Receivers the ticket-tier burn-rate alerts must reach.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ticket_receivers: Vec<Sp<String>>,
    /// Where and why this differs from the monitoring guide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Allow>,
}

/// How the indicator is measured.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Sli {
    /// Bad events over all events, both counters (selectors without a range).
    Ratio { errors: Sp<String>, total: Sp<String> },
    /// Share of histogram observations at or under `threshold` (a bucket boundary).
    Latency {
        histogram: Sp<String>,
        threshold: Sp<f64>,
        /// Matchers applied to every series, e.g. `operation="voice_conversion"`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        matchers: Option<Sp<String>>,
        /// The percentile the guide states the target as (95 for "p95 < 100ms").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percentile: Option<Sp<f64>>,
    },
}

fn default_page() -> Sp<AlertSeverity> {
    Sp::synthetic(AlertSeverity::Critical)
}

fn default_ticket() -> Sp<AlertSeverity> {
    Sp::synthetic(AlertSeverity::Warning)
}

fn is_critical(s: &Sp<AlertSeverity>) -> bool {
    s.value == AlertSeverity::Critical
}

fn is_warning(s: &Sp<AlertSeverity>) -> bool {
    s.value == AlertSeverity::Warning
}
