//! Per-cluster SLO rules under a real promtool 2.42: with `cluster_label` set, two clusters'
//! series in one store (as in Thanos or Mimir) get their own error ratios, and only the
//! burning cluster pages; without it the same series merge into one unlabelled ratio, so the
//! same test fails.

use crate::common::*;
use std::process::Command;

/// Cluster `a` fails half its requests, cluster `b` none; both serve one request a second.
const TEST: &str = r#"rule_files: [slo-errors.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - {series: 'mini_requests_total{cluster="a", job="mini", instance="m:1", outcome="failed"}', values: '0+30x60'}
      - {series: 'mini_requests_total{cluster="a", job="mini", instance="m:1", outcome="ok"}', values: '0+30x60'}
      - {series: 'mini_requests_total{cluster="b", job="mini", instance="m:1", outcome="failed"}', values: '0+0x60'}
      - {series: 'mini_requests_total{cluster="b", job="mini", instance="m:1", outcome="ok"}', values: '0+60x60'}
    promql_expr_test:
      - expr: slo:sli_error:ratio_rate5m
        eval_time: 30m
        exp_samples:
          - {labels: 'slo:sli_error:ratio_rate5m{cluster="a", slo="errors"}', value: 0.5}
          - {labels: 'slo:sli_error:ratio_rate5m{cluster="b", slo="errors"}', value: 0}
    alert_rule_test:
      - alertname: ErrorsBurnRatePage1h
        eval_time: 30m
        exp_alerts:
          - exp_labels: {burnrate_tier: page-1h, severity: critical, slo: errors, cluster: a}
            exp_annotations:
              summary: "SLO errors: error budget burning 14.4x too fast"
              description: "Requests that succeed. The error ratio over both 1h and 5m exceeds 14.4x the 1% error budget (objective 99% over 28d)."
              runbook_url: https://example.invalid/runbook.md#errorsburnratepage1h
"#;

fn promtool_on_mini(cluster_label: bool) -> std::process::Output {
    let promtool = tool("promtool").expect("promtool");
    let spec = tempdir();
    let mini = std::fs::read_to_string(repo().join("avctl/tests/fixtures/mini/spec.yaml")).expect("mini");
    let line = "  alertmanagers: [\"alertmanager:9093\"]\n";
    assert!(mini.contains(line));
    let text =
        if cluster_label { mini.replace(line, &format!("{line}  cluster_label: cluster\n")) } else { mini };
    std::fs::write(spec.path().join("spec.yaml"), text).expect("write");
    let out = tempdir();
    let o = avctl(&["--spec", spec.path().to_str().expect("utf8"), "generate", "--out", "."], out.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rules = out.path().join("generated/prometheus/rules");
    std::fs::write(rules.join("clusters.test.yml"), TEST).expect("test file");
    Command::new(promtool)
        .args(["test", "rules", "clusters.test.yml"])
        .current_dir(&rules)
        .output()
        .expect("promtool")
}

#[test]
fn each_cluster_keeps_its_own_error_ratio_and_only_the_burning_one_pages() {
    let Some(_) = tool("promtool") else { return };
    let o = promtool_on_mini(true);
    assert!(o.status.success(), "{}", text(&o));
    // The control: without the cluster label the clusters merge and the test cannot pass.
    let merged = promtool_on_mini(false);
    assert!(!merged.status.success(), "{}", text(&merged));
    assert!(text(&merged).contains("slo:sli_error:ratio_rate5m"), "{}", text(&merged));
}
