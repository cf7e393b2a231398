//! `avctl validate` fixtures: each file under `fixtures/validate/` is loaded on top of the
//! lint-clean base spec in `fixtures/vbase/` and must report exactly the codes and positions its
//! `# expect:` lines list (suppressed findings marked `(suppressed)`); rendered diagnostics are
//! snapshot-tested. Also: every diagnostic code has a fixture (here or in avspec) and an
//! explanation, and the output formats are snapshot-tested.

use crate::common::*;
use avspec::{Format, diag, load_texts};
use std::path::Path;

const SINGLETONS: [&str; 4] = ["project", "prometheus", "stack", "alertmanager"];

fn files_for(path: &Path) -> (String, Vec<(String, String)>) {
    let text = std::fs::read_to_string(path).expect("fixture");
    let base = repo().join("avctl/tests/fixtures/vbase");
    let mut files = Vec::new();
    for name in ["project", "prometheus", "stack", "alertmanager", "rest"] {
        if !(SINGLETONS.contains(&name) && text.lines().any(|l| l.starts_with(&format!("{name}:")))) {
            files.push((
                format!("vbase/{name}.yaml"),
                std::fs::read_to_string(base.join(format!("{name}.yaml"))).expect("base"),
            ));
        }
    }
    let shown = format!("fixtures/{}", path.file_name().expect("name").to_string_lossy());
    files.push((shown.clone(), text));
    (shown, files)
}

fn run(path: &Path, format: Format) -> (String, Vec<(String, u32, u32)>) {
    let (shown, files) = files_for(path);
    let loaded = load_texts(&files);
    let diags = avctl::cmd::check_loaded(&loaded, Some(&grafana_schemas()));
    let got = diags
        .iter()
        .map(|d| {
            let code =
                if d.suppressed.is_some() { format!("{}(suppressed)", d.code) } else { d.code.to_string() };
            if loaded.sources.path(d.loc.file) == shown {
                (code, d.loc.line, d.loc.column)
            } else {
                (code, 0, 0)
            }
        })
        .collect();
    (diag::render(&diags, &loaded.sources, format), got)
}

use avspec::testing::expectations;

#[test]
fn the_base_spec_is_clean() {
    let base = repo().join("avctl/tests/fixtures/vbase");
    let loaded = avspec::load_dir(&base);
    let diags = avctl::cmd::check_loaded(&loaded, Some(&grafana_schemas()));
    assert!(diags.is_empty(), "{}", diag::render(&diags, &loaded.sources, Format::Text));
}

#[test]
fn the_autovoice_spec_validates_without_errors_or_warnings() {
    let loaded = avspec::load_dir(&repo().join("specs"));
    let diags = avctl::cmd::check_loaded(&loaded, Some(&grafana_schemas()));
    let serious: Vec<_> = diags
        .into_iter()
        .filter(|d| d.severity >= avspec::Severity::Warning && d.suppressed.is_none())
        .collect();
    assert!(serious.is_empty(), "{}", diag::render(&serious, &loaded.sources, Format::Text));
}

#[test]
fn every_fixture_reports_exactly_its_expected_findings() {
    insta::glob!("../fixtures", "validate/*.yaml", |path| {
        let expected = expectations(&std::fs::read_to_string(path).expect("fixture"));
        assert!(!expected.is_empty(), "{} has no `# expect:` line", path.display());
        let (rendered, got) = run(path, Format::Text);
        assert_eq!(got, expected, "{}:\n{rendered}", path.display());
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn json_and_github_formats() {
    let path = repo().join("avctl/tests/fixtures/validate/label-value-typo.yaml");
    insta::assert_snapshot!("format_json", run(&path, Format::Json).0);
    insta::assert_snapshot!("format_github", run(&path, Format::Github).0);
}

/// Codes no spec can trigger: I/O failures, and schema violations of output the generator
/// builds correct by construction (covered by `grafana_checker_reports_broken_dashboards`).
// Covered by their own tests: a filesystem failure, checks of generated JSON, and missing
// schemas (real_tools.rs: `missing_schemas_are_a_warning_that_says_how_to_get_them`).
const EXEMPT: [&str; 4] =
    ["spec/io", "grafana/schema", "grafana/unknown-panel-type", "grafana/schemas-missing"];

#[test]
fn every_code_has_a_fixture_and_an_explanation() {
    let mut covered = std::collections::BTreeSet::new();
    for dir in [
        "avspec/tests/fixtures/spec",
        "avctl/tests/fixtures/validate",
        "avctl/tests/fixtures/overlay",
        "avctl/tests/fixtures/live",
    ] {
        for e in std::fs::read_dir(repo().join(dir)).expect("fixtures") {
            let text = std::fs::read_to_string(e.expect("entry").path()).expect("fixture");
            covered.extend(expectations(&text).into_iter().map(|(c, _, _)| c.replace("(suppressed)", "")));
        }
    }
    let mut missing = Vec::new();
    for info in avspec::check::CODES {
        assert!(!info.summary.is_empty() && !info.why.is_empty(), "{} has no explanation", info.code);
        if !covered.contains(info.code.as_str()) && !EXEMPT.contains(&info.code.as_str()) {
            missing.push(info.code);
        }
        let o = avctl(&["validate", "--explain", info.code.as_str()], &repo());
        assert!(o.status.success() && text(&o).contains(info.why), "--explain {}", info.code);
    }
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
    for c in &covered {
        assert!(avspec::check::explain(c).is_some(), "fixture expects unregistered code {c}");
    }
}

#[test]
fn explain_rejects_unknown_codes_with_a_suggestion() {
    let o = avctl(&["validate", "--explain", "promql/unknown-metrc"], &repo());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("did you mean `promql/unknown-metric`?"), "{}", text(&o));
}

#[test]
fn exit_codes_follow_severity_and_deny_warnings() {
    let spec = tempdir();
    copy_tree(&repo().join("avctl/tests/fixtures/vbase"), spec.path());
    let dir = spec.path().to_str().expect("utf8");
    assert_eq!(avctl(&["--spec", dir, "validate"], &repo()).status.code(), Some(0));
    std::fs::copy(
        repo().join("avctl/tests/fixtures/validate/unused-metric.yaml"),
        spec.path().join("extra.yaml"),
    )
    .expect("copy");
    assert_eq!(avctl(&["--spec", dir, "validate"], &repo()).status.code(), Some(0), "warnings alone pass");
    assert_eq!(avctl(&["--spec", dir, "validate", "--deny-warnings"], &repo()).status.code(), Some(1));
    std::fs::copy(
        repo().join("avctl/tests/fixtures/validate/label-value-typo.yaml"),
        spec.path().join("extra.yaml"),
    )
    .expect("copy");
    assert_eq!(avctl(&["--spec", dir, "validate"], &repo()).status.code(), Some(1));
    assert_eq!(avctl(&["--spec", "/nonexistent", "validate"], &repo()).status.code(), Some(2));
}

#[test]
fn grafana_checker_reports_broken_dashboards() {
    let schemas = avctl::grafana_check::GrafanaSchemas::load(&grafana_schemas()).expect("schemas");
    let dash = serde_json::json!({
        "schemaVersion": 39, "templating": {"list": []}, "annotations": {"list": []},
        "panels": [
            {"type": "gauge", "id": 1, "options": {"sizing": "huge"}, "fieldConfig": {"defaults": {"unit": "seconds", "custom": {"x": 1}}, "overrides": []}},
            {"type": "piechartz", "id": 2}
        ]
    });
    let found: Vec<_> =
        schemas.check("broken.json", &dash).into_iter().map(|d| (d.code, d.message)).collect();
    let has = |code: &str, part: &str| found.iter().any(|(c, m)| *c == code && m.contains(part));
    assert!(has("grafana/schema", "/panels/0/options"), "{found:#?}");
    assert!(has("grafana/schema", "take no custom field config"), "{found:#?}");
    assert!(has("grafana/unknown-unit", "`seconds`"), "{found:#?}");
    assert!(has("grafana/unknown-panel-type", "`piechartz`"), "{found:#?}");
}

/// Prints every fixture's findings; run with `--ignored --nocapture` when writing a fixture.
#[test]
#[ignore = "helper for writing fixtures"]
fn show_fixture_findings() {
    let mut paths: Vec<_> = std::fs::read_dir(repo().join("avctl/tests/fixtures/validate"))
        .expect("dir")
        .map(|e| e.expect("e").path())
        .collect();
    paths.sort();
    for p in paths {
        let (rendered, got) = run(&p, Format::Text);
        println!("=== {}\n{got:?}\n{rendered}", p.display());
    }
}

#[test]
fn stated_receivers_without_routing_are_an_error_at_the_alert() {
    let base = repo().join("avctl/tests/fixtures/vbase");
    let mut files: Vec<(String, String)> = ["project", "prometheus", "stack", "rest"]
        .iter()
        .map(|n| {
            (
                format!("vbase/{n}.yaml"),
                std::fs::read_to_string(base.join(format!("{n}.yaml"))).expect("base"),
            )
        })
        .collect();
    let alert = "alerts:\n  - name: Busy\n    group: g\n    expr: 'max(web_utilization_percent) > 90'\n    for: 5m\n    severity: warning\n    receivers: [tickets]\n    summary: S\n    description: D\n    runbook: {meaning: M.}\n";
    files.push(("fixtures/unrouted.yaml".to_owned(), alert.to_owned()));
    let loaded = load_texts(&files);
    let diags = avctl::cmd::check_loaded(&loaded, Some(&grafana_schemas()));
    let got: Vec<_> = diags
        .iter()
        .filter(|d| loaded.sources.path(d.loc.file) == "fixtures/unrouted.yaml")
        .map(|d| (d.code.to_string(), d.loc.line, d.loc.column))
        .collect();
    assert_eq!(
        got,
        [("routing/unknown-receiver".to_owned(), 7, 17)],
        "{}",
        diag::render(&diags, &loaded.sources, Format::Text)
    );
}
