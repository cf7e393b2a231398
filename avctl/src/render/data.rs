//! What the panels draw: each query's series over the time range, from a Prometheus server's
//! `query_range` API or, with no server at all, from series synthesized as for the promtool
//! tests and evaluated by the project's own PromQL evaluator.

use crate::promql;
use crate::promql::eval::Db;
use crate::promql::value::{Labels, Value};
use crate::promtest::series;
use avspec::index::Index;
use std::time::Duration;

/// A query range: Unix milliseconds, inclusive, every `step_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub start_ms: i64,
    pub end_ms: i64,
    pub step_ms: i64,
}

/// One series of a query's result.
pub type Points = Vec<(i64, f64)>;

/// Where query results come from.
pub trait Source {
    /// The matrix result of `expr` over `range`.
    fn query_range(&self, expr: &str, range: &Range) -> Result<Vec<(Labels, Points)>, String>;
}

/// A Prometheus server's HTTP API.
pub struct Prometheus {
    pub base: String,
    pub timeout: Duration,
}

fn seconds(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

impl Source for Prometheus {
    fn query_range(&self, expr: &str, r: &Range) -> Result<Vec<(Labels, Points)>, String> {
        let url = format!(
            "{}/api/v1/query_range?query={}&start={}&end={}&step={}",
            self.base.trim_end_matches('/'),
            encode(expr),
            seconds(r.start_ms),
            seconds(r.end_ms),
            seconds(r.step_ms)
        );
        let resp = crate::live::http::get(&url, self.timeout)?;
        let v: serde_json::Value =
            serde_json::from_slice(&resp.body).map_err(|e| format!("not JSON from Prometheus ({e})"))?;
        if v["status"] != "success" {
            let msg = v["error"].as_str().map_or_else(|| format!("HTTP {}", resp.status), str::to_owned);
            return Err(msg);
        }
        let mut out = Vec::new();
        for s in v["data"]["result"].as_array().into_iter().flatten() {
            let labels: Labels = s["metric"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            let points = s["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    let t = p[0].as_f64()?;
                    let v: f64 = p[1].as_str()?.parse().ok()?;
                    Some(((t * 1000.0).round() as i64, v))
                })
                .collect();
            out.push((labels, points));
        }
        Ok(out)
    }
}

/// Percent-encoding of a query parameter.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The synthesized-series source: an hour of one-minute samples for every metric a query
/// reads, its traffic knob moving through calm, busy and recovering phases.
pub struct Fixtures<'a> {
    pub index: &'a Index<'a>,
}

/// Knob phases (0-100, samples) of the fixture hour: 61 one-minute samples.
const PHASES: [(u32, usize); 3] = [(20, 20), (70, 20), (40, 21)];

impl Fixtures<'_> {
    /// The range the fixture series cover (after the 5-minute warm-up rates need).
    pub const RANGE: Range = Range { start_ms: 5 * 60_000, end_ms: 60 * 60_000, step_ms: 60_000 };
}

impl Source for Fixtures<'_> {
    fn query_range(&self, expr: &str, r: &Range) -> Result<Vec<(Labels, Points)>, String> {
        let e = promql::parse(expr)?;
        // Recording rules' outputs come from the raw metrics their expressions read.
        let records = crate::promtest::simulate::records(&self.index.spec.recording_rules);
        let mut exprs = vec![e.clone()];
        let mut i = 0;
        while i < exprs.len() && exprs.len() < 64 {
            let names: Vec<String> = promql::selectors(&exprs[i])
                .iter()
                .filter_map(|vs| promql::selector_name(vs))
                .map(str::to_owned)
                .collect();
            for n in names {
                for (rule, _) in records.get(&n).into_iter().flatten() {
                    exprs.push(rule.clone());
                }
            }
            i += 1;
        }
        let mut fams = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for x in &exprs {
            let raw = promql::selectors(x)
                .iter()
                .filter_map(|vs| promql::selector_name(vs))
                .all(|n| !records.contains_key(n));
            if raw {
                for f in series::families(self.index, x)? {
                    if seen.insert(f.metric.metric.name.value.clone()) {
                        fams.push(f);
                    }
                }
            }
        }
        let sets = series::all_label_sets(self.index, &fams);
        let db =
            Db { series: series::build(&fams, &sets, &PHASES, None, None, series::Notation::Skip), records };
        let mut by_labels: std::collections::BTreeMap<Labels, Points> = std::collections::BTreeMap::new();
        let mut t = r.start_ms;
        while t <= r.end_ms {
            match db.eval(&e, t)? {
                Value::Scalar(v) => by_labels.entry(Labels::new()).or_default().push((t, v)),
                Value::Vector(v) => {
                    for (l, x) in v {
                        by_labels.entry(l).or_default().push((t, x));
                    }
                }
            }
            t += r.step_ms.max(1);
        }
        Ok(by_labels.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::{encode, seconds};

    #[test]
    fn query_parameters_are_encoded_and_times_are_seconds() {
        assert_eq!(encode("sum(rate(x{a=\"b\"}[5m]))"), "sum%28rate%28x%7Ba%3D%22b%22%7D%5B5m%5D%29%29");
        assert_eq!(seconds(1_700_000_000_123), "1700000000.123");
        assert_eq!(seconds(60_000), "60.000");
    }
}
