//! Alert routing: Alertmanager receivers, the route tree, inhibition rules, and which labels
//! tell one incident from another. Secrets never appear here: integrations name files.

use super::Allow;
use crate::duration::PromDuration;
use crate::span::Sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `alertmanager:` section: where firing alerts go.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alerting {
    /// How long Alertmanager waits for an update before it marks an alert without `endsAt`
    /// resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve_timeout: Option<Sp<PromDuration>>,
    /// Labels whose values tell one incident from another (`slo`, `instance`, ...): an
    /// inhibition rule must compare every one of them that both sides can carry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incident_labels: Vec<Sp<String>>,
    pub receivers: Vec<Receiver>,
    pub route: Route,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inhibit_rules: Vec<InhibitRule>,
}

/// A named destination with one or more integrations.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Receiver {
    pub name: Sp<String>,
    /// Whether a notification here wakes someone up; defaults to true for PagerDuty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<Sp<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Webhook>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<Slack>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagerduty: Option<PagerDuty>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Receiver {
    /// True when notifications here page (explicitly, or through PagerDuty).
    pub fn pages(&self) -> bool {
        self.pages.as_ref().map_or(self.pagerduty.is_some(), |p| p.value)
    }

    pub fn has_integration(&self) -> bool {
        self.webhook.is_some() || self.email.is_some() || self.slack.is_some() || self.pagerduty.is_some()
    }
}

/// An HTTP POST of Alertmanager's webhook payload.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// Alertmanager 0.25 reads the URL only from the config: keep tokens out of it and use
    /// `credentials_file`.
    pub url: Sp<String>,
    /// File holding a bearer token sent as `Authorization: Bearer <token>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_file: Option<Sp<String>>,
    /// Also notify when the alert resolves.
    #[serde(default = "super::prometheus::default_true")]
    pub send_resolved: Sp<bool>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Email {
    pub to: Sp<String>,
    pub from: Sp<String>,
    /// SMTP server, `host:port`.
    pub smarthost: Sp<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_username: Option<Sp<String>>,
    /// File holding the SMTP password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_password_file: Option<Sp<String>>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slack {
    /// File holding the incoming-webhook URL (it is the secret).
    pub api_url_file: Sp<String>,
    pub channel: Sp<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PagerDuty {
    /// File holding the Events API v2 routing key.
    pub routing_key_file: Sp<String>,
}

/// A node of the route tree. Unset fields are inherited from the parent.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Required on the root route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<Sp<String>>,
    /// Alertmanager matchers, e.g. `severity="critical"`, `slo=~"tts-.*"`; all must match.
    /// The root route has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matchers: Vec<Sp<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Vec<Sp<String>>>,
    /// Keep matching later siblings after this route matched.
    #[serde(rename = "continue", default, skip_serializing_if = "std::ops::Not::not")]
    pub continue_: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_wait: Option<Sp<PromDuration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_interval: Option<Sp<PromDuration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_interval: Option<Sp<PromDuration>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Silences a routing warning about this route (errors cannot be silenced here: the
    /// configuration would not load).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Allow>,
}

/// While an alert matching `source_matchers` fires, alerts matching `target_matchers` with
/// the same values of every `equal` label are not sent.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InhibitRule {
    /// Identifier used in findings and test reports (Alertmanager rules have no name).
    pub name: Sp<String>,
    pub source_matchers: Vec<Sp<String>>,
    pub target_matchers: Vec<Sp<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equal: Vec<Sp<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Silences a routing warning about this rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Allow>,
}
