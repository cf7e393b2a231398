//! A synthetic spec of a chosen size, for benchmarks: metrics of every type, alerts and
//! dashboards that reference them, written as YAML text so loading is measured too.

use std::fmt::Write as _;

/// How big the synthetic spec is.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub metrics: usize,
    pub alerts: usize,
    pub dashboards: usize,
    pub panels_per_dashboard: usize,
}

impl Size {
    /// The size the performance target names.
    pub const LARGE: Self =
        Self { metrics: 10_000, alerts: 5_000, dashboards: 100, panels_per_dashboard: 20 };

    /// This size divided by `n` (for linearity checks).
    pub fn scaled_down(self, n: usize) -> Self {
        Self {
            metrics: self.metrics / n,
            alerts: self.alerts / n,
            dashboards: (self.dashboards / n).max(1),
            panels_per_dashboard: self.panels_per_dashboard,
        }
    }
}

fn metric_name(i: usize) -> String {
    match i % 3 {
        0 => format!("synth_m{i}_requests_total"),
        1 => format!("synth_m{i}_duration_seconds"),
        _ => format!("synth_m{i}_queue_depth"),
    }
}

/// A panel or alert expression over metric `i`, shaped by the metric's type.
fn expr(i: usize, window: &str) -> String {
    let name = metric_name(i);
    match i % 3 {
        0 => format!("sum by (outcome) (rate({name}{{outcome=\"failed\"}}[{window}]))"),
        1 => format!("histogram_quantile(0.95, sum by (le) (rate({name}_bucket[{window}])))"),
        _ => format!("max({name})"),
    }
}

/// An alert threshold for the expression over metric `i` that its synthesized input can cross,
/// varied with the alert number `a`. The promtool test synthesizer drives each metric between
/// none and all of its traffic: a counter's failed rate between 0 and 1.67/s, the p95 of the
/// histogram between its first bucket (under 0.01 s) and its last finite bound (10 s), the
/// gauge between 0 and 100. A threshold outside that range makes an alert no input can fire,
/// which has no tests: not the spec a benchmark of test synthesis should measure.
fn threshold(i: usize, a: usize) -> String {
    match i % 3 {
        0 => format!("{:.1}", 0.1 * (1 + a % 15) as f64),
        1 => ["0.05", "0.5", "5"][a % 3].to_owned(),
        _ => (5 + a % 90).to_string(),
    }
}

/// The spec as `(file name, text)` pairs.
pub fn spec_files(size: Size) -> Vec<(String, String)> {
    let mut base = String::from(
        "project: {name: synth, runbook_url: \"https://example.invalid/runbook.md\", cardinality_budget: 1000000}\n\
         labels:\n  - {name: job, help: Job., domain: scrape_jobs}\n  - {name: instance, help: Target., domain: {max: 8}}\n  \
         - {name: outcome, help: Outcome., domain: {values: [ok, failed]}}\n\
         datasources:\n  - {uid: prom, name: Prometheus, type: prometheus, url: \"http://prometheus:9090\", default: true}\n\
         prometheus:\n  scrape_interval: 15s\n  scrape_timeout: 10s\n  evaluation_interval: 15s\n  retention: {time: 15d, size: 50GB}\n  \
         jobs:\n    - {name: synth, source: synth, targets: [\"synth:8080\"], service: synth}\n\
         stack:\n  network: synth\n  services:\n    - {name: synth, role: app, container_name: synth, image: \"synth:1\"}\n    \
         - {name: prometheus, role: prometheus, container_name: prom, image: \"prom/prometheus:v2.42.0\"}\n",
    );
    let mut metrics = String::from(
        "sources:\n  - name: synth\n    kind: application\n    description: Synthetic.\n    metrics:\n",
    );
    for i in 0..size.metrics {
        let name = metric_name(i);
        let _ = match i % 3 {
            0 => writeln!(
                metrics,
                "      - {{name: {name}, type: counter, help: Requests {i}., labels: [outcome]}}"
            ),
            1 => writeln!(
                metrics,
                "      - {{name: {name}, type: histogram, help: Duration {i}., unit: seconds, buckets: [0.01, 0.1, 1, 10]}}"
            ),
            _ => writeln!(metrics, "      - {{name: {name}, type: gauge, help: Depth {i}.}}"),
        };
    }
    let mut alerts = String::from("alerts:\n");
    // Each alert watches two metrics, so 5,000 alerts cover 10,000 metrics and none is unused.
    let n = size.metrics.max(1);
    for a in 0..size.alerts {
        let _ = writeln!(
            alerts,
            "  - {{name: SynthAlert{a}, group: synth-{g}, expr: '{e1} > {t1} or {e2} > {t2}', for: 5m, severity: warning, \
             summary: Synthetic alert {a}, description: \"Value is {{{{ $value }}}}.\", runbook: {{meaning: Synthetic.}}}}",
            g = a % 50,
            e1 = expr((2 * a) % n, "5m"),
            t1 = threshold((2 * a) % n, a),
            e2 = expr((2 * a + 1) % n, "5m"),
            t2 = threshold((2 * a + 1) % n, a),
        );
    }
    base.push_str(&metrics);
    base.push_str(&alerts);
    let mut files = vec![("synth.yaml".to_owned(), base)];
    for d in 0..size.dashboards {
        let mut text = format!(
            "dashboards:\n  - uid: synth-{d}\n    title: Synthetic {d}\n    rows:\n      - title: Row\n        panels:\n"
        );
        for p in 0..size.panels_per_dashboard {
            let i = (d * size.panels_per_dashboard + p) % size.metrics.max(1);
            let _ = writeln!(
                text,
                "          - {{id: d{d}-p{p}, title: Panel {p}, type: timeseries, unit: short, queries: [{{expr: '{}'}}]}}",
                expr(i, "$__rate_interval")
            );
        }
        files.push((format!("dashboards/synth-{d}.yaml"), text));
    }
    files
}

/// Writes the spec files under `dir`.
pub fn write(dir: &std::path::Path, size: Size) -> std::io::Result<()> {
    for (name, text) in spec_files(size) {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}
