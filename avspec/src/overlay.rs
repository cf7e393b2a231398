//! Spec overlays: per-environment patches (dev, e2e, prod, opt-in exporters) applied on top of
//! the loaded spec, so one spec serves every environment without copies or `sed`.
//!
//! An overlay names what it changes by id (a scrape job, an alert) and replaces only the fields
//! it sets; every replaced value keeps the overlay's location, so findings about it point into
//! the overlay file. Targets, Alertmanager addresses, webhook URLs, external label values and
//! remote-write endpoints may use `${VAR}` or `${VAR:-default}`
//! from the environment (ports chosen at run time).

use crate::check::code;
use crate::diag::Diagnostic;
use crate::duration::PromDuration;
use crate::load::{Loaded, yaml_error};
use crate::model::{AlertSeverity, KeyValue, Receiver, RemoteWrite};
use crate::span::{Loc, Sp, with_current_file};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// An overlay file: one `overlay:` mapping.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverlayFile {
    pub overlay: Overlay,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// What the environment is and why it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusPatch>,
    /// Per-alert changes, by alert name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<AlertPatch>,
    /// Alert routing changes: the root route's timing and receivers' integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertmanager: Option<AlertingPatch>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertingPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_wait: Option<Sp<PromDuration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_interval: Option<Sp<PromDuration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_interval: Option<Sp<PromDuration>>,
    /// Per-receiver changes, by name: integrations given here replace the receiver's own
    /// (its `pages` stays unless set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receivers: Vec<Receiver>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrometheusPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_interval: Option<Sp<PromDuration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<Sp<PromDuration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_interval: Option<Sp<PromDuration>>,
    /// Replaces the Alertmanager list; `[]` drops the `alerting` section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertmanagers: Option<Vec<Sp<String>>>,
    /// Per-job changes, by job name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<JobPatch>,
    /// Replaces the external labels (values may use `${VAR}`: one overlay serves every cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_labels: Option<Vec<KeyValue>>,
    /// Replaces the remote-write endpoints (`url`, `tenant` and `credentials_file` may use `${VAR}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_write: Option<Vec<RemoteWrite>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobPatch {
    /// The job to change (must exist in the spec).
    pub name: Sp<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<Sp<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Sp<PromDuration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Sp<PromDuration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Sp<bool>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertPatch {
    /// The alert to change (must exist in the spec).
    pub name: Sp<String>,
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub for_: Option<Sp<PromDuration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Sp<AlertSeverity>>,
}

/// Reads each overlay in order and applies it to `loaded.spec`; findings go to
/// `loaded.diagnostics` (an overlay that does not parse changes nothing).
pub fn apply_files(loaded: &mut Loaded, paths: &[impl AsRef<Path>]) {
    for path in paths {
        let path = path.as_ref();
        match std::fs::read_to_string(path) {
            Ok(text) => apply_text(loaded, &path.display().to_string(), &text, &|k| std::env::var(k).ok()),
            Err(e) => loaded.diagnostics.push(Diagnostic::error(
                code::SPEC_IO,
                Loc::default(),
                format!("cannot read overlay `{}`: {e}", path.display()),
            )),
        }
    }
}

/// Applies one overlay given as text; `env` resolves `${VAR}` (a parameter, so tests need not
/// touch the process environment).
pub fn apply_text(loaded: &mut Loaded, name: &str, text: &str, env: &dyn Fn(&str) -> Option<String>) {
    let id = loaded.sources.add(name.to_owned(), text.to_owned());
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        with_snippet: false,
    };
    let parsed = with_current_file(id, || serde_saphyr::from_str_with_options::<OverlayFile>(text, options));
    let overlay = match parsed {
        Ok(f) => f.overlay,
        Err(e) => return loaded.diagnostics.push(yaml_error(id, text, &e)),
    };
    if let Some(spec) = loaded.spec.as_mut() {
        let diags = apply(spec, overlay, env);
        loaded.diagnostics.extend(diags);
    }
}

fn apply(spec: &mut crate::Spec, o: Overlay, env: &dyn Fn(&str) -> Option<String>) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let expand_one = |s: Sp<String>, diags: &mut Vec<Diagnostic>| -> Sp<String> {
        match expand(&s.value, env) {
            Ok(v) => Sp::new(v, s.loc),
            Err(var) => {
                diags.push(
                    Diagnostic::error(
                        code::OVERLAY_UNSET_VARIABLE,
                        s.loc,
                        format!("environment variable `{var}` is not set"),
                    )
                    .with_help(format!("set {var}, or give a default: `${{{var}:-value}}`")),
                );
                s
            }
        }
    };
    let expand_all = |list: Vec<Sp<String>>, diags: &mut Vec<Diagnostic>| -> Vec<Sp<String>> {
        list.into_iter().map(|s| expand_one(s, diags)).collect()
    };
    if let Some(p) = o.prometheus {
        let prom = &mut spec.prometheus;
        set(&mut prom.scrape_interval, p.scrape_interval);
        set(&mut prom.scrape_timeout, p.scrape_timeout);
        set(&mut prom.evaluation_interval, p.evaluation_interval);
        if let Some(a) = p.alertmanagers {
            prom.alertmanagers = expand_all(a, &mut diags);
        }
        if let Some(labels) = p.external_labels {
            let (names, values): (Vec<_>, Vec<_>) = labels.into_iter().map(|kv| (kv.name, kv.value)).unzip();
            let values = expand_all(values, &mut diags);
            prom.external_labels =
                names.into_iter().zip(values).map(|(name, value)| KeyValue { name, value }).collect();
        }
        if let Some(endpoints) = p.remote_write {
            prom.remote_write = endpoints
                .into_iter()
                .map(|mut r| {
                    r.url = expand_one(r.url, &mut diags);
                    r.tenant = r.tenant.map(|t| expand_one(t, &mut diags));
                    r.credentials_file = r.credentials_file.map(|f| expand_one(f, &mut diags));
                    r
                })
                .collect();
        }
        for patch in p.jobs {
            let Some(job) = prom.jobs.iter_mut().find(|j| j.name.value == patch.name.value) else {
                diags.push(unknown("job", &patch.name, prom.jobs.iter().map(|j| j.name.value.as_str())));
                continue;
            };
            if let Some(t) = patch.targets {
                job.targets = expand_all(t, &mut diags);
            }
            if patch.interval.is_some() {
                job.interval = patch.interval;
            }
            if patch.timeout.is_some() {
                job.timeout = patch.timeout;
            }
            set(&mut job.enabled, patch.enabled);
        }
    }
    for patch in o.alerts {
        let Some(alert) = spec.alerts.iter_mut().find(|a| a.name.value == patch.name.value) else {
            diags.push(unknown("alert", &patch.name, spec.alerts.iter().map(|a| a.name.value.as_str())));
            continue;
        };
        if patch.for_.is_some() {
            alert.for_ = patch.for_;
        }
        if patch.severity.is_some() {
            alert.severity = patch.severity;
        }
    }
    if let Some(p) = o.alertmanager {
        let Some(am) = spec.alertmanager.as_mut() else {
            let at = p.receivers.first().map_or(Loc::default(), |r| r.name.loc);
            diags.push(
                Diagnostic::error(
                    code::OVERLAY_UNKNOWN_RECEIVER,
                    at,
                    "the overlay changes alert routing, and the spec has no `alertmanager:` section",
                )
                .with_help("add `alertmanager:` to the spec, or drop it from the overlay"),
            );
            return diags;
        };
        for (slot, value) in [
            (&mut am.route.group_wait, p.group_wait),
            (&mut am.route.group_interval, p.group_interval),
            (&mut am.route.repeat_interval, p.repeat_interval),
        ] {
            if value.is_some() {
                *slot = value;
            }
        }
        for patch in p.receivers {
            let Some(r) = am.receivers.iter_mut().find(|r| r.name.value == patch.name.value) else {
                let known = am.receivers.iter().map(|r| r.name.value.as_str());
                diags.push(unknown("receiver", &patch.name, known));
                continue;
            };
            if patch.has_integration() {
                // Whether the receiver pages is a fact about who reads it, not about the
                // integration: keep it when the integration is swapped.
                r.pages = Some(r.pages.take().unwrap_or_else(|| Sp::synthetic(r.pages())));
                r.webhook = patch.webhook.map(|mut w| {
                    w.url = expand_all(vec![w.url], &mut diags).remove(0);
                    w
                });
                r.email = patch.email;
                r.slack = patch.slack;
                r.pagerduty = patch.pagerduty;
            }
            if patch.pages.is_some() {
                r.pages = patch.pages;
            }
        }
    }
    diags
}

fn set<T>(slot: &mut Sp<T>, value: Option<Sp<T>>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn unknown<'a>(what: &str, name: &Sp<String>, known: impl Iterator<Item = &'a str>) -> Diagnostic {
    let known: Vec<&str> = known.collect();
    let help = match crate::suggest::closest(&name.value, known.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("the spec's {what}s are: {}", known.join(", ")),
    };
    let code = match what {
        "job" => code::OVERLAY_UNKNOWN_JOB,
        "receiver" => code::OVERLAY_UNKNOWN_RECEIVER,
        _ => code::OVERLAY_UNKNOWN_ALERT,
    };
    Diagnostic::error(
        code,
        name.loc,
        format!("the overlay changes {what} `{}`, which the spec does not define", name.value),
    )
    .with_help(help)
}

/// Expands `${VAR}` and `${VAR:-default}`; the error is the first unset variable's name.
pub fn expand(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            // No closing brace: not a reference; keep the text as written.
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let inner = &after[..end];
        let (var, default) = match inner.split_once(":-") {
            Some((v, d)) => (v, Some(d)),
            None => (inner, None),
        };
        match (env(var).filter(|v| !v.is_empty()), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => return Err(var.to_owned()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn expands_variables_and_defaults() {
        let env = |k: &str| (k == "PORT").then(|| "5123".to_owned());
        assert_eq!(expand("127.0.0.1:${PORT}", &env), Ok("127.0.0.1:5123".to_owned()));
        assert_eq!(expand("h:${NOPE:-80}/${PORT}", &env), Ok("h:80/5123".to_owned()));
        assert_eq!(expand("h:${NOPE}", &env), Err("NOPE".to_owned()));
        assert_eq!(expand("plain $x ${unclosed", &env), Ok("plain $x ${unclosed".to_owned()));
    }
}
