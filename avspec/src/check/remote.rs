//! Checks of where series leave this Prometheus: the cluster label, external labels and
//! remote-write endpoints, so clusters stay apart in the store they meet in.

use super::Findings;
use super::naming::is_label_name;
use crate::codes::code;
use crate::diag::Diagnostic;
use crate::model::Spec;
use crate::span::Sp;

pub(super) fn check(spec: &Spec, f: &mut Findings) {
    let p = &spec.prometheus;
    let names = p.external_labels.iter().map(|kv| &kv.name).chain(p.cluster_label.as_ref());
    for name in names {
        label_name(name, f);
    }
    for kv in &p.external_labels {
        if kv.value.trim().is_empty() {
            f.push(
                Diagnostic::error(
                    code::SPEC_INVALID_VALUE,
                    kv.value.loc,
                    format!("external label `{}` has an empty value", kv.name.value),
                )
                .with_help("Prometheus drops a label with an empty value: give the cluster's name"),
            );
        }
    }
    for r in &p.remote_write {
        let scheme = r.url.split_once("://").map(|(s, rest)| (s, rest.split('/').next().unwrap_or("")));
        if !matches!(scheme, Some(("http" | "https", host)) if !host.is_empty()) {
            f.push(
                Diagnostic::error(
                    code::SPEC_INVALID_VALUE,
                    r.url.loc,
                    format!("remote-write URL `{}` is not an http(s) URL", r.url.value),
                )
                .with_help("e.g. `http://thanos-receive:19291/api/v1/receive` or `https://mimir.example/api/v1/push`"),
            );
        }
    }
    let Some(first) = p.remote_write.first() else { return };
    let labelled = |name: &str| p.external_labels.iter().any(|kv| kv.name.value == name);
    match &p.cluster_label {
        Some(cluster) if !labelled(cluster) => f.push(
            Diagnostic::error(
                code::PROMETHEUS_REMOTE_WRITE_MIXES_CLUSTERS,
                first.name.loc,
                format!(
                    "series are written to `{}` without the cluster label `{}`",
                    first.name.value, cluster.value
                ),
            )
            .with_help(format!(
                "add `{{name: {}, value: <this cluster>}}` to `prometheus.external_labels` (an overlay can set it per cluster)",
                cluster.value
            )),
        ),
        None if p.external_labels.is_empty() => f.push(
            Diagnostic::warning(
                code::PROMETHEUS_REMOTE_WRITE_MIXES_CLUSTERS,
                first.name.loc,
                format!("series are written to `{}` with no external label", first.name.value),
            )
            .with_help(
                "a second Prometheus writing there would be indistinguishable: set `prometheus.cluster_label` and an external label of that name",
            ),
        ),
        _ => {}
    }
}

fn label_name(name: &Sp<String>, f: &mut Findings) {
    let problem = if !is_label_name(name) {
        Some("label names match [a-zA-Z_][a-zA-Z0-9_]*")
    } else if name.starts_with("__") {
        Some("names starting with `__` are reserved for Prometheus internals")
    } else if ["job", "instance", "le", "quantile"].contains(&name.as_str()) {
        Some(
            "this label already has a meaning on every series; name the cluster something else, e.g. `cluster`",
        )
    } else {
        None
    };
    if let Some(help) = problem {
        f.push(
            Diagnostic::error(
                code::NAMING_INVALID_LABEL_NAME,
                name.loc,
                format!("`{}` cannot be an external or cluster label", name.value),
            )
            .with_help(help),
        );
    }
}
