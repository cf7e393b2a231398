//! The generated stack checked by the real tools: promtool 2.42, amtool 0.25, docker-compose
//! 1.29, the compose-spec JSON Schema, and Grafana's dashboard JSON Schemas.

use crate::common::*;
use std::process::Command;

fn generated() -> tempfile::TempDir {
    let out = tempdir();
    let spec = repo().join("specs");
    let o = avctl(&["--spec", spec.to_str().expect("utf8"), "generate", "--out", "."], out.path());
    assert!(o.status.success(), "{}", text(&o));
    out
}

#[test]
fn promtool_accepts_the_config_and_every_rule_file() {
    let Some(promtool) = tool("promtool") else { return };
    let out = generated();
    let prom = out.path().join("generated/prometheus");
    let o = Command::new(&promtool)
        .args(["check", "config", "prometheus.yml"])
        .current_dir(&prom)
        .output()
        .expect("promtool");
    assert!(o.status.success(), "{}", text(&o));
    let rules: Vec<_> =
        std::fs::read_dir(prom.join("rules")).expect("rules").map(|e| e.expect("e").path()).collect();
    // Every generated rule file is referenced by the config (one per rule group).
    let found = format!("SUCCESS: {} rule files found", rules.len());
    assert!(rules.len() >= 11 && text(&o).contains(&found), "{found}?\n{}", text(&o));
    let o = Command::new(&promtool).args(["check", "rules"]).args(&rules).output().expect("promtool");
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn promtool_rejects_a_broken_rule_so_the_check_can_fail() {
    let Some(promtool) = tool("promtool") else { return };
    let out = generated();
    let file = out.path().join("generated/prometheus/rules/autovoice-gpu.yml");
    let broken = std::fs::read_to_string(&file).expect("rules").replace("> 95", "> > 95");
    std::fs::write(&file, broken).expect("write");
    let o = Command::new(&promtool).args(["check", "rules"]).arg(&file).output().expect("promtool");
    assert!(!o.status.success());
}

#[test]
fn amtool_accepts_the_alertmanager_config_and_prometheus_points_at_it() {
    let Some(amtool) = tool("amtool") else { return };
    let out = generated();
    let file = out.path().join("generated/alertmanager/alertmanager.yml");
    let o = Command::new(&amtool).arg("check-config").arg(&file).output().expect("amtool");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("2 inhibit rules") && text(&o).contains("3 receivers"), "{}", text(&o));
    let prom = std::fs::read_to_string(out.path().join("generated/prometheus/prometheus.yml")).expect("yml");
    assert!(prom.contains("alerting:") && prom.contains("- alertmanager:9093"), "{prom}");
    let compose = std::fs::read_to_string(out.path().join("docker-compose.yml")).expect("compose");
    assert!(compose.contains("./generated/alertmanager:/etc/alertmanager:ro"), "{compose}");
    assert!(compose.contains("./secrets/alertmanager:/run/secrets/alertmanager:ro"), "{compose}");
    // The same check fails on a broken file, so it can fail.
    std::fs::write(
        &file,
        std::fs::read_to_string(&file).expect("read").replace("receiver: team-chat", "receiver: nobody"),
    )
    .expect("write");
    let o = Command::new(&amtool).arg("check-config").arg(&file).output().expect("amtool");
    assert!(!o.status.success(), "{}", text(&o));
}

#[test]
fn docker_compose_accepts_the_file_only_with_a_grafana_password() {
    let Some(compose) = tool("docker-compose") else { return };
    let out = generated();
    let run = |password: Option<&str>| {
        let mut c = Command::new(&compose);
        c.args([
            "-f",
            "docker-compose.yml",
            "--profile",
            "monitoring",
            "--profile",
            "system-metrics",
            "config",
            "-q",
        ])
        .current_dir(out.path())
        .env_remove("GRAFANA_ADMIN_PASSWORD");
        if let Some(p) = password {
            c.env("GRAFANA_ADMIN_PASSWORD", p);
        }
        c.output().expect("docker-compose")
    };
    let ok = run(Some("s3cret"));
    assert!(ok.status.success(), "{}", text(&ok));
    let refused = run(None);
    assert!(!refused.status.success(), "Grafana must not start without an admin password");
    assert!(text(&refused).contains("GRAFANA_ADMIN_PASSWORD"), "{}", text(&refused));
}

#[test]
fn compose_file_matches_the_compose_spec_schema() {
    let Some(checker) = tool("check-jsonschema") else { return };
    let out = generated();
    let o = Command::new(checker)
        .args(["--builtin-schema", "vendor.compose-spec", "docker-compose.yml"])
        .current_dir(out.path())
        .output()
        .expect("check-jsonschema");
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn compose_binds_ports_to_loopback_and_mounts_generated_config() {
    let out = generated();
    let compose = std::fs::read_to_string(out.path().join("docker-compose.yml")).expect("compose");
    for port in ["127.0.0.1:5000:5000", "127.0.0.1:9090:9090", "127.0.0.1:3000:3000"] {
        assert!(compose.contains(port), "{port} missing:\n{compose}");
    }
    assert!(!compose.contains("admin/admin") && !compose.contains(":-admin"));
    assert!(
        compose.contains("--storage.tsdb.retention.time=30d")
            && compose.contains("--storage.tsdb.retention.size=10GB")
    );
    assert!(compose.contains("./generated/prometheus:/etc/prometheus:ro"));
    assert!(compose.contains("./generated/grafana/dashboards:/var/lib/grafana/dashboards:ro"));
}

#[test]
fn dashboards_match_grafanas_json_schemas() {
    let schemas = grafana_schemas();
    assert!(
        schemas.join("dashboard.jsonschema.json").is_file(),
        "Grafana schemas not found at {}",
        schemas.display()
    );
    let o = avctl(&["validate", "--grafana-schemas", schemas.to_str().expect("utf8")], &repo());
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("0 errors"), "{}", text(&o));
}

#[test]
fn the_schemas_come_from_the_npm_registry_by_the_setup_script() {
    let script = std::fs::read_to_string(repo().join("scripts/grafana-schemas.sh")).expect("script");
    let version = avctl::grafana_check::SCHEMA_VERSION;
    assert!(script.contains(&format!("version={version} ")), "the script derives Grafana {version}");
    let compose = std::fs::read_to_string(repo().join("specs/stack.yaml")).expect("stack");
    assert!(compose.contains(&format!("grafana/grafana:{version}")), "the stack runs Grafana {version}");
    if std::env::var_os("AVCTL_GRAFANA_SCHEMAS").is_none() {
        let readme = std::fs::read_to_string(grafana_schemas().join("README")).expect("derived schemas");
        assert!(readme.contains(&format!("@grafana/schema@{version}")), "{readme}");
    }
}

#[test]
fn missing_schemas_are_a_warning_that_says_how_to_get_them() {
    let tmp = tempdir();
    let spec = tmp.path().join("specs");
    copy_tree(&repo().join("specs"), &spec);
    let dir = spec.to_str().expect("utf8");
    let o = avctl(&["--spec", dir, "validate"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "a warning alone passes: {}", text(&o));
    let log = text(&o);
    assert!(log.contains("warning[grafana/schemas-missing]: dashboards were not checked"), "{log}");
    assert!(log.contains("scripts/setup.sh"), "{log}");
    let o = avctl(&["--spec", dir, "validate", "--deny-warnings"], tmp.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // Schemas beside the spec, where setup puts them, are found without a flag.
    copy_tree(&grafana_schemas(), &avctl::grafana_check::default_dir(&spec));
    let o = avctl(&["--spec", dir, "validate", "--deny-warnings"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // A directory given explicitly must hold them.
    let o = avctl(&["--spec", dir, "--grafana-schemas", "/nonexistent", "validate"], tmp.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn schema_violations_and_unknown_units_are_reported_at_the_spec() {
    let spec = tempdir();
    copy_tree(&repo().join("specs"), spec.path());
    let file = spec.path().join("dashboards/overview.yaml");
    let edited = std::fs::read_to_string(&file).expect("overview").replacen("unit: reqps", "unit: reqs", 1);
    std::fs::write(&file, edited).expect("write");
    let schemas = grafana_schemas();
    let o = avctl(
        &[
            "--spec",
            spec.path().to_str().expect("utf8"),
            "--grafana-schemas",
            schemas.to_str().expect("utf8"),
            "validate",
        ],
        &repo(),
    );
    assert_eq!(o.status.code(), Some(1));
    let log = text(&o);
    assert!(log.contains("error[grafana/unknown-unit]: `reqs` is not a Grafana unit id"), "{log}");
    assert!(log.contains("dashboards/overview.yaml:"), "{log}");
    assert!(log.contains("did you mean `reqps`?"), "{log}");
}

/// The mini spec with its services' `container_name`s removed (compose treats them as optional).
fn mini_without_container_names() -> tempfile::TempDir {
    let spec = tempdir();
    let original = std::fs::read_to_string(repo().join("avctl/tests/fixtures/mini/spec.yaml")).expect("mini");
    let stripped: String = original
        .lines()
        .filter(|l| !l.trim_start().starts_with("container_name:"))
        .map(|l| {
            let mut l = l.to_owned();
            for name in ["prom", "graf"] {
                l = l.replace(&format!(" container_name: {name},"), "");
            }
            l + "\n"
        })
        .collect();
    assert!(!stripped.contains("container_name"), "{stripped}");
    std::fs::write(spec.path().join("spec.yaml"), stripped).expect("write");
    spec
}

#[test]
fn services_without_container_names_make_a_stack_docker_compose_accepts() {
    let Some(compose) = tool("docker-compose") else { return };
    let spec = mini_without_container_names();
    let out = tempdir();
    let o = avctl(&["--spec", spec.path().to_str().expect("utf8"), "generate", "--out", "."], out.path());
    assert!(o.status.success(), "{}", text(&o));
    let file = std::fs::read_to_string(out.path().join("docker-compose.yml")).expect("compose");
    assert!(!file.contains("container_name"), "{file}");
    let o = Command::new(&compose)
        .args(["-f", "docker-compose.yml", "--profile", "monitoring", "config", "--services"])
        .env("GRAFANA_ADMIN_PASSWORD", "s3cret")
        .current_dir(out.path())
        .output()
        .expect("docker-compose");
    assert!(o.status.success(), "{}", text(&o));
    let services: Vec<&str> = std::str::from_utf8(&o.stdout).expect("utf8").lines().collect();
    assert_eq!(services.len(), 3, "{services:?}");
}

/// The benchmarks' synthetic spec (`avctl synth`) as promtool sees it: every alert gets tests
/// and promtool passes them all. Its alerts mix counters, histograms and gauges with varied
/// thresholds, which found a rate whose last digits differed from Prometheus' (see
/// `promql::eval_tests::rates_round_like_prometheus_to_the_last_digit`).
#[test]
fn every_synthetic_alert_gets_tests_that_promtool_passes() {
    if tool("promtool").is_none() {
        return;
    }
    let dir = tempdir();
    let spec = dir.path().join("spec");
    let args = ["synth", "--out", "spec", "--metrics", "120", "--alerts", "60", "--dashboards", "1"];
    let o = avctl(&args, dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let o = avctl(&["--spec", spec.to_str().expect("utf8"), "test", "-q"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("60 alerts, 60 with generated tests (100% coverage), 50 test files, 0 failing"),
        "{}",
        text(&o)
    );
}
