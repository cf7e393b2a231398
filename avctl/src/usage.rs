//! Which panels, alerts, SLOs and recording rules use each metric (for the reference docs and
//! the unused-metric lint).

use crate::promql;
use avspec::Sli;
use avspec::index::Index;
use std::collections::{BTreeMap, BTreeSet};

/// Users of one metric family, each list sorted.
#[derive(Debug, Default, Clone)]
pub struct Users {
    pub panels: Vec<String>,
    pub alerts: Vec<String>,
    pub slos: Vec<String>,
    pub recording_rules: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Usage {
    by_metric: BTreeMap<String, [BTreeSet<String>; 4]>,
}

impl Usage {
    pub fn of(index: &Index<'_>) -> Self {
        let mut u = Self::default();
        for (d, p) in index.panels() {
            let vars = dashboard_defaults(d);
            for q in &p.queries {
                u.add(
                    index,
                    &promql::metric_names(&q.expr, &vars),
                    0,
                    format!("{}/{}", d.uid.value, p.id.value),
                );
            }
        }
        let none = BTreeMap::new();
        for a in &index.spec.alerts {
            u.add(index, &promql::metric_names(&a.expr, &none), 1, a.name.value.clone());
        }
        for s in &index.spec.slos {
            let names = match &s.sli.value {
                Sli::Ratio { errors, total } => {
                    let mut n = promql::metric_names(errors, &none);
                    n.extend(promql::metric_names(total, &none));
                    n
                }
                Sli::Latency { histogram, .. } => vec![histogram.value.clone()],
            };
            u.add(index, &names, 2, s.name.value.clone());
        }
        for r in &index.spec.recording_rules {
            u.add(index, &promql::metric_names(&r.expr, &none), 3, r.record.value.clone());
        }
        u
    }

    fn add(&mut self, index: &Index<'_>, names: &[String], slot: usize, user: String) {
        for n in names {
            let family = index.series(n).map_or_else(|| n.clone(), |(m, _)| m.metric.name.value.clone());
            self.by_metric.entry(family).or_default()[slot].insert(user.clone());
        }
    }

    pub fn of_metric(&self, name: &str) -> Users {
        let Some([p, a, s, r]) = self.by_metric.get(name) else {
            return Users::default();
        };
        let v = |set: &BTreeSet<String>| set.iter().cloned().collect();
        Users { panels: v(p), alerts: v(a), slos: v(s), recording_rules: v(r) }
    }
}

/// Template variables of a dashboard at their default values.
pub fn dashboard_defaults(d: &avspec::Dashboard) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::from([("datasource".to_owned(), "prometheus".to_owned())]);
    for v in &d.variables {
        let value = v
            .default
            .as_ref()
            .map(|x| x.value.clone())
            .or_else(|| v.options.first().map(|o| o.value.value.clone()))
            .unwrap_or_default();
        vars.insert(v.name.value.clone(), value);
    }
    vars
}
