//! Checks of how scrape jobs reach their targets: one kind of credentials per job, TLS
//! settings only where the scheme is https, a client certificate with its key, and nothing
//! the Kubernetes ServiceMonitor cannot carry.

use super::Findings;
use crate::codes::code;
use crate::diag::Diagnostic;
use crate::model::{ScrapeJob, ScrapeScheme, SourceKind, Spec};
use crate::span::Loc;

fn invalid(f: &mut Findings, loc: Loc, message: String, help: &str) {
    f.push(Diagnostic::error(code::SPEC_INVALID_VALUE, loc, message).with_help(help.to_owned()));
}

fn job(j: &ScrapeJob, f: &mut Findings) {
    let a = &j.access;
    let name = &j.name.value;
    if let (Some(_), Some(basic)) = (&a.bearer_token_file, &a.basic_auth) {
        invalid(
            f,
            basic.username.loc,
            format!("job `{name}` sets both `bearer_token_file` and `basic_auth`"),
            "Prometheus sends one Authorization header: keep one of them",
        );
    }
    if let Some(tls) = &a.tls {
        if a.scheme() == ScrapeScheme::Http {
            let loc = a.scheme.as_ref().map_or(j.name.loc, |s| s.loc);
            invalid(
                f,
                loc,
                format!("job `{name}` has TLS settings but scrapes over plain http"),
                "set `scheme: https` under `access`, or drop `tls`",
            );
        }
        match (&tls.cert_file, &tls.key_file) {
            (Some(c), None) => invalid(
                f,
                c.loc,
                format!("job `{name}` has a client `cert_file` without its `key_file`"),
                "a client certificate is presented with its private key: add `key_file`",
            ),
            (None, Some(k)) => invalid(
                f,
                k.loc,
                format!("job `{name}` has a `key_file` without the client `cert_file`"),
                "add `cert_file`, or drop `key_file`",
            ),
            _ => {}
        }
    }
    for (field, path) in [
        ("bearer_token_file", a.bearer_token_file.as_ref()),
        ("password_file", a.basic_auth.as_ref().map(|b| &b.password_file)),
        ("ca_file", a.tls.as_ref().and_then(|t| t.ca_file.as_ref())),
        ("cert_file", a.tls.as_ref().and_then(|t| t.cert_file.as_ref())),
        ("key_file", a.tls.as_ref().and_then(|t| t.key_file.as_ref())),
    ] {
        if let Some(p) = path
            && p.value.trim().is_empty()
        {
            invalid(
                f,
                p.loc,
                format!("job `{name}`: `{field}` is empty"),
                "give the file's path where Prometheus runs",
            );
        }
    }
}

pub(super) fn check(spec: &Spec, f: &mut Findings) {
    for j in &spec.prometheus.jobs {
        job(j, f);
    }
    // The Prometheus Operator takes scrape credentials from Secrets, not files: until the
    // generated ServiceMonitor carries them, a job that needs them cannot be deployed there.
    if spec.kubernetes.is_some() {
        let apps: Vec<&str> = spec
            .sources
            .iter()
            .filter(|s| s.kind.value == SourceKind::Application)
            .map(|s| s.name.value.as_str())
            .collect();
        for j in spec.prometheus.jobs.iter().filter(|j| apps.contains(&j.source.value.as_str())) {
            if !j.access.is_plain() {
                invalid(
                    f,
                    j.name.loc,
                    format!(
                        "job `{}` needs scrape credentials or TLS, which the generated ServiceMonitor does not carry",
                        j.name.value
                    ),
                    "scrape the application over plain http inside the cluster, or deploy without `kubernetes:`",
                );
            }
        }
    }
}
