//! Prometheus server settings and scrape jobs.

use crate::duration::PromDuration;
use crate::span::Sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrometheusConfig {
    pub scrape_interval: Sp<PromDuration>,
    pub scrape_timeout: Sp<PromDuration>,
    pub evaluation_interval: Sp<PromDuration>,
    pub retention: Retention,
    /// Alertmanager targets (`host:port`); the `alerting` section is written only when set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alertmanagers: Vec<Sp<String>>,
    pub jobs: Vec<ScrapeJob>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    pub time: Sp<PromDuration>,
    /// Size limit in Prometheus syntax, e.g. `10GB`.
    pub size: Sp<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScrapeJob {
    /// The `job` label value.
    pub name: Sp<String>,
    /// The metric source (under `sources:`) this job scrapes.
    pub source: Sp<String>,
    /// `host:port` targets.
    pub targets: Vec<Sp<String>>,
    #[serde(default = "default_metrics_path")]
    pub metrics_path: Sp<String>,
    /// Defaults to the global `scrape_interval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Sp<PromDuration>>,
    /// Defaults to the global `scrape_timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Sp<PromDuration>>,
    /// Opt-in jobs are written to prometheus.yml only when enabled.
    #[serde(default = "default_true")]
    pub enabled: Sp<bool>,
    /// The compose service that runs this target, if it is part of the stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Sp<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ScrapeJob {
    pub fn interval_or(&self, global: PromDuration) -> PromDuration {
        self.interval.as_ref().map_or(global, |i| i.value)
    }

    pub fn timeout_or(&self, global: PromDuration) -> PromDuration {
        self.timeout.as_ref().map_or(global, |i| i.value)
    }
}

fn default_metrics_path() -> Sp<String> {
    Sp::synthetic("/metrics".to_owned())
}

pub(crate) fn default_true() -> Sp<bool> {
    Sp::synthetic(true)
}
