//! References between items: labels, datasources, sources, services, SLOs, suppression codes.

use super::Findings;
use crate::check::{Code, code};
use crate::diag::Diagnostic;
use crate::index::Index;
use crate::model::{Allow, MetricType, Role, Spec};
use crate::span::Sp;

fn unknown(code: Code, what: &str, r: &Sp<String>, known: &[&str]) -> Diagnostic {
    let mut d = Diagnostic::error(code, r.loc, format!("unknown {what} `{}`", r.value));
    d = d.with_suggestion(r, known.iter().copied());
    if d.help.is_none() {
        d.help = Some(if known.is_empty() {
            format!("no {what} is declared")
        } else {
            format!("declared: {}", known.join(", "))
        });
    }
    d
}

pub(super) fn check(spec: &Spec, index: &Index<'_>, f: &mut Findings) {
    let labels: Vec<&str> = index.labels.keys().copied().collect();
    for m in spec.sources.iter().flat_map(|s| &s.metrics) {
        for l in &m.labels {
            if !index.labels.contains_key(l.as_str()) {
                f.push_for(unknown(code::REF_UNKNOWN_LABEL, "label", l, &labels), &m.allow);
            }
            let reserved = match m.kind.value {
                MetricType::Histogram => l.as_str() == "le",
                MetricType::Summary => l.as_str() == "quantile",
                _ => false,
            };
            if reserved || l.starts_with("__") {
                f.push_for(
                    Diagnostic::error(
                        code::NAMING_RESERVED_LABEL,
                        l.loc,
                        format!("label `{}` is reserved on a {}", l.value, m.kind.value.as_str()),
                    )
                    .with_help("Prometheus adds it; remove it from `labels:`"),
                    &m.allow,
                );
            }
        }
    }

    let datasources: Vec<&str> = spec.datasources.iter().map(|d| d.uid.as_str()).collect();
    if spec.datasources.is_empty() {
        f.push(
            Diagnostic::error(
                code::REF_NO_DATASOURCE,
                spec.project.name.loc,
                "the spec declares no datasource",
            )
            .with_help("add a `datasources:` entry; panels and alerts query it"),
        );
    }
    if spec.datasources.iter().filter(|d| d.default).count() > 1 {
        for d in spec.datasources.iter().filter(|d| d.default).skip(1) {
            f.push(Diagnostic::error(
                code::SPEC_MULTIPLE_DEFAULTS,
                d.uid.loc,
                format!("datasource `{}` is a second default", d.uid.value),
            ));
        }
    }
    for a in &spec.alerts {
        if let Some(ds) = &a.datasource
            && !datasources.contains(&ds.as_str())
        {
            f.push_for(unknown(code::REF_UNKNOWN_DATASOURCE, "datasource", ds, &datasources), &a.allow);
        }
    }
    for (_, p) in index.panels() {
        if let Some(ds) = &p.datasource
            && !datasources.contains(&ds.as_str())
        {
            f.push_for(unknown(code::REF_UNKNOWN_DATASOURCE, "datasource", ds, &datasources), &p.allow);
        }
    }

    let slos: Vec<&str> = index.slos.keys().copied().collect();
    for a in &spec.alerts {
        if let Some(s) = &a.guards_slo
            && !index.slos.contains_key(s.as_str())
        {
            f.push_for(unknown(code::REF_UNKNOWN_SLO, "SLO", s, &slos), &a.allow);
        }
    }
    for (_, p) in index.panels() {
        if let Some(s) = &p.slo
            && !index.slos.contains_key(s.as_str())
        {
            f.push_for(unknown(code::REF_UNKNOWN_SLO, "SLO", s, &slos), &p.allow);
        }
    }

    let sources: Vec<&str> = spec.sources.iter().map(|s| s.name.as_str()).collect();
    let services: Vec<&str> = spec.services().iter().map(|s| s.name.as_str()).collect();
    for j in &spec.prometheus.jobs {
        if !sources.contains(&j.source.as_str()) {
            f.push(unknown(code::REF_UNKNOWN_SOURCE, "metric source", &j.source, &sources));
        }
        // `service` names the compose service behind a job; without a stack there is none.
        if let Some(s) = &j.service
            && spec.stack.is_some()
            && !services.contains(&s.as_str())
        {
            f.push(unknown(code::REF_UNKNOWN_SERVICE, "service", s, &services));
        }
    }
    for s in spec.services() {
        for d in &s.depends_on {
            if !services.contains(&d.service.as_str()) {
                f.push(unknown(code::REF_UNKNOWN_SERVICE, "service", &d.service, &services));
            } else if d.service.value == s.name.value {
                f.push(Diagnostic::error(
                    code::REF_UNKNOWN_SERVICE,
                    d.service.loc,
                    format!("service `{}` depends on itself", s.name.value),
                ));
            }
        }
    }
    for role in [Role::App, Role::Prometheus, Role::Grafana] {
        let with_role: Vec<_> = spec.services().iter().filter(|s| s.role.value == role).collect();
        for extra in with_role.iter().skip(1) {
            f.push(
                Diagnostic::error(
                    code::SPEC_MULTIPLE_ROLES,
                    extra.role.loc,
                    format!("service `{}` is a second {role:?} service", extra.name.value),
                )
                .with_help("the generator wires one service per role; use `role: generic` for others"),
            );
        }
    }
}

/// `allow:` entries must name a known code and give a reason.
pub(super) fn check_allows(spec: &Spec, f: &mut Findings) {
    let all = spec
        .labels
        .iter()
        .flat_map(|l| &l.allow)
        .chain(spec.sources.iter().flat_map(|s| s.metrics.iter().flat_map(|m| &m.allow)))
        .chain(spec.alerts.iter().flat_map(|a| &a.allow))
        .chain(spec.recording_rules.iter().flat_map(|r| &r.allow))
        .chain(spec.slos.iter().flat_map(|s| &s.allow))
        .chain(
            spec.dashboards
                .iter()
                .flat_map(|d| d.rows.iter().flat_map(|r| r.panels.iter().flat_map(|p| &p.allow))),
        );
    fn route_allows<'a>(r: &'a crate::model::Route, out: &mut Vec<&'a Allow>) {
        out.extend(&r.allow);
        r.routes.iter().for_each(|c| route_allows(c, out));
    }
    let mut routing = Vec::new();
    if let Some(am) = &spec.alertmanager {
        route_allows(&am.route, &mut routing);
        routing.extend(am.inhibit_rules.iter().flat_map(|r| &r.allow));
    }
    let all = all.chain(routing);
    let codes: Vec<&str> = super::CODES.iter().map(|c| c.code.as_str()).collect();
    for a in all {
        allow(a, &codes, f);
    }
}

fn allow(a: &Allow, codes: &[&str], f: &mut Findings) {
    if !codes.contains(&a.code.as_str()) {
        f.push(unknown(code::SPEC_UNKNOWN_CODE, "diagnostic code", &a.code, codes));
    }
    if a.reason.trim().len() < 10 {
        f.push(
            Diagnostic::error(
                code::SPEC_ALLOW_WITHOUT_REASON,
                a.reason.loc,
                format!("suppression of `{}` has no real reason", a.code.value),
            )
            .with_help("say in a sentence why the finding does not apply here"),
        );
    }
}
