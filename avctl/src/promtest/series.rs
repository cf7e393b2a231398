//! Input series for one alert, from the selectors its expression uses and each metric's type:
//! counters split into "matched" and "other" series by a knob, gauges scaled by it, histogram
//! buckets shifted between a fast and a slow bucket by it.

use super::case::MINUTE;
use crate::promql;
use crate::promql::value::{Labels, Sample, Series};
use avspec::index::{Index, MetricRef};
use avspec::{Domain, MetricType, SourceKind, Unit};
use promql_parser::label::MatchOp;
use promql_parser::parser::{Expr, VectorSelector};
use std::collections::BTreeMap;

/// Per-sample increment of a counter family at full rate (100 events per minute).
pub const PER_SAMPLE: f64 = 100.0;

/// A metric family the alert reads, with every selector on it.
pub struct Family<'a> {
    pub metric: MetricRef<'a>,
    pub selectors: Vec<&'a VectorSelector>,
}

pub fn families<'a>(index: &Index<'a>, e: &'a Expr) -> Result<Vec<Family<'a>>, String> {
    let mut out: BTreeMap<String, Family<'a>> = BTreeMap::new();
    for vs in promql::selectors(e) {
        let name = promql::selector_name(vs).ok_or("a selector without a metric name")?;
        let (m, _) = index.series(name).ok_or_else(|| format!("`{name}` is not a declared metric"))?;
        out.entry(m.metric.name.value.clone())
            .or_insert(Family { metric: m, selectors: vec![] })
            .selectors
            .push(vs);
    }
    Ok(out.into_values().collect())
}

fn domain_values(index: &Index<'_>, label: &str) -> Vec<String> {
    match index.labels.get(label).map(|d| &d.domain.value) {
        Some(Domain::Values(v)) => v.iter().map(|x| x.value.clone()).collect(),
        Some(Domain::ScrapeJobs) => index.jobs.keys().map(|s| (*s).to_owned()).collect(),
        _ => vec![format!("test-{label}-0"), format!("test-{label}-1")],
    }
}

fn ok(op: &MatchOp, want: &str, v: &str) -> bool {
    match op {
        MatchOp::Equal => v == want,
        MatchOp::NotEqual => v != want,
        MatchOp::Re(r) => r.is_match(v),
        MatchOp::NotRe(r) => !r.is_match(v),
    }
}

/// Label sets of the "matched" series and, when selectors disagree on a label, the "other" one.
pub fn label_sets(index: &Index<'_>, f: &Family<'_>) -> (Labels, Option<Labels>) {
    let m = f.metric.metric;
    let mut labels: Vec<String> = m.labels.iter().map(|l| l.value.clone()).collect();
    if f.metric.source.kind.value != SourceKind::Synthetic {
        labels.extend(["job".to_owned(), "instance".to_owned()]);
    }
    let job = index
        .spec
        .prometheus
        .jobs
        .iter()
        .find(|j| j.source.value == f.metric.source.name.value)
        .map(|j| j.name.value.clone());
    let mut matched = Labels::new();
    let mut other: Option<Labels> = None;
    let mut split_label = None;
    for l in &labels {
        let matchers: Vec<_> = f
            .selectors
            .iter()
            .flat_map(|vs| vs.matchers.matchers.iter().filter(move |x| x.name == *l))
            .collect();
        let mut candidates = domain_values(index, l);
        if l == "job" {
            if let Some(j) = &job {
                candidates.insert(0, j.clone());
            }
        } else if l == "instance" {
            candidates = vec!["test-target:9999".to_owned(), "test-target:9998".to_owned()];
        }
        let value = candidates
            .iter()
            .find(|v| matchers.iter().all(|x| ok(&x.op, &x.value, v)))
            .cloned()
            .unwrap_or_else(|| candidates[0].clone());
        matched.insert(l.clone(), value.clone());
        // A label some selectors constrain and others do not splits the family in two.
        let constrained =
            f.selectors.iter().filter(|vs| vs.matchers.matchers.iter().any(|x| x.name == *l)).count();
        if split_label.is_none()
            && constrained > 0
            && constrained < f.selectors.len()
            && let Some(o) = candidates.iter().find(|v| !matchers.iter().all(|x| ok(&x.op, &x.value, v)))
        {
            split_label = Some((l.clone(), o.clone()));
        }
    }
    if let Some((l, v)) = split_label {
        let mut o = matched.clone();
        o.insert(l, v);
        other = Some(o);
    }
    (matched, other)
}

fn gauge_scale(unit: Option<Unit>) -> f64 {
    match unit {
        Some(Unit::Bytes) => 17_179_869_184.0,
        Some(Unit::Seconds) => 10.0,
        Some(Unit::Ratio | Unit::Boolean) => 1.0,
        _ => 100.0,
    }
}

fn with_name(mut l: Labels, name: &str) -> Labels {
    l.insert("__name__".to_owned(), name.to_owned());
    l
}

/// Samples built from segments of constant increments, and their promtool notation. Values
/// accumulate by repeated addition exactly as promtool expands `a+bxn`, so both see the same
/// floats.
pub fn segments(step_ms: i64, parts: &[(f64, usize)]) -> (Vec<Sample>, String) {
    let mut samples = Vec::new();
    let mut text = Vec::new();
    let mut v = 0.0f64;
    for (i, &(inc, count)) in parts.iter().enumerate().filter(|(_, p)| p.1 > 0) {
        // Each segment starts one increment after the previous one's last value.
        let mut k = if i == 0 && samples.is_empty() { 0.0 } else { v + inc };
        text.push(format!("{k}+{inc}x{}", count - 1));
        for _ in 0..count {
            samples.push((samples.len() as i64 * step_ms, k));
            v = k;
            k += inc;
        }
    }
    (samples, text.join(" "))
}

/// Whether [`build`] writes each series' promtool notation: only the cases that are kept need
/// it, not the threshold search's probes (formatting floats was a seventh of their cost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notation {
    Write,
    Skip,
}

/// Counter samples, one per minute, from per-phase increments `(inc, samples)`; at sample
/// `reset` (if any) the counter restarts at one increment, as after a process restart. The
/// notation breaks into a new segment wherever the increment changes or the counter resets
/// (and is empty with [`Notation::Skip`]).
pub fn counter(phases: &[(f64, usize)], reset: Option<usize>, notation: Notation) -> (Vec<Sample>, String) {
    let incs: Vec<f64> = phases.iter().flat_map(|&(inc, n)| std::iter::repeat_n(inc, n)).collect();
    let mut samples = Vec::with_capacity(incs.len());
    let mut text: Vec<String> = Vec::new();
    let (mut v, mut seg_start, mut seg_inc, mut seg_len) = (0.0f64, 0.0f64, f64::NAN, 0usize);
    let flush = |start: f64, inc: f64, len: usize, text: &mut Vec<String>| {
        if len > 0 && notation == Notation::Write {
            let inc = if inc.is_nan() { 0.0 } else { inc };
            text.push(format!("{start}+{inc}x{}", len - 1));
        }
    };
    for (i, &inc) in incs.iter().enumerate() {
        let restart = Some(i) == reset && i > 0;
        let next = if i == 0 {
            0.0
        } else if restart {
            inc
        } else {
            v + inc
        };
        // A new segment when the step differs from the running one or the counter restarted.
        let continues = i > 0 && !restart && seg_len > 0 && (seg_len == 1 || inc == seg_inc);
        if continues {
            if seg_len == 1 {
                seg_inc = inc;
            }
            seg_len += 1;
        } else {
            flush(seg_start, seg_inc, seg_len, &mut text);
            seg_start = next;
            seg_inc = f64::NAN;
            seg_len = 1;
        }
        v = next;
        samples.push((i as i64 * MINUTE, v));
    }
    flush(seg_start, seg_inc, seg_len, &mut text);
    (samples, text.join(" "))
}

/// Each family's label sets ([`label_sets`]), computed once per alert: they do not depend on
/// the knob, and [`build`] runs for every probe of the threshold search.
pub fn all_label_sets(index: &Index<'_>, fams: &[Family<'_>]) -> Vec<(Labels, Option<Labels>)> {
    fams.iter().map(|f| label_sets(index, f)).collect()
}

/// All input series for knob phases `(k, samples)` (k = 0-100), one sample per minute.
/// `sets` are the families' label sets ([`all_label_sets`]). `threshold` is the alert's
/// comparison literal: histogram observations are placed in the buckets on either side of it, so
/// quantiles land close to it.
pub fn build(
    fams: &[Family<'_>],
    sets: &[(Labels, Option<Labels>)],
    phases: &[(u32, usize)],
    reset: Option<usize>,
    threshold: Option<f64>,
    notation: Notation,
) -> Vec<Series> {
    let share = |k: u32| f64::from(k) / 100.0;
    let mut out = Vec::new();
    for (f, (matched, other)) in fams.iter().zip(sets) {
        let (matched, other) = (matched.clone(), other.clone());
        let m = f.metric.metric;
        let name = &m.name.value;
        match m.kind.value {
            MetricType::Counter => {
                // With a split, the knob is the matched share of traffic; without, the rate.
                let a: Vec<(f64, usize)> = phases.iter().map(|&(k, n)| (share(k) * PER_SAMPLE, n)).collect();
                let b: Vec<(f64, usize)> =
                    phases.iter().map(|&(k, n)| ((1.0 - share(k)) * PER_SAMPLE, n)).collect();
                let (s, n) = counter(&a, reset, notation);
                out.push(Series { labels: with_name(matched, name), samples: s, notation: n });
                if let Some(o) = other {
                    let (s, n) = counter(&b, None, notation);
                    out.push(Series { labels: with_name(o, name), samples: s, notation: n });
                }
            }
            MetricType::Gauge => {
                let boolean = m.unit.as_ref().is_some_and(|u| u.value == Unit::Boolean);
                let scale = gauge_scale(m.unit.as_ref().map(|u| u.value));
                let value = |k: u32| {
                    if boolean { if k >= 50 { 1.0 } else { 0.0 } } else { f64::from(k) * scale / 100.0 }
                };
                let mut samples = Vec::new();
                let mut text = Vec::new();
                for &(k, n) in phases.iter().filter(|p| p.1 > 0) {
                    let v = value(k);
                    if notation == Notation::Write {
                        text.push(format!("{v}+0x{}", n - 1));
                    }
                    let base = samples.len();
                    samples.extend((0..n).map(|j| ((base + j) as i64 * MINUTE, v)));
                }
                out.push(Series { labels: with_name(matched, name), samples, notation: text.join(" ") });
            }
            MetricType::Histogram | MetricType::Summary => {
                let bounds: Vec<f64> = m.buckets.iter().flat_map(|b| b.iter().map(|v| v.value)).collect();
                let fast: Vec<(f64, usize)> =
                    phases.iter().map(|&(k, n)| (PER_SAMPLE - share(k) * PER_SAMPLE, n)).collect();
                let all: Vec<(f64, usize)> = phases.iter().map(|&(_, n)| (PER_SAMPLE, n)).collect();
                // Fast observations in the last bucket at or under the threshold, slow ones in the
                // first bucket over it (first and last bucket without a threshold).
                let slow_at = threshold
                    .and_then(|t| bounds.iter().position(|b| *b > t))
                    .unwrap_or(bounds.len().saturating_sub(1));
                let fast_at =
                    threshold.and_then(|t| bounds.iter().rposition(|b| *b <= t)).unwrap_or(0).min(slow_at);
                for (i, b) in bounds.iter().enumerate() {
                    let mut l = matched.clone();
                    l.insert("le".to_owned(), b.to_string());
                    let none: Vec<(f64, usize)> = phases.iter().map(|&(_, n)| (0.0, n)).collect();
                    let parts = if i >= slow_at {
                        &all
                    } else if i >= fast_at {
                        &fast
                    } else {
                        &none
                    };
                    let (s, n) = counter(parts, None, notation);
                    out.push(Series {
                        labels: with_name(l, &format!("{name}_bucket")),
                        samples: s,
                        notation: n,
                    });
                }
                let mut l = matched.clone();
                l.insert("le".to_owned(), "+Inf".to_owned());
                let (s, n) = counter(&all, None, notation);
                out.push(Series {
                    labels: with_name(l, &format!("{name}_bucket")),
                    samples: s.clone(),
                    notation: n.clone(),
                });
                out.push(Series {
                    labels: with_name(matched.clone(), &format!("{name}_count")),
                    samples: s,
                    notation: n,
                });
                let (first, last) =
                    (bounds.first().copied().unwrap_or(0.0), bounds.last().copied().unwrap_or(0.0));
                let sum: Vec<(f64, usize)> = phases
                    .iter()
                    .map(|&(k, n)| {
                        ((PER_SAMPLE - share(k) * PER_SAMPLE) * first / 2.0 + share(k) * PER_SAMPLE * last, n)
                    })
                    .collect();
                let (s, n) = counter(&sum, None, notation);
                out.push(Series {
                    labels: with_name(matched, &format!("{name}_sum")),
                    samples: s,
                    notation: n,
                });
            }
        }
    }
    out
}
