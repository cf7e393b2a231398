//! Resolves one selector against the spec: the metric exists, every matcher label is declared
//! for it, literal values are inside the label's domain, `le` values are buckets, and range
//! windows cover at least two scrapes.

use super::LabelSet;
use super::walk::Walker;
use avspec::check::code;
use avspec::index::{MetricRef, SeriesPart};
use avspec::{Diagnostic, Domain, MetricType, PromDuration, SourceKind};
use promql_parser::label::MatchOp;
use promql_parser::parser::VectorSelector;
use std::collections::BTreeSet;
use std::time::Duration;

/// Labels Prometheus attaches to every scraped series.
const TARGET_LABELS: [&str; 2] = ["job", "instance"];

impl Walker<'_, '_> {
    pub(super) fn selector(&mut self, vs: &VectorSelector, range: Option<Duration>) -> LabelSet {
        let name = crate::promql::selector_name(vs)?.to_owned();
        if let Some(labels) = self.records.get(&name) {
            let labels = labels.clone();
            self.matchers(vs, &labels, None);
            return labels;
        }
        let Some((m, part)) = self.index.series(&name) else {
            let mut candidates = self.index.series_names();
            candidates.extend(self.records.keys().cloned());
            self.out.push(
                Diagnostic::error(
                    code::PROMQL_UNKNOWN_METRIC,
                    self.at(&name),
                    format!("unknown metric `{name}`"),
                )
                .with_suggestion(&name, candidates.iter().map(String::as_str)),
            );
            return None;
        };
        let mut labels: BTreeSet<String> = m.metric.labels.iter().map(|l| l.value.clone()).collect();
        if m.source.kind.value != SourceKind::Synthetic {
            labels.extend(TARGET_LABELS.iter().map(|s| (*s).to_owned()));
        }
        // Where clusters meet, every series (scraped or synthetic) carries the cluster's
        // external label, so queries may group or match on it.
        if let Some(c) = &self.index.spec.prometheus.cluster_label {
            labels.insert(c.value.clone());
        }
        match (part, m.metric.kind.value) {
            (SeriesPart::Bucket, _) => {
                labels.insert("le".to_owned());
            }
            (SeriesPart::Whole, MetricType::Summary) => {
                labels.insert("quantile".to_owned());
            }
            _ => {}
        }
        let labels = Some(labels);
        self.matchers(vs, &labels, Some((m, part)));
        if let Some(r) = range {
            self.range(&name, m, r);
        }
        labels
    }

    fn matchers(
        &mut self,
        vs: &VectorSelector,
        labels: &LabelSet,
        metric: Option<(MetricRef<'_>, SeriesPart)>,
    ) {
        let name = crate::promql::selector_name(vs).unwrap_or_default().to_owned();
        for mt in &vs.matchers.matchers {
            if mt.name == "__name__" {
                continue;
            }
            if let Some(l) = labels
                && !l.contains(&mt.name)
            {
                let d = Diagnostic::error(
                    code::PROMQL_UNKNOWN_LABEL,
                    self.at(&format!("{}{}", mt.name, mt.op)),
                    format!("`{name}` has no label `{}`", mt.name),
                )
                .with_suggestion(&mt.name, l.iter().map(String::as_str));
                let help = d.help.clone().unwrap_or_else(|| {
                    format!("its labels: {}", l.iter().cloned().collect::<Vec<_>>().join(", "))
                });
                self.out.push(d.with_help(help));
                continue;
            }
            if mt.name == "le" {
                if let Some((m, SeriesPart::Bucket)) = metric {
                    self.le(&name, m, &mt.value);
                }
                continue;
            }
            self.domain(&name, &mt.name, &mt.op, &mt.value);
        }
    }

    /// Literal values (and regex alternatives) must be in the label's declared value domain.
    fn domain(&mut self, metric: &str, label: &str, op: &MatchOp, value: &str) {
        let Some(def) = self.index.labels.get(label) else { return };
        let values: Vec<String> = match &def.domain.value {
            Domain::Values(v) => v.iter().map(|x| x.value.clone()).collect(),
            Domain::ScrapeJobs => self.index.jobs.keys().map(|s| (*s).to_owned()).collect(),
            Domain::Max(_) | Domain::Unbounded => return,
        };
        let listed = || values.join(", ");
        let out_of_domain = |w: &Self, v: &str| {
            Diagnostic::error(
                code::PROMQL_LABEL_VALUE_OUT_OF_DOMAIN,
                w.at(&format!("\"{v}")),
                format!("`{metric}{{{label}{op}\"{value}\"}}`: `{v}` is not a value of `{label}`"),
            )
            .with_suggestion(v, values.iter().map(String::as_str))
        };
        match op {
            MatchOp::Equal | MatchOp::NotEqual if !value.is_empty() && !values.iter().any(|v| v == value) => {
                let d = out_of_domain(self, value);
                let help = d.help.clone().unwrap_or_else(|| format!("declared values: {}", listed()));
                self.out.push(d.with_help(help));
            }
            MatchOp::Re(re) => {
                let simple = value.chars().all(|c| c.is_ascii_alphanumeric() || "_-/:|".contains(c));
                if simple {
                    let mut offset = 0;
                    for alt in value.split('|') {
                        let start = offset;
                        offset += alt.len() + 1;
                        if alt.is_empty() || values.iter().any(|v| v == alt) {
                            continue;
                        }
                        let mut d = out_of_domain(self, alt);
                        // Point at the alternative inside the regex literal.
                        let quoted = self.at(&format!("\"{value}\""));
                        if quoted != self.loc {
                            d.loc = avspec::Loc {
                                column: quoted.column + 1 + start as u32,
                                len: alt.len() as u32,
                                ..quoted
                            };
                        }
                        let help = d.help.clone().unwrap_or_else(|| format!("declared values: {}", listed()));
                        self.out.push(d.with_help(help));
                    }
                } else if !values.iter().any(|v| re.is_match(v)) {
                    self.out.push(
                        Diagnostic::error(
                            code::PROMQL_LABEL_VALUE_OUT_OF_DOMAIN,
                            self.at(&format!("\"{value}")),
                            format!(
                                "`{label}=~\"{value}\"` matches none of the declared values of `{label}`"
                            ),
                        )
                        .with_help(format!("declared values: {}", listed())),
                    );
                }
            }
            _ => {}
        }
    }

    fn le(&mut self, name: &str, m: MetricRef<'_>, value: &str) {
        if value == "+Inf" {
            return;
        }
        let buckets: Vec<f64> = m.metric.buckets.iter().flat_map(|b| b.iter().map(|v| v.value)).collect();
        let ok = value
            .parse::<f64>()
            .is_ok_and(|v| buckets.iter().any(|b| (b - v).abs() <= f64::EPSILON * b.abs().max(1.0)));
        if !ok {
            let list = buckets.iter().map(f64::to_string).collect::<Vec<_>>().join(", ");
            self.out.push(
                Diagnostic::error(
                    code::PROMQL_LE_NOT_A_BUCKET,
                    self.at(&format!("\"{value}\"")),
                    format!("`{name}` has no bucket `le=\"{value}\"`"),
                )
                .with_help(format!("its buckets: {list}, +Inf")),
            );
        }
    }

    /// A range must hold at least two scrapes of the series, or `rate` has nothing to work on.
    fn range(&mut self, name: &str, m: MetricRef<'_>, range: Duration) {
        let p = &self.index.spec.prometheus;
        let interval = p
            .jobs
            .iter()
            .filter(|j| j.source.as_str() == m.source.name.as_str())
            .map(|j| j.interval_or(p.scrape_interval.value))
            .max()
            .unwrap_or(p.scrape_interval.value);
        let range_ms = u64::try_from(range.as_millis()).unwrap_or(u64::MAX);
        if range_ms < 2 * interval.millis() {
            let shown = PromDuration(range_ms);
            self.out.push(
                Diagnostic::error(
                    code::PROMQL_RANGE_TOO_SHORT,
                    self.at(&format!("[{shown}]")),
                    format!("range [{shown}] over `{name}` covers fewer than two scrapes (every {interval})"),
                )
                .with_help(format!(
                    "use at least [{}]; four scrape intervals is safer",
                    PromDuration(2 * interval.millis())
                )),
            );
        }
    }
}
