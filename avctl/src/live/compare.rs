//! Compares a scraped exposition with the metrics the spec declares for one scrape job: drift
//! is a finding at the metric's declaration; the coverage report says what was seen.

use super::expo::Family;
use avspec::check::code;
use avspec::index::Index;
use avspec::{Diagnostic, Domain, Metric, MetricType, Severity, SourceKind};
use std::collections::{BTreeMap, BTreeSet};

/// Per declared family: exposed or not, series observed and the declared worst case.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub family: String,
    pub exposed: bool,
    pub series: usize,
    pub max_series: Option<u64>,
}

/// Labels Prometheus adds or the format defines; never declared on a metric.
const FORMAT_LABELS: [&str; 2] = ["le", "quantile"];

pub fn compare(
    index: &Index<'_>,
    job: &str,
    families: &BTreeMap<String, Family>,
) -> Result<(Vec<Diagnostic>, Vec<Coverage>), String> {
    let scrape = index.jobs.get(job).ok_or_else(|| format!("the spec has no scrape job `{job}`"))?;
    let source =
        index.spec.sources.iter().find(|s| s.name.value == scrape.source.value).ok_or_else(|| {
            format!("job `{job}` scrapes source `{}`, which is not declared", scrape.source.value)
        })?;
    // Exporters expose far more than a spec declares; only the application must match exactly.
    let strict = source.kind.value == SourceKind::Application;
    let mut diags = Vec::new();
    let mut coverage = Vec::new();
    for m in &source.metrics {
        let name = m.name.value.as_str();
        let Some(fam) = families.get(name).filter(|f| !f.samples.is_empty() || f.kind.is_some()) else {
            diags.push(missing(m));
            coverage.push(Coverage {
                family: name.into(),
                exposed: false,
                series: 0,
                max_series: max(index, m),
            });
            continue;
        };
        family_findings(index, m, fam, strict, &mut diags);
        let series = fam.samples.iter().map(|s| (&s.name, &s.labels)).collect::<BTreeSet<_>>().len();
        let max_series = max(index, m);
        if let Some(limit) = max_series.filter(|l| series as u64 > *l) {
            diags.push(
                Diagnostic::warning(
                    code::LIVE_CARDINALITY_EXCEEDED,
                    m.name.loc,
                    format!("`{name}` exposes {series} series; its labels' domains allow at most {limit}"),
                )
                .with_help(
                    "a label carries more values than its domain declares; widen the domain or fix the code",
                ),
            );
        }
        coverage.push(Coverage { family: name.into(), exposed: true, series, max_series });
    }
    let declared: BTreeSet<&str> = source.metrics.iter().map(|m| m.name.value.as_str()).collect();
    let extra: Vec<&str> = families
        .keys()
        .map(String::as_str)
        .filter(|f| !declared.contains(f) && index.series(f).is_none())
        .collect();
    if strict {
        for f in &extra {
            diags.push(
                Diagnostic::error(
                    code::LIVE_UNDECLARED_METRIC,
                    source.name.loc,
                    format!("`{f}` is exposed but source `{}` does not declare it", source.name.value),
                )
                .with_help("declare it in the spec (name, type, help, labels), or stop exposing it"),
            );
        }
    } else if !extra.is_empty() {
        let shown: Vec<&str> = extra.iter().take(8).copied().collect();
        diags.push(Diagnostic::new(
            Severity::Info,
            code::LIVE_UNDECLARED_METRIC,
            source.name.loc,
            format!(
                "{} exporter families are not declared (declare the ones you query): {}{}",
                extra.len(),
                shown.join(", "),
                if extra.len() > shown.len() { ", ..." } else { "" }
            ),
        ));
    }
    Ok((diags, coverage))
}

fn missing(m: &Metric) -> Diagnostic {
    let name = &m.name.value;
    match &m.requires {
        Some(r) => Diagnostic::new(
            Severity::Info,
            code::LIVE_ABSENT_REQUIREMENT,
            m.name.loc,
            format!(
                "`{name}` is not exposed; it requires `{}`, which this target may lack",
                r.value.as_str()
            ),
        ),
        None => Diagnostic::error(
            code::LIVE_MISSING_METRIC,
            m.name.loc,
            format!("`{name}` is declared but not exposed"),
        )
        .with_help("register it in the program (for the daemon: its handles are generated from the spec)"),
    }
}

fn family_findings(index: &Index<'_>, m: &Metric, fam: &Family, strict: bool, diags: &mut Vec<Diagnostic>) {
    let name = m.name.value.as_str();
    let want = m.kind.value.as_str();
    if let Some(kind) = fam.kind.as_deref().filter(|k| *k != want) {
        diags.push(Diagnostic::error(
            code::LIVE_TYPE_DRIFT,
            m.kind.loc,
            format!("`{name}` is exposed as a {kind}; the spec declares a {want}"),
        ));
    }
    if strict && let Some(help) = fam.help.as_deref().filter(|h| *h != m.help.value) {
        diags.push(
            Diagnostic::warning(
                code::LIVE_HELP_DRIFT,
                m.help.loc,
                format!("`{name}` is exposed with help {help:?}"),
            )
            .with_help(format!("the spec says {:?}; regenerate the handles or fix the spec", m.help.value)),
        );
    }
    if m.kind.value == MetricType::Histogram {
        bucket_findings(m, fam, diags);
    }
    let declared: BTreeSet<&str> = m.labels.iter().map(|l| l.value.as_str()).collect();
    let mut reported = BTreeSet::new();
    let mut values: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for s in &fam.samples {
        for (k, v) in &s.labels {
            if FORMAT_LABELS.contains(&k.as_str()) {
                continue;
            }
            if !declared.contains(k.as_str()) {
                if reported.insert(("undeclared", k.clone())) {
                    diags.push(Diagnostic::error(
                        code::LIVE_UNDECLARED_LABEL,
                        m.name.loc,
                        format!("`{name}` is exposed with label `{k}`, which the spec does not list for it"),
                    ));
                }
                continue;
            }
            values.entry(k.as_str()).or_default().insert(v.as_str());
        }
        for d in &declared {
            if !s.labels.contains_key(*d) && reported.insert(("missing", (*d).to_owned())) {
                diags.push(Diagnostic::error(
                    code::LIVE_MISSING_LABEL,
                    m.name.loc,
                    format!("`{name}` has a series without its declared label `{d}`"),
                ));
            }
        }
    }
    for (label, seen) in values {
        let Some(def) = index.labels.get(label) else { continue };
        if let Domain::Values(allowed) = &def.domain.value {
            for v in seen.iter().filter(|v| !allowed.iter().any(|a| a.value == **v)) {
                diags.push(
                    Diagnostic::error(
                        code::LIVE_LABEL_VALUE_OUT_OF_DOMAIN,
                        def.domain.loc,
                        format!("`{name}` has {label}=\"{v}\", outside the label's declared values"),
                    )
                    .with_help(format!(
                        "declared: {}",
                        allowed.iter().map(|a| a.value.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                );
            }
        }
    }
}

fn bucket_findings(m: &Metric, fam: &Family, diags: &mut Vec<Diagnostic>) {
    let declared: Vec<f64> = m.buckets.iter().flat_map(|b| b.value.iter().map(|v| v.value)).collect();
    let mut seen: Vec<f64> = fam
        .samples
        .iter()
        .filter(|s| s.name.ends_with("_bucket"))
        .filter_map(|s| s.labels.get("le"))
        .filter_map(|le| if le == "+Inf" { Some(f64::INFINITY) } else { le.parse().ok() })
        .filter(|v: &f64| v.is_finite())
        .collect();
    seen.sort_by(f64::total_cmp);
    seen.dedup();
    if !seen.is_empty() && seen != declared {
        let show = |v: &[f64]| v.iter().map(f64::to_string).collect::<Vec<_>>().join(", ");
        let loc = m.buckets.as_ref().map_or(m.name.loc, |b| b.loc);
        diags.push(Diagnostic::error(
            code::LIVE_BUCKET_DRIFT,
            loc,
            format!(
                "`{}` is exposed with buckets [{}]; the spec declares [{}]",
                m.name.value,
                show(&seen),
                show(&declared)
            ),
        ));
    }
}

/// Worst-case series of a metric: the product of its label domains (times buckets + 2 for
/// histograms: `+Inf`, `_sum`, `_count`); `None` when a label is unbounded.
fn max(index: &Index<'_>, m: &Metric) -> Option<u64> {
    let mut n: u64 = 1;
    for l in &m.labels {
        n = n.saturating_mul(index.labels.get(l.value.as_str())?.domain.value.size(index.job_count())?);
    }
    let per = match m.kind.value {
        MetricType::Histogram => m.buckets.as_ref().map_or(0, |b| b.value.len() as u64) + 3,
        MetricType::Summary => 2,
        _ => 1,
    };
    Some(n.saturating_mul(per))
}

/// Lines of the coverage report.
pub fn report(job: &str, cov: &[Coverage]) -> String {
    let exposed = cov.iter().filter(|c| c.exposed).count();
    let series: usize = cov.iter().map(|c| c.series).sum();
    let mut out =
        format!("job `{job}`: {exposed} of {} declared families exposed, {series} series\n", cov.len());
    for c in cov {
        let limit = c.max_series.map_or("unbounded".to_owned(), |m| format!("max {m}"));
        let state =
            if c.exposed { format!("{:>5} series ({limit})", c.series) } else { "  not exposed".to_owned() };
        out.push_str(&format!("  {:<48} {state}\n", c.family));
    }
    out
}
