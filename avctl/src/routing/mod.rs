//! Alert routing: the spec's `alertmanager:` section turned into Alertmanager's configuration
//! (`config`), a model of how Alertmanager routes and inhibits (`matcher`, `model`), the label
//! sets every alert arrives with (`alerts`), the routing lints (`lints`) and the generated
//! routing and inhibition tests with their runner (`tests`).

pub mod alerts;
mod analysis;
pub mod config;
pub mod lints;
pub mod matcher;
pub mod model;
pub mod tests;

pub use lints::lints;

use avspec::{Alerting, Route};
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

/// The spec route at `path` (child indices from the root).
pub fn spec_route<'a>(root: &'a Route, path: &[usize]) -> Option<&'a Route> {
    path.iter().try_fold(root, |r, &i| r.routes.get(i))
}
