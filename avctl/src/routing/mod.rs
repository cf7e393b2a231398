//! Alert routing: the spec's `alertmanager:` section turned into Alertmanager's configuration
//! (`config`), a model of how Alertmanager routes and inhibits (`matcher`, `model`), the label
//! sets every alert arrives with (`alerts`), the routing lints (`lints`) and the generated
//! routing and inhibition tests with their runner (`tests`).

pub mod alerts;
mod analysis;
pub mod config;
mod lints;
pub mod matcher;
pub mod model;
pub mod tests;

use avspec::index::Index;
use avspec::{Alerting, Diagnostic, Route, SourceMap};
use config::{AmConfig, AmRoute};
use matcher::Matcher;

/// A matcher as Alertmanager will read it back: canonical quoting when it parses, else as
/// written (the lints report it).
fn canonical(m: &str) -> String {
    Matcher::parse(m).map_or_else(|_| m.to_owned(), |p| p.to_string())
}

fn route(r: &Route) -> AmRoute {
    AmRoute {
        receiver: r.receiver.as_ref().map(|x| x.value.clone()),
        group_by: r.group_by.as_ref().map(|g| g.iter().map(|l| l.value.clone()).collect()),
        matchers: r.matchers.iter().map(|m| canonical(m)).collect(),
        continue_: r.continue_,
        group_wait: r.group_wait.as_ref().map(|d| d.to_string()),
        group_interval: r.group_interval.as_ref().map(|d| d.to_string()),
        repeat_interval: r.repeat_interval.as_ref().map(|d| d.to_string()),
        routes: r.routes.iter().map(route).collect(),
    }
}

/// Alertmanager's configuration for the spec's routing section.
pub fn am_config(a: &Alerting) -> AmConfig {
    use config::*;
    let receivers = a
        .receivers
        .iter()
        .map(|r| AmReceiver {
            name: r.name.value.clone(),
            webhook_configs: r
                .webhook
                .iter()
                .map(|w| WebhookConfig {
                    url: w.url.value.clone(),
                    send_resolved: w.send_resolved.value,
                    http_config: w.credentials_file.as_ref().map(|f| HttpConfig {
                        authorization: Authorization {
                            kind: "Bearer".to_owned(),
                            credentials_file: f.value.clone(),
                        },
                    }),
                })
                .collect(),
            email_configs: r
                .email
                .iter()
                .map(|e| EmailConfig {
                    to: e.to.value.clone(),
                    from: e.from.value.clone(),
                    smarthost: e.smarthost.value.clone(),
                    auth_username: e.auth_username.as_ref().map(|u| u.value.clone()),
                    auth_password_file: e.auth_password_file.as_ref().map(|f| f.value.clone()),
                    send_resolved: true,
                })
                .collect(),
            slack_configs: r
                .slack
                .iter()
                .map(|s| SlackConfig {
                    api_url_file: s.api_url_file.value.clone(),
                    channel: s.channel.value.clone(),
                    send_resolved: true,
                })
                .collect(),
            pagerduty_configs: r
                .pagerduty
                .iter()
                .map(|p| PagerdutyConfig {
                    routing_key_file: p.routing_key_file.value.clone(),
                    send_resolved: true,
                })
                .collect(),
        })
        .collect();
    AmConfig {
        global: a.resolve_timeout.as_ref().map(|d| Global { resolve_timeout: Some(d.to_string()) }),
        route: route(&a.route),
        inhibit_rules: a
            .inhibit_rules
            .iter()
            .map(|r| AmInhibitRule {
                source_matchers: r.source_matchers.iter().map(|m| canonical(m)).collect(),
                target_matchers: r.target_matchers.iter().map(|m| canonical(m)).collect(),
                equal: r.equal.iter().map(|l| l.value.clone()).collect(),
            })
            .collect(),
        receivers,
    }
}

/// Every routing finding for the spec (none when it has no `alertmanager:` section): the
/// reference checks, then, when the tree is sound, where every alert really goes.
pub fn lints(index: &Index<'_>, sources: &SourceMap, records: &alerts::Records) -> Vec<Diagnostic> {
    let Some(am) = &index.spec.alertmanager else { return unrouted(index) };
    let (mut out, sound) = lints::references(index, am, sources);
    if sound {
        analysis::analyse(index, am, &routes(&am.route), sources, records, &mut out);
    }
    out
}

/// Without routing, receivers an alert or SLO states cannot be checked: say so where they are.
fn unrouted(index: &Index<'_>) -> Vec<Diagnostic> {
    let stated = index.spec.alerts.iter().flat_map(|a| a.receivers.first().map(|r| (r, &a.allow)));
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (r, allow) in stated {
        // SLO tiers share their SLO's location: one finding each.
        if seen.insert(r.loc) {
            let mut d = Diagnostic::error(
                avspec::check::code::ROUTING_UNKNOWN_RECEIVER,
                r.loc,
                format!("receiver `{}` is stated, and the spec has no `alertmanager:` section", r.value),
            )
            .with_help("add an `alertmanager:` section with its receivers and routes, or drop `receivers:`");
            crate::validate::apply_allow(&mut d, allow);
            out.push(d);
        }
    }
    out
}

/// Every spec route with its path, the root first, depth first.
fn routes(root: &Route) -> Vec<(Vec<usize>, &Route)> {
    fn walk<'a>(r: &'a Route, path: Vec<usize>, out: &mut Vec<(Vec<usize>, &'a Route)>) {
        out.push((path.clone(), r));
        for (i, c) in r.routes.iter().enumerate() {
            let mut p = path.clone();
            p.push(i);
            walk(c, p, out);
        }
    }
    let mut out = Vec::new();
    walk(root, Vec::new(), &mut out);
    out
}

/// The spec's routing evaluated once for the generators: Alertmanager's configuration and
/// every alert's label sets.
pub struct Plan<'a> {
    pub spec: &'a Alerting,
    pub cfg: AmConfig,
    pub instances: Vec<alerts::Instance<'a>>,
}

impl<'a> Plan<'a> {
    /// `None` when the spec routes nothing.
    pub fn new(index: &'a Index<'a>) -> Option<Self> {
        let spec = index.spec.alertmanager.as_ref()?;
        let cfg = am_config(spec);
        // Locations only matter for findings, which validation reports; none are made here.
        let sources = SourceMap::default();
        let records = crate::validate::record_labels(index, &sources);
        let instances = alerts::instances(index, &sources, &records, &alerts::looked_at(&cfg));
        Some(Self { spec, cfg, instances })
    }

    /// The receivers each alert's first label set reaches, by alert name.
    pub fn receivers_by_alert(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut out = std::collections::BTreeMap::new();
        if let Ok(router) = model::Router::new(&self.cfg.route) {
            for i in &self.instances {
                out.entry(i.name().to_owned()).or_insert_with(|| router.receivers(&i.labels));
            }
        }
        out
    }
}
