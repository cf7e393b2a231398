//! What the Prometheus Operator and Grafana's sidecar pick up: the ServiceMonitor (with the
//! `job` label the spec's queries use), the PrometheusRule holding exactly the generated rule
//! groups, the dashboards as sidecar ConfigMaps, and the Alertmanager configuration Secret.

use super::app::{JOB_LABEL, PORT_NAME, selector};
use super::objects::*;
use crate::routing::config::AmConfig;
use avspec::{GrafanaOperator, Kubernetes, ScrapeJob};
use std::collections::BTreeMap;

/// Secret the receivers' files go in; the operator mounts each Secret listed in an
/// Alertmanager's `spec.secrets` at `/etc/alertmanager/secrets/<name>/`.
pub const RECEIVER_SECRET: &str = "autovoice-alertmanager-receivers";

/// The object's metadata: its name and namespace, the selector labels and `extra`.
fn meta(name: &str, k: &Kubernetes, extra: Labels) -> Meta {
    let mut labels = selector(name);
    labels.extend(extra);
    super::app::meta(name, k, labels)
}

fn operator_labels(k: &Kubernetes) -> Labels {
    super::app::pairs(&k.operator_labels)
}

pub fn service_monitor(
    k: &Kubernetes,
    name: &str,
    job: &ScrapeJob,
    scrape: &avspec::PrometheusConfig,
) -> Object<Spec<ServiceMonitorSpec>> {
    let interval = job.interval.as_ref().map_or(scrape.scrape_interval.value, |i| i.value);
    let timeout = job.timeout.as_ref().map_or(scrape.scrape_timeout.value, |t| t.value);
    Object {
        api_version: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: meta(name, k, operator_labels(k)),
        body: Spec {
            spec: ServiceMonitorSpec {
                // Without it the operator names the job after the Service; with it, after the
                // value of this Service label, which is the spec's scrape job.
                job_label: JOB_LABEL.to_owned(),
                selector: Selector { match_labels: selector(name) },
                namespace_selector: NamespaceSelector { match_names: vec![k.namespace.value.clone()] },
                endpoints: vec![Endpoint {
                    port: PORT_NAME.to_owned(),
                    path: job.metrics_path.value.clone(),
                    interval: interval.to_string(),
                    scrape_timeout: timeout.to_string(),
                }],
            },
        },
    }
}

pub fn prometheus_rule<'g, G: serde::Serialize>(
    k: &Kubernetes,
    name: &str,
    groups: &'g [G],
) -> Object<Spec<RuleSpec<'g, G>>> {
    Object {
        api_version: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: meta(name, k, operator_labels(k)),
        body: Spec { spec: RuleSpec { groups } },
    }
}

/// The sidecar ConfigMap of dashboard `uid`.
fn dashboard_map(uid: &str) -> String {
    format!("grafana-dashboard-{uid}")
}

/// One ConfigMap per dashboard, its JSON byte for byte as in `generated/grafana/dashboards/`.
pub fn dashboard(k: &Kubernetes, uid: &str, file: &str, json: &str) -> Object<Data> {
    let label = (k.dashboard_label.name.value.clone(), k.dashboard_label.value.value.clone());
    let mut m = meta(&dashboard_map(uid), k, BTreeMap::from([label]));
    if let Some(folder) = &k.dashboard_folder {
        m.annotations.insert("grafana_folder".to_owned(), folder.value.clone());
    }
    Object {
        api_version: "v1",
        kind: "ConfigMap",
        metadata: m,
        body: Data { data: BTreeMap::from([(file.to_owned(), json.to_owned())]) },
    }
}

/// A grafana-operator `GrafanaDashboard` that loads the sidecar ConfigMap's JSON: one copy of
/// each dashboard, whichever Grafana reads it.
pub fn grafana_dashboard(
    k: &Kubernetes,
    op: &GrafanaOperator,
    uid: &str,
    file: &str,
) -> Object<Spec<GrafanaDashboardSpec>> {
    Object {
        api_version: "grafana.integreatly.org/v1beta1",
        kind: "GrafanaDashboard",
        metadata: meta(&dashboard_map(uid), k, Labels::new()),
        body: Spec {
            spec: GrafanaDashboardSpec {
                instance_selector: Selector { match_labels: super::app::pairs(&op.instance_labels.value) },
                folder: k.dashboard_folder.as_ref().map(|f| f.value.clone()),
                config_map_ref: KeyRef { name: dashboard_map(uid), key: file.to_owned() },
                resync_period: op.resync_period.as_ref().map(|d| d.value.to_string()),
            },
        },
    }
}

/// The generated Alertmanager configuration as the Secret an operator-managed Alertmanager
/// reads (`spec.configSecret`), its receivers' files moved to where the operator mounts
/// [`RECEIVER_SECRET`].
pub fn alertmanager_secret(k: &Kubernetes, cfg: &AmConfig, from: &str) -> Result<Object<StringData>, String> {
    let to = format!("/etc/alertmanager/secrets/{RECEIVER_SECRET}/");
    let moved = |p: &mut String| {
        if let Some(rest) = p.strip_prefix(from) {
            *p = format!("{to}{rest}");
        }
    };
    let mut cfg = cfg.clone();
    for r in &mut cfg.receivers {
        for w in &mut r.webhook_configs {
            if let Some(h) = &mut w.http_config {
                moved(&mut h.authorization.credentials_file);
            }
        }
        for e in &mut r.email_configs {
            if let Some(p) = &mut e.auth_password_file {
                moved(p);
            }
        }
        r.slack_configs.iter_mut().for_each(|s| moved(&mut s.api_url_file));
        r.pagerduty_configs.iter_mut().for_each(|p| moved(&mut p.routing_key_file));
    }
    let text = serde_saphyr::to_string(&cfg).map_err(|e| format!("YAML serialization failed: {e}"))?;
    Ok(Object {
        api_version: "v1",
        kind: "Secret",
        metadata: meta("alertmanager-autovoice", k, Labels::new()),
        body: StringData {
            kind: "Opaque",
            string_data: BTreeMap::from([("alertmanager.yaml".to_owned(), text)]),
        },
    })
}
