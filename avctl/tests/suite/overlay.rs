//! Spec overlays (`--overlay FILE`): fixtures with exact findings, every field applied, the
//! committed environments (dev, e2e, system-metrics) valid and reflected in generated output.

use crate::common::*;
use avspec::testing::expectations;
use avspec::{Format, diag};
use std::path::Path;

fn base_files() -> Vec<(String, String)> {
    let base = repo().join("avctl/tests/fixtures/vbase");
    ["project", "prometheus", "stack", "alertmanager", "rest"]
        .iter()
        .map(|n| {
            let text = std::fs::read_to_string(base.join(format!("{n}.yaml"))).expect("base");
            (format!("vbase/{n}.yaml"), text)
        })
        .collect()
}

/// Loads the base spec, applies the overlay fixture (no environment variables set) and checks.
fn run(path: &Path) -> (avspec::Loaded, Vec<avspec::Diagnostic>, String) {
    let mut loaded = avspec::load_texts(&base_files());
    let shown = format!("overlays/{}", path.file_name().expect("name").to_string_lossy());
    let text = std::fs::read_to_string(path).expect("fixture");
    avspec::overlay::apply_text(&mut loaded, &shown, &text, &|_| None);
    let diags = avctl::cmd::check_loaded(&loaded, None);
    (loaded, diags, shown)
}

#[test]
fn every_overlay_fixture_reports_exactly_its_expected_findings() {
    insta::glob!("../fixtures", "overlay/*.yaml", |path| {
        let expected = expectations(&std::fs::read_to_string(path).expect("fixture"));
        let (loaded, diags, shown) = run(path);
        let got: Vec<(String, u32, u32)> = diags
            .iter()
            .map(|d| {
                let at = loaded.sources.path(d.loc.file) == shown;
                (d.code.to_string(), if at { d.loc.line } else { 0 }, if at { d.loc.column } else { 0 })
            })
            .collect();
        assert_eq!(got, expected, "{}", diag::render(&diags, &loaded.sources, Format::Text));
        insta::assert_snapshot!(diag::render(&diags, &loaded.sources, Format::Text));
    });
}

#[test]
fn an_overlay_replaces_exactly_the_fields_it_sets() {
    let (loaded, diags, _) = run(&repo().join("avctl/tests/fixtures/overlay/applies-cleanly.yaml"));
    assert!(diags.is_empty(), "{}", diag::render(&diags, &loaded.sources, Format::Text));
    let spec = loaded.spec.expect("spec");
    let p = &spec.prometheus;
    assert_eq!(p.scrape_interval.value.to_string(), "5s");
    assert_eq!(p.scrape_timeout.value.to_string(), "2s");
    assert_eq!(p.evaluation_interval.value.to_string(), "5s");
    assert_eq!(p.alertmanagers.iter().map(|a| a.value.as_str()).collect::<Vec<_>>(), ["127.0.0.1:9093"]);
    assert_eq!(p.jobs[0].targets[0].value, "127.0.0.1:8080");
    assert_eq!(p.jobs[0].interval.as_ref().map(|i| i.value.to_string()).as_deref(), Some("5s"));
    // Untouched: the retention and the job's source.
    assert_eq!(p.retention.time.value.to_string(), "7d");
    assert_eq!(p.jobs[0].source.value, "web");
    let am = spec.alertmanager.as_ref().expect("routing");
    assert_eq!(am.route.group_wait.as_ref().map(|d| d.value.to_string()).as_deref(), Some("1s"));
    let pager = &am.receivers[0];
    assert!(pager.webhook.is_some() && pager.pagerduty.is_none() && pager.pages(), "{pager:?}");
    // Untouched: the other receivers and the routes.
    assert!(am.receivers[1].webhook.is_some() && am.receivers[2].slack.is_some());
    assert_eq!(am.route.routes.len(), 2);
    let alert = &spec.alerts[0];
    assert_eq!(alert.severity.as_ref().map(|s| s.value.as_str()), Some("warning"));
    assert_eq!(alert.for_.as_ref().map(|f| f.value.to_string()).as_deref(), Some("1m"));
    assert_eq!(alert.expr.value, "up{job=\"web\"} == 0");
}

#[test]
fn the_committed_overlays_validate_cleanly() {
    for name in ["dev", "e2e", "system-metrics"] {
        let mut loaded = avspec::load_dir(&repo().join("specs"));
        let path = repo().join(format!("specs/overlays/{name}.yaml"));
        let text = std::fs::read_to_string(&path).expect("overlay");
        let env = |k: &str| k.starts_with("E2E_").then(|| "5999".to_owned());
        avspec::overlay::apply_text(&mut loaded, name, &text, &env);
        let diags = avctl::cmd::check_loaded(&loaded, Some(&grafana_schemas()));
        let serious: Vec<_> = diags.into_iter().filter(|d| d.severity >= avspec::Severity::Warning).collect();
        assert!(serious.is_empty(), "{name}: {}", diag::render(&serious, &loaded.sources, Format::Text));
    }
}

#[test]
fn generate_with_the_e2e_overlay_points_at_loopback_and_shortens_for() {
    let out = tempdir();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_avctl"))
        .args(["--overlay", "specs/overlays/e2e.yaml", "generate", "-q", "--out"])
        .arg(out.path())
        .current_dir(repo())
        .env_remove("AVCTL_SPEC")
        .env_remove("AVCTL_GRAFANA_SCHEMAS")
        .env("E2E_APP_PORT", "5101")
        .env("E2E_NOMODEL_PORT", "5102")
        .env("E2E_FAULTY_PORT", "5103")
        .env("E2E_PROMETHEUS_PORT", "5104")
        .env("E2E_ALERTMANAGER_PORT", "5105")
        .env("E2E_WEBHOOK_PORT", "5106")
        .output()
        .expect("run avctl");
    assert!(o.status.success(), "{}", text(&o));
    let prom = std::fs::read_to_string(out.path().join("generated/prometheus/prometheus.yml")).expect("yml");
    for t in ["127.0.0.1:5101", "127.0.0.1:5102", "127.0.0.1:5103", "127.0.0.1:5104", "scrape_interval: 1s"] {
        assert!(prom.contains(t), "{t} missing:\n{prom}");
    }
    assert!(prom.contains("alerting:") && prom.contains("127.0.0.1:5105"), "{prom}");
    assert!(!prom.contains("nvidia-exporter"), "{prom}");
    let am = std::fs::read_to_string(out.path().join("generated/alertmanager/alertmanager.yml")).expect("am");
    for t in ["url: http://127.0.0.1:5106/oncall-pager", "group_wait: 1s", "group_interval: 1s"] {
        assert!(am.contains(t), "{t} missing:\n{am}");
    }
    assert!(!am.contains("pagerduty") && !am.contains("slack"), "{am}");
    let rules =
        std::fs::read_to_string(out.path().join("generated/prometheus/rules/autovoice-availability.yml"))
            .expect("rules");
    assert!(rules.contains("alert: ModelNotLoaded") && rules.contains("for: 5s"), "{rules}");
    // The committed output is the base spec's: the overlay went only to --out.
    let o = avctl(&["generate", "--check", "-q"], &repo());
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn a_missing_overlay_file_cannot_run() {
    let o = avctl(&["--overlay", "specs/overlays/nope.yaml", "validate"], &repo());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot read overlay `specs/overlays/nope.yaml`"), "{}", text(&o));
}
