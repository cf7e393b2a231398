//! `generated/prometheus/rules/<group>.yml`: one file per rule group, recording rules first.

use super::to_yaml;
use avspec::index::Index;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct RuleFile<'a> {
    groups: [&'a RuleGroup; 1],
}

#[derive(Serialize)]
pub(crate) struct RuleGroup {
    name: String,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum Rule {
    Record {
        record: String,
        expr: String,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        labels: BTreeMap<String, String>,
    },
    Alert {
        alert: String,
        expr: String,
        #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
        for_: Option<String>,
        labels: BTreeMap<String, String>,
        annotations: BTreeMap<String, String>,
    },
}

/// The runbook link of an alert: the project's runbook URL plus the alert's anchor.
pub fn runbook_url(index: &Index<'_>, alert: &avspec::Alert) -> String {
    format!("{}#{}", index.spec.project.runbook_url.value, alert.anchor())
}

/// `(file name, contents)` per rule group, sorted by group name.
pub fn rule_files(index: &Index<'_>) -> Result<Vec<(String, String)>, String> {
    files_of(&rule_groups(index))
}

/// `(file name, contents)` of each of `groups`.
pub(crate) fn files_of(groups: &[RuleGroup]) -> Result<Vec<(String, String)>, String> {
    groups
        .iter()
        .map(|group| Ok((format!("{}.yml", group.name), to_yaml(&RuleFile { groups: [group] })?)))
        .collect()
}

/// Every rule group, sorted by name: one per rule file (and the groups of the Kubernetes
/// PrometheusRule, in the same order).
pub(crate) fn rule_groups(index: &Index<'_>) -> Vec<RuleGroup> {
    let mut groups: BTreeMap<&str, Vec<Rule>> = BTreeMap::new();
    for r in &index.spec.recording_rules {
        groups.entry(r.group.as_str()).or_default().push(Rule::Record {
            record: r.record.value.clone(),
            expr: r.expr.value.clone(),
            labels: r.labels.iter().map(|kv| (kv.name.value.clone(), kv.value.value.clone())).collect(),
        });
    }
    for a in &index.spec.alerts {
        let mut labels: BTreeMap<String, String> =
            a.labels.iter().map(|kv| (kv.name.value.clone(), kv.value.value.clone())).collect();
        if let Some(s) = &a.severity {
            labels.insert("severity".to_owned(), s.value.as_str().to_owned());
        }
        let mut annotations = BTreeMap::new();
        if let Some(s) = &a.summary {
            annotations.insert("summary".to_owned(), s.value.clone());
        }
        if let Some(d) = &a.description {
            annotations.insert("description".to_owned(), d.value.clone());
        }
        annotations.insert("runbook_url".to_owned(), runbook_url(index, a));
        groups.entry(a.group.as_str()).or_default().push(Rule::Alert {
            alert: a.name.value.clone(),
            expr: a.expr.value.clone(),
            for_: a.for_.as_ref().map(|f| f.to_string()),
            labels,
            annotations,
        });
    }
    groups.into_iter().map(|(name, rules)| RuleGroup { name: name.to_owned(), rules }).collect()
}
