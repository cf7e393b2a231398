//! Checks of the `kubernetes:` section: names Kubernetes accepts, quantities it parses, an
//! autoscaler that can act, a disruption budget that lets nodes drain, one Redis.

use super::Findings;
use crate::codes::code;
use crate::diag::Diagnostic;
use crate::model::{Autoscaling, Kubernetes, Resources, Spec};
use crate::span::Sp;

/// An RFC 1123 label: what namespaces and kustomize folder names must be.
fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A Kubernetes resource quantity: a decimal number and an optional suffix (`500m`, `4Gi`, `2`).
fn quantity(s: &str) -> bool {
    const SUFFIXES: [&str; 14] = ["", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &s[digits.len()..];
    let number = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.matches('.').count() <= 1
        && digits.bytes().any(|b| b.is_ascii_digit());
    number && SUFFIXES.contains(&suffix)
}

fn invalid(f: &mut Findings, s: &Sp<String>, what: &str, expected: &str) {
    f.push(
        Diagnostic::error(code::SPEC_INVALID_VALUE, s.loc, format!("{what} `{}` is not {expected}", s.value))
            .with_help(format!("Kubernetes accepts {expected}")),
    );
}

fn resources(f: &mut Findings, r: &Resources, at: &str) {
    for (field, q) in [("cpu", &r.cpu), ("memory", &r.memory)] {
        if !quantity(&q.value) {
            invalid(f, q, &format!("{at} {field}"), "a resource quantity (`500m`, `2`, `4Gi`)");
        }
    }
}

fn autoscaling(f: &mut Findings, a: &Autoscaling) {
    if a.min_replicas.value == 0 {
        f.push(
            Diagnostic::error(code::SPEC_INVALID_VALUE, a.min_replicas.loc, "min_replicas 0 is not allowed")
                .with_help("a HorizontalPodAutoscaler keeps at least one replica"),
        );
    }
    if a.max_replicas.value < a.min_replicas.value {
        f.push(Diagnostic::error(
            code::SPEC_MIN_NOT_BELOW_MAX,
            a.max_replicas.loc,
            format!("max_replicas {} is below min_replicas {}", a.max_replicas.value, a.min_replicas.value),
        ));
    }
    if !(1..=100).contains(&a.cpu_utilization.value) {
        f.push(
            Diagnostic::error(
                code::SPEC_INVALID_VALUE,
                a.cpu_utilization.loc,
                format!("cpu_utilization {} is not a percentage of the request", a.cpu_utilization.value),
            )
            .with_help("between 1 and 100"),
        );
    }
}

fn check_section(k: &Kubernetes, f: &mut Findings) {
    if !dns_label(&k.namespace.value) {
        invalid(
            f,
            &k.namespace,
            "namespace",
            "an RFC 1123 label (lower-case letters, digits, `-`; 63 at most)",
        );
    }
    resources(f, &k.app.resources, "app resources");
    if let Some(a) = &k.app.autoscaling {
        autoscaling(f, a);
    }
    // The fewest replicas the workload runs with: the autoscaler's floor, else the count.
    let floor = k.app.autoscaling.as_ref().map_or(k.app.replicas.value, |a| a.min_replicas.value);
    if k.app.min_available.value >= floor {
        f.push(
            Diagnostic::warning(
                code::KUBERNETES_PDB_BLOCKS_EVICTION,
                k.app.min_available.loc,
                format!("min_available {} leaves no replica of {floor} to evict", k.app.min_available.value),
            )
            .with_help(format!("below {floor}, or node drains and cluster upgrades wait forever")),
        );
    }
    match (&k.redis.url, &k.redis.image) {
        (Some(url), Some(_)) => f.push(
            Diagnostic::error(
                code::SPEC_INVALID_VALUE,
                url.loc,
                "kubernetes.redis has both `url` and `image`",
            )
            .with_help("`url` uses an external Redis, `image` deploys one in the namespace: keep one"),
        ),
        (None, None) => f.push(
            Diagnostic::error(
                code::SPEC_MISSING_FIELD,
                k.namespace.loc,
                "kubernetes.redis has neither `url` nor `image`",
            )
            .with_help("the replicas share their cache and enrolled speakers through Redis"),
        ),
        (Some(url), None) if !(url.value.starts_with("redis://") || url.value.starts_with("rediss://")) => {
            invalid(f, url, "kubernetes.redis url", "a redis:// or rediss:// URL");
        }
        _ => {}
    }
    if let Some(op) = &k.grafana_operator
        && op.instance_labels.value.is_empty()
    {
        f.push(
            Diagnostic::error(
                code::SPEC_INVALID_VALUE,
                op.instance_labels.loc,
                "kubernetes.grafana_operator.instance_labels is empty",
            )
            .with_help("an empty selector loads the dashboards into every Grafana the operator manages: name the labels of yours"),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for o in &k.overlays {
        if !dns_label(&o.name.value) {
            invalid(f, &o.name, "overlay name", "an RFC 1123 label (it names a folder and objects)");
        }
        if !seen.insert(o.name.as_str()) {
            f.push(Diagnostic::error(
                code::SPEC_DUPLICATE_ID,
                o.name.loc,
                format!("kubernetes overlay `{}` is defined twice", o.name.value),
            ));
        }
        if let Some(r) = &o.resources {
            resources(f, r, &format!("overlay {} resources", o.name.value));
        }
        if let Some(a) = &o.autoscaling {
            autoscaling(f, a);
        }
    }
}

pub fn check(spec: &Spec, f: &mut Findings) {
    if let Some(k) = &spec.kubernetes {
        check_section(k, f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_and_labels_as_kubernetes_parses_them() {
        for ok in ["2", "500m", "4Gi", "0.5", "1.5G", "128Mi"] {
            assert!(quantity(ok), "{ok}");
        }
        for bad in ["", "Gi", "4GB", "1..5", "-", "two", "4 Gi"] {
            assert!(!quantity(bad), "{bad}");
        }
        assert!(dns_label("autovoice") && dns_label("gpu-production") && dns_label("a1"));
        for bad in ["", "AutoVoice", "-x", "x-", "a_b", &"a".repeat(64)] {
            assert!(!dns_label(bad), "{bad}");
        }
    }
}
