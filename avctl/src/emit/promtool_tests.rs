//! `generated/prometheus/tests/<group>.test.yml`: promtool unit tests, one file per rule group.

use super::{promtool_cache, to_yaml};
use crate::promtest::{AlertTests, tests_for};
use avspec::PromDuration;
use avspec::index::Index;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Serialize)]
struct TestFile {
    rule_files: Vec<String>,
    evaluation_interval: String,
    tests: Vec<TestGroup>,
}

#[derive(Serialize)]
struct TestGroup {
    name: String,
    interval: String,
    input_series: Vec<InputSeries>,
    alert_rule_test: Vec<AlertRuleTest>,
}

#[derive(Serialize)]
struct InputSeries {
    series: String,
    values: String,
}

#[derive(Serialize)]
struct AlertRuleTest {
    eval_time: String,
    alertname: String,
    exp_alerts: Vec<ExpAlertYaml>,
}

#[derive(Serialize)]
struct ExpAlertYaml {
    exp_labels: BTreeMap<String, String>,
    exp_annotations: BTreeMap<String, String>,
}

fn dur(ms: i64) -> String {
    PromDuration(u64::try_from(ms).unwrap_or(0)).to_string()
}

/// `name{a="b",...}` with label values escaped as PromQL strings.
fn series_text(labels: &BTreeMap<String, String>) -> String {
    let name = labels.get("__name__").cloned().unwrap_or_default();
    let body: Vec<String> = labels
        .iter()
        .filter(|(k, _)| *k != "__name__")
        .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("{name}{{{}}}", body.join(","))
}

/// Test files as `(name, contents)`, one per rule group and evaluation step.
pub type Files = Vec<(String, String)>;

/// The test files, reused from `prior` (a previous output's test directory) when they were
/// generated from the same inputs, else synthesized.
pub fn cached_test_files(index: &Index<'_>, prior: Option<&Path>) -> Result<Files, String> {
    let key = promtool_cache::key(index.spec)?;
    if let Some(files) = prior.and_then(|dir| promtool_cache::reuse(dir, &key)) {
        return Ok(files);
    }
    let (files, _) = test_files(index)?;
    let n = files.len();
    Ok(crate::par::map_in_order(&files, |(name, c)| (name.clone(), promtool_cache::stamp(c, &key, n))))
}

/// The test file of one rule group and evaluation step, or nothing when none of its alerts
/// has cases.
fn test_file(
    group: &str,
    step: i64,
    alerts: &[&AlertTests],
    several_steps: bool,
) -> Result<Option<(String, String)>, String> {
    let tests: Vec<TestGroup> = alerts
        .iter()
        .flat_map(|a| &a.cases)
        .map(|c| TestGroup {
            name: c.name.clone(),
            interval: dur(c.interval_ms),
            input_series: c
                .series
                .iter()
                .map(|s| InputSeries { series: series_text(&s.labels), values: s.notation.clone() })
                .collect(),
            alert_rule_test: c
                .checks
                .iter()
                .map(|k| AlertRuleTest {
                    eval_time: dur(k.eval_ms),
                    alertname: k.alertname.clone(),
                    exp_alerts: k
                        .alerts
                        .iter()
                        .map(|e| ExpAlertYaml {
                            exp_labels: e.labels.clone(),
                            exp_annotations: e.annotations.clone(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    if tests.is_empty() {
        return Ok(None);
    }
    let file =
        TestFile { rule_files: vec![format!("../rules/{group}.yml")], evaluation_interval: dur(step), tests };
    let name = if several_steps && step != 5 * 60_000 {
        format!("{group}.step-{}.test.yml", dur(step))
    } else {
        format!("{group}.test.yml")
    };
    Ok(Some((name, to_yaml(&file)?)))
}

/// Synthesizes the test files and returns them with the per-alert outcome.
pub fn test_files(index: &Index<'_>) -> Result<(Files, Vec<AlertTests>), String> {
    let all = tests_for(index);
    // One file per rule group and evaluation step (promtool sets the step per file).
    let mut by_group: BTreeMap<(&str, i64), Vec<&AlertTests>> = BTreeMap::new();
    for t in &all {
        by_group.entry((t.group.as_str(), t.eval_interval_ms)).or_default().push(t);
    }
    let steps: BTreeMap<&str, usize> = by_group.keys().fold(BTreeMap::new(), |mut m, (g, _)| {
        *m.entry(*g).or_default() += 1;
        m
    });
    // Each file is built and serialized on its own core: for a large spec, writing the YAML
    // costs a fifth of synthesizing it.
    let groups: Vec<_> = by_group.into_iter().collect();
    let files = crate::par::map_in_order(&groups, |((group, step), alerts)| {
        let several_steps = steps.get(group).copied().unwrap_or(1) > 1;
        test_file(group, *step, alerts, several_steps)
    });
    let files = files.into_iter().filter_map(Result::transpose).collect::<Result<Files, String>>()?;
    Ok((files, all))
}
