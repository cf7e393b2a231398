//! The docker-compose stack: services, profiles, ports, healthchecks and volumes.

use super::KeyValue;
use crate::duration::PromDuration;
use crate::span::Sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// The bridge network every service joins.
    pub network: Sp<String>,
    /// Host address published ports bind to unless a port says otherwise.
    #[serde(default = "default_bind")]
    pub bind_address: Sp<String>,
    pub services: Vec<Service>,
}

/// What a service is; roles other than `generic` get their configuration wired from the spec.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The AutoVoice daemon.
    App,
    /// Prometheus: config and rules mounted from `generated/prometheus`, retention flags.
    Prometheus,
    /// Grafana: provisioning and dashboards mounted from `generated/grafana`.
    Grafana,
    /// Alertmanager: config mounted from `generated/alertmanager`, receiver secrets from
    /// `./secrets/alertmanager`.
    Alertmanager,
    /// Anything else, configured only by the fields given.
    Generic,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Compose service name (also its DNS name on the network).
    pub name: Sp<String>,
    pub role: Sp<Role>,
    /// A fixed container name; without one the engine names it after the project and service
    /// (as compose does), so several copies of the stack can run side by side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<Sp<String>>,
    pub image: Sp<String>,
    /// Build context relative to the repository root, for services built locally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Sp<String>>,
    /// Compose profiles; empty means the service always starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<Sp<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Dependency>,
    /// Reserve all NVIDIA GPUs for the container.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gpu: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub privileged: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Port {
    pub host: Sp<u16>,
    pub container: Sp<u16>,
    /// Host address to bind; defaults to the stack's `bind_address`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind: Option<Sp<String>>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// A named volume (declared at the top level) or a host path starting with `/` or `.`.
    pub source: Sp<String>,
    pub target: Sp<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    /// Command run inside the container (exec form).
    pub test: Vec<String>,
    #[serde(default = "default_interval")]
    pub interval: Sp<PromDuration>,
    #[serde(default = "default_timeout")]
    pub timeout: Sp<PromDuration>,
    #[serde(default = "default_retries")]
    pub retries: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Sp<PromDuration>>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    pub service: Sp<String>,
    /// Wait for the dependency's healthcheck to pass rather than for it to start.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub healthy: bool,
}

fn default_bind() -> Sp<String> {
    Sp::synthetic("127.0.0.1".to_owned())
}

fn default_interval() -> Sp<PromDuration> {
    Sp::synthetic(PromDuration::from_secs(30))
}

fn default_timeout() -> Sp<PromDuration> {
    Sp::synthetic(PromDuration::from_secs(10))
}

fn default_retries() -> u32 {
    3
}
