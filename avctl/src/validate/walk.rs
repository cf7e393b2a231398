//! Walks a parsed expression, computing the labels each sub-expression carries and checking
//! grouping labels, function argument types, `histogram_quantile`, and percent/ratio mix-ups.

use super::LabelSet;
use avspec::check::code;
use avspec::index::{Index, SeriesPart};
use avspec::{Diagnostic, Loc, MetricType, SourceMap, Unit};
use promql_parser::parser::{Expr, LabelModifier, VectorSelector};
use std::collections::{BTreeMap, BTreeSet};

pub struct Walker<'a, 'f> {
    pub index: &'a Index<'a>,
    pub sources: &'a SourceMap,
    pub records: &'a BTreeMap<String, LabelSet>,
    /// Where the expression starts in the spec.
    pub loc: Loc,
    pub out: &'f mut Vec<Diagnostic>,
    /// The cluster label, when aggregating it away is a finding here (alerts and recording
    /// rules: what a global ruler evaluates).
    pub guard_cluster: Option<&'a str>,
}

fn set(labels: &[String]) -> BTreeSet<String> {
    labels.iter().cloned().collect()
}

impl<'a, 'f> Walker<'a, 'f> {
    pub fn new(
        index: &'a Index<'a>,
        sources: &'a SourceMap,
        records: &'a BTreeMap<String, LabelSet>,
        loc: Loc,
        out: &'f mut Vec<Diagnostic>,
    ) -> Self {
        Self { index, sources, records, loc, out, guard_cluster: None }
    }

    /// Flags aggregations that drop the spec's cluster label (`promql/mixes-clusters`).
    pub fn guarding_clusters(mut self) -> Self {
        self.guard_cluster = self.index.spec.prometheus.cluster_label.as_ref().map(|c| c.value.as_str());
        self
    }

    /// The location of `needle` inside the expression, or the expression's start.
    pub fn at(&self, needle: &str) -> Loc {
        self.sources.find_in_node(self.loc, needle)
    }

    /// Grouping labels (`by`, `without`, `on`, `ignoring`, `label_replace` sources) must exist.
    fn require(&mut self, available: &LabelSet, label: &str, context: &str) {
        let Some(avail) = available else { return };
        if label == "__name__" || avail.contains(label) {
            return;
        }
        let d = Diagnostic::error(
            code::PROMQL_UNKNOWN_LABEL,
            self.at(label),
            format!("`{context}` uses label `{label}`, which no series here carries"),
        )
        .with_suggestion(label, avail.iter().map(String::as_str));
        let help = d.help.clone().unwrap_or_else(|| {
            format!("available: {}", avail.iter().cloned().collect::<Vec<_>>().join(", "))
        });
        self.out.push(d.with_help(help));
    }

    pub fn labels(&mut self, e: &Expr) -> LabelSet {
        match e {
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) => Some(BTreeSet::new()),
            Expr::VectorSelector(vs) => self.selector(vs, None),
            Expr::MatrixSelector(m) => self.selector(&m.vs, Some(m.range)),
            Expr::Paren(p) => self.labels(&p.expr),
            Expr::Unary(u) => self.labels(&u.expr),
            Expr::Subquery(s) => self.labels(&s.expr),
            Expr::Aggregate(a) => {
                if let Some(p) = &a.param {
                    self.labels(p);
                }
                let inner = self.labels(&a.expr);
                let op = a.op.to_string();
                let mut result = match &a.modifier {
                    Some(LabelModifier::Include(l)) => {
                        for label in &l.labels {
                            self.require(&inner, label, &format!("{op} by"));
                        }
                        Some(set(&l.labels))
                    }
                    Some(LabelModifier::Exclude(l)) => {
                        for label in &l.labels {
                            self.require(&inner, label, &format!("{op} without"));
                        }
                        inner.as_ref().map(|i| i - &set(&l.labels))
                    }
                    None if matches!(op.as_str(), "topk" | "bottomk" | "limitk" | "limit_ratio") => {
                        inner.clone()
                    }
                    None => Some(BTreeSet::new()),
                };
                if op == "count_values"
                    && let (Some(r), Some(Expr::StringLiteral(s))) = (&mut result, a.param.as_deref())
                {
                    r.insert(s.val.clone());
                }
                self.replicas_and_clusters(&op, &a.expr, &inner, &result);
                result
            }
            Expr::Binary(b) => {
                let l = self.labels(&b.lhs);
                let r = self.labels(&b.rhs);
                let union = match (&l, &r) {
                    (Some(a), Some(b)) => Some(a | b),
                    _ => None,
                };
                if let Some(m) = b.modifier.as_ref().and_then(|m| m.matching.as_ref()) {
                    let kw = if matches!(m, LabelModifier::Include(_)) { "on" } else { "ignoring" };
                    for label in &m.labels().labels {
                        self.require(&union, label, kw);
                    }
                }
                if b.op.is_comparison_operator() {
                    self.percent_vs_ratio(&b.lhs, &b.rhs);
                    self.percent_vs_ratio(&b.rhs, &b.lhs);
                }
                let op = b.op.to_string();
                if op == "or" {
                    union
                } else if matches!(*b.lhs, Expr::NumberLiteral(_)) {
                    r
                } else {
                    l
                }
            }
            Expr::Call(c) => self.call(c.func.name, &c.args.args),
            Expr::Extension(_) => None,
        }
    }

    /// An aggregation that drops the cluster label where clusters meet, or sums across
    /// instances a value every replica reports once (a `shared` metric).
    fn replicas_and_clusters(&mut self, op: &str, input: &Expr, inner: &LabelSet, result: &LabelSet) {
        let (Some(inner), Some(result)) = (inner, result) else { return };
        let dropped = |label: &str| inner.contains(label) && !result.contains(label);
        if let Some(c) = self.guard_cluster
            && dropped(c)
        {
            self.out.push(
                Diagnostic::warning(
                    code::PROMQL_MIXES_CLUSTERS,
                    self.at(op),
                    format!("`{op}` aggregates the cluster label `{c}` away"),
                )
                .with_help(format!(
                    "where clusters meet this {op}s every cluster together: keep it, e.g. `{op} by ({c}, ...)`"
                )),
            );
        }
        if op != "sum" || !dropped("instance") {
            return;
        }
        let shared = crate::promql::selectors(input).into_iter().find_map(|vs| {
            let name = crate::promql::selector_name(vs)?;
            self.index.series(name).filter(|(m, _)| m.metric.shared).map(|_| name.to_owned())
        });
        if let Some(name) = shared {
            self.out.push(
                Diagnostic::warning(
                    code::PROMQL_DOUBLE_COUNTS_REPLICAS,
                    self.at(op),
                    format!("`sum` across instances of `{name}`, which every replica sharing it reports"),
                )
                .with_help(
                    "the sum counts the shared value once per replica: use `max` (or `sum by (instance)`)",
                ),
            );
        }
    }

    fn call(&mut self, name: &str, args: &[Box<Expr>]) -> LabelSet {
        let string_arg = |i: usize| match args.get(i).map(|a| a.as_ref()) {
            Some(Expr::StringLiteral(s)) => Some(s.val.clone()),
            _ => None,
        };
        match name {
            "rate" | "irate" | "increase" => {
                if let Some(Expr::MatrixSelector(m)) = args.first().map(|a| a.as_ref()) {
                    self.counter_only(name, &m.vs);
                }
                args.first().and_then(|a| self.labels(a))
            }
            "histogram_quantile" => {
                let inner = args.get(1).and_then(|a| self.labels(a));
                self.quantile_input(args.get(1).map(|a| a.as_ref()), &inner);
                inner.map(|mut i| {
                    i.remove("le");
                    i
                })
            }
            "label_replace" | "label_join" => {
                let inner = args.first().and_then(|a| self.labels(a));
                let sources: Vec<String> = match name {
                    "label_replace" => string_arg(3).into_iter().collect(),
                    _ => (3..args.len()).filter_map(string_arg).collect(),
                };
                for s in sources.iter().filter(|s| !s.is_empty()) {
                    self.require(&inner, s, name);
                }
                match (inner, string_arg(1)) {
                    (Some(mut i), Some(dst)) => {
                        i.insert(dst);
                        Some(i)
                    }
                    (i, _) => i,
                }
            }
            "vector" | "time" | "scalar" | "pi" => {
                args.iter().for_each(|a| {
                    self.labels(a);
                });
                Some(BTreeSet::new())
            }
            "absent" | "absent_over_time" => {
                args.iter().for_each(|a| {
                    self.labels(a);
                });
                None
            }
            _ => {
                let mut result = Some(BTreeSet::new());
                let mut first_vector = true;
                for a in args {
                    let l = self.labels(a);
                    if !matches!(a.as_ref(), Expr::NumberLiteral(_) | Expr::StringLiteral(_)) && first_vector
                    {
                        result = l;
                        first_vector = false;
                    }
                }
                result
            }
        }
    }

    /// `rate`, `irate` and `increase` only make sense on counters (including `_bucket`,
    /// `_sum` and `_count` series of histograms and summaries).
    fn counter_only(&mut self, func: &str, vs: &VectorSelector) {
        let Some(name) = crate::promql::selector_name(vs) else { return };
        if let Some((m, SeriesPart::Whole)) = self.index.series(name)
            && matches!(m.metric.kind.value, MetricType::Gauge | MetricType::Histogram | MetricType::Summary)
        {
            self.out.push(
                Diagnostic::error(
                    code::PROMQL_RATE_ON_NON_COUNTER,
                    self.at(name),
                    format!("`{func}` over `{name}`, which is a {}", m.metric.kind.value.as_str()),
                )
                .with_help(match m.metric.kind.value {
                    MetricType::Gauge => "use `deriv`, `delta` or `*_over_time` on gauges".to_owned(),
                    _ => format!("rate the `{name}_bucket`, `{name}_sum` or `{name}_count` series"),
                }),
            );
        }
    }

    /// `histogram_quantile` needs `_bucket` series with `le` kept by any aggregation.
    fn quantile_input(&mut self, arg: Option<&Expr>, labels: &LabelSet) {
        let Some(arg) = arg else { return };
        let mut bucket = false;
        let mut known = true;
        for vs in crate::promql::selectors(arg) {
            match crate::promql::selector_name(vs) {
                Some(n) if n.ends_with("_bucket") => bucket = true,
                Some(n) if self.records.contains_key(n) => known = false,
                _ => {}
            }
        }
        if !bucket && known {
            self.out.push(
                Diagnostic::error(code::PROMQL_QUANTILE_NOT_BUCKET, self.at("histogram_quantile"), "`histogram_quantile` over series that are not `_bucket` series")
                    .with_help("pass the rate of a histogram's `_bucket` series, e.g. `sum by (le) (rate(x_bucket[5m]))`"),
            );
        } else if let Some(l) = labels
            && !l.contains("le")
        {
            self.out.push(
                Diagnostic::error(
                    code::PROMQL_QUANTILE_WITHOUT_LE,
                    self.at("histogram_quantile"),
                    "`histogram_quantile` input has lost the `le` label",
                )
                .with_help("keep `le` in the aggregation: `sum by (le, ...)`"),
            );
        }
    }

    /// A 0-100 percentage compared with a number in (0, 1), or a 0-1 ratio with one above 1.
    fn percent_vs_ratio(&mut self, side: &Expr, other: &Expr) {
        let Expr::NumberLiteral(n) = strip(other) else { return };
        let v = n.val;
        match self.unit_of(side) {
            Some(Unit::Percent) if v > 0.0 && v < 1.0 => self.out.push(
                Diagnostic::warning(
                    code::PROMQL_PERCENT_VS_RATIO,
                    self.at(&v.to_string()),
                    format!("a 0-100 percentage is compared with {v}"),
                )
                .with_help(format!("the metric's unit is percent; did you mean {}?", v * 100.0)),
            ),
            Some(Unit::Ratio) if v > 1.0 => self.out.push(
                Diagnostic::warning(
                    code::PROMQL_PERCENT_VS_RATIO,
                    self.at(&v.to_string()),
                    format!("a 0-1 ratio is compared with {v}"),
                )
                .with_help(format!("the metric's unit is ratio; did you mean {}?", v / 100.0)),
            ),
            _ => {}
        }
    }

    fn unit_of(&self, e: &Expr) -> Option<Unit> {
        match strip(e) {
            Expr::VectorSelector(vs) => self.metric_unit(vs),
            Expr::MatrixSelector(m) => self.metric_unit(&m.vs),
            Expr::Aggregate(a) => {
                matches!(a.op.to_string().as_str(), "avg" | "min" | "max" | "quantile" | "topk" | "bottomk")
                    .then(|| self.unit_of(&a.expr))
                    .flatten()
            }
            Expr::Call(c) => {
                let keeps = [
                    "label_replace",
                    "label_join",
                    "avg_over_time",
                    "min_over_time",
                    "max_over_time",
                    "last_over_time",
                    "quantile_over_time",
                    "clamp",
                    "clamp_min",
                    "clamp_max",
                    "abs",
                    "round",
                ];
                if !keeps.contains(&c.func.name) {
                    return None;
                }
                c.args
                    .args
                    .iter()
                    .find(|a| !matches!(a.as_ref(), Expr::NumberLiteral(_) | Expr::StringLiteral(_)))
                    .and_then(|a| self.unit_of(a))
            }
            Expr::Binary(b) => {
                let (lit, other) = match (strip(&b.lhs), strip(&b.rhs)) {
                    (Expr::NumberLiteral(n), o) | (o, Expr::NumberLiteral(n)) => (n.val, o),
                    _ => return None,
                };
                match (b.op.to_string().as_str(), self.unit_of(other)) {
                    ("*", Some(Unit::Ratio)) if lit == 100.0 => Some(Unit::Percent),
                    ("/", Some(Unit::Percent)) if lit == 100.0 => Some(Unit::Ratio),
                    ("+" | "-", u) => u,
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn metric_unit(&self, vs: &VectorSelector) -> Option<Unit> {
        let name = crate::promql::selector_name(vs)?;
        match self.index.series(name)? {
            (m, SeriesPart::Whole) => m.metric.unit.as_ref().map(|u| u.value),
            _ => None,
        }
    }
}

fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip(&p.expr),
        other => other,
    }
}
