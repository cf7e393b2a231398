//! `generated/prometheus/prometheus.yml`: globals, rule files, scrape jobs, alerting.

use super::to_yaml;
use avspec::index::Index;
use avspec::{RemoteWrite, RemoteWriteSend};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct PromConfig {
    global: Global,
    rule_files: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alerting: Option<Alerting>,
    scrape_configs: Vec<ScrapeConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    remote_write: Vec<RemoteWriteConfig>,
}

#[derive(Serialize)]
struct Global {
    scrape_interval: String,
    scrape_timeout: String,
    evaluation_interval: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    external_labels: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct RemoteWriteConfig {
    name: String,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_timeout: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization: Option<Authorization>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    write_relabel_configs: Vec<RelabelConfig>,
}

#[derive(Serialize)]
struct Authorization {
    #[serde(rename = "type")]
    kind: &'static str,
    credentials_file: String,
}

#[derive(Serialize)]
struct RelabelConfig {
    source_labels: Vec<&'static str>,
    regex: &'static str,
    action: &'static str,
}

/// Recording rule outputs have a colon in their name (the naming convention the spec checks);
/// `ALERTS` keeps the alert history.
const RECORDED_SERIES: &str = ".+:.+|ALERTS";

fn remote_write(r: &RemoteWrite) -> RemoteWriteConfig {
    RemoteWriteConfig {
        name: r.name.value.clone(),
        url: r.url.value.clone(),
        remote_timeout: r.remote_timeout.as_ref().map(|t| t.value.to_string()),
        headers: r.tenant.iter().map(|t| (TENANT_HEADER.to_owned(), t.value.clone())).collect(),
        authorization: r
            .credentials_file
            .as_ref()
            .map(|f| Authorization { kind: "Bearer", credentials_file: f.value.clone() }),
        write_relabel_configs: match r.send.value {
            RemoteWriteSend::All => vec![],
            RemoteWriteSend::RecordingRules => {
                vec![RelabelConfig {
                    source_labels: vec!["__name__"],
                    regex: RECORDED_SERIES,
                    action: "keep",
                }]
            }
        },
    }
}

/// The header Mimir and Cortex read the tenant from.
const TENANT_HEADER: &str = "X-Scope-OrgID";

#[derive(Serialize)]
struct Alerting {
    alertmanagers: Vec<AlertmanagerConfig>,
}

#[derive(Serialize)]
struct AlertmanagerConfig {
    static_configs: Vec<StaticConfig>,
}

#[derive(Serialize)]
struct ScrapeConfig {
    job_name: String,
    scrape_interval: String,
    scrape_timeout: String,
    metrics_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    scheme: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization: Option<Authorization>,
    #[serde(skip_serializing_if = "Option::is_none")]
    basic_auth: Option<BasicAuthConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_config: Option<TlsConfig>,
    static_configs: Vec<StaticConfig>,
}

#[derive(Serialize)]
struct BasicAuthConfig {
    username: String,
    password_file: String,
}

#[derive(Serialize)]
struct TlsConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cert_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_file: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    insecure_skip_verify: bool,
}

fn tls_config(t: &avspec::ScrapeTls) -> TlsConfig {
    let path = |p: &Option<avspec::Sp<String>>| p.as_ref().map(|p| p.value.clone());
    TlsConfig {
        ca_file: path(&t.ca_file),
        cert_file: path(&t.cert_file),
        key_file: path(&t.key_file),
        insecure_skip_verify: t.insecure_skip_verify.as_ref().is_some_and(|v| v.value),
    }
}

#[derive(Serialize)]
struct StaticConfig {
    targets: Vec<String>,
}

pub fn config(index: &Index<'_>) -> Result<String, String> {
    let p = &index.spec.prometheus;
    let cfg = PromConfig {
        global: Global {
            scrape_interval: p.scrape_interval.to_string(),
            scrape_timeout: p.scrape_timeout.to_string(),
            evaluation_interval: p.evaluation_interval.to_string(),
            external_labels: p
                .external_labels
                .iter()
                .map(|kv| (kv.name.value.clone(), kv.value.value.clone()))
                .collect(),
        },
        rule_files: super::rules::rule_files(index)?.into_iter().map(|(n, _)| format!("rules/{n}")).collect(),
        alerting: (!p.alertmanagers.is_empty()).then(|| Alerting {
            alertmanagers: vec![AlertmanagerConfig {
                static_configs: vec![StaticConfig {
                    targets: p.alertmanagers.iter().map(|a| a.value.clone()).collect(),
                }],
            }],
        }),
        scrape_configs: p
            .jobs
            .iter()
            .filter(|j| j.enabled.value)
            .map(|j| ScrapeConfig {
                job_name: j.name.value.clone(),
                scrape_interval: j.interval_or(p.scrape_interval.value).to_string(),
                scrape_timeout: j.timeout_or(p.scrape_timeout.value).to_string(),
                metrics_path: j.metrics_path.value.clone(),
                scheme: (j.access.scheme() == avspec::ScrapeScheme::Https).then_some("https"),
                authorization: j
                    .access
                    .bearer_token_file
                    .as_ref()
                    .map(|f| Authorization { kind: "Bearer", credentials_file: f.value.clone() }),
                basic_auth: j.access.basic_auth.as_ref().map(|b| BasicAuthConfig {
                    username: b.username.value.clone(),
                    password_file: b.password_file.value.clone(),
                }),
                tls_config: j.access.tls.as_ref().map(tls_config),
                static_configs: vec![StaticConfig {
                    targets: j.targets.iter().map(|t| t.value.clone()).collect(),
                }],
            })
            .collect(),
        remote_write: p.remote_write.iter().map(remote_write).collect(),
    };
    to_yaml(&cfg)
}
