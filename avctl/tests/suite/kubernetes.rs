//! The generated Kubernetes layout checked by the real tools: `kubectl kustomize` builds the
//! base and every overlay; core objects pass `kubernetes-validate --strict`; the Prometheus
//! Operator's objects pass its CRD models; the PrometheusRule holds exactly the generated rule
//! groups (and promtool accepts them); the dashboard ConfigMaps are byte-identical to
//! `generated/grafana/dashboards/`; and the `job` label the operator derives for the daemon's
//! targets is the scrape job the spec's queries use.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn k8s() -> PathBuf {
    repo().join("generated/kubernetes")
}

fn tool(rel: &str) -> PathBuf {
    let p = repo().join(rel);
    assert!(p.exists(), "{} is missing: run `bash scripts/setup.sh`", p.display());
    p
}

/// `kubectl kustomize DIR`, as objects.
fn built(dir: &Path) -> Vec<Value> {
    let out = Command::new("kubectl").arg("kustomize").arg(dir).output().expect("kubectl");
    assert!(
        out.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    serde_saphyr::from_str_multiple::<Value, Vec<Value>>(&text).expect("kustomize output parses")
}

fn overlays() -> Vec<PathBuf> {
    let mut dirs = vec![k8s().join("base")];
    let mut found: Vec<PathBuf> =
        std::fs::read_dir(k8s().join("overlays")).expect("overlays").flatten().map(|e| e.path()).collect();
    found.sort();
    assert!(!found.is_empty(), "at least one overlay");
    dirs.extend(found);
    dirs
}

fn kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

#[test]
fn every_overlay_builds_and_its_core_objects_pass_the_kubernetes_schemas_strictly() {
    let validate = tool(".tools/venv/bin/kubernetes-validate");
    for dir in overlays() {
        let objects = built(&dir);
        let core: Vec<&Value> = objects
            .iter()
            .filter(|o| {
                let api = o["apiVersion"].as_str().unwrap_or_default();
                !api.contains("coreos.com") && !api.contains("grafana.integreatly.org")
            })
            .collect();
        assert!(core.len() >= 6, "{}: {} core objects", dir.display(), core.len());
        let file = tempfile::NamedTempFile::new().expect("temp");
        let text: Vec<String> = core.iter().map(|o| serde_json::to_string(o).expect("json")).collect();
        std::fs::write(file.path(), text.join("\n---\n")).expect("write");
        // 1.30: the oldest release our probes, HPA v2 and PDB v1 all need, and still supported.
        let out = Command::new(&validate)
            .args(["--strict", "-k", "1.30.0"])
            .arg(file.path())
            .output()
            .expect("run");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && !said.contains("ERROR"),
            "{}: {said}{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(said.matches(" passed for resource ").count(), core.len(), "{said}");
    }
    // Strict means strict: a field the schema does not have is refused.
    let file = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(
        file.path(),
        "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {bogus: 1, ports: [{port: 80}]}\n",
    )
    .expect("write");
    let out =
        Command::new(&validate).args(["--strict", "-k", "1.30.0"]).arg(file.path()).output().expect("run");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stdout).contains("'bogus' was unexpected"));
}

/// The operator's CRD models (tools/k8s-crds/validate.mjs) on a JSON array of objects.
fn crd_models(dir: &Path, json: &str) -> std::process::Output {
    let mut child = Command::new("node")
        .arg("validate.mjs")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), json.as_bytes()).expect("write");
    child.wait_with_output().expect("wait")
}

#[test]
fn the_operators_objects_pass_its_crd_models() {
    let dir = tool(".tools/k8s-crds");
    for overlay in overlays() {
        let objects = built(&overlay);
        let crds: Vec<&Value> = objects
            .iter()
            .filter(|o| {
                let api = &o["apiVersion"];
                api == "monitoring.coreos.com/v1" || api == "grafana.integreatly.org/v1beta1"
            })
            .collect();
        let dashboards = kind(&objects, "GrafanaDashboard").len();
        assert_eq!(crds.len(), 2 + dashboards, "a ServiceMonitor, a PrometheusRule, the GrafanaDashboards");
        assert_eq!(dashboards, kind(&objects, "ConfigMap").len(), "one GrafanaDashboard per dashboard");
        let out = crd_models(&dir, &serde_json::to_string(&crds).expect("json"));
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{said}");
        assert_eq!(said.matches(": valid").count(), crds.len(), "{said}");
    }
    // The models do refuse wrong objects (a numeric port name; a dashboard without its
    // instance selector), so a pass means something.
    let bad = r#"[{"apiVersion":"monitoring.coreos.com/v1","kind":"ServiceMonitor","metadata":{"name":"x"},"spec":{"selector":{},"endpoints":[{"port":5000}]}}]"#;
    let out = crd_models(&dir, bad);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stdout).contains("port must be string"));
    let bad = r#"[{"apiVersion":"grafana.integreatly.org/v1beta1","kind":"GrafanaDashboard","metadata":{"name":"x"},"spec":{"configMapRef":{"name":"x","key":"x.json"}}}]"#;
    let out = crd_models(&dir, bad);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && said.contains("instanceSelector"), "{said}");
}

#[test]
fn each_grafana_dashboard_loads_the_sidecar_config_map_of_its_dashboard() {
    let objects = built(&k8s().join("base"));
    let maps = kind(&objects, "ConfigMap");
    for d in kind(&objects, "GrafanaDashboard") {
        let r = &d["spec"]["configMapRef"];
        let map = maps
            .iter()
            .find(|m| m["metadata"]["name"] == r["name"])
            .unwrap_or_else(|| panic!("{d}: no ConfigMap {}", r["name"]));
        let key = r["key"].as_str().expect("key");
        assert!(map["data"].get(key).is_some(), "{d}: the ConfigMap has no key {key}");
        assert_eq!(d["metadata"]["namespace"], map["metadata"]["namespace"]);
        assert_eq!(d["spec"]["instanceSelector"]["matchLabels"]["dashboards"], "grafana");
        assert_eq!(d["spec"]["folder"], "AutoVoice");
    }
}

#[test]
fn the_prometheus_rule_holds_exactly_the_generated_rule_groups_and_promtool_accepts_them() {
    let objects = built(&k8s().join("base"));
    let rule = kind(&objects, "PrometheusRule");
    assert_eq!(rule.len(), 1);
    let groups = rule[0]["spec"]["groups"].as_array().expect("groups").clone();
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("generated/prometheus/rules"))
        .expect("rules")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut expected = Vec::new();
    for f in &files {
        let v: Value = serde_saphyr::from_str(&std::fs::read_to_string(f).expect("read")).expect("yaml");
        expected.extend(v["groups"].as_array().expect("groups").iter().cloned());
    }
    assert_eq!(groups, expected, "the PrometheusRule's groups are the rule files' groups, in order");
    let dir = tempfile::tempdir().expect("temp");
    let file = dir.path().join("rules.yml");
    std::fs::write(&file, serde_json::to_string(&serde_json::json!({ "groups": groups })).expect("json"))
        .expect("write");
    let out = Command::new("promtool").args(["check", "rules"]).arg(&file).output().expect("promtool");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    // The labels kube-prometheus-stack selects on.
    assert_eq!(rule[0]["metadata"]["labels"]["release"], "kube-prometheus-stack");
}

#[test]
fn the_dashboard_config_maps_are_byte_identical_to_the_generated_dashboards() {
    let objects = built(&k8s().join("base"));
    let maps = kind(&objects, "ConfigMap");
    let dir = repo().join("generated/grafana/dashboards");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("dashboards").flatten().map(|e| e.path()).collect();
    files.sort();
    assert_eq!(maps.len(), files.len());
    for f in files {
        let name = f.file_name().and_then(|n| n.to_str()).expect("name").to_owned();
        let map = maps
            .iter()
            .find(|m| m["data"].get(&name).is_some())
            .unwrap_or_else(|| panic!("no ConfigMap holds {name}"));
        assert_eq!(
            map["data"][&name].as_str(),
            Some(std::fs::read_to_string(&f).expect("read").as_str()),
            "{name}"
        );
        assert_eq!(map["metadata"]["labels"]["grafana_dashboard"], "1", "the sidecar's label");
    }
}

/// The `job` the Prometheus Operator gives a ServiceMonitor's targets: the value of the
/// Service label `spec.jobLabel` names when the Service has it, the Service's name otherwise
/// (prometheus-operator, pkg/prometheus/promcfg.go, generateServiceMonitorConfig).
fn operator_job(monitor: &Value, service: &Value) -> String {
    let label = monitor["spec"]["jobLabel"].as_str().unwrap_or_default();
    match service["metadata"]["labels"].get(label).and_then(Value::as_str) {
        Some(v) if !label.is_empty() => v.to_owned(),
        _ => service["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
    }
}

#[test]
fn the_job_the_operator_derives_is_the_scrape_job_the_queries_use() {
    let spec = avspec::load_dir(&repo().join("specs")).spec.expect("spec");
    let app: Vec<&str> = spec
        .sources
        .iter()
        .filter(|s| s.kind.value == avspec::SourceKind::Application)
        .map(|s| s.name.as_str())
        .collect();
    let job = spec
        .prometheus
        .jobs
        .iter()
        .find(|j| j.enabled.value && app.contains(&j.source.as_str()))
        .expect("the app's job");
    for dir in overlays() {
        let objects = built(&dir);
        let monitor = kind(&objects, "ServiceMonitor")[0];
        let selected: Vec<&Value> = kind(&objects, "Service")
            .into_iter()
            .filter(|s| {
                let want = monitor["spec"]["selector"]["matchLabels"].as_object().expect("matchLabels");
                want.iter().all(|(k, v)| &s["metadata"]["labels"][k] == v)
            })
            .collect();
        assert_eq!(selected.len(), 1, "the ServiceMonitor selects the daemon's Service only");
        assert_eq!(operator_job(monitor, selected[0]), job.name.value, "{}", dir.display());
        // The endpoint port is the Service's named port.
        let port = monitor["spec"]["endpoints"][0]["port"].as_str().expect("port");
        assert!(selected[0]["spec"]["ports"].as_array().expect("ports").iter().any(|p| p["name"] == port));
    }
    // Without the label the job would be the Service's name, which is not the spec's job.
    let monitor = serde_json::json!({"spec": {"jobLabel": "monitoring.autovoice.dev/job"}});
    let unlabeled = serde_json::json!({"metadata": {"name": "autovoice-svc", "labels": {}}});
    assert_eq!(operator_job(&monitor, &unlabeled), "autovoice-svc");
}

#[test]
fn the_gpu_overlay_asks_for_gpus_on_gpu_nodes_and_the_daemon_shuts_down_gracefully() {
    let objects = built(&k8s().join("overlays/gpu-production"));
    let d = kind(&objects, "Deployment")
        .into_iter()
        .find(|d| d["metadata"]["name"] == "autovoice")
        .expect("deployment");
    let pod = &d["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(c["resources"]["limits"]["nvidia.com/gpu"], "1");
    assert_eq!(pod["nodeSelector"]["nvidia.com/gpu.present"], "true");
    assert_eq!(pod["tolerations"][0]["key"], "nvidia.com/gpu");
    // The pre-stop pause plus the daemon's 60 s drain fit in the grace period.
    let grace = pod["terminationGracePeriodSeconds"].as_u64().expect("grace");
    assert!(grace >= 5 + 60, "{grace}");
    assert_eq!(c["lifecycle"]["preStop"]["exec"]["command"][0], "sleep");
    assert_eq!(c["startupProbe"]["httpGet"]["path"], "/ready");
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/health");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/ready");
    let hpa = kind(&objects, "HorizontalPodAutoscaler")[0];
    assert_eq!(hpa["spec"]["maxReplicas"], 12);
}
