//! Prometheus naming rules: valid names, `_total` only and always on counters, base units.

use super::Findings;
use crate::check::code;
use crate::diag::Diagnostic;
use crate::model::{Metric, MetricType, SourceKind, Spec, Unit};

pub fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

pub fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Name parts that say a non-base unit; Prometheus wants seconds and bytes.
const NON_BASE: [(&str, &str); 12] = [
    ("_milliseconds", "_seconds"),
    ("_ms", "_seconds"),
    ("_microseconds", "_seconds"),
    ("_nanoseconds", "_seconds"),
    ("_minutes", "_seconds"),
    ("_hours", "_seconds"),
    ("_kilobytes", "_bytes"),
    ("_megabytes", "_bytes"),
    ("_gigabytes", "_bytes"),
    ("_kb", "_bytes"),
    ("_mb", "_bytes"),
    ("_gb", "_bytes"),
];

pub(super) fn check(spec: &Spec, f: &mut Findings) {
    for l in &spec.labels {
        if !is_label_name(&l.name) {
            f.push(
                Diagnostic::error(
                    code::NAMING_INVALID_LABEL_NAME,
                    l.name.loc,
                    format!("`{}` is not a valid label name", l.name.value),
                )
                .with_help("label names match [a-zA-Z_][a-zA-Z0-9_]*"),
            );
        } else if l.name.starts_with("__") {
            f.push(
                Diagnostic::error(
                    code::NAMING_INVALID_LABEL_NAME,
                    l.name.loc,
                    format!("`{}` starts with `__`", l.name.value),
                )
                .with_help("names starting with `__` are reserved for Prometheus internals"),
            );
        }
    }
    for source in &spec.sources {
        let app = source.kind.value == SourceKind::Application;
        for m in &source.metrics {
            metric(m, app, f);
        }
    }
    for r in &spec.recording_rules {
        if !is_metric_name(&r.record) || !r.record.contains(':') {
            f.push_for(
                Diagnostic::error(
                    code::NAMING_RECORDING_RULE_NAME,
                    r.record.loc,
                    format!("recording rule `{}` does not follow `level:metric:operations`", r.record.value),
                )
                .with_help("e.g. `job:autovoice_synthesis_requests:rate5m`; the colons mark derived series"),
                &r.allow,
            );
        }
    }
    for a in &spec.alerts {
        let camel = a.name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && a.name.chars().all(|c| c.is_ascii_alphanumeric());
        if !camel {
            f.push_for(
                Diagnostic::warning(
                    code::NAMING_ALERT_NAME,
                    a.name.loc,
                    format!("alert name `{}` is not CamelCase", a.name.value),
                )
                .with_help("alert names are CamelCase by convention, e.g. `HighErrorRate`"),
                &a.allow,
            );
        }
    }
}

fn metric(m: &Metric, app: bool, f: &mut Findings) {
    let name = m.name.as_str();
    let loc = m.name.loc;
    if !is_metric_name(name) {
        f.push(
            Diagnostic::error(
                code::NAMING_INVALID_METRIC_NAME,
                loc,
                format!("`{name}` is not a valid metric name"),
            )
            .with_help("metric names match [a-zA-Z_:][a-zA-Z0-9_:]*"),
        );
        return;
    }
    if !app {
        return; // exporters name their metrics; we only declare what they expose
    }
    if name.contains(':') {
        f.push_for(
            Diagnostic::error(code::NAMING_INVALID_METRIC_NAME, loc, format!("`{name}` contains `:`"))
                .with_help("colons are reserved for recording rules; use `_`"),
            &m.allow,
        );
    }
    let kind = m.kind.value;
    let total = name.ends_with("_total");
    if kind == MetricType::Counter && !total {
        f.push_for(
            Diagnostic::error(
                code::NAMING_COUNTER_SUFFIX,
                loc,
                format!("counter `{name}` does not end in `_total`"),
            )
            .with_help(format!("rename it to `{name}_total`")),
            &m.allow,
        );
    }
    if kind != MetricType::Counter && total {
        f.push_for(
            Diagnostic::error(
                code::NAMING_TOTAL_SUFFIX,
                loc,
                format!("{} `{name}` ends in `_total`", kind.as_str()),
            )
            .with_help("`_total` is reserved for counters"),
            &m.allow,
        );
    }
    let stem = name.strip_suffix("_total").unwrap_or(name);
    for (bad, good) in NON_BASE {
        if stem.ends_with(bad) || stem.contains(&format!("{bad}_")) {
            f.push_for(
                Diagnostic::error(
                    code::NAMING_NON_BASE_UNIT,
                    loc,
                    format!("`{name}` uses the non-base unit `{bad}`"),
                )
                .with_help(format!("record base units: use `{good}` and scale the values")),
                &m.allow,
            );
        }
    }
    if let Some(unit) = &m.unit {
        if unit.value == Unit::Mebibytes {
            f.push_for(
                Diagnostic::error(
                    code::NAMING_NON_BASE_UNIT,
                    unit.loc,
                    "application metrics must be in bytes, not mebibytes",
                )
                .with_help("use `unit: bytes` and a `_bytes` name"),
                &m.allow,
            );
        } else if let Some(suffix) = unit.value.suffix()
            && !stem.ends_with(suffix)
        {
            f.push_for(
                Diagnostic::error(
                    code::NAMING_UNIT_SUFFIX,
                    loc,
                    format!("`{name}` has unit {} but does not end in `{suffix}`", unit.value.as_str()),
                )
                .with_help(format!("name it `<what>{suffix}{}`", if total { "_total" } else { "" })),
                &m.allow,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_metric_name("autovoice_up"));
        assert!(is_metric_name("job:rate:5m"));
        assert!(!is_metric_name("9lives"));
        assert!(!is_metric_name("a-b"));
        assert!(is_label_name("speaker_id"));
        assert!(!is_label_name("speaker-id"));
        assert!(!is_label_name("a:b"));
    }
}
