//! Duplicate identifiers: each kind of named item must be unique.

use super::Findings;
use crate::check::code;
use crate::diag::Diagnostic;
use crate::model::Spec;
use crate::span::{Loc, Sp};
use std::collections::BTreeMap;

fn unique<'a>(kind: &str, items: impl IntoIterator<Item = &'a Sp<String>>, f: &mut Findings) {
    let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
    for item in items {
        if let Some(first) = seen.get(item.as_str()) {
            f.push(
                Diagnostic::error(
                    code::SPEC_DUPLICATE_ID,
                    item.loc,
                    format!("duplicate {kind} `{}`", item.value),
                )
                .with_help(format!("first declared at line {}, column {}", first.line, first.column)),
            );
        } else {
            seen.insert(item.as_str(), item.loc);
        }
    }
}

pub(super) fn check(spec: &Spec, f: &mut Findings) {
    unique("label", spec.labels.iter().map(|l| &l.name), f);
    unique("source", spec.sources.iter().map(|s| &s.name), f);
    unique("metric", spec.sources.iter().flat_map(|s| s.metrics.iter().map(|m| &m.name)), f);
    unique("scrape job", spec.prometheus.jobs.iter().map(|j| &j.name), f);
    unique("external label", spec.prometheus.external_labels.iter().map(|kv| &kv.name), f);
    unique("remote-write endpoint", spec.prometheus.remote_write.iter().map(|r| &r.name), f);
    unique("alert", spec.alerts.iter().map(|a| &a.name), f);
    unique("SLO", spec.slos.iter().map(|s| &s.name), f);
    unique("datasource", spec.datasources.iter().map(|d| &d.uid), f);
    unique("dashboard", spec.dashboards.iter().map(|d| &d.uid), f);
    unique(
        "panel id",
        spec.dashboards.iter().flat_map(|d| d.rows.iter().flat_map(|r| r.panels.iter().map(|p| &p.id))),
        f,
    );
    unique("service", spec.services().iter().map(|s| &s.name), f);
    unique("container name", spec.services().iter().filter_map(|s| s.container_name.as_ref()), f);
    for d in &spec.dashboards {
        unique("variable", d.variables.iter().map(|v| &v.name), f);
    }
    for m in spec.sources.iter().flat_map(|s| &s.metrics) {
        unique("label on this metric", m.labels.iter(), f);
    }
    // A recording rule may be written per group only once with the same output labels.
    let mut seen: BTreeMap<(String, String), Loc> = BTreeMap::new();
    for r in &spec.recording_rules {
        let labels: Vec<String> = r.labels.iter().map(|kv| format!("{}={}", kv.name, kv.value)).collect();
        let key = (r.record.value.clone(), labels.join(","));
        if let Some(first) = seen.get(&key) {
            f.push(
                Diagnostic::error(
                    code::SPEC_DUPLICATE_ID,
                    r.record.loc,
                    format!("duplicate recording rule `{}`", r.record.value),
                )
                .with_help(format!("first declared at line {}, column {}", first.line, first.column)),
            );
        } else {
            seen.insert(key, r.record.loc);
        }
    }
}
