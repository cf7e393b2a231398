//! Worst-case series counts: product of label domain sizes, times (buckets + 1 + 2) for
//! histograms, against the spec's budget; high-cardinality labels flagged with their estimate.

use super::apply_allow;
use avspec::check::code;
use avspec::index::Index;
use avspec::{Diagnostic, Metric, MetricType, Severity};

/// Label names that identify individual events or users: never bounded.
const EVENT_LABELS: [&str; 9] =
    ["request_id", "user_id", "session_id", "trace_id", "span_id", "timestamp", "email", "ip", "url"];

/// A label domain larger than this is flagged even when bounded.
const LARGE_DOMAIN: u64 = 1000;

/// Worst-case series of one metric per target; `None` when a label is unbounded.
pub fn worst_case_series(index: &Index<'_>, m: &Metric) -> Option<u64> {
    let mut n: u64 = 1;
    for l in &m.labels {
        let size = index.labels.get(l.as_str()).and_then(|d| d.domain.value.size(index.job_count()))?;
        n = n.saturating_mul(size);
    }
    Some(match m.kind.value {
        // Each finite bucket, +Inf, `_sum` and `_count`.
        MetricType::Histogram => n.saturating_mul(m.buckets.as_ref().map_or(0, |b| b.len() as u64) + 3),
        MetricType::Summary => n.saturating_mul(2),
        _ => n,
    })
}

pub fn check(index: &Index<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut total: Option<u64> = Some(0);
    for m in index.app_metrics() {
        let series = worst_case_series(index, m);
        total = total.zip(series).map(|(t, s)| t.saturating_add(s));
        for l in &m.labels {
            let Some(def) = index.labels.get(l.as_str()) else { continue };
            let size = def.domain.value.size(index.job_count());
            let event = EVENT_LABELS.contains(&l.as_str());
            if event || size.is_none_or(|s| s > LARGE_DOMAIN) {
                let estimate = series.map_or_else(|| "unbounded".to_owned(), |s| s.to_string());
                let why = if event {
                    "identifies individual events"
                } else {
                    "has an unbounded or very large domain"
                };
                let mut d = Diagnostic::warning(
                    code::LINT_HIGH_CARDINALITY_LABEL,
                    l.loc,
                    format!("label `{}` on `{}` {why}; worst case {estimate} series", l.value, m.name.value),
                )
                .with_help("put per-event identifiers in logs, not labels; bound the domain (`max: N`)");
                apply_allow(&mut d, &m.allow);
                out.push(d);
            }
        }
    }
    let project = &index.spec.project;
    match (&project.cardinality_budget, total) {
        (None, _) => out.push(
            Diagnostic::warning(
                code::LINT_NO_CARDINALITY_BUDGET,
                project.name.loc,
                "the project sets no `cardinality_budget`",
            )
            .with_help(format!(
                "the application's worst case is {} series per target",
                total.map_or_else(|| "unbounded".to_owned(), |t| t.to_string())
            )),
        ),
        (Some(b), t) if t.is_none_or(|t| t > b.value) => out.push(
            Diagnostic::new(
                Severity::Error,
                code::LINT_CARDINALITY_BUDGET,
                b.loc,
                format!(
                    "worst-case series per target ({}) exceed the budget of {}",
                    t.map_or_else(|| "unbounded".to_owned(), |t| t.to_string()),
                    b.value
                ),
            )
            .with_help("bound label domains, drop labels, or raise the budget deliberately"),
        ),
        _ => {}
    }
    out
}
