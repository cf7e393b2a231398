//! Human-facing docs from handlebars templates: the metrics reference and the runbook.

use super::{GENERATED, OutFile};
use crate::usage::Usage;
use avspec::index::Index;
use avspec::{Domain, Sli};
use handlebars::Handlebars;
use serde::Serialize;
use std::path::PathBuf;

/// Built-in templates; `--templates DIR` may override either by file name.
pub const TEMPLATES: [(&str, &str); 2] = [
    ("metrics-reference.md", include_str!("../../../templates/metrics-reference.md.hbs")),
    ("runbook.md", include_str!("../../../templates/runbook.md.hbs")),
];

#[derive(Serialize)]
struct RefCtx {
    project: String,
    sources: Vec<SourceCtx>,
}

#[derive(Serialize)]
struct SourceCtx {
    name: String,
    kind: String,
    description: String,
    metrics: Vec<MetricCtx>,
}

#[derive(Serialize)]
struct MetricCtx {
    name: String,
    kind: String,
    unit: String,
    help: String,
    labels: Vec<LabelCtx>,
    buckets: String,
    updated_by: String,
    note: String,
    panels: Vec<String>,
    alerts: Vec<String>,
    slos: Vec<String>,
    recording_rules: Vec<String>,
}

#[derive(Serialize)]
struct LabelCtx {
    name: String,
    domain: String,
    help: String,
}

#[derive(Serialize)]
struct RunbookCtx {
    project: String,
    alerts: Vec<AlertCtx>,
}

#[derive(Serialize)]
struct AlertCtx {
    name: String,
    anchor: String,
    severity: String,
    summary: String,
    description: String,
    expr: String,
    for_: String,
    slo: String,
    /// The receivers the route tree sends it to.
    notifies: String,
    meaning: String,
    checks: Vec<String>,
    queries: Vec<String>,
    decision: String,
}

fn domain_text(d: &Domain, jobs: &[&str]) -> String {
    match d {
        Domain::Values(v) => v.iter().map(|x| format!("`{}`", x.value)).collect::<Vec<_>>().join(", "),
        Domain::Max(n) => format!("up to {n} values"),
        Domain::ScrapeJobs => format!("scrape job names ({})", jobs.join(", ")),
        Domain::Unbounded => "unbounded".to_owned(),
    }
}

/// `notifies`: the receivers each alert reaches (empty without routing).
pub fn docs(
    index: &Index<'_>,
    opts: &super::GenOptions,
    notifies: &std::collections::BTreeMap<String, Vec<String>>,
) -> Result<Vec<OutFile>, String> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    handlebars::handlebars_helper!(lowercase: |s: String| s.to_lowercase());
    hb.register_helper("lowercase", Box::new(lowercase));
    for (name, builtin) in TEMPLATES {
        let text = match &opts.templates {
            Some(dir) if dir.join(format!("{name}.hbs")).exists() => {
                let path = dir.join(format!("{name}.hbs"));
                std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read template `{}`: {e}", path.display()))?
            }
            _ => builtin.to_owned(),
        };
        hb.register_template_string(name, text).map_err(|e| format!("template `{name}.hbs`: {e}"))?;
    }
    let usage = Usage::of(index);
    let jobs: Vec<&str> = index.jobs.keys().copied().collect();
    let spec = index.spec;
    let refctx = RefCtx {
        project: spec.project.name.value.clone(),
        sources: spec
            .sources
            .iter()
            .map(|s| SourceCtx {
                name: s.name.value.clone(),
                kind: format!("{:?}", s.kind.value).to_lowercase(),
                description: s.description.value.clone(),
                metrics: s
                    .metrics
                    .iter()
                    .map(|m| {
                        let u = usage.of_metric(m.name.as_str());
                        MetricCtx {
                            name: m.name.value.clone(),
                            kind: m.kind.value.as_str().to_owned(),
                            unit: m.unit.as_ref().map_or("", |u| u.value.as_str()).to_owned(),
                            help: m.help.value.clone(),
                            labels: m
                                .labels
                                .iter()
                                .map(|l| {
                                    let def = index.labels.get(l.as_str());
                                    LabelCtx {
                                        name: l.value.clone(),
                                        domain: def.map_or_else(String::new, |d| {
                                            domain_text(&d.domain.value, &jobs)
                                        }),
                                        help: def.map_or_else(String::new, |d| d.help.value.clone()),
                                    }
                                })
                                .collect(),
                            buckets: m
                                .buckets
                                .as_ref()
                                .map(|b| b.iter().map(|v| v.value.to_string()).collect::<Vec<_>>().join(", "))
                                .unwrap_or_default(),
                            updated_by: m.updated_by.clone().unwrap_or_default(),
                            note: m.note.clone().unwrap_or_default(),
                            panels: u.panels,
                            alerts: u.alerts,
                            slos: u.slos,
                            recording_rules: u.recording_rules,
                        }
                    })
                    .collect(),
            })
            .collect(),
    };
    let runctx = RunbookCtx {
        project: spec.project.name.value.clone(),
        alerts: spec
            .alerts
            .iter()
            .map(|a| {
                let rb = a.runbook.clone().unwrap_or_default();
                AlertCtx {
                    name: a.name.value.clone(),
                    anchor: a.anchor(),
                    severity: a.severity.as_ref().map_or("none", |s| s.value.as_str()).to_owned(),
                    summary: a.summary.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
                    description: a.description.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
                    expr: a.expr.value.clone(),
                    for_: a.for_.as_ref().map_or_else(|| "0s".to_owned(), |f| f.to_string()),
                    slo: a.guards_slo.as_ref().map(|s| slo_text(index, s.as_str())).unwrap_or_default(),
                    notifies: notifies.get(&a.name.value).map(|r| r.join(", ")).unwrap_or_default(),
                    meaning: rb.meaning,
                    checks: rb.checks,
                    queries: rb.queries.into_iter().map(|q| q.value).collect(),
                    decision: a.decision.clone().unwrap_or_default(),
                }
            })
            .collect(),
    };
    let g = PathBuf::from(GENERATED).join("docs");
    Ok(vec![
        OutFile {
            path: g.join("metrics-reference.md"),
            contents: hb
                .render("metrics-reference.md", &refctx)
                .map_err(|e| format!("metrics-reference.md.hbs: {e}"))?,
        },
        OutFile {
            path: g.join("runbook.md"),
            contents: hb.render("runbook.md", &runctx).map_err(|e| format!("runbook.md.hbs: {e}"))?,
        },
    ])
}

fn slo_text(index: &Index<'_>, name: &str) -> String {
    let Some(slo) = index.slos.get(name) else {
        return name.to_owned();
    };
    let what = match &slo.sli.value {
        Sli::Ratio { .. } => "good events".to_owned(),
        Sli::Latency { threshold, .. } => format!("requests within {}s", threshold.value),
    };
    format!("{name} ({}% of {what} over {})", slo.objective.value, slo.window.value)
}
