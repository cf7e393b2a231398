//! Value checks: buckets, domains, objectives, thresholds, intervals, sizes, grid geometry.

use super::Findings;
use crate::check::code;
use crate::diag::Diagnostic;
use crate::index::Index;
use crate::model::{Domain, MetricType, Sli, Spec};

pub(super) fn check(spec: &Spec, index: &Index<'_>, f: &mut Findings) {
    metrics(spec, f);
    domains(spec, f);
    prometheus(spec, f);
    slos(spec, index, f);
    dashboards(spec, f);
}

fn metrics(spec: &Spec, f: &mut Findings) {
    for m in spec.sources.iter().flat_map(|s| &s.metrics) {
        if m.help.trim().is_empty() {
            f.push_for(
                Diagnostic::error(
                    code::SPEC_EMPTY_HELP,
                    m.help.loc,
                    format!("metric `{}` has no help text", m.name.value),
                )
                .with_help("say what is measured and when it changes"),
                &m.allow,
            );
        }
        let histogram = m.kind.value == MetricType::Histogram;
        match (&m.buckets, histogram) {
            (None, true) => f.push_for(
                Diagnostic::error(
                    code::SPEC_HISTOGRAM_WITHOUT_BUCKETS,
                    m.name.loc,
                    format!("histogram `{}` declares no buckets", m.name.value),
                )
                .with_help("list the upper bounds, e.g. `buckets: [0.01, 0.05, 0.1, 0.5, 1]`"),
                &m.allow,
            ),
            (Some(b), false) => f.push_for(
                Diagnostic::error(
                    code::SPEC_BUCKETS_ON_NON_HISTOGRAM,
                    b.loc,
                    format!("{} `{}` declares buckets", m.kind.value.as_str(), m.name.value),
                )
                .with_help("only histograms have buckets; remove `buckets:` or change the type"),
                &m.allow,
            ),
            (Some(b), true) => {
                if b.is_empty() {
                    f.push_for(
                        Diagnostic::error(
                            code::SPEC_HISTOGRAM_WITHOUT_BUCKETS,
                            b.loc,
                            format!("histogram `{}` has an empty bucket list", m.name.value),
                        ),
                        &m.allow,
                    );
                }
                let mut prev: Option<f64> = None;
                for v in b.iter() {
                    if !v.value.is_finite() {
                        f.push_for(
                            Diagnostic::error(
                                code::SPEC_BUCKET_NOT_FINITE,
                                v.loc,
                                format!("bucket bound {} is not finite", v.value),
                            )
                            .with_help("`+Inf` is added implicitly; list finite bounds only"),
                            &m.allow,
                        );
                        continue;
                    }
                    if let Some(p) = prev
                        && v.value <= p
                    {
                        f.push_for(
                            Diagnostic::error(
                                code::SPEC_BUCKETS_NOT_INCREASING,
                                v.loc,
                                format!(
                                    "bucket bound {} is not greater than the previous bound {p}",
                                    v.value
                                ),
                            )
                            .with_help("bucket bounds must be strictly increasing"),
                            &m.allow,
                        );
                    }
                    prev = Some(v.value);
                }
            }
            (None, false) => {}
        }
    }
}

fn domains(spec: &Spec, f: &mut Findings) {
    for l in &spec.labels {
        if let Domain::Values(values) = &l.domain.value {
            if values.is_empty() {
                f.push_for(
                    Diagnostic::error(
                        code::SPEC_EMPTY_DOMAIN,
                        l.domain.loc,
                        format!("label `{}` has an empty value list", l.name.value),
                    )
                    .with_help("list the values, or use `max: N` / `unbounded`"),
                    &l.allow,
                );
            }
            for (i, v) in values.iter().enumerate() {
                if values[..i].iter().any(|p| p.value == v.value) {
                    f.push_for(
                        Diagnostic::error(
                            code::SPEC_DUPLICATE_DOMAIN_VALUE,
                            v.loc,
                            format!("value `{}` is listed twice for label `{}`", v.value, l.name.value),
                        ),
                        &l.allow,
                    );
                }
            }
        }
        if l.domain.value == Domain::Max(0) {
            f.push_for(
                Diagnostic::error(
                    code::SPEC_EMPTY_DOMAIN,
                    l.domain.loc,
                    format!("label `{}` allows at most 0 values", l.name.value),
                ),
                &l.allow,
            );
        }
    }
}

fn prometheus(spec: &Spec, f: &mut Findings) {
    let p = &spec.prometheus;
    let size = p.retention.size.as_str();
    let digits = size.chars().take_while(char::is_ascii_digit).count();
    let unit_ok = ["B", "KB", "MB", "GB", "TB", "PB", "EB"].contains(&&size[digits..]);
    if digits == 0 || !unit_ok {
        f.push(
            Diagnostic::error(
                code::SPEC_INVALID_SIZE,
                p.retention.size.loc,
                format!("`{size}` is not a retention size"),
            )
            .with_help("write an integer and a unit: B, KB, MB, GB, TB, PB or EB (e.g. `10GB`)"),
        );
    }
    for j in &p.jobs {
        let interval = j.interval_or(p.scrape_interval.value);
        let timeout = j.timeout_or(p.scrape_timeout.value);
        if timeout > interval {
            let loc = j.timeout.as_ref().map_or(j.name.loc, |t| t.loc);
            f.push(
                Diagnostic::error(
                    code::SPEC_TIMEOUT_EXCEEDS_INTERVAL,
                    loc,
                    format!("job `{}` times out after {timeout} but scrapes every {interval}", j.name.value),
                )
                .with_help("Prometheus rejects a scrape_timeout greater than scrape_interval"),
            );
        }
        if j.targets.is_empty() {
            f.push(Diagnostic::error(
                code::SPEC_INVALID_TARGET,
                j.name.loc,
                format!("job `{}` has no targets", j.name.value),
            ));
        }
        for t in &j.targets {
            let ok = t
                .rsplit_once(':')
                .is_some_and(|(h, port)| !h.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
            if !ok {
                f.push(
                    Diagnostic::error(
                        code::SPEC_INVALID_TARGET,
                        t.loc,
                        format!("target `{}` is not `host:port`", t.value),
                    )
                    .with_help("e.g. `auto-voice-app:5000`"),
                );
            }
        }
        if !j.metrics_path.starts_with('/') {
            f.push(Diagnostic::error(
                code::SPEC_INVALID_TARGET,
                j.metrics_path.loc,
                format!("metrics path `{}` must start with `/`", j.metrics_path.value),
            ));
        }
    }
}

fn slos(spec: &Spec, index: &Index<'_>, f: &mut Findings) {
    for s in &spec.slos {
        let o = s.objective.value;
        if !(o > 0.0 && o < 100.0) {
            f.push_for(
                Diagnostic::error(
                    code::SPEC_OBJECTIVE_OUT_OF_RANGE,
                    s.objective.loc,
                    format!("objective {o} is not a percentage in (0, 100)"),
                )
                .with_help("write the target share of good events, e.g. 99.9"),
                &s.allow,
            );
        }
        if let Some(t) = &s.traffic_floor
            && !(t.value >= 0.0 && t.value.is_finite())
        {
            f.push_for(
                Diagnostic::error(
                    code::SPEC_INVALID_VALUE,
                    t.loc,
                    "traffic floor must be a non-negative request rate",
                ),
                &s.allow,
            );
        }
        if let Sli::Latency { histogram, threshold, percentile, .. } = &s.sli.value {
            match index.metrics.get(histogram.as_str()) {
                None => f.push_for(
                    Diagnostic::error(
                        code::REF_UNKNOWN_METRIC,
                        histogram.loc,
                        format!("unknown metric `{}`", histogram.value),
                    )
                    .with_suggestion(histogram, index.metrics.keys().copied()),
                    &s.allow,
                ),
                Some(m) if m.metric.kind.value != MetricType::Histogram => f.push_for(
                    Diagnostic::error(
                        code::REF_NOT_A_HISTOGRAM,
                        histogram.loc,
                        format!(
                            "latency SLO needs a histogram; `{}` is a {}",
                            histogram.value,
                            m.metric.kind.value.as_str()
                        ),
                    ),
                    &s.allow,
                ),
                Some(_) => {}
            }
            if !(threshold.value > 0.0 && threshold.value.is_finite()) {
                f.push_for(
                    Diagnostic::error(
                        code::SPEC_INVALID_VALUE,
                        threshold.loc,
                        "latency threshold must be a positive number of seconds",
                    ),
                    &s.allow,
                );
            }
            if let Some(p) = percentile
                && (p.value - o).abs() > f64::EPSILON
            {
                f.push_for(
                    Diagnostic::error(
                        code::SPEC_INVALID_VALUE,
                        p.loc,
                        format!("percentile {} disagrees with objective {o}", p.value),
                    )
                    .with_help("a p95 target means 95% of requests under the threshold: objective 95"),
                    &s.allow,
                );
            }
        }
    }
}

fn dashboards(spec: &Spec, f: &mut Findings) {
    for (d, p) in spec
        .dashboards
        .iter()
        .flat_map(|d| d.rows.iter().flat_map(move |r| r.panels.iter().map(move |p| (d, p))))
    {
        for w in p.thresholds.windows(2) {
            if w[1].value.value <= w[0].value.value {
                f.push_for(
                    Diagnostic::error(
                        code::SPEC_THRESHOLDS_NOT_INCREASING,
                        w[1].value.loc,
                        format!(
                            "threshold {} is not above the previous one ({})",
                            w[1].value.value, w[0].value.value
                        ),
                    )
                    .with_help("threshold steps must be strictly increasing"),
                    &p.allow,
                );
            }
        }
        if let (Some(min), Some(max)) = (&p.min, &p.max)
            && min.value >= max.value
        {
            f.push_for(
                Diagnostic::error(
                    code::SPEC_MIN_NOT_BELOW_MAX,
                    max.loc,
                    format!("max {} is not above min {}", max.value, min.value),
                ),
                &p.allow,
            );
        }
        if !(1..=24).contains(&p.width.value) {
            f.push_for(
                Diagnostic::error(
                    code::SPEC_INVALID_VALUE,
                    p.width.loc,
                    format!("panel width {} is outside 1..=24", p.width.value),
                )
                .with_help("Grafana's grid is 24 columns wide"),
                &p.allow,
            );
        }
        if p.queries.is_empty() {
            f.push_for(
                Diagnostic::error(
                    code::SPEC_PANEL_WITHOUT_QUERY,
                    p.id.loc,
                    format!("panel `{}` has no queries", p.id.value),
                ),
                &p.allow,
            );
        }
        if let Some(o) = &p.fill_opacity
            && o.value > 100
        {
            f.push_for(
                Diagnostic::error(code::SPEC_INVALID_VALUE, o.loc, "fill opacity is a percentage (0-100)"),
                &p.allow,
            );
        }
        let _ = d;
    }
    for d in &spec.dashboards {
        for v in &d.variables {
            if let Some(def) = &v.default
                && !v.options.iter().any(|o| o.value.value == def.value)
            {
                f.push(
                    Diagnostic::error(
                        code::REF_UNKNOWN_VARIABLE_OPTION,
                        def.loc,
                        format!("default `{}` is not one of the options of `${}`", def.value, v.name.value),
                    )
                    .with_suggestion(def, v.options.iter().map(|o| o.value.as_str())),
                );
            }
        }
    }
}
