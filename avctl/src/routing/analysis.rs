//! Routing findings that need the route tree evaluated for every alert of the spec: misrouted
//! alerts, pages that page no one, dead routes, inhibitions that cross incidents.

use super::alerts::{self, Instance};
use super::matcher::all_match;
use super::model::{Router, route_name};
use crate::validate::apply_allow;
use avspec::check::code;
use avspec::index::Index;
use avspec::{Alerting, Diagnostic, Route, SourceMap};
use std::collections::BTreeSet;

/// Findings that need the route tree evaluated for every alert.
pub(super) fn analyse(
    index: &Index<'_>,
    am: &Alerting,
    routes: &[(Vec<usize>, &Route)],
    sources: &SourceMap,
    records: &alerts::Records,
    out: &mut Vec<Diagnostic>,
) {
    let cfg = super::am_config(am);
    let Ok((router, inhibitor)) = super::model::load(&cfg) else { return };
    let looked_at = alerts::looked_at(&cfg);
    let instances = alerts::instances(index, sources, records, &looked_at);
    let pages: BTreeSet<&str> = am.receivers.iter().filter(|r| r.pages()).map(|r| r.name.as_str()).collect();
    let root = am.route.receiver.as_ref().map_or("", |r| r.as_str());
    let mut reported = BTreeSet::new();
    for i in &instances {
        let a = i.alert;
        let got = router.receivers(&i.labels);
        let got_set: BTreeSet<&str> = got.iter().map(String::as_str).collect();
        let want: BTreeSet<&str> = a.receivers.iter().map(|r| r.as_str()).collect();
        let mut push = |d: Diagnostic| {
            if reported.insert((a.name.value.clone(), d.code)) {
                let mut d = d;
                apply_allow(&mut d, &a.allow);
                out.push(d);
            }
        };
        if !want.is_empty() && want != got_set {
            let at = a.receivers.first().map_or(a.name.loc, |r| r.loc);
            let default_only = router.matches(&i.labels).iter().all(|n| n.path.is_empty());
            let (c, msg) = if default_only && !want.contains(root) {
                (
                    code::ROUTING_DEFAULT_ONLY,
                    format!("alert {} only reaches the default receiver `{root}`", i.title()),
                )
            } else {
                (
                    code::ROUTING_MISROUTED,
                    format!("alert {} reaches {}, not {}", i.title(), got.join(", "), list(&want)),
                )
            };
            push(Diagnostic::error(c, at, msg).with_help(format!("its labels: {}", show(&i.labels))));
        }
        let is_page = i.labels.get("severity").is_some_and(|s| s == "critical")
            || i.labels.get("burnrate_tier").is_some_and(|t| t.starts_with("page"));
        if is_page && !got.iter().any(|r| pages.contains(r.as_str())) {
            let at = a.severity.as_ref().map_or(a.name.loc, |s| s.loc);
            push(
                Diagnostic::error(
                    code::ROUTING_PAGE_WITHOUT_PAGER,
                    at,
                    format!(
                        "alert {} pages, and reaches only {}, which do not page",
                        i.title(),
                        got.join(", ")
                    ),
                )
                .with_help(format!("route it to a receiver that pages: {}", list(&pages))),
            );
        }
    }
    dead_routes(&router, routes, &instances, out);
    across_incidents(am, &inhibitor, &instances, out);
}

fn list(set: &BTreeSet<&str>) -> String {
    if set.is_empty() { "(none)".to_owned() } else { set.iter().copied().collect::<Vec<_>>().join(", ") }
}

fn show(labels: &super::matcher::LabelMap) -> String {
    labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect::<Vec<_>>().join(", ")
}

/// Routes no alert of the spec ends at (or passes through): shadowed by an earlier sibling, or
/// matching none of them.
fn dead_routes(
    router: &Router,
    routes: &[(Vec<usize>, &Route)],
    instances: &[Instance<'_>],
    out: &mut Vec<Diagnostic>,
) {
    let reached: BTreeSet<Vec<usize>> = instances
        .iter()
        .flat_map(|i| router.matches(&i.labels).into_iter().map(|n| n.path.clone()))
        .flat_map(|p| (0..=p.len()).map(move |k| p[..k].to_vec()))
        .collect();
    let nodes = router.nodes();
    let node = |p: &[usize]| nodes.iter().find(|n| n.path == p);
    for (path, r) in routes.iter().filter(|(p, _)| !p.is_empty() && !reached.contains(p)) {
        // Alerts this route's matchers (and its ancestors') accept, were it evaluated.
        let accepts = |l: &super::matcher::LabelMap| {
            (0..=path.len()).all(|k| node(&path[..k]).is_some_and(|n| all_match(&n.matchers, l)))
        };
        let wanted: Vec<&Instance<'_>> = instances.iter().filter(|i| accepts(&i.labels)).collect();
        let at = r
            .matchers
            .first()
            .map_or_else(|| r.receiver.as_ref().map_or(Default::default(), |x| x.loc), |m| m.loc);
        if out.iter().any(|d| {
            d.code == code::ROUTING_UNREACHABLE_ROUTE && d.loc.file == at.file && d.loc.line == at.line
        }) {
            continue;
        }
        let (parent, me) = path.split_at(path.len() - 1);
        let shadow = (0..me[0]).find(|&k| {
            let mut p = parent.to_vec();
            p.push(k);
            node(&p).is_some_and(|s| !s.continue_ && wanted.iter().all(|i| all_match(&s.matchers, &i.labels)))
        });
        let msg = match (wanted.first(), shadow) {
            (Some(first), Some(k)) => {
                let mut p = parent.to_vec();
                p.push(k);
                format!(
                    "{} is unreachable: {} (without `continue`) takes every alert it matches, e.g. {}",
                    route_name(path),
                    route_name(&p),
                    first.title()
                )
            }
            _ => format!("{} matches no alert of the spec", route_name(path)),
        };
        let mut d = Diagnostic::warning(code::ROUTING_UNREACHABLE_ROUTE, at, msg)
            .with_help("reorder the routes, add `continue: true` to the earlier one, or remove this one");
        apply_allow(&mut d, &r.allow);
        out.push(d);
    }
}

/// Inhibition rules whose `equal` misses an incident label both sides carry.
fn across_incidents(
    am: &Alerting,
    inhibitor: &super::model::Inhibitor,
    instances: &[Instance<'_>],
    out: &mut Vec<Diagnostic>,
) {
    for (rule, model) in am.inhibit_rules.iter().zip(&inhibitor.rules) {
        for l in am.incident_labels.iter().filter(|l| !model.equal.contains(&l.value)) {
            let sources = instances.iter().filter(|s| all_match(&model.source, &s.labels));
            let found = sources.flat_map(|s| instances.iter().map(move |t| (s, t))).find(|(s, t)| {
                !std::ptr::eq(s.alert, t.alert)
                    && all_match(&model.target, &t.labels)
                    && s.labels.contains_key(&l.value)
                    && t.labels.contains_key(&l.value)
                    && (s.labels[&l.value] != t.labels[&l.value]
                        || !s.fixed.contains(&l.value)
                        || !t.fixed.contains(&l.value))
            });
            if let Some((s, t)) = found {
                let at = rule.equal.first().map_or(rule.name.loc, |e| e.loc);
                let mut d = Diagnostic::warning(
                    code::ROUTING_INHIBIT_ACROSS_INCIDENTS,
                    at,
                    format!(
                        "inhibition rule `{}` does not compare `{}`: {} can mute {} of another {}",
                        rule.name.value,
                        l.value,
                        s.title(),
                        t.title(),
                        l.value
                    ),
                )
                .with_help(format!("add `{}` to `equal`", l.value));
                apply_allow(&mut d, &rule.allow);
                out.push(d);
            }
        }
    }
}
