//! The generated routing tests (`generated/alertmanager/tests/routing.test.yml`): for every
//! alert label set, the receivers it must reach (run with `amtool config routes test
//! --verify.receivers`); for every pair of alerts an inhibition rule relates, whether the first
//! mutes the second (evaluated by the model over the config file as it is on disk).

use super::alerts::Instance;
use super::config::AmConfig;
use super::matcher::{LabelMap, all_match, quote};
use super::model::Inhibitor;
use avspec::Alerting;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RoutingTests {
    /// The Alertmanager configuration under test, relative to this file.
    pub config: String,
    pub routes: Vec<RouteTest>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inhibitions: Vec<InhibitionTest>,
}

/// An alert with these labels reaches exactly these receivers, in this order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RouteTest {
    pub alert: String,
    pub labels: LabelMap,
    pub receivers: Vec<String>,
}

/// While `source` fires, `target` is (or is not) muted.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct InhibitionTest {
    /// The spec's inhibition rule that relates the two.
    pub rule: String,
    pub source: LabelMap,
    pub target: LabelMap,
    pub muted: bool,
}

/// Expectations from the spec: receivers by the route tree, muting by the inhibition rules.
/// Pairs cover every source and target the spec's rules select, plus, for each `equal` label
/// both sides take from their series, the target on another value of it (another incident).
pub fn build(spec: &Alerting, cfg: &AmConfig, instances: &[Instance<'_>]) -> Result<RoutingTests, String> {
    let (router, inhibitor) = super::model::load(cfg)?;
    let routes = instances
        .iter()
        .map(|i| RouteTest {
            alert: i.title(),
            labels: i.labels.clone(),
            receivers: router.receivers(&i.labels),
        })
        .collect();
    let mut inhibitions = Vec::new();
    let mut seen = BTreeSet::new();
    for (rule, model_rule) in spec.inhibit_rules.iter().zip(&inhibitor.rules) {
        for s in instances.iter().filter(|s| all_match(&model_rule.source, &s.labels)) {
            for t in instances.iter().filter(|t| all_match(&model_rule.target, &t.labels)) {
                if std::ptr::eq(s.alert, t.alert) {
                    continue;
                }
                let mut targets = vec![t.labels.clone()];
                for l in &model_rule.equal {
                    if s.labels.contains_key(l) && t.labels.contains_key(l) && !t.fixed.contains(l) {
                        let mut other = t.labels.clone();
                        other.insert(l.clone(), format!("{}-other", t.labels[l]));
                        targets.push(other);
                    }
                }
                for target in targets {
                    if seen.insert((s.labels.clone(), target.clone())) {
                        let muted = inhibitor.muted_by(&target, std::slice::from_ref(&s.labels)).is_some();
                        inhibitions.push(InhibitionTest {
                            rule: rule.name.value.clone(),
                            source: s.labels.clone(),
                            target,
                            muted,
                        });
                    }
                }
            }
        }
    }
    Ok(RoutingTests { config: "../alertmanager.yml".to_owned(), routes, inhibitions })
}

/// One test's outcome: the alert it is about, pass or fail, and what was seen.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub alert: String,
    pub kind: &'static str,
    pub passed: bool,
    pub detail: String,
}

fn alertname(l: &LabelMap) -> String {
    l.get("alertname").cloned().unwrap_or_default()
}

/// `amtool config routes test` for one case.
fn amtool_route(amtool: &Path, config: &Path, t: &RouteTest) -> Result<CaseResult, String> {
    let mut cmd = Command::new(amtool);
    cmd.args(["config", "routes", "test"])
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--verify.receivers={}", t.receivers.join(",")));
    for (k, v) in &t.labels {
        cmd.arg(format!("{k}=\"{}\"", quote(v)));
    }
    let o = cmd
        .output()
        .map_err(|e| format!("cannot run `{}`: {e} (install it with scripts/setup.sh)", amtool.display()))?;
    let got = String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or_default().trim().to_owned();
    let detail = if o.status.success() {
        format!("reaches {got}")
    } else {
        format!(
            "expected {}, amtool resolved `{got}`{}",
            t.receivers.join(","),
            String::from_utf8_lossy(&o.stderr)
                .trim()
                .lines()
                .next()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default()
        )
    };
    Ok(CaseResult { alert: t.alert.clone(), kind: "route", passed: o.status.success(), detail })
}

/// Runs the tests against the configuration file at `config`: `amtool check-config`, every
/// route case through amtool (in parallel), every inhibition case through the model.
pub fn run(amtool: &Path, config: &Path, tests: &RoutingTests) -> Result<Vec<CaseResult>, String> {
    let o =
        Command::new(amtool).arg("check-config").arg(config).output().map_err(|e| {
            format!("cannot run `{}`: {e} (install it with scripts/setup.sh)", amtool.display())
        })?;
    if !o.status.success() {
        return Err(format!(
            "amtool check-config rejects `{}`:\n{}{}",
            config.display(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    let mut out = crate::par::map_in_order(&tests.routes, |t| amtool_route(amtool, config, t))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let text =
        std::fs::read_to_string(config).map_err(|e| format!("cannot read `{}`: {e}", config.display()))?;
    let cfg: AmConfig =
        serde_saphyr::from_str(&text).map_err(|e| format!("cannot parse `{}`: {e}", config.display()))?;
    let inhibitor = Inhibitor::new(&cfg.inhibit_rules)?;
    for t in &tests.inhibitions {
        let by = inhibitor.muted_by(&t.target, std::slice::from_ref(&t.source));
        let passed = by.is_some() == t.muted;
        let verb = |m: bool| if m { "mutes" } else { "does not mute" };
        let detail = format!(
            "{} {} {} (rule {}){}",
            alertname(&t.source),
            verb(t.muted),
            alertname(&t.target),
            t.rule,
            if passed { String::new() } else { format!(", but under the file it {}", verb(by.is_some())) }
        );
        out.push(CaseResult { alert: alertname(&t.target), kind: "inhibition", passed, detail });
    }
    Ok(out)
}
