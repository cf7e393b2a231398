//! The monitoring guide's best practices as lints: histograms for latency, complete alerts,
//! SLO-consistent thresholds, SLO thresholds on buckets and on panels, unused metrics.

use super::apply_allow;
use crate::promql;
use crate::usage::Usage;
use avspec::check::code;
use avspec::index::Index;
use avspec::{Diagnostic, MetricType, Severity, Sli, SourceKind, SourceMap, Unit};
use promql_parser::parser::Expr;

pub fn lints(index: &Index<'_>, sources: &SourceMap) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    metrics(index, &mut out);
    alerts(index, sources, &mut out);
    slos(index, &mut out);
    panels(index, &mut out);
    out
}

fn metrics(index: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let usage = Usage::of(index);
    for s in &index.spec.sources {
        for m in &s.metrics {
            let mut push = |mut d: Diagnostic| {
                apply_allow(&mut d, &m.allow);
                out.push(d);
            };
            let app = s.kind.value == SourceKind::Application;
            if app
                && m.unit.as_ref().is_some_and(|u| u.value == Unit::Seconds)
                && matches!(m.kind.value, MetricType::Gauge | MetricType::Summary)
            {
                push(
                    Diagnostic::warning(
                        code::LINT_LATENCY_NOT_HISTOGRAM,
                        m.kind.loc,
                        format!("latency `{}` is a {}", m.name.value, m.kind.value.as_str()),
                    )
                    .with_help(
                        "record latencies as histograms: quantiles can then be aggregated across instances",
                    ),
                );
            }
            let u = usage.of_metric(m.name.as_str());
            if u.panels.is_empty()
                && u.alerts.is_empty()
                && u.slos.is_empty()
                && u.recording_rules.is_empty()
                && s.kind.value != SourceKind::Synthetic
            {
                let severity = if app { Severity::Warning } else { Severity::Info };
                push(
                    Diagnostic::new(
                        severity,
                        code::LINT_UNUSED_METRIC,
                        m.name.loc,
                        format!("`{}` is used by no panel, alert, SLO or recording rule", m.name.value),
                    )
                    .with_help("chart it, alert on it, or stop declaring it"),
                );
            }
        }
    }
}

fn alerts(index: &Index<'_>, sources: &SourceMap, out: &mut Vec<Diagnostic>) {
    for a in &index.spec.alerts {
        let mut push = |mut d: Diagnostic| {
            apply_allow(&mut d, &a.allow);
            out.push(d);
        };
        let name = &a.name.value;
        if a.for_.is_none() {
            push(
                Diagnostic::warning(
                    code::LINT_ALERT_MISSING_FOR,
                    a.name.loc,
                    format!("alert `{name}` has no `for`"),
                )
                .with_help("without `for` one bad evaluation pages; a `for` duration avoids flapping"),
            );
        }
        if a.severity.is_none() {
            push(
                Diagnostic::error(
                    code::LINT_ALERT_MISSING_SEVERITY,
                    a.name.loc,
                    format!("alert `{name}` has no severity"),
                )
                .with_help("routing needs `severity: critical | warning | info`"),
            );
        }
        for (field, present) in [("summary", a.summary.is_some()), ("description", a.description.is_some())] {
            if !present {
                push(
                    Diagnostic::error(
                        code::LINT_ALERT_MISSING_ANNOTATION,
                        a.name.loc,
                        format!("alert `{name}` has no {field}"),
                    )
                    .with_help(format!("add `{field}:`; responders read it first")),
                );
            }
        }
        if a.runbook.as_ref().is_none_or(|r| r.meaning.trim().is_empty()) {
            push(Diagnostic::error(code::LINT_ALERT_MISSING_RUNBOOK, a.name.loc, format!("alert `{name}` has no runbook section"))
                .with_help("add `runbook: {meaning: ..., checks: [...], queries: [...]}`; its `runbook_url` links there"));
        }
        if let Some(slo_name) = &a.guards_slo
            && let Some(slo) = index.slos.get(slo_name.as_str())
            && let Ok(e) = promql::parse(&a.expr)
        {
            for d in slo_consistency(a, slo, &e, sources) {
                push(d);
            }
        }
    }
}

/// The alert's threshold must agree with the SLO it guards.
fn slo_consistency(a: &avspec::Alert, slo: &avspec::Slo, e: &Expr, sources: &SourceMap) -> Vec<Diagnostic> {
    let Expr::Binary(b) = e else { return vec![] };
    if !b.op.is_comparison_operator() {
        return vec![];
    }
    let Expr::NumberLiteral(lit) = b.rhs.as_ref() else { return vec![] };
    let threshold = lit.val;
    let at = sources.find_in_node(a.expr.loc, &format!("{} {threshold}", b.op));
    let mut out = vec![];
    match &slo.sli.value {
        Sli::Latency { histogram, threshold: t, percentile, .. } => {
            let Expr::Call(c) = b.lhs.as_ref() else { return out };
            let Some(Expr::NumberLiteral(q)) = c.args.args.first().map(|x| x.as_ref()) else { return out };
            let uses = promql::selectors(b.lhs.as_ref())
                .iter()
                .any(|vs| promql::selector_name(vs) == Some(&format!("{}_bucket", histogram.value)));
            if c.func.name != "histogram_quantile" || !uses {
                return out;
            }
            if (threshold - t.value).abs() > 1e-9 {
                out.push(
                    Diagnostic::warning(
                        code::LINT_ALERT_SLO_INCONSISTENT,
                        at,
                        format!(
                            "`{}` fires at {threshold}s but SLO `{}` promises {}s",
                            a.name.value, slo.name.value, t.value
                        ),
                    )
                    .with_help(format!("use the SLO threshold {}", t.value)),
                );
            }
            let p = percentile.as_ref().map_or(slo.objective.value, |p| p.value) / 100.0;
            if (q.val - p).abs() > 1e-9 {
                out.push(Diagnostic::warning(
                    code::LINT_ALERT_SLO_INCONSISTENT,
                    at,
                    format!(
                        "`{}` watches quantile {} but SLO `{}` is stated at p{}",
                        a.name.value,
                        q.val,
                        slo.name.value,
                        p * 100.0
                    ),
                ));
            }
        }
        Sli::Ratio { errors, .. } => {
            // Only alerts that compute the SLO's own error ratio are comparable with its budget.
            let errors_metric = promql::metric_names(errors, &Default::default());
            let lhs_metrics: Vec<&str> =
                promql::selectors(&b.lhs).into_iter().filter_map(promql::selector_name).collect();
            if !has_division(&b.lhs) || !errors_metric.iter().any(|m| lhs_metrics.contains(&m.as_str())) {
                return out;
            }
            let budget = round(100.0 - slo.objective.value);
            // The alert's unit: multiplied by 100 means percent, else a 0-1 ratio.
            let as_percent = round(if expr_times_100(&b.lhs) { threshold } else { threshold * 100.0 });
            if as_percent < budget - 1e-9 {
                out.push(
                    Diagnostic::warning(
                        code::LINT_ALERT_SLO_INCONSISTENT,
                        at,
                        format!("`{}` fires at an error rate of {as_percent}%, below SLO `{}`'s budget of {budget}%", a.name.value, slo.name.value),
                    )
                    .with_help("it would page while the SLO is met; alert at or above the budget"),
                );
            }
        }
    }
    out
}

fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn has_division(e: &Expr) -> bool {
    let mut found = false;
    promql::walk(e, &mut |n| {
        if let Expr::Binary(b) = n {
            found |= b.op.to_string() == "/";
        }
    });
    found
}

fn expr_times_100(e: &Expr) -> bool {
    match e {
        Expr::Paren(p) => expr_times_100(&p.expr),
        Expr::Binary(b) => {
            let lit = |x: &Expr| matches!(x, Expr::NumberLiteral(n) if n.val == 100.0);
            (b.op.to_string() == "*" && (lit(&b.lhs) || lit(&b.rhs))) || expr_times_100(&b.lhs)
        }
        _ => false,
    }
}

fn slos(index: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for s in &index.spec.slos {
        if let Sli::Latency { histogram, threshold, .. } = &s.sli.value
            && let Some(m) = index.metrics.get(histogram.as_str())
            && let Some(b) = &m.metric.buckets
            && !b.iter().any(|v| (v.value - threshold.value).abs() <= 1e-9)
        {
            let mut d = Diagnostic::error(
                code::LINT_BUCKET_MISSING_SLO_THRESHOLD,
                threshold.loc,
                format!(
                    "SLO `{}` threshold {}s is not a bucket of `{}`",
                    s.name.value, threshold.value, histogram.value
                ),
            )
            .with_help(format!(
                "add {} to the histogram's buckets, or the SLI is interpolated and measured wrong",
                threshold.value
            ));
            apply_allow(&mut d, &s.allow);
            out.push(d);
        }
    }
}

fn panels(index: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for (d, p) in index.panels() {
        let mut push = |mut x: Diagnostic| {
            apply_allow(&mut x, &p.allow);
            out.push(x);
        };
        let has = |v: f64| p.thresholds.iter().any(|t| (t.value.value - v).abs() <= 1e-9 * v.abs().max(1.0));
        if let Some(name) = &p.slo
            && let Some(slo) = index.slos.get(name.as_str())
        {
            let (want, unit) = match &slo.sli.value {
                Sli::Latency { threshold, .. } => (vec![threshold.value], "s"),
                Sli::Ratio { .. } => {
                    let budget = round(100.0 - slo.objective.value);
                    (vec![budget, budget / 100.0], "%")
                }
            };
            if !want.iter().any(|v| has(*v)) {
                push(
                    Diagnostic::warning(
                        code::LINT_PANEL_MISSING_SLO_THRESHOLD,
                        name.loc,
                        format!(
                            "panel `{}` shows SLO `{}` but not its threshold",
                            p.id.value, slo.name.value
                        ),
                    )
                    .with_help(format!("add `thresholds: [{{value: {}, color: red}}]` ({unit})", want[0])),
                );
            }
            continue;
        }
        // A latency panel over an SLO-covered histogram should show that SLO.
        let vars = crate::usage::dashboard_defaults(d);
        for q in &p.queries {
            let text = promql::substitute(&q.expr, &vars);
            if !text.contains("histogram_quantile") {
                continue;
            }
            let Ok(e) = promql::parse(&text) else { continue };
            for slo in &index.spec.slos {
                let Sli::Latency { histogram, matchers, .. } = &slo.sli.value else { continue };
                let bucket = format!("{}_bucket", histogram.value);
                let covered = promql::selectors(&e).iter().any(|vs| {
                    promql::selector_name(vs) == Some(bucket.as_str())
                        && matchers.as_ref().is_none_or(|m| {
                            let m = m.value.replace(' ', "");
                            vs.matchers
                                .matchers
                                .iter()
                                .any(|x| format!("{}{}\"{}\"", x.name, x.op, x.value) == m)
                        })
                });
                if covered {
                    push(
                        Diagnostic::warning(
                            code::LINT_LATENCY_PANEL_WITHOUT_SLO,
                            p.id.loc,
                            format!(
                                "panel `{}` charts `{}`, which SLO `{}` covers",
                                p.id.value, histogram.value, slo.name.value
                            ),
                        )
                        .with_help(format!("add `slo: {}` and a threshold line at the SLO", slo.name.value)),
                    );
                }
            }
        }
    }
}
