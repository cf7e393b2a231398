//! Routing checks: references (receivers, labels), matchers that parse and can match, and,
//! through the model, where every alert of the spec really goes: misrouted alerts, dead routes,
//! pages that page no one, inhibitions that cross incidents, repeat intervals that cannot hold.

use super::alerts::{self, Instance};
use super::matcher::{Matcher, Op, all_match};
use super::model::{Router, route_name};
use crate::validate::apply_allow;
use avspec::check::code;
use avspec::index::Index;
use avspec::{Alerting, Diagnostic, Domain, PromDuration, Route, SourceMap, Sp};
use std::collections::{BTreeMap, BTreeSet};

/// Alertmanager's defaults for a root route that leaves them unset.
const GROUP_INTERVAL: PromDuration = PromDuration::from_secs(300);
const REPEAT_INTERVAL: PromDuration = PromDuration::from_secs(4 * 3600);

/// The labels alerts can carry, with the values they can take (`None`: open-ended).
fn label_domains(index: &Index<'_>) -> BTreeMap<String, Option<BTreeSet<String>>> {
    let mut out: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    for (name, def) in &index.labels {
        let values = match &def.domain.value {
            Domain::Values(v) => Some(v.iter().map(|s| s.value.clone()).collect()),
            Domain::ScrapeJobs => {
                Some(index.spec.prometheus.jobs.iter().map(|j| j.name.value.clone()).collect())
            }
            Domain::Max(_) | Domain::Unbounded => None,
        };
        out.insert((*name).to_owned(), values);
    }
    out.insert("severity".to_owned(), Some(["info", "warning", "critical"].map(str::to_owned).into()));
    out.insert(
        "alertname".to_owned(),
        Some(index.spec.alerts.iter().map(|a| a.name.value.clone()).collect()),
    );
    for a in &index.spec.alerts {
        for kv in &a.labels {
            if let Some(set) = out.entry(kv.name.value.clone()).or_insert_with(|| Some(BTreeSet::new())) {
                set.insert(kv.value.value.clone());
            }
        }
    }
    out
}

struct Ctx<'a> {
    sources: &'a SourceMap,
    domains: BTreeMap<String, Option<BTreeSet<String>>>,
    out: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn label(&mut self, l: &Sp<String>, what: &str) {
        if self.domains.contains_key(&l.value) {
            return;
        }
        let known: Vec<&str> = self.domains.keys().map(String::as_str).collect();
        let d = Diagnostic::error(
            code::ROUTING_UNKNOWN_LABEL,
            l.loc,
            format!("{what} uses label `{}`, which no alert carries", l.value),
        )
        .with_suggestion(&l.value, known.iter().copied());
        let d = if d.help.is_some() { d } else { d.with_help(format!("alerts carry: {}", known.join(", "))) };
        self.out.push(d);
    }

    /// Parses a matcher, reporting what is wrong with it; `None` when it cannot be used.
    fn matcher(&mut self, m: &Sp<String>, what: &str) -> Option<Matcher> {
        let parsed = match Matcher::parse(m) {
            Ok(p) => p,
            Err(e) => {
                let loc = self.sources.find_in_node(m.loc, m.get(e.offset..).unwrap_or(""));
                self.out.push(
                    Diagnostic::error(code::ROUTING_INVALID_MATCHER, loc, format!("{what}: {}", e.message))
                        .with_help("write matchers as `label=\"value\"`, with `=`, `!=`, `=~` or `!~`"),
                );
                return None;
            }
        };
        let name = Sp::new(parsed.name.clone(), self.sources.find_in_node(m.loc, &parsed.name));
        self.label(&name, what);
        if let Some(Some(values)) = self.domains.get(&parsed.name)
            && matches!(parsed.op, Op::Eq | Op::Re)
            && !values.iter().any(|v| parsed.matches_value(v))
        {
            let list: Vec<&str> = values.iter().map(String::as_str).collect();
            self.out.push(
                Diagnostic::warning(
                    code::ROUTING_UNREACHABLE_ROUTE,
                    self.sources.find_in_node(m.loc, &parsed.value),
                    format!(
                        "{what} can never match: `{}` never takes a value matching `{}`",
                        parsed.name, parsed.value
                    ),
                )
                .with_suggestion(&parsed.value, list.iter().copied())
                .with_help(format!("`{}` takes: {}", parsed.name, list.join(", "))),
            );
        }
        Some(parsed)
    }
}

fn unknown_receiver(r: &Sp<String>, known: &[&str], what: &str) -> Diagnostic {
    let d = Diagnostic::error(
        code::ROUTING_UNKNOWN_RECEIVER,
        r.loc,
        format!("{what} names receiver `{}`, which is not defined", r.value),
    )
    .with_suggestion(r, known.iter().copied());
    if d.help.is_some() { d } else { d.with_help(format!("receivers: {}", known.join(", "))) }
}

fn walk_routes<'a>(r: &'a Route, path: Vec<usize>, out: &mut Vec<(Vec<usize>, &'a Route)>) {
    for (i, c) in r.routes.iter().enumerate() {
        let mut p = path.clone();
        p.push(i);
        walk_routes(c, p, out);
    }
    out.insert(0, (path, r));
}

/// Every routing finding for the spec (none when it has no `alertmanager:` section).
pub fn lints(index: &Index<'_>, sources: &SourceMap) -> Vec<Diagnostic> {
    let Some(am) = &index.spec.alertmanager else { return Vec::new() };
    let mut cx = Ctx { sources, domains: label_domains(index), out: Vec::new() };
    let known: Vec<&str> = am.receivers.iter().map(|r| r.name.as_str()).collect();
    let mut seen = BTreeSet::new();
    for r in &am.receivers {
        if !seen.insert(r.name.as_str()) {
            cx.out.push(Diagnostic::error(
                code::SPEC_DUPLICATE_ID,
                r.name.loc,
                format!("receiver `{}` is defined twice", r.name.value),
            ));
        }
        if !r.has_integration() {
            cx.out.push(
                Diagnostic::error(
                    code::ROUTING_RECEIVER_WITHOUT_INTEGRATION,
                    r.name.loc,
                    format!("receiver `{}` sends nowhere", r.name.value),
                )
                .with_help("give it a `webhook`, `email`, `slack` or `pagerduty` integration"),
            );
        }
    }
    let mut routes = Vec::new();
    walk_routes(&am.route, Vec::new(), &mut routes);
    let mut usable = true;
    if am.route.receiver.is_none() {
        cx.out.push(
            Diagnostic::error(
                code::SPEC_MISSING_FIELD,
                Default::default(),
                "the root route has no `receiver`",
            )
            .with_help("the root receiver catches every alert no route takes"),
        );
        usable = false;
    }
    if let Some(m) = am.route.matchers.first() {
        cx.out.push(
            Diagnostic::error(code::ROUTING_INVALID_MATCHER, m.loc, "the root route cannot have matchers")
                .with_help("it must catch every alert; put the matchers on a child route"),
        );
    }
    for (path, r) in &routes {
        let what = route_name(path);
        if let Some(rec) = &r.receiver
            && !known.contains(&rec.as_str())
        {
            cx.out.push(unknown_receiver(rec, &known, &what));
            usable = false;
        }
        for m in &r.matchers {
            usable &= cx.matcher(m, &what).is_some();
        }
        for l in r.group_by.iter().flatten().filter(|l| l.as_str() != "...") {
            cx.label(l, &format!("{what} group_by"));
        }
    }
    for a in &index.spec.alerts {
        for r in a.receivers.iter().filter(|r| !known.contains(&r.as_str())) {
            let mut d = unknown_receiver(r, &known, &format!("alert {}", a.name.value));
            apply_allow(&mut d, &a.allow);
            cx.out.push(d);
        }
    }
    for l in &am.incident_labels {
        cx.label(l, "incident_labels");
    }
    for rule in &am.inhibit_rules {
        let what = format!("inhibition rule `{}`", rule.name.value);
        for m in rule.source_matchers.iter().chain(&rule.target_matchers) {
            usable &= cx.matcher(m, &what).is_some();
        }
        for l in &rule.equal {
            cx.label(l, &format!("{what} equal"));
        }
    }
    repeat_before_group(&am.route, GROUP_INTERVAL, REPEAT_INTERVAL, &mut cx.out);
    if usable && !cx.out.iter().any(|d| d.severity == avspec::Severity::Error) {
        analyse(index, am, &routes, &mut cx);
    }
    cx.out
}

/// Findings that need the route tree evaluated for every alert.
fn analyse(index: &Index<'_>, am: &Alerting, routes: &[(Vec<usize>, &Route)], cx: &mut Ctx<'_>) {
    let cfg = super::am_config(am);
    let Ok((router, inhibitor)) = super::model::load(&cfg) else { return };
    let looked_at = looked_at(&cfg);
    let instances = alerts::instances(index, cx.sources, &looked_at);
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
                cx.out.push(d);
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
    dead_routes(&router, routes, &instances, cx);
    across_incidents(am, &inhibitor, &instances, cx);
}

fn list(set: &BTreeSet<&str>) -> String {
    if set.is_empty() { "(none)".to_owned() } else { set.iter().copied().collect::<Vec<_>>().join(", ") }
}

fn show(labels: &super::matcher::LabelMap) -> String {
    labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect::<Vec<_>>().join(", ")
}

/// Labels any matcher of the configuration tests.
pub fn looked_at(cfg: &super::config::AmConfig) -> BTreeSet<String> {
    fn walk(r: &super::config::AmRoute, out: &mut BTreeSet<String>) {
        out.extend(r.matchers.iter().filter_map(|m| Matcher::parse(m).ok()).map(|m| m.name));
        r.routes.iter().for_each(|c| walk(c, out));
    }
    let mut out = BTreeSet::new();
    walk(&cfg.route, &mut out);
    for r in &cfg.inhibit_rules {
        out.extend(
            r.source_matchers
                .iter()
                .chain(&r.target_matchers)
                .filter_map(|m| Matcher::parse(m).ok())
                .map(|m| m.name),
        );
    }
    out
}

/// Routes no alert of the spec ends at (or passes through): shadowed by an earlier sibling, or
/// matching none of them.
fn dead_routes(
    router: &Router,
    routes: &[(Vec<usize>, &Route)],
    instances: &[Instance<'_>],
    cx: &mut Ctx<'_>,
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
        if cx.out.iter().any(|d| {
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
        cx.out
            .push(Diagnostic::warning(code::ROUTING_UNREACHABLE_ROUTE, at, msg).with_help(
                "reorder the routes, add `continue: true` to the earlier one, or remove this one",
            ));
    }
}

/// Inhibition rules whose `equal` misses an incident label both sides carry.
fn across_incidents(
    am: &Alerting,
    inhibitor: &super::model::Inhibitor,
    instances: &[Instance<'_>],
    cx: &mut Ctx<'_>,
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
                cx.out.push(
                    Diagnostic::warning(
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
                    .with_help(format!("add `{}` to `equal`", l.value)),
                );
            }
        }
    }
}

/// `repeat_interval` shorter than `group_interval`, with values inherited down the tree.
fn repeat_before_group(r: &Route, group: PromDuration, repeat: PromDuration, out: &mut Vec<Diagnostic>) {
    let g = r.group_interval.as_ref().map_or(group, |d| d.value);
    let rep = r.repeat_interval.as_ref().map_or(repeat, |d| d.value);
    let set_here = r.group_interval.as_ref().or(r.repeat_interval.as_ref());
    if rep.millis() < g.millis()
        && let Some(at) = r.repeat_interval.as_ref().map(|d| d.loc).or(set_here.map(|d| d.loc))
    {
        out.push(
            Diagnostic::warning(
                code::ROUTING_REPEAT_BEFORE_GROUP,
                at,
                format!("repeat_interval {rep} is shorter than group_interval {g}"),
            )
            .with_help(
                "notifications go out at group intervals; make repeat_interval at least group_interval",
            ),
        );
    }
    for c in &r.routes {
        repeat_before_group(c, g, rep, out);
    }
}
