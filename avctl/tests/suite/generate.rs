//! `avctl generate`: snapshots of every output, determinism, `--check`, atomicity, and a new
//! metric and alert flowing into every output they belong in.

use crate::common::*;

fn mini_spec() -> std::path::PathBuf {
    repo().join("avctl/tests/fixtures/mini")
}

fn generate_into(spec: &std::path::Path, out: &std::path::Path) -> String {
    let o = avctl(
        &["--spec", spec.to_str().expect("utf8"), "generate", "--out", out.to_str().expect("utf8")],
        out,
    );
    assert!(o.status.success(), "{}", text(&o));
    text(&o)
}

#[test]
fn every_output_file_matches_its_snapshot() {
    let out = tempdir();
    let log = generate_into(&mini_spec(), out.path());
    assert!(log.contains("13 files: 13 written, 0 unchanged, 0 removed"), "{log}");
    for (path, contents) in snapshot_tree(out.path()) {
        if path.ends_with("spec.schema.json") {
            continue; // kept current by schema_is_current
        }
        // The test-cache stamp hashes the synthesizer's sources; it is covered by its own tests.
        let contents: String = contents
            .lines()
            .map(|l| if l.starts_with("# avctl-test-inputs: ") { "# avctl-test-inputs: [stamp]" } else { l })
            .map(|l| format!("{l}\n"))
            .collect();
        insta::assert_snapshot!(path.replace('/', "__"), contents);
    }
}

#[test]
fn output_is_deterministic_and_rerun_changes_nothing() {
    let (a, b) = (tempdir(), tempdir());
    generate_into(&mini_spec(), a.path());
    generate_into(&mini_spec(), b.path());
    assert_eq!(snapshot_tree(a.path()), snapshot_tree(b.path()));
    let again = generate_into(&mini_spec(), a.path());
    assert!(again.contains("0 written, 13 unchanged"), "{again}");
}

#[test]
fn committed_output_is_current() {
    let o = avctl(&["generate", "--check", "--no-cache"], &repo());
    assert!(o.status.success(), "generated/ drifted from specs/:\n{}", text(&o));
}

/// Rewrites a test file's body and re-stamps it as if avctl had written it, so only
/// `--no-cache` can tell.
fn forge_test_file(path: &std::path::Path) {
    use sha2::Digest;
    let text = std::fs::read_to_string(path).expect("read");
    let mut lines = text.splitn(3, '\n');
    let (header, mark, body) = (lines.next().expect("h"), lines.next().expect("m"), lines.next().expect("b"));
    let body = body.replacen("rule_files:", "rule_files: # forged\n", 1).replace("# forged\n", "");
    let body = format!("{body}# an extra comment\n");
    let mut h = sha2::Sha256::new();
    h.update((body.len() as u64).to_le_bytes());
    h.update(body.as_bytes());
    let sha: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let (keep, _) = mark.rsplit_once(" body=").expect("stamp");
    std::fs::write(path, format!("{header}\n{keep} body={sha}\n{body}")).expect("write");
}

#[test]
fn unit_tests_are_reused_only_while_current_and_no_cache_resynthesizes() {
    let out = tempdir();
    generate_into(&mini_spec(), out.path());
    let file = out.path().join("generated/prometheus/tests/mini.test.yml");
    let spec = mini_spec();
    let spec = spec.to_str().expect("utf8");
    let dir = out.path().to_str().expect("utf8");
    // A hand edit (body no longer matches its stamp) is drift even with the cache.
    let original = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, original.replace("rule_files:", "rule_files: # edited\n  ").as_str())
        .expect("edit");
    let o = avctl(&["--spec", spec, "generate", "--out", dir, "--check"], out.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("differs: generated/prometheus/tests/mini.test.yml"), "{}", text(&o));
    std::fs::write(&file, &original).expect("restore");
    // A consistently re-stamped file is trusted by the cache; --no-cache synthesizes and sees it.
    forge_test_file(&file);
    let o = avctl(&["--spec", spec, "generate", "--out", dir, "--check"], out.path());
    assert_eq!(o.status.code(), Some(0), "the cache reuses stamped files: {}", text(&o));
    let o = avctl(&["--spec", spec, "generate", "--out", dir, "--check", "--no-cache"], out.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // A changed alert changes the key: the tests are synthesized again and the forged file goes.
    let copy = tempdir();
    copy_tree(&mini_spec(), copy.path());
    let path = copy.path().join("spec.yaml");
    let text = std::fs::read_to_string(&path).expect("spec");
    std::fs::write(&path, text.replace("Mini is down", "Mini is unreachable")).expect("write");
    generate_into(copy.path(), out.path());
    let now = std::fs::read_to_string(&file).expect("read");
    assert!(!now.contains("# an extra comment") && now.contains("Mini is unreachable"), "{now}");
}

#[test]
fn schema_is_current() {
    let committed = std::fs::read_to_string(repo().join("generated/spec.schema.json")).expect("schema");
    let o = avctl(&["schema"], &repo());
    assert_eq!(String::from_utf8_lossy(&o.stdout), committed);
}

#[test]
fn check_lists_drift_with_a_diff_and_writes_nothing() {
    let out = tempdir();
    generate_into(&mini_spec(), out.path());
    let rules = out.path().join("generated/prometheus/rules/mini.yml");
    let edited = std::fs::read_to_string(&rules).expect("rules").replace("for: 2m", "for: 9m");
    std::fs::write(&rules, &edited).expect("edit");
    std::fs::remove_file(out.path().join("generated/docs/runbook.md")).expect("rm");
    std::fs::write(out.path().join("generated/old.yml"), "stale").expect("stale");
    let spec = mini_spec();
    let o = avctl(&["--spec", spec.to_str().expect("utf8"), "generate", "--check", "--out", "."], out.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let log = text(&o);
    assert!(log.contains("differs: generated/prometheus/rules/mini.yml"), "{log}");
    assert!(log.contains("-    for: 9m\n+    for: 2m"), "{log}");
    assert!(log.contains("missing: generated/docs/runbook.md"), "{log}");
    assert!(log.contains("stale:   generated/old.yml"), "{log}");
    assert!(log.contains("3 of 13 files differ"), "{log}");
    assert_eq!(std::fs::read_to_string(&rules).expect("rules"), edited, "--check must not write");
}

#[test]
fn a_spec_with_errors_generates_nothing_and_keeps_the_old_output() {
    let out = tempdir();
    generate_into(&mini_spec(), out.path());
    let before = snapshot_tree(out.path());
    let spec = tempdir();
    copy_tree(&mini_spec(), spec.path());
    let file = spec.path().join("spec.yaml");
    let broken = std::fs::read_to_string(&file).expect("spec").replace("for: 2m", "for: 2 minutes");
    std::fs::write(&file, broken).expect("write");
    let o = avctl(&["--spec", spec.path().to_str().expect("utf8"), "generate", "--out", "."], out.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("spec/invalid-duration"), "{}", text(&o));
    assert!(text(&o).contains("nothing was generated"));
    assert_eq!(snapshot_tree(out.path()), before);
}

#[test]
fn a_new_metric_and_alert_appear_in_every_output_they_belong_in() {
    let spec = tempdir();
    copy_tree(&repo().join("specs"), spec.path());
    std::fs::write(
        spec.path().join("extra.yaml"),
        r#"
sources:
  - name: extra
    kind: application
    description: Added by the test.
    metrics:
      - {name: autovoice_cache_hits_total, type: counter, help: Cache hits., unit: count, labels: [success]}
alerts:
  - name: CacheCold
    group: autovoice-cache
    expr: sum(rate(autovoice_cache_hits_total[5m])) == 0
    for: 15m
    severity: warning
    summary: Cache is cold
    description: No cache hits for 15 minutes.
    runbook: {meaning: The synthesis cache is not being hit.}
dashboards:
  - uid: autovoice-cache
    title: Cache
    rows:
      - title: Cache
        panels:
          - {id: cache-hits, title: Hits, type: timeseries, queries: [{expr: "sum(rate(autovoice_cache_hits_total[$__rate_interval]))"}]}
"#,
    )
    .expect("extra spec");
    let out = tempdir();
    generate_into(spec.path(), out.path());
    let read = |p: &str| std::fs::read_to_string(out.path().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let rules = read("generated/prometheus/rules/autovoice-cache.yml");
    assert!(rules.contains("alert: CacheCold") && rules.contains("runbook.md#cachecold"), "{rules}");
    assert!(read("generated/prometheus/prometheus.yml").contains("rules/autovoice-cache.yml"));
    assert!(read("generated/grafana/dashboards/autovoice-cache.json").contains("autovoice_cache_hits_total"));
    let reference = read("generated/docs/metrics-reference.md");
    assert!(reference.contains("### `autovoice_cache_hits_total`"), "{reference}");
    assert!(reference.contains("alerts: [CacheCold](runbook.md#cachecold)"), "{reference}");
    assert!(reference.contains("panels: `autovoice-cache/cache-hits`"), "{reference}");
    assert!(read("generated/docs/runbook.md").contains("<a id=\"cachecold\"></a>\n## CacheCold"));
}

/// Runs `generate` for the mini spec into `out` with templates from `dir`.
fn generate_with_templates(out: &std::path::Path, dir: &std::path::Path) -> std::process::Output {
    let spec = mini_spec();
    let args = [
        "--spec",
        spec.to_str().expect("utf8"),
        "generate",
        "--out",
        ".",
        "--templates",
        dir.to_str().expect("utf8"),
    ];
    avctl(&args, out)
}

#[test]
fn templates_can_be_overridden() {
    let templates = tempdir();
    std::fs::write(templates.path().join("runbook.md.hbs"), "custom {{#each alerts}}[{{name}}]{{/each}}\n")
        .expect("tpl");
    let out = tempdir();
    let o = generate_with_templates(out.path(), templates.path());
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(out.path().join("generated/docs/runbook.md")).expect("runbook"),
        "custom [MiniDown][ErrorsBurnRatePage1h][ErrorsBurnRatePage6h][ErrorsBurnRateTicket1d][ErrorsBurnRateTicket3d]\n"
    );
    let bad = tempdir();
    std::fs::write(bad.path().join("runbook.md.hbs"), "{{#each alerts}}{{nonexistent}}{{/each}}")
        .expect("tpl");
    let o = generate_with_templates(out.path(), bad.path());
    assert_eq!(o.status.code(), Some(2), "strict templates must reject unknown fields: {}", text(&o));
}

#[test]
fn a_spec_without_a_stack_generates_no_compose_file_and_removes_a_generated_one() {
    let out = tempdir();
    let full = repo().join("specs");
    generate_into(&full, out.path());
    assert!(out.path().join("docker-compose.yml").exists());
    // A Kubernetes-only user: the same spec without `stack:`.
    let spec = tempdir();
    copy_tree(&full, spec.path());
    std::fs::remove_file(spec.path().join("stack.yaml")).expect("rm stack");
    let log = generate_into(spec.path(), out.path());
    assert!(log.contains("removed docker-compose.yml"), "{log}");
    assert!(!out.path().join("docker-compose.yml").exists());
    assert!(out.path().join("generated/kubernetes/base/kustomization.yaml").exists());
    // A compose file the user wrote is theirs: never removed.
    std::fs::write(out.path().join("docker-compose.yml"), "services: {}\n").expect("write");
    let log = generate_into(spec.path(), out.path());
    assert!(log.contains("0 removed"), "{log}");
    assert!(out.path().join("docker-compose.yml").exists());
}

#[test]
fn a_service_missing_its_image_is_reported_at_the_service_not_its_last_key() {
    let spec = tempdir();
    let original = std::fs::read_to_string(mini_spec().join("spec.yaml")).expect("mini");
    let broken = original.replace("      image: \"mini:1\"\n", "");
    assert_ne!(broken, original);
    std::fs::write(spec.path().join("spec.yaml"), &broken).expect("write");
    let o = avctl(&["--spec", spec.path().to_str().expect("utf8"), "validate"], spec.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let line = broken.lines().position(|l| l == "    - name: mini").expect("service") + 1;
    let at = format!("spec.yaml:{line}:7");
    assert!(
        text(&o).contains(&at) && text(&o).contains("missing required key `image`"),
        "{at}?\n{}",
        text(&o)
    );
}
