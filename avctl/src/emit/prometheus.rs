//! `generated/prometheus/prometheus.yml`: globals, rule files, scrape jobs, alerting.

use super::to_yaml;
use avspec::index::Index;
use serde::Serialize;

#[derive(Serialize)]
struct PromConfig {
    global: Global,
    rule_files: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alerting: Option<Alerting>,
    scrape_configs: Vec<ScrapeConfig>,
}

#[derive(Serialize)]
struct Global {
    scrape_interval: String,
    scrape_timeout: String,
    evaluation_interval: String,
}

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
    static_configs: Vec<StaticConfig>,
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
                static_configs: vec![StaticConfig {
                    targets: j.targets.iter().map(|t| t.value.clone()).collect(),
                }],
            })
            .collect(),
    };
    to_yaml(&cfg)
}
