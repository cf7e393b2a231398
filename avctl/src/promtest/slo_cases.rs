//! Test cases of the SLO burn-rate alerts: a steady error share above the tier threshold fires
//! after exactly `for`; just under stays quiet; 100% errors below the traffic floor stay quiet;
//! a spike only the short window sees stays quiet.

use super::case::{Case, Check};
use super::series::{self, Family, segments};
use super::simulate::{expected, records, simulate, with_runbook};
use crate::promql;
use crate::promql::eval::Db;
use crate::promql::value::{Labels, Series};
use crate::slo::{self, TIERS, Tier};
use avspec::index::Index;
use avspec::{Alert, Sli, Slo};
use promql_parser::parser::Expr;

/// Sample spacing and rule evaluation interval of the SLO tests (windows reach 3 days).
pub const STEP: i64 = 5 * 60_000;

/// Rule evaluation step and sample spacing of a tier's tests: every minute for the 1h tier (its `for` is 2m, which
/// a 5-minute step could not tell from 4m), five minutes for the rest.
pub fn eval_step(slo: &Slo, alert: &Alert) -> i64 {
    match TIERS.iter().find(|t| slo::alert_name(slo, t) == alert.name.value) {
        Some(t) if ms(t.for_) % STEP != 0 => 60_000,
        _ => STEP,
    }
}

pub fn is_slo_alert(slo: &Slo, alert: &Alert) -> bool {
    TIERS.iter().any(|t| slo::alert_name(slo, t) == alert.name.value && alert.group.value == slo::group(slo))
}

fn ms(d: &str) -> i64 {
    avspec::PromDuration::parse(d).map_or(0, |d| i64::try_from(d.millis()).unwrap_or(i64::MAX))
}

/// Input series for a sequence of phases `(error share, requests/s, samples)`.
fn inputs(
    index: &Index<'_>,
    slo: &Slo,
    step: i64,
    phases: &[(f64, f64, usize)],
) -> Result<Vec<Series>, String> {
    let per = |rate: f64| rate * (step / 1000) as f64;
    let parse_vs = |text: &str| promql::parse(text);
    let mut out = Vec::new();
    let named = |mut l: Labels, n: &str| {
        l.insert("__name__".to_owned(), n.to_owned());
        l
    };
    match &slo.sli.value {
        Sli::Ratio { errors, total } => {
            let (e, t) = (parse_vs(errors)?, parse_vs(total)?);
            let sel: Vec<_> = promql::selectors(&e).into_iter().chain(promql::selectors(&t)).collect();
            let name = promql::selector_name(sel[0]).ok_or("unnamed selector")?.to_owned();
            let (m, _) = index.series(&name).ok_or("undeclared SLI metric")?;
            let fam = Family { metric: m, selectors: sel };
            let (bad, good) = series::label_sets(index, &fam);
            let good = good.ok_or("the error selector selects the same series as the total")?;
            let (s, n) = segments(step, &phases.iter().map(|p| (per(p.1) * p.0, p.2)).collect::<Vec<_>>());
            out.push(Series { labels: named(bad, &name), samples: s, notation: n });
            let (s, n) =
                segments(step, &phases.iter().map(|p| (per(p.1) * (1.0 - p.0), p.2)).collect::<Vec<_>>());
            out.push(Series { labels: named(good, &name), samples: s, notation: n });
        }
        Sli::Latency { histogram, threshold, matchers, .. } => {
            let text = format!(
                "{}_bucket{{{}}}",
                histogram.value,
                matchers.as_ref().map_or("", |m| m.value.as_str())
            );
            let e = parse_vs(&text)?;
            let (m, _) =
                index.series(&format!("{}_bucket", histogram.value)).ok_or("undeclared SLI histogram")?;
            let fam = Family { metric: m, selectors: promql::selectors(&e) };
            let (labels, _) = series::label_sets(index, &fam);
            let bounds: Vec<f64> = m.metric.buckets.iter().flat_map(|b| b.iter().map(|v| v.value)).collect();
            // Good observations land in the first bucket, bad ones in the first bucket above the
            // threshold (or +Inf).
            let slow = bounds.iter().position(|b| *b > threshold.value + 1e-12);
            let mut les: Vec<(String, bool)> = bounds
                .iter()
                .enumerate()
                .map(|(i, b)| (b.to_string(), slow.is_some_and(|s| i >= s)))
                .collect();
            les.push(("+Inf".to_owned(), true));
            for (le, includes_slow) in les {
                let mut l = labels.clone();
                l.insert("le".to_owned(), le);
                let parts: Vec<_> = phases
                    .iter()
                    .map(|p| (if includes_slow { per(p.1) } else { per(p.1) * (1.0 - p.0) }, p.2))
                    .collect();
                let (s, n) = segments(step, &parts);
                out.push(Series {
                    labels: named(l, &format!("{}_bucket", histogram.value)),
                    samples: s,
                    notation: n,
                });
            }
            let (s, n) = segments(step, &phases.iter().map(|p| (per(p.1), p.2)).collect::<Vec<_>>());
            out.push(Series {
                labels: named(labels, &format!("{}_count", histogram.value)),
                samples: s,
                notation: n,
            });
        }
    }
    Ok(out)
}

pub fn cases(index: &Index<'_>, slo: &Slo, alert: &Alert, e: &Expr, url: &str) -> Result<Vec<Case>, String> {
    let tier: &Tier =
        TIERS.iter().find(|t| slo::alert_name(slo, t) == alert.name.value).ok_or("unknown tier")?;
    let threshold = tier.factor * slo::budget(slo);
    if threshold >= 1.0 {
        return Err(format!(
            "tier {} needs more than 100% errors to fire (budget {})",
            tier.name,
            slo::budget(slo)
        ));
    }
    let floor = slo.traffic_floor.as_ref().map(|f| f.value);
    let rate = floor.map_or(1.0, |f| (f * 10.0).max(1.0));
    let (long, short, for_ms) = (ms(tier.long), ms(tier.short), ms(tier.for_));
    let step = eval_step(slo, alert);
    let samples = |span: i64| usize::try_from(span / step).unwrap_or(0) + 1;
    let name = alert.name.value.clone();
    let recs = records(&index.spec.recording_rules);
    let db = |series: Vec<Series>| Db { series, records: recs.clone() };
    let mut out = Vec::new();

    // Fires: an error share 1.37x over the threshold. The long window crosses the threshold
    // 1/1.37 of the way in, between samples, so float rounding cannot move the firing time.
    let share = (threshold * 1.37).min(1.0);
    // Errors start after a long window of clean traffic, so when the alert fires depends on
    // both windows (a changed window changes the firing time).
    let horizon = 2 * long + for_ms + 2 * step;
    let fire = db(inputs(
        index,
        slo,
        step,
        &[(0.0, rate, samples(long)), (share, rate, samples(long + for_ms + 2 * step))],
    )?);
    let (t_fire, got) = simulate(&fire, e, for_ms, step, horizon)?.ok_or("the firing input never fires")?;
    let alerts = with_runbook(expected(alert, &got)?, url);
    let mut checks = Vec::new();
    if t_fire >= step && for_ms > 0 {
        checks.push(Check { eval_ms: t_fire - step, alertname: name.clone(), alerts: vec![] });
    }
    checks.push(Check { eval_ms: t_fire, alertname: name.clone(), alerts });
    out.push(Case {
        name: format!("{name} fires at {:.4}% errors", share * 100.0),
        interval_ms: step,
        series: fire.series,
        checks,
    });

    // Quiet cases, each checked at its end and simulated to never fire.
    let mut quiet = |label: String, phases: Vec<(f64, f64, usize)>| -> Result<(), String> {
        let d = db(inputs(index, slo, step, &phases)?);
        let end = (phases.iter().map(|p| p.2).sum::<usize>() as i64 - 1) * step;
        if simulate(&d, e, for_ms, step, end)?.is_some() {
            return Err(format!("{label}: the quiet input fires"));
        }
        out.push(Case {
            name: label,
            interval_ms: step,
            series: d.series,
            checks: vec![Check { eval_ms: end, alertname: name.clone(), alerts: vec![] }],
        });
        Ok(())
    };
    quiet(
        format!("{name} stays quiet just under the threshold ({:.4}% errors)", threshold * 90.0),
        vec![(threshold * 0.9, rate, samples(horizon))],
    )?;
    if let Some(f) = floor {
        quiet(
            format!("{name} stays quiet below the traffic floor (100% errors at {} req/s)", f / 2.0),
            vec![(1.0, f / 2.0, samples(horizon))],
        )?;
    }
    // A spike the short window sees but the long window does not: the long ratio stays under
    // the threshold while the short one is far over it.
    let spike_len = short + for_ms;
    let upper = (threshold * long as f64 / spike_len as f64 * 0.9).min(1.0);
    let lower = threshold * 1.1;
    if lower < upper {
        let spike = (lower + upper) / 2.0;
        quiet(
            format!(
                "{name} stays quiet on a {}-minute spike of {:.4}% errors",
                spike_len / 60_000,
                spike * 100.0
            ),
            vec![(0.0, rate, samples(long)), (spike, rate, samples(spike_len) - 1)],
        )?;
    }
    Ok(out)
}
