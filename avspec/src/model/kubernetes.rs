//! The Kubernetes deployment: the daemon's Deployment and its neighbours, and the labels the
//! Prometheus Operator and Grafana's dashboard sidecar select objects by.

use super::KeyValue;
use crate::duration::PromDuration;
use crate::span::Sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kubernetes {
    /// Namespace of every generated object.
    pub namespace: Sp<String>,
    /// Labels the Prometheus Operator selects PrometheusRule and ServiceMonitor objects by;
    /// kube-prometheus-stack picks up only those with `release: <its release name>` unless its
    /// selectors are configured otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operator_labels: Vec<KeyValue>,
    /// The label Grafana's dashboard sidecar looks for on ConfigMaps (kube-prometheus-stack:
    /// `grafana_dashboard: "1"`).
    pub dashboard_label: KeyValue,
    /// Grafana folder of the dashboards, as the sidecar's folder annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard_folder: Option<Sp<String>>,
    /// Also emit `GrafanaDashboard` objects for grafana-operator (v5), each loading its
    /// dashboard from the sidecar ConfigMap, so both kinds of Grafana read the same JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grafana_operator: Option<GrafanaOperator>,
    pub app: App,
    pub redis: Redis,
    /// Kustomize overlays on top of the base, e.g. a GPU production overlay.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overlays: Vec<KubernetesOverlay>,
}

/// grafana-operator's selection of the Grafana instances that load the dashboards.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrafanaOperator {
    /// Labels of the `Grafana` objects to load the dashboards into (`instanceSelector`).
    pub instance_labels: Sp<Vec<KeyValue>>,
    /// How often the operator re-applies a dashboard changed by hand in Grafana.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resync_period: Option<Sp<PromDuration>>,
}

/// The daemon's Deployment.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// Image of the daemon (the repository's Dockerfile).
    pub image: Sp<String>,
    pub replicas: Sp<u32>,
    /// Container port; `/health`, `/ready` and `/metrics` are served there.
    #[serde(default = "default_port")]
    pub port: Sp<u16>,
    pub resources: Resources,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_selector: Vec<KeyValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// How long the startup probe gives the models to load and warm up before the liveness
    /// probe takes over.
    #[serde(default = "default_startup")]
    pub startup_timeout: Sp<PromDuration>,
    /// The daemon's request deadline (`AUTOVOICE_DEADLINE_SECS`): a terminating pod finishes
    /// in-flight requests within it, so the grace period covers it.
    #[serde(default = "default_deadline")]
    pub request_deadline: Sp<PromDuration>,
    /// Replicas that must stay up through voluntary disruptions (PodDisruptionBudget).
    #[serde(default = "default_min_available")]
    pub min_available: Sp<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValue>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// CPU request, a Kubernetes quantity (`"2"`, `"500m"`).
    pub cpu: Sp<String>,
    /// Memory request and limit, a Kubernetes quantity (`"4Gi"`).
    pub memory: Sp<String>,
    /// NVIDIA GPUs (`nvidia.com/gpu` limit); none on the CPU backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<Sp<u32>>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    pub key: Sp<String>,
    /// `Exists` when no value is given, `Equal` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Sp<String>>,
    pub effect: Sp<TaintEffect>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

/// The HorizontalPodAutoscaler: CPU utilization, which the metrics server provides on every
/// cluster (no Prometheus adapter needed), and which the CPU backend saturates first.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Autoscaling {
    pub min_replicas: Sp<u32>,
    pub max_replicas: Sp<u32>,
    /// Average CPU utilization to hold, percent of the request.
    pub cpu_utilization: Sp<u32>,
}

/// Redis for the shared cache and speakers: deployed in the namespace, or an external URL.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redis {
    /// An external Redis (`redis://host:6379/0`); nothing is deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Sp<String>>,
    /// Image of an in-namespace Redis (a one-replica StatefulSet with a volume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Sp<String>>,
    /// Arguments of the in-namespace Redis.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Volume size of the in-namespace Redis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Sp<String>>,
}

/// A kustomize overlay: what it changes in the base.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesOverlay {
    /// Folder name under `generated/kubernetes/overlays/`.
    pub name: Sp<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Sp<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_selector: Vec<KeyValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
}

fn default_port() -> Sp<u16> {
    Sp::synthetic(5000)
}

fn default_startup() -> Sp<PromDuration> {
    Sp::synthetic(PromDuration::from_secs(300))
}

fn default_deadline() -> Sp<PromDuration> {
    Sp::synthetic(PromDuration::from_secs(60))
}

fn default_min_available() -> Sp<u32> {
    Sp::synthetic(1)
}
