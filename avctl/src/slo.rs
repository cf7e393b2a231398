//! SLO rules from the spec's SLOs: SLI error ratios over 5m..3d (and the compliance window
//! chained from the 5m ratio), burn rates, error budget left, and multiwindow multi-burn-rate
//! alerts (Google SRE workbook) with a traffic floor; plus an SLO dashboard row. The result is
//! an expanded spec, so these rules are validated and generated like hand-written ones.

use avspec::{
    Alert, Dashboard, KeyValue, Panel, PanelType, Query, RecordingRule, Row, Runbook, Sli, Slo, Sp, Spec,
    Threshold,
};

/// One burn-rate tier: both windows must burn faster than `factor` for `for_`.
#[derive(Debug, Clone, Copy)]
pub struct Tier {
    pub name: &'static str,
    pub long: &'static str,
    pub short: &'static str,
    pub factor: f64,
    pub page: bool,
    pub for_: &'static str,
}

pub const TIERS: [Tier; 4] = [
    Tier { name: "page-1h", long: "1h", short: "5m", factor: 14.4, page: true, for_: "2m" },
    Tier { name: "page-6h", long: "6h", short: "30m", factor: 6.0, page: true, for_: "15m" },
    Tier { name: "ticket-1d", long: "1d", short: "2h", factor: 3.0, page: false, for_: "1h" },
    Tier { name: "ticket-3d", long: "3d", short: "6h", factor: 1.0, page: false, for_: "3h" },
];

/// Windows the SLI error ratio is recorded over (the tiers' windows).
pub const WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];
/// Windows with a recorded burn rate for dashboards.
pub const BURN_WINDOWS: [&str; 4] = ["5m", "1h", "6h", "1d"];
/// The traffic floor is measured over this window.
pub const TRAFFIC_WINDOW: &str = "1h";

/// A number as PromQL text without float noise (`1 - 0.999` prints as `0.001`).
pub fn num(v: f64) -> String {
    let s = format!("{:.10}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" { "0".to_owned() } else { s.to_owned() }
}

fn camel(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next().map_or_else(String::new, |f| f.to_ascii_uppercase().to_string() + c.as_str())
        })
        .collect()
}

/// The error budget as a 0-1 ratio.
pub fn budget(slo: &Slo) -> f64 {
    (100.0 - slo.objective.value) / 100.0
}

/// How the SLI's series are summed: over everything, or per cluster when the spec names a
/// cluster label (in one Prometheus the label is absent and `by` changes nothing; where
/// clusters meet, each keeps its own ratio, budget and alerts).
#[derive(Debug, Clone, Copy)]
pub struct Grouping<'a> {
    pub cluster: Option<&'a str>,
}

impl Grouping<'_> {
    pub fn of(spec: &Spec) -> Grouping<'_> {
        Grouping { cluster: spec.prometheus.cluster_label.as_ref().map(|c| c.value.as_str()) }
    }

    fn sum(&self) -> String {
        self.cluster.map_or_else(|| "sum".to_owned(), |c| format!("sum by ({c}) "))
    }

    /// The labels the traffic floor joins on.
    fn join(&self) -> String {
        self.cluster.map_or_else(|| "slo".to_owned(), |c| format!("slo, {c}"))
    }
}

/// The SLI's error ratio over `w`, from raw series.
pub fn error_ratio(slo: &Slo, g: Grouping<'_>, w: &str) -> String {
    let sum = g.sum();
    match &slo.sli.value {
        Sli::Ratio { errors, total } => {
            format!("{sum}(rate({}[{w}]))\n  / {sum}(rate({}[{w}]))", errors.trim(), total.trim())
        }
        Sli::Latency { histogram, threshold, matchers, .. } => {
            let m = matchers.as_ref().map(|m| format!("{}, ", m.value)).unwrap_or_default();
            let plain = matchers.as_ref().map(|m| format!("{{{}}}", m.value)).unwrap_or_default();
            format!(
                "1 - (\n  {sum}(rate({h}_bucket{{{m}le=\"{t}\"}}[{w}]))\n    / {sum}(rate({h}_count{plain}[{w}]))\n)",
                h = histogram.value,
                t = num(threshold.value)
            )
        }
    }
}

/// The request rate the SLI counts, over `w`.
pub fn request_rate(slo: &Slo, g: Grouping<'_>, w: &str) -> String {
    let sum = g.sum();
    match &slo.sli.value {
        Sli::Ratio { total, .. } => format!("{sum}(rate({}[{w}]))", total.trim()),
        Sli::Latency { histogram, matchers, .. } => {
            let plain = matchers.as_ref().map(|m| format!("{{{}}}", m.value)).unwrap_or_default();
            format!("{sum}(rate({}_count{plain}[{w}]))", histogram.value)
        }
    }
}

pub fn group(slo: &Slo) -> String {
    format!("slo-{}", slo.name.value)
}

pub fn alert_name(slo: &Slo, tier: &Tier) -> String {
    format!("{}BurnRate{}", camel(&slo.name), camel(tier.name))
}

fn sp<T>(v: T, slo: &Slo) -> Sp<T> {
    Sp::new(v, slo.name.loc)
}

fn kv(k: &str, v: &str, slo: &Slo) -> KeyValue {
    KeyValue { name: sp(k.to_owned(), slo), value: sp(v.to_owned(), slo) }
}

fn record(slo: &Slo, name: String, expr: String, help: String) -> RecordingRule {
    RecordingRule {
        record: sp(name, slo),
        group: sp(group(slo), slo),
        expr: sp(expr, slo),
        labels: vec![kv("slo", &slo.name, slo)],
        help: Some(help),
        allow: vec![],
    }
}

fn rules(slo: &Slo, g: Grouping<'_>) -> Vec<RecordingRule> {
    let name = &slo.name.value;
    let sel = |r: &str| format!("{r}{{slo=\"{name}\"}}");
    let mut out: Vec<RecordingRule> = WINDOWS
        .iter()
        .map(|w| {
            record(
                slo,
                format!("slo:sli_error:ratio_rate{w}"),
                error_ratio(slo, g, w),
                format!("SLI error ratio over {w}."),
            )
        })
        .collect();
    let window = slo.window.to_string();
    let ratio5m = sel("slo:sli_error:ratio_rate5m");
    out.push(record(
        slo,
        format!("slo:sli_error:ratio_rate{window}"),
        format!("sum_over_time({ratio5m}[{window}])\n  / count_over_time({ratio5m}[{window}])"),
        format!("SLI error ratio over the {window} compliance window, averaged from the recorded 5m ratios."),
    ));
    out.push(record(
        slo,
        format!("slo:requests:rate{TRAFFIC_WINDOW}"),
        request_rate(slo, g, TRAFFIC_WINDOW),
        "Requests per second the SLI counts.".to_owned(),
    ));
    out.push(record(
        slo,
        "slo:objective:ratio".to_owned(),
        format!("vector({})", num(slo.objective.value / 100.0)),
        "The objective (0-1).".to_owned(),
    ));
    out.push(record(
        slo,
        "slo:error_budget:remaining".to_owned(),
        format!("1 - {} / {}", sel(&format!("slo:sli_error:ratio_rate{window}")), num(budget(slo))),
        "Share of the error budget left in the compliance window (1 = untouched, <0 = exhausted).".to_owned(),
    ));
    for w in BURN_WINDOWS {
        out.push(record(
            slo,
            format!("slo:burn_rate:{w}"),
            format!("{} / {}", sel(&format!("slo:sli_error:ratio_rate{w}")), num(budget(slo))),
            format!("Error budget burn rate over {w} (1 = exactly on budget)."),
        ));
    }
    out
}

/// The alert expression of one tier.
pub fn tier_expr(slo: &Slo, g: Grouping<'_>, tier: &Tier) -> String {
    let name = &slo.name.value;
    let threshold = format!("({} * {})", num(tier.factor), num(budget(slo)));
    let mut e = format!(
        "(\n  slo:sli_error:ratio_rate{l}{{slo=\"{name}\"}} > {threshold}\nand\n  slo:sli_error:ratio_rate{s}{{slo=\"{name}\"}} > {threshold}\n)",
        l = tier.long,
        s = tier.short
    );
    if let Some(floor) = &slo.traffic_floor {
        e.push_str(&format!(
            "\nand on ({})\n  slo:requests:rate{TRAFFIC_WINDOW}{{slo=\"{name}\"}} >= {}",
            g.join(),
            num(floor.value)
        ));
    }
    e
}

fn alerts(slo: &Slo, g: Grouping<'_>) -> Vec<Alert> {
    let pct = num(budget(slo) * 100.0);
    TIERS
        .iter()
        .map(|tier| {
            let severity = if tier.page { slo.page_severity.value } else { slo.ticket_severity.value };
            Alert {
                name: sp(alert_name(slo, tier), slo),
                group: sp(group(slo), slo),
                expr: sp(tier_expr(slo, g, tier), slo),
                for_: avspec::PromDuration::parse(tier.for_).ok().map(|d| sp(d, slo)),
                severity: Some(sp(severity, slo)),
                summary: Some(sp(format!("SLO {}: error budget burning {}x too fast", slo.name.value, num(tier.factor)), slo)),
                description: Some(sp(
                    format!(
                        "{} The error ratio over both {} and {} exceeds {}x the {pct}% error budget (objective {}% over {}).",
                        slo.description.value.trim_end_matches('.').to_owned() + ".",
                        tier.long,
                        tier.short,
                        num(tier.factor),
                        num(slo.objective.value),
                        slo.window.value
                    ),
                    slo,
                )),
                runbook_anchor: None,
                datasource: None,
                guards_slo: None,
                receivers: if tier.page { slo.page_receivers.clone() } else { slo.ticket_receivers.clone() },
                labels: vec![kv("burnrate_tier", tier.name, slo), kv("slo", &slo.name, slo)],
                runbook: Some(Runbook {
                    meaning: format!(
                        "SLO `{}` is using its error budget {}x faster than it can afford, over both the last {} and the last {}; at this pace the {}-day budget lasts {}.",
                        slo.name.value,
                        num(tier.factor),
                        tier.long,
                        tier.short,
                        slo.window.value.millis() / 86_400_000,
                        budget_lasts(slo, tier.factor)
                    ),
                    checks: vec![
                        "Which requests fail or are slow? Run the queries below.".to_owned(),
                        "Did a deploy, traffic change or dependency failure start it? Compare with the overview dashboard.".to_owned(),
                    ],
                    queries: vec![
                        sp(format!("slo:burn_rate:1h{{slo=\"{}\"}}", slo.name.value), slo),
                        sp(format!("slo:error_budget:remaining{{slo=\"{}\"}}", slo.name.value), slo),
                    ],
                }),
                decision: None,
                allow: vec![],
            }
        })
        .collect()
}

fn budget_lasts(slo: &Slo, factor: f64) -> String {
    let hours = slo.window.value.millis() as f64 / 3_600_000.0 / factor;
    if hours >= 48.0 {
        format!("{} days", num((hours / 24.0 * 10.0).round() / 10.0))
    } else {
        format!("{} hours", num((hours * 10.0).round() / 10.0))
    }
}

fn slo_row(spec: &Spec) -> Row {
    let mut panels = Vec::new();
    for slo in &spec.slos {
        let name = &slo.name.value;
        let s = |v: &str| sp(v.to_owned(), slo);
        let t = |v: f64, c: &str| Threshold { value: sp(v, slo), color: c.to_owned() };
        panels.push(Panel {
            id: s(&format!("slo-{name}-budget")),
            title: s(&format!("Error Budget Left: {name}")),
            kind: sp(PanelType::Stat, slo),
            description: Some(format!(
                "{} Objective {}% over {}.",
                slo.description.value,
                num(slo.objective.value),
                slo.window.value
            )),
            datasource: None,
            queries: vec![Query {
                expr: s(&format!("slo:error_budget:remaining{{slo=\"{name}\"}}")),
                legend: Some(name.clone()),
                instant: true,
            }],
            unit: Some(s("percentunit")),
            min: None,
            max: None,
            decimals: Some(1),
            thresholds: vec![t(0.25, "orange"), t(0.5, "green")],
            base_color: "red".to_owned(),
            threshold_style: None,
            fill_opacity: None,
            slo: None,
            width: sp(6, slo),
            height: sp(6, slo),
            decision: None,
            allow: vec![],
        });
        panels.push(Panel {
            id: s(&format!("slo-{name}-burn")),
            title: s(&format!("Burn Rate: {name}")),
            kind: sp(PanelType::Timeseries, slo),
            description: Some(
                "1 = spending the budget exactly over the window; the page tiers fire at 14.4 and 6."
                    .to_owned(),
            ),
            datasource: None,
            queries: BURN_WINDOWS
                .iter()
                .map(|w| Query {
                    expr: s(&format!("slo:burn_rate:{w}{{slo=\"{name}\"}}")),
                    legend: Some((*w).to_owned()),
                    instant: false,
                })
                .collect(),
            unit: Some(s("short")),
            min: Some(sp(0.0, slo)),
            max: None,
            decimals: None,
            thresholds: vec![t(1.0, "orange"), t(14.4, "red")],
            base_color: "green".to_owned(),
            threshold_style: None,
            fill_opacity: None,
            slo: None,
            width: sp(18, slo),
            height: sp(6, slo),
            decision: None,
            allow: vec![],
        });
    }
    Row { title: Sp::synthetic("Service Level Objectives".to_owned()), panels }
}

/// The spec with every SLO's rules, alerts and dashboard row added.
pub fn expand(spec: &Spec) -> Spec {
    let mut out = spec.clone();
    // A latency SLO whose threshold is not a bucket bound cannot be measured; it gets no rules
    // (lint/bucket-missing-slo-threshold reports it once instead of every rule repeating it).
    let measurable = |slo: &&Slo| match &slo.sli.value {
        Sli::Latency { histogram, threshold, .. } => spec
            .sources
            .iter()
            .flat_map(|s| &s.metrics)
            .find(|m| m.name.value == histogram.value)
            .and_then(|m| m.buckets.as_ref())
            .is_some_and(|b| b.iter().any(|v| (v.value - threshold.value).abs() <= 1e-9)),
        Sli::Ratio { .. } => true,
    };
    let g = Grouping::of(spec);
    for slo in spec.slos.iter().filter(measurable) {
        out.recording_rules.extend(rules(slo, g));
        out.alerts.extend(alerts(slo, g));
    }
    if !spec.slos.is_empty() {
        let row = slo_row(spec);
        for d in out.dashboards.iter_mut().filter(|d: &&mut Dashboard| d.slo_row) {
            d.rows.push(row.clone());
        }
    }
    out
}
