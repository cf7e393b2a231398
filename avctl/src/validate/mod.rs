//! `avctl validate` beyond the spec checks: every PromQL expression of the spec (alerts,
//! recording rules, SLO indicators, panel queries, runbook queries) parsed and resolved against
//! the declared metrics, labels and domains; and the monitoring guide's best practices as lints.

use avspec::check::code;
mod cardinality;
mod lints;
mod resolve;
mod walk;

use crate::promql;
use avspec::index::Index;
use avspec::{Allow, Diagnostic, Loc, Sli, SourceMap, Sp};
use std::collections::{BTreeMap, BTreeSet};

pub use cardinality::worst_case_series;

/// One expression to check, with where it lives and what may silence findings about it.
struct Site<'a> {
    what: String,
    expr: String,
    loc: Loc,
    allow: &'a [Allow],
    /// Template-variable assignments to check the expression under (one per variable option).
    variants: Vec<BTreeMap<String, String>>,
    /// Evaluated by a ruler (alerts, recording rules): aggregating clusters together is a finding.
    ruled: bool,
}

/// Labels a series carries: `None` when unknown (an undeclared metric), so no label finding
/// is raised on top of the first one.
pub type LabelSet = Option<BTreeSet<String>>;

/// Runs every PromQL check and lint.
pub fn validate(index: &Index<'_>, sources: &SourceMap) -> Vec<Diagnostic> {
    validate_with(index, sources, &record_labels(index, sources))
}

/// [`validate`] with the recording rules' labels already computed ([`record_labels`]).
pub fn validate_with(
    index: &Index<'_>,
    sources: &SourceMap,
    records: &BTreeMap<String, LabelSet>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let sites = sites(index);
    for site in &sites {
        let mut findings = Vec::new();
        let defaults = &site.variants[0];
        for vars in &site.variants {
            let text = promql::substitute(&site.expr, vars);
            match promql::parse(&text) {
                Ok(e) => {
                    let before = findings.len();
                    let mut w = walk::Walker::new(index, sources, records, site.loc, &mut findings);
                    if site.ruled {
                        w = w.guarding_clusters();
                    }
                    w.labels(&e);
                    // Say which variable option produced a finding that the defaults do not.
                    let changed: Vec<String> = vars
                        .iter()
                        .filter(|(k, v)| defaults.get(*k) != Some(*v))
                        .map(|(k, v)| format!("${k} = `{v}`"))
                        .collect();
                    if !changed.is_empty() && site.expr.contains('$') {
                        for d in &mut findings[before..] {
                            d.message.push_str(&format!(" (with {})", changed.join(", ")));
                        }
                    }
                }
                Err(msg) => findings.push(
                    Diagnostic::error(
                        code::PROMQL_PARSE_ERROR,
                        site.loc,
                        format!("{}: {}", site.what, msg.trim()),
                    )
                    .with_help(format!("the expression as checked: `{}`", text.trim())),
                ),
            }
        }
        let mut seen = BTreeSet::new();
        for mut d in findings {
            if seen.insert((d.code, d.loc, d.message.clone())) {
                apply_allow(&mut d, site.allow);
                out.push(d);
            }
        }
    }
    // Rules generated from one SLO all point at that SLO: one finding per code and place.
    let mut at = BTreeSet::new();
    out.retain(|d| d.loc.is_unknown() || at.insert((d.code, d.loc)));
    out.extend(lints::lints(index, sources));
    out.extend(cardinality::check(index));
    out
}

/// The labels each recording rule's output series carry.
pub fn record_labels(index: &Index<'_>, sources: &SourceMap) -> BTreeMap<String, LabelSet> {
    let mut records: BTreeMap<String, LabelSet> = BTreeMap::new();
    // Recording rule outputs may feed each other; two passes settle their label sets.
    for _ in 0..2 {
        for r in &index.spec.recording_rules {
            // Findings are reported when the rule is checked as a site; here only labels matter.
            let mut ignored = Vec::new();
            let labels = promql::parse(&r.expr).ok().and_then(|e| {
                walk::Walker::new(index, sources, &records, r.expr.loc, &mut ignored).labels(&e)
            });
            // The rule's own labels are attached to every output series.
            let labels = labels.map(|mut l| {
                l.extend(r.labels.iter().map(|kv| kv.name.value.clone()));
                l
            });
            records.insert(r.record.value.clone(), labels);
        }
    }
    records
}

/// The labels an expression's output series carry (`None` when unknown).
pub fn output_labels(
    index: &Index<'_>,
    sources: &SourceMap,
    records: &BTreeMap<String, LabelSet>,
    expr: &Sp<String>,
) -> LabelSet {
    let e = promql::parse(expr).ok()?;
    let mut ignored = Vec::new();
    walk::Walker::new(index, sources, records, expr.loc, &mut ignored).labels(&e)
}

pub(crate) fn apply_allow(d: &mut Diagnostic, allow: &[Allow]) {
    if let Some(a) = allow.iter().find(|a| a.code.as_str() == d.code && !a.reason.trim().is_empty()) {
        d.suppressed = Some(a.reason.value.clone());
    }
}

fn plain<'a>(what: String, expr: &Sp<String>, allow: &'a [Allow]) -> Site<'a> {
    Site {
        what,
        expr: expr.value.clone(),
        loc: expr.loc,
        allow,
        variants: vec![BTreeMap::new()],
        ruled: false,
    }
}

fn ruled<'a>(what: String, expr: &Sp<String>, allow: &'a [Allow]) -> Site<'a> {
    Site { ruled: true, ..plain(what, expr, allow) }
}

fn sites<'a>(index: &Index<'a>) -> Vec<Site<'a>> {
    let spec = index.spec;
    let mut out = Vec::new();
    for a in &spec.alerts {
        out.push(ruled(format!("alert {}", a.name.value), &a.expr, &a.allow));
        for q in a.runbook.iter().flat_map(|r| &r.queries) {
            out.push(plain(format!("runbook query of {}", a.name.value), q, &a.allow));
        }
    }
    for r in &spec.recording_rules {
        out.push(ruled(format!("recording rule {}", r.record.value), &r.expr, &r.allow));
    }
    for s in &spec.slos {
        match &s.sli.value {
            Sli::Ratio { errors, total } => {
                out.push(plain(format!("SLO {} errors", s.name.value), errors, &s.allow));
                out.push(plain(format!("SLO {} total", s.name.value), total, &s.allow));
            }
            Sli::Latency { histogram, matchers, .. } => {
                let m = matchers.as_ref().map(|m| format!("{},", m.value)).unwrap_or_default();
                out.push(Site {
                    what: format!("SLO {} indicator", s.name.value),
                    // The threshold bucket itself is checked by lint/bucket-missing-slo-threshold.
                    expr: format!("{}_bucket{{{}}}", histogram.value, m.trim_end_matches(',')),
                    loc: matchers.as_ref().map_or(histogram.loc, |m| m.loc),
                    allow: &s.allow,
                    variants: vec![BTreeMap::new()],
                    ruled: false,
                });
            }
        }
    }
    for (d, p) in index.panels() {
        let defaults = crate::usage::dashboard_defaults(d);
        let mut variants = vec![defaults.clone()];
        for v in &d.variables {
            for o in &v.options {
                let mut vars = defaults.clone();
                vars.insert(v.name.value.clone(), o.value.value.clone());
                variants.push(vars);
            }
        }
        for q in &p.queries {
            out.push(Site {
                what: format!("panel {}/{}", d.uid.value, p.id.value),
                expr: q.expr.value.clone(),
                loc: q.expr.loc,
                allow: &p.allow,
                variants: variants.clone(),
                ruled: false,
            });
        }
    }
    out
}
