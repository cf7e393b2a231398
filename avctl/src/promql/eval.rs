//! A small PromQL evaluator over sampled series, mirroring Prometheus 2.42's arithmetic
//! (extrapolated rates, bucket quantiles, vector matching) so generated unit tests can state
//! exactly when an alert fires and with which labels and value.

use super::value::{Labels, Sample, Series, Value};
use promql_parser::label::MatchOp;
use promql_parser::parser::{Expr, LabelModifier, VectorSelector};
use std::collections::BTreeMap;

/// Raw series plus recording rules (name -> definitions with their extra labels).
#[derive(Debug, Default)]
pub struct Db {
    pub series: Vec<Series>,
    pub records: BTreeMap<String, Vec<(Expr, Labels)>>,
}

const LOOKBACK_MS: i64 = 5 * 60 * 1000;

fn matches(labels: &Labels, vs: &VectorSelector) -> bool {
    if let Some(n) = &vs.name
        && labels.get("__name__") != Some(n)
    {
        return false;
    }
    vs.matchers.matchers.iter().all(|m| {
        let v = labels.get(&m.name).map_or("", String::as_str);
        match &m.op {
            MatchOp::Equal => v == m.value,
            MatchOp::NotEqual => v != m.value,
            MatchOp::Re(r) => r.is_match(v),
            MatchOp::NotRe(r) => !r.is_match(v),
        }
    })
}

fn without_name(mut l: Labels) -> Labels {
    l.remove("__name__");
    l
}

impl Db {
    fn instant(&self, vs: &VectorSelector, t: i64) -> Result<Vec<(Labels, f64)>, String> {
        let name = vs.name.clone().unwrap_or_default();
        if let Some(defs) = self.records.get(&name) {
            let mut out = Vec::new();
            for (expr, extra) in defs {
                if let Value::Vector(v) = self.eval(expr, t)? {
                    for (mut l, x) in v {
                        l.extend(extra.clone());
                        l.insert("__name__".to_owned(), name.clone());
                        if matches(&l, vs) {
                            out.push((l, x));
                        }
                    }
                }
            }
            return Ok(out);
        }
        Ok(self
            .series
            .iter()
            .filter(|s| matches(&s.labels, vs))
            .filter_map(|s| {
                // Samples are sorted: the latest at or before `t`, within the lookback.
                let end = s.samples.partition_point(|(ts, _)| *ts <= t);
                let (ts, v) = *s.samples.get(end.checked_sub(1)?)?;
                (ts > t - LOOKBACK_MS).then(|| (s.labels.clone(), v))
            })
            .collect())
    }

    fn range<'s>(&'s self, vs: &VectorSelector, range_ms: i64, t: i64) -> Vec<(&'s Labels, &'s [Sample])> {
        self.series
            .iter()
            .filter(|s| matches(&s.labels, vs))
            .filter_map(|s| {
                // Samples are sorted by time: the closed range [t - range, t] by binary search.
                let lo = s.samples.partition_point(|(ts, _)| *ts < t - range_ms);
                let hi = s.samples.partition_point(|(ts, _)| *ts <= t);
                (lo < hi).then(|| (&s.labels, &s.samples[lo..hi]))
            })
            .collect()
    }

    pub fn eval(&self, e: &Expr, t: i64) -> Result<Value, String> {
        match e {
            Expr::NumberLiteral(n) => Ok(Value::Scalar(n.val)),
            Expr::Paren(p) => self.eval(&p.expr, t),
            Expr::Unary(u) => Ok(match self.eval(&u.expr, t)? {
                Value::Scalar(s) => Value::Scalar(-s),
                Value::Vector(v) => {
                    Value::Vector(v.into_iter().map(|(l, x)| (without_name(l), -x)).collect())
                }
            }),
            Expr::VectorSelector(vs) => Ok(Value::Vector(self.instant(vs, t)?)),
            Expr::Call(c) => self.call(c.func.name, &c.args.args, t),
            Expr::Aggregate(a) => self.aggregate(a, t),
            Expr::Binary(b) => {
                let l = self.eval(&b.lhs, t)?;
                let r = self.eval(&b.rhs, t)?;
                super::binop::apply(&b.op.to_string(), l, r, b.modifier.as_ref())
            }
            other => Err(format!("unsupported expression `{other}`")),
        }
    }

    fn call(&self, name: &str, args: &[Box<Expr>], t: i64) -> Result<Value, String> {
        let arg =
            |i: usize| args.get(i).map(|a| a.as_ref()).ok_or_else(|| format!("{name}: missing argument"));
        let string = |i: usize| match arg(i) {
            Ok(Expr::StringLiteral(s)) => Ok(s.val.clone()),
            _ => Err(format!("{name}: argument {i} must be a string")),
        };
        match name {
            "rate" | "increase" | "avg_over_time" | "max_over_time" | "min_over_time" | "sum_over_time"
            | "count_over_time" => {
                let Expr::MatrixSelector(m) = arg(0)? else { return Err(format!("{name} needs a range")) };
                let range = i64::try_from(m.range.as_millis()).unwrap_or(i64::MAX);
                let mut out = Vec::new();
                for (labels, samples) in self.range(&m.vs, range, t) {
                    let v = match name {
                        "rate" | "increase" => {
                            if samples.len() < 2 {
                                continue;
                            }
                            extrapolated_rate(samples, t - range, t, name == "rate")
                        }
                        "avg_over_time" => samples.iter().map(|s| s.1).sum::<f64>() / samples.len() as f64,
                        "max_over_time" => samples.iter().map(|s| s.1).fold(f64::MIN, f64::max),
                        "min_over_time" => samples.iter().map(|s| s.1).fold(f64::MAX, f64::min),
                        "sum_over_time" => samples.iter().map(|s| s.1).sum(),
                        _ => samples.len() as f64,
                    };
                    out.push((without_name(labels.clone()), v));
                }
                Ok(Value::Vector(out))
            }
            "histogram_quantile" => {
                let Value::Scalar(q) = self.eval(arg(0)?, t)? else {
                    return Err("quantile must be a scalar".to_owned());
                };
                let Value::Vector(v) = self.eval(arg(1)?, t)? else {
                    return Err("histogram_quantile needs a vector".to_owned());
                };
                let mut groups: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
                for (l, x) in v {
                    let mut key = without_name(l);
                    let Some(le) = key.remove("le") else { continue };
                    let bound = if le == "+Inf" {
                        f64::INFINITY
                    } else {
                        le.parse().map_err(|_| format!("bad le {le}"))?
                    };
                    groups.entry(key).or_default().push((bound, x));
                }
                Ok(Value::Vector(groups.into_iter().map(|(l, b)| (l, bucket_quantile(q, b))).collect()))
            }
            "label_replace" => {
                let Value::Vector(v) = self.eval(arg(0)?, t)? else {
                    return Err("label_replace needs a vector".to_owned());
                };
                let (dst, repl, src, re) = (string(1)?, string(2)?, string(3)?, string(4)?);
                let re = regex::Regex::new(&format!("^(?:{re})$")).map_err(|e| e.to_string())?;
                Ok(Value::Vector(
                    v.into_iter()
                        .map(|(mut l, x)| {
                            let value = l.get(&src).cloned().unwrap_or_default();
                            if let Some(caps) = re.captures(&value) {
                                let mut out = String::new();
                                caps.expand(&repl.replace("$1", "${1}"), &mut out);
                                if out.is_empty() {
                                    l.remove(&dst)
                                } else {
                                    l.insert(dst.clone(), out)
                                };
                            }
                            (l, x)
                        })
                        .collect(),
                ))
            }
            "vector" => match self.eval(arg(0)?, t)? {
                Value::Scalar(s) => Ok(Value::Vector(vec![(Labels::new(), s)])),
                Value::Vector(_) => Err("vector() needs a scalar".to_owned()),
            },
            "abs" => match self.eval(arg(0)?, t)? {
                Value::Vector(v) => {
                    Ok(Value::Vector(v.into_iter().map(|(l, x)| (without_name(l), x.abs())).collect()))
                }
                Value::Scalar(s) => Ok(Value::Scalar(s.abs())),
            },
            other => Err(format!("function `{other}` is not supported by the test generator")),
        }
    }

    fn aggregate(&self, a: &promql_parser::parser::AggregateExpr, t: i64) -> Result<Value, String> {
        let Value::Vector(v) = self.eval(&a.expr, t)? else {
            return Err("aggregation over a scalar".to_owned());
        };
        let op = a.op.to_string();
        let key = |l: &Labels| -> Labels {
            match &a.modifier {
                Some(LabelModifier::Include(ls)) => {
                    ls.labels.iter().filter_map(|n| l.get(n).map(|v| (n.clone(), v.clone()))).collect()
                }
                Some(LabelModifier::Exclude(ls)) => {
                    without_name(l.clone()).into_iter().filter(|(k, _)| !ls.labels.contains(k)).collect()
                }
                None => Labels::new(),
            }
        };
        let mut groups: BTreeMap<Labels, Vec<f64>> = BTreeMap::new();
        for (l, x) in &v {
            groups.entry(key(l)).or_default().push(*x);
        }
        let out = groups
            .into_iter()
            .map(|(l, xs)| {
                let r = match op.as_str() {
                    "sum" => Ok(xs.iter().fold(0.0, |a, b| a + b)),
                    "avg" => Ok(xs.iter().fold(0.0, |a, b| a + b) / xs.len() as f64),
                    "max" => {
                        Ok(xs.iter().copied().fold(f64::NAN, |a, b| if a.is_nan() || b > a { b } else { a }))
                    }
                    "min" => {
                        Ok(xs.iter().copied().fold(f64::NAN, |a, b| if a.is_nan() || b < a { b } else { a }))
                    }
                    "count" => Ok(xs.len() as f64),
                    other => Err(format!("aggregation `{other}` is not supported by the test generator")),
                };
                r.map(|x| (l, x))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::Vector(out))
    }
}

/// Prometheus' `extrapolatedRate` (2.42) for a counter.
pub fn extrapolated_rate(samples: &[Sample], range_start: i64, range_end: i64, is_rate: bool) -> f64 {
    let first = samples[0];
    let last = samples[samples.len() - 1];
    let mut result = last.1 - first.1;
    let mut prev = first.1;
    for s in &samples[1..] {
        if s.1 < prev {
            result += prev;
        }
        prev = s.1;
    }
    let mut to_start = (first.0 - range_start) as f64 / 1000.0;
    let to_end = (range_end - last.0) as f64 / 1000.0;
    let sampled = (last.0 - first.0) as f64 / 1000.0;
    let avg = sampled / (samples.len() - 1) as f64;
    if result > 0.0 && first.1 >= 0.0 {
        let to_zero = sampled * (first.1 / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = avg * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold { to_start } else { avg / 2.0 };
    interval += if to_end < threshold { to_end } else { avg / 2.0 };
    // The factor first, then one multiplication, in Prometheus' order: `r * (i / s) / w` and
    // `r * ((i / s) / w)` round differently, and promtool compares `$value` in annotations
    // digit for digit (2.4999999999999933 against 2.499999999999977 for one p95, measured).
    let mut factor = interval / sampled;
    if is_rate {
        factor /= (range_end - range_start) as f64 / 1000.0;
    }
    result * factor
}

/// Prometheus' `bucketQuantile` (2.42).
pub fn bucket_quantile(q: f64, mut buckets: Vec<(f64, f64)>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.len() < 2 || !buckets[buckets.len() - 1].0.is_infinite() {
        return f64::NAN;
    }
    // ensureMonotonic
    let mut max = f64::MIN;
    for b in &mut buckets {
        if b.1 > max {
            max = b.1;
        } else if b.1 < max {
            b.1 = max;
        }
    }
    let observations = buckets[buckets.len() - 1].1;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let b = buckets.iter().position(|x| x.1 >= rank).unwrap_or(buckets.len() - 1);
    if b == buckets.len() - 1 {
        return buckets[buckets.len() - 2].0;
    }
    if b == 0 && buckets[0].0 <= 0.0 {
        return buckets[0].0;
    }
    let (mut start, end, mut count) = (0.0, buckets[b].0, buckets[b].1);
    if b > 0 {
        start = buckets[b - 1].0;
        count -= buckets[b - 1].1;
        rank -= buckets[b - 1].1;
    }
    start + (end - start) * (rank / count)
}
