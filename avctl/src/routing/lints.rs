//! Routing checks: references (receivers, labels), matchers that parse and can match, repeat
//! intervals that cannot hold; then, when all that is sound, `analysis` evaluates the tree for
//! every alert.

use super::matcher::{Matcher, Op};
use super::model::route_name;
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

/// The receiver's secret files that the compose stack's Alertmanager cannot see.
fn secrets_outside_mount(r: &avspec::Receiver) -> Vec<Diagnostic> {
    let files = [
        ("credentials_file", r.webhook.as_ref().and_then(|w| w.credentials_file.as_ref())),
        ("auth_password_file", r.email.as_ref().and_then(|e| e.auth_password_file.as_ref())),
        ("api_url_file", r.slack.as_ref().map(|s| &s.api_url_file)),
        ("routing_key_file", r.pagerduty.as_ref().map(|p| &p.routing_key_file)),
    ];
    let inside = format!("{}/", crate::emit::compose::ALERTMANAGER_SECRETS_AT);
    files
        .into_iter()
        .filter_map(|(field, file)| file.map(|f| (field, f)))
        .filter(|(_, f)| !f.value.starts_with(&inside) || f.value.contains("/../"))
        .map(|(field, f)| {
            let name = f.value.rsplit('/').next().unwrap_or_default();
            Diagnostic::error(
                code::ROUTING_SECRET_OUTSIDE_MOUNT,
                f.loc,
                format!(
                    "receiver `{}`: {field} `{}` is not under {inside}, where the stack mounts ./{}",
                    r.name.value,
                    f.value,
                    crate::emit::compose::ALERTMANAGER_SECRETS
                ),
            )
            .with_help(format!(
                "put the file in ./{}/ and name it {inside}{name}",
                crate::emit::compose::ALERTMANAGER_SECRETS
            ))
        })
        .collect()
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

/// The findings that need no evaluation of the tree, and whether the tree is sound enough
/// (every matcher parses, every receiver exists, no error) to be evaluated.
pub(super) fn references(index: &Index<'_>, am: &Alerting, sources: &SourceMap) -> (Vec<Diagnostic>, bool) {
    let mut cx = Ctx { sources, domains: label_domains(index), out: Vec::new() };
    let known: Vec<&str> = am.receivers.iter().map(|r| r.name.as_str()).collect();
    let mut seen = BTreeSet::new();
    let mounted = index.spec.services().iter().any(|s| s.role.value == avspec::Role::Alertmanager);
    for r in &am.receivers {
        if mounted {
            cx.out.extend(secrets_outside_mount(r));
        }
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
    let routes = super::routes(&am.route);
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
        let before = cx.out.len();
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
        allow_warnings(&mut cx.out[before..], &r.allow);
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
        let before = cx.out.len();
        let what = format!("inhibition rule `{}`", rule.name.value);
        for m in rule.source_matchers.iter().chain(&rule.target_matchers) {
            usable &= cx.matcher(m, &what).is_some();
        }
        for l in &rule.equal {
            cx.label(l, &format!("{what} equal"));
        }
        allow_warnings(&mut cx.out[before..], &rule.allow);
    }
    repeat_before_group(&am.route, GROUP_INTERVAL, REPEAT_INTERVAL, &mut cx.out);
    let sound = usable && !cx.out.iter().any(|d| d.severity == avspec::Severity::Error);
    (cx.out, sound)
}

/// Applies a route's or inhibition rule's `allow:` to its warnings. Errors stay: a route to a
/// missing receiver or a broken matcher makes Alertmanager refuse the whole file.
pub(super) fn allow_warnings(found: &mut [Diagnostic], allow: &[avspec::Allow]) {
    for d in found.iter_mut().filter(|d| d.severity == avspec::Severity::Warning) {
        apply_allow(d, allow);
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
        let mut d = Diagnostic::warning(
            code::ROUTING_REPEAT_BEFORE_GROUP,
            at,
            format!("repeat_interval {rep} is shorter than group_interval {g}"),
        )
        .with_help("notifications go out at group intervals; make repeat_interval at least group_interval");
        apply_allow(&mut d, &r.allow);
        out.push(d);
    }
    for c in &r.routes {
        repeat_before_group(c, g, rep, out);
    }
}
