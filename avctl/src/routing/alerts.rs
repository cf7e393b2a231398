//! The label sets each alert of the spec reaches Alertmanager with: its name, severity and
//! own labels (SLO alerts: `slo`, `burnrate_tier`), plus the labels its expression keeps, valued
//! from the expression's own `=` matchers, else from the label's declared domain, else a
//! stand-in. A label that routing looks at gets one instance per domain value.

use super::matcher::LabelMap;
use crate::validate;
use avspec::index::Index;
use avspec::{Alert, Domain, SourceMap};
use promql_parser::label::MatchOp;
use std::collections::{BTreeMap, BTreeSet};

/// The labels of each recording rule's output (see `validate::record_labels`).
pub type Records = BTreeMap<String, validate::LabelSet>;

/// Most values of one label's domain tried (the rest are alike for routing).
const MAX_VARIANTS: usize = 12;

/// One label set an alert can fire with.
#[derive(Debug, Clone)]
pub struct Instance<'a> {
    pub alert: &'a Alert,
    pub labels: LabelMap,
    /// Labels set by the rule itself (name, severity, `labels:`): the same on every series.
    pub fixed: BTreeSet<String>,
    /// `label=value` when this instance varies a domain label from the first instance.
    pub variant: Option<String>,
}

impl Instance<'_> {
    pub fn name(&self) -> &str {
        &self.alert.name.value
    }

    /// `Alert` or `Alert{model="crepe"}`, for reports.
    pub fn title(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}{{{v}}}", self.name()),
            None => self.name().to_owned(),
        }
    }
}

/// The value a stand-in label gets: recognisable in reports, and never a domain value.
fn stand_in(label: &str) -> String {
    format!("{label}-1")
}

/// Every alert's label sets; `looked_at` are the labels matchers use (those get variants).
pub fn instances<'a>(
    index: &'a Index<'a>,
    sources: &SourceMap,
    records: &Records,
    looked_at: &BTreeSet<String>,
) -> Vec<Instance<'a>> {
    let mut out = Vec::new();
    for alert in &index.spec.alerts {
        let mut labels = LabelMap::new();
        let mut domains: Vec<(String, Vec<String>)> = Vec::new();
        let dynamic = validate::output_labels(index, sources, records, &alert.expr).unwrap_or_default();
        let pinned = pinned_values(&alert.expr);
        for l in dynamic.iter().filter(|l| l.as_str() != "__name__") {
            let values = match pinned.iter().find(|(n, _)| n == l) {
                Some((_, v)) => vec![v.clone()],
                None => domain_values(index, l),
            };
            labels.insert(l.clone(), values.first().cloned().unwrap_or_else(|| stand_in(l)));
            if values.len() > 1 && looked_at.contains(l) {
                domains.push((l.clone(), values));
            }
        }
        let mut fixed = BTreeSet::from(["alertname".to_owned()]);
        labels.insert("alertname".to_owned(), alert.name.value.clone());
        if let Some(s) = &alert.severity {
            labels.insert("severity".to_owned(), s.value.as_str().to_owned());
            fixed.insert("severity".to_owned());
        }
        for kv in &alert.labels {
            labels.insert(kv.name.value.clone(), kv.value.value.clone());
            fixed.insert(kv.name.value.clone());
        }
        let mut variants = Vec::new();
        for (l, values) in domains.iter().filter(|(l, _)| !fixed.contains(l)) {
            for v in values.iter().skip(1).take(MAX_VARIANTS - 1) {
                let mut varied = labels.clone();
                varied.insert(l.clone(), v.clone());
                let variant = Some(format!("{l}=\"{v}\""));
                variants.push(Instance { alert, labels: varied, fixed: fixed.clone(), variant });
            }
        }
        out.push(Instance { alert, labels, fixed, variant: None });
        out.extend(variants);
    }
    out
}

/// `label="value"` matchers of the expression's selectors: those labels can only take that
/// value on the alert's series (when the label survives to the output at all).
fn pinned_values(expr: &str) -> Vec<(String, String)> {
    let Ok(e) = crate::promql::parse(expr) else { return Vec::new() };
    let mut out = Vec::new();
    for vs in crate::promql::selectors(&e) {
        for m in &vs.matchers.matchers {
            if matches!(m.op, MatchOp::Equal) && m.name != "__name__" {
                out.push((m.name.clone(), m.value.clone()));
            }
        }
    }
    out
}

fn domain_values(index: &Index<'_>, label: &str) -> Vec<String> {
    match index.labels.get(label).map(|d| &d.domain.value) {
        Some(Domain::Values(v)) => v.iter().map(|s| s.value.clone()).collect(),
        Some(Domain::ScrapeJobs) => index
            .spec
            .prometheus
            .jobs
            .iter()
            .filter(|j| j.enabled.value)
            .map(|j| j.name.value.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// Labels any matcher of the configuration tests.
pub fn looked_at(cfg: &super::config::AmConfig) -> BTreeSet<String> {
    fn walk(r: &super::config::AmRoute, out: &mut BTreeSet<String>) {
        out.extend(r.matchers.iter().filter_map(|m| super::matcher::Matcher::parse(m).ok()).map(|m| m.name));
        r.routes.iter().for_each(|c| walk(c, out));
    }
    let mut out = BTreeSet::new();
    walk(&cfg.route, &mut out);
    for r in &cfg.inhibit_rules {
        out.extend(
            r.source_matchers
                .iter()
                .chain(&r.target_matchers)
                .filter_map(|m| super::matcher::Matcher::parse(m).ok())
                .map(|m| m.name),
        );
    }
    out
}
