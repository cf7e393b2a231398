//! Simulating the rule manager over synthesized series: recording rules, when an alert first
//! fires (after its `for`), and the alerts promtool must then see.

use super::case::ExpAlert;
use super::render::render;
use crate::promql;
use crate::promql::eval::Db;
use crate::promql::value::{Labels, Value};
use avspec::{Alert, RecordingRule};
use promql_parser::parser::Expr;
use std::collections::BTreeMap;

pub fn records(rules: &[RecordingRule]) -> BTreeMap<String, Vec<(Expr, Labels)>> {
    let mut out: BTreeMap<String, Vec<(Expr, Labels)>> = BTreeMap::new();
    for r in rules {
        if let Ok(e) = promql::parse(&r.expr) {
            let labels = r.labels.iter().map(|kv| (kv.name.value.clone(), kv.value.value.clone())).collect();
            out.entry(r.record.value.clone()).or_default().push((e, labels));
        }
    }
    out
}

/// The alert's output at `t`, or an error when the evaluator cannot follow the expression.
pub fn active(db: &Db, e: &Expr, t: i64) -> Result<Vec<(Labels, f64)>, String> {
    match db.eval(e, t)? {
        Value::Vector(v) => Ok(v),
        Value::Scalar(_) => Err("the alert expression is a scalar".to_owned()),
    }
}

/// When an alert fires and its series then.
pub type Firing = (i64, Vec<(Labels, f64)>);

/// Evaluates like the rule manager (every `step` from 0); returns the first time the alert
/// fires (active for at least `for_`) and its series then.
pub fn simulate(db: &Db, e: &Expr, for_ms: i64, step: i64, until: i64) -> Result<Option<Firing>, String> {
    let mut since: Option<i64> = None;
    let mut t = 0;
    while t <= until {
        let out = active(db, e, t)?;
        if out.is_empty() {
            since = None;
        } else {
            let start = *since.get_or_insert(t);
            if t - start >= for_ms {
                return Ok(Some((t, out)));
            }
        }
        t += step;
    }
    Ok(None)
}

pub fn expected(alert: &Alert, out: &[(Labels, f64)]) -> Result<Vec<ExpAlert>, String> {
    let mut extra: Labels =
        alert.labels.iter().map(|kv| (kv.name.value.clone(), kv.value.value.clone())).collect();
    if let Some(s) = &alert.severity {
        extra.insert("severity".to_owned(), s.value.as_str().to_owned());
    }
    out.iter()
        .map(|(l, v)| {
            let mut labels = l.clone();
            labels.remove("__name__");
            let template_labels = labels.clone();
            labels.extend(extra.clone());
            let mut annotations = Labels::new();
            for (k, tpl) in [("summary", &alert.summary), ("description", &alert.description)] {
                if let Some(t) = tpl {
                    annotations.insert(k.to_owned(), render(t, &template_labels, *v)?);
                }
            }
            Ok(ExpAlert { labels, annotations })
        })
        .collect()
}

/// Adds the runbook link every generated alert carries.
pub fn with_runbook(mut alerts: Vec<ExpAlert>, url: &str) -> Vec<ExpAlert> {
    for a in &mut alerts {
        a.annotations.insert("runbook_url".to_owned(), url.to_owned());
    }
    alerts
}
