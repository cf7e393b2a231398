//! Lookup tables over a merged spec: metrics by family and series name, labels, jobs, SLOs.

use crate::model::{
    Dashboard, LabelDef, Metric, MetricType, Panel, ScrapeJob, Slo, Source, SourceKind, Spec,
};
use std::collections::BTreeMap;

/// A metric with the source that exposes it.
#[derive(Clone, Copy, Debug)]
pub struct MetricRef<'a> {
    pub metric: &'a Metric,
    pub source: &'a Source,
}

/// What a series name resolves to: a histogram's `_bucket` etc. map back to the family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeriesPart {
    Whole,
    Bucket,
    Sum,
    Count,
}

/// Name-keyed views of a spec, built once and shared by checks and generators.
#[derive(Debug)]
pub struct Index<'a> {
    pub spec: &'a Spec,
    pub metrics: BTreeMap<&'a str, MetricRef<'a>>,
    pub labels: BTreeMap<&'a str, &'a LabelDef>,
    pub jobs: BTreeMap<&'a str, &'a ScrapeJob>,
    pub slos: BTreeMap<&'a str, &'a Slo>,
}

impl<'a> Index<'a> {
    pub fn new(spec: &'a Spec) -> Self {
        let mut metrics = BTreeMap::new();
        for source in &spec.sources {
            for metric in &source.metrics {
                metrics.entry(metric.name.as_str()).or_insert(MetricRef { metric, source });
            }
        }
        Self {
            spec,
            metrics,
            labels: spec.labels.iter().map(|l| (l.name.as_str(), l)).collect(),
            jobs: spec.prometheus.jobs.iter().map(|j| (j.name.as_str(), j)).collect(),
            slos: spec.slos.iter().map(|s| (s.name.as_str(), s)).collect(),
        }
    }

    /// Resolves a series name (`foo_bucket` of histogram `foo`, or a family name).
    pub fn series(&self, name: &str) -> Option<(MetricRef<'a>, SeriesPart)> {
        if let Some(m) = self.metrics.get(name) {
            return Some((*m, SeriesPart::Whole));
        }
        for (suffix, part) in
            [("_bucket", SeriesPart::Bucket), ("_sum", SeriesPart::Sum), ("_count", SeriesPart::Count)]
        {
            if let Some(base) = name.strip_suffix(suffix)
                && let Some(m) = self.metrics.get(base)
                && matches!(m.metric.kind.value, MetricType::Histogram | MetricType::Summary)
                && (part != SeriesPart::Bucket || m.metric.kind.value == MetricType::Histogram)
            {
                return Some((*m, part));
            }
        }
        None
    }

    /// Every exposed series name, for "did you mean" over selectors.
    pub fn series_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, m) in &self.metrics {
            match m.metric.kind.value {
                MetricType::Histogram => {
                    for s in ["_bucket", "_sum", "_count"] {
                        out.push(format!("{name}{s}"));
                    }
                }
                MetricType::Summary => {
                    out.push((*name).to_owned());
                    out.push(format!("{name}_sum"));
                    out.push(format!("{name}_count"));
                }
                _ => out.push((*name).to_owned()),
            }
        }
        out
    }

    /// Metrics of the application source(s), in spec order.
    pub fn app_metrics(&self) -> impl Iterator<Item = &'a Metric> {
        self.spec
            .sources
            .iter()
            .filter(|s| s.kind.value == SourceKind::Application)
            .flat_map(|s| s.metrics.iter())
    }

    pub fn default_datasource(&self) -> Option<&'a str> {
        let ds = &self.spec.datasources;
        ds.iter().find(|d| d.default).or(ds.first()).map(|d| d.uid.as_str())
    }

    /// Every panel with its dashboard, in order.
    pub fn panels(&self) -> impl Iterator<Item = (&'a Dashboard, &'a Panel)> {
        self.spec
            .dashboards
            .iter()
            .flat_map(|d| d.rows.iter().flat_map(move |r| r.panels.iter().map(move |p| (d, p))))
    }

    /// Number of enabled scrape jobs (the size of a `scrape_jobs` domain).
    pub fn job_count(&self) -> usize {
        self.spec.prometheus.jobs.len()
    }
}
