//! Prometheus server settings and scrape jobs.

use super::KeyValue;
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
    /// The label that tells clusters apart where their series meet (a global ruler, Thanos,
    /// Mimir, federation). When set, SLO rules are recorded per cluster, every series may be
    /// grouped by it, and queries that aggregate it away are flagged (`promql/mixes-clusters`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_label: Option<Sp<String>>,
    /// Labels this Prometheus adds to every series and alert it sends out (remote write,
    /// federation, Alertmanager), such as the cluster's name; values may use `${VAR}` in overlays.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_labels: Vec<KeyValue>,
    /// Long-term storage: Thanos Receive, Mimir, Cortex or any Prometheus remote-write endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remote_write: Vec<RemoteWrite>,
}

/// One remote-write endpoint (`remote_write:` in prometheus.yml).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteWrite {
    /// Names the queue in Prometheus' own metrics (`remote_name` label); unique.
    pub name: Sp<String>,
    /// The endpoint, e.g. `http://thanos-receive:19291/api/v1/receive` or Mimir's
    /// `https://mimir.example/api/v1/push`.
    pub url: Sp<String>,
    /// A file holding a bearer token (sent as `Authorization: Bearer`); never the token itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_file: Option<Sp<String>>,
    /// A tenant header for multi-tenant stores (Mimir and Cortex read `X-Scope-OrgID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<Sp<String>>,
    /// What to send: every series, or only the recording rules' outputs (names with a colon,
    /// such as the SLO rules) and `ALERTS`, which keeps long-term storage small.
    #[serde(default)]
    pub send: Sp<RemoteWriteSend>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_timeout: Option<Sp<PromDuration>>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RemoteWriteSend {
    #[default]
    All,
    RecordingRules,
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
    /// How targets are reached; `avctl check-live` scrapes the same way.
    #[serde(default, skip_serializing_if = "ScrapeAccess::is_plain")]
    pub access: ScrapeAccess,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A scrape job's scheme, credentials and TLS settings, as Prometheus' scrape configs take
/// them. Secrets are always files (paths where Prometheus runs), never values in the spec.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScrapeAccess {
    /// `http` (the default) or `https`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Sp<ScrapeScheme>>,
    /// A file holding a bearer token, sent as `Authorization: Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_file: Option<Sp<String>>,
    /// HTTP basic authentication: the user name and a file holding the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// TLS settings for `https` targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ScrapeTls>,
}

impl ScrapeAccess {
    /// Plain HTTP without credentials: nothing to write.
    pub fn is_plain(&self) -> bool {
        self.scheme.as_ref().is_none_or(|s| s.value == ScrapeScheme::Http)
            && self.bearer_token_file.is_none()
            && self.basic_auth.is_none()
            && self.tls.is_none()
    }

    pub fn scheme(&self) -> ScrapeScheme {
        self.scheme.as_ref().map_or(ScrapeScheme::Http, |s| s.value)
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ScrapeScheme {
    #[default]
    Http,
    Https,
}

impl ScrapeScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub username: Sp<String>,
    pub password_file: Sp<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScrapeTls {
    /// CA certificates (PEM) that sign the targets' certificates; the system's roots otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<Sp<String>>,
    /// A client certificate (PEM) for targets that require one; needs `key_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<Sp<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<Sp<String>>,
    /// Accept any certificate. For a test stand only: the scrape can then be intercepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_skip_verify: Option<Sp<bool>>,
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
