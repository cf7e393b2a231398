//! `generated/kubernetes/`: a kustomize base (the daemon's workload, Redis, and what the
//! Prometheus Operator and Grafana's sidecar pick up) and one overlay per
//! `kubernetes.overlays` entry. Only when the spec has a `kubernetes:` section.

pub mod app;
pub mod monitoring;
mod objects;

use super::{GENERATED, OutFile, yaml_header};
use avspec::Kubernetes;
use avspec::index::Index;
use objects::*;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where the base and overlays go, relative to the output root.
pub fn dir() -> PathBuf {
    PathBuf::from(GENERATED).join("kubernetes")
}

/// YAML documents of one file, each a typed object, under the generated-file header.
fn docs(parts: &[String]) -> String {
    format!("{}{}", yaml_header(), parts.join("---\n"))
}

fn doc<T: Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| format!("YAML serialization failed: {e}"))
}

/// The enabled scrape job of the application's metrics: the `job` every query, alert and
/// panel of the spec selects on.
pub fn app_job<'a>(index: &Index<'a>) -> Result<&'a avspec::ScrapeJob, String> {
    let spec = index.spec;
    let app_sources: Vec<&str> = spec
        .sources
        .iter()
        .filter(|s| s.kind.value == avspec::SourceKind::Application)
        .map(|s| s.name.as_str())
        .collect();
    spec.prometheus
        .jobs
        .iter()
        .find(|j| j.enabled.value && app_sources.contains(&j.source.as_str()))
        .ok_or_else(|| "kubernetes: no enabled scrape job reads the application's metrics".to_owned())
}

/// The inputs that other generators already made, carried over byte for byte.
pub struct Carried<'a, G: Serialize> {
    /// The rule groups of `generated/prometheus/rules/`.
    pub groups: &'a [G],
    /// Every file generated so far (the dashboards are taken from them).
    pub files: &'a [OutFile],
    /// The Alertmanager configuration and the folder its receivers' files are under.
    pub alertmanager: Option<(&'a crate::routing::config::AmConfig, &'a str)>,
}

pub fn files<G: Serialize>(index: &Index<'_>, carried: Carried<'_, G>) -> Result<Vec<OutFile>, String> {
    let Some(k) = &index.spec.kubernetes else { return Ok(Vec::new()) };
    let name = index.spec.project.name.value.as_str();
    let job = app_job(index)?;
    let base = dir().join("base");
    let mut out = Vec::new();
    let mut put = |file: &str, text: String, resources: &mut Vec<String>| {
        resources.push(file.to_owned());
        out.push(OutFile { path: base.join(file), contents: text });
    };
    let mut resources = Vec::new();
    let ns = Object {
        api_version: "v1",
        kind: "Namespace",
        metadata: Meta { name: k.namespace.value.clone(), ..Meta::default() },
        body: NoBody {},
    };
    put("namespace.yaml", docs(&[doc(&ns)?]), &mut resources);
    let mut workload = vec![
        doc(&app::deployment(k, name, &job.name.value))?,
        doc(&app::service(k, name, &job.name.value))?,
        doc(&app::pdb(k, name))?,
    ];
    if let Some(a) = &k.app.autoscaling {
        workload.push(doc(&app::hpa(k, name, a))?);
    }
    put("daemon.yaml", docs(&workload), &mut resources);
    if let (None, Some(image)) = (&k.redis.url, &k.redis.image) {
        let (set, svc) = app::redis(k, name, &k.redis, &image.value);
        put("redis.yaml", docs(&[doc(&set)?, doc(&svc)?]), &mut resources);
    }
    put(
        "monitoring.yaml",
        docs(&[
            doc(&monitoring::service_monitor(k, name, job, &index.spec.prometheus))?,
            doc(&monitoring::prometheus_rule(k, name, carried.groups))?,
        ]),
        &mut resources,
    );
    let dashboards_dir = PathBuf::from(GENERATED).join("grafana/dashboards");
    let (mut maps, mut operator) = (Vec::new(), Vec::new());
    for f in carried.files.iter().filter(|f| f.path.parent() == Some(dashboards_dir.as_path())) {
        let file = f.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let uid = Path::new(file).file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        maps.push(doc(&monitoring::dashboard(k, uid, file, &f.contents))?);
        if let Some(op) = &k.grafana_operator {
            operator.push(doc(&monitoring::grafana_dashboard(k, op, uid, file))?);
        }
    }
    if !maps.is_empty() {
        put("dashboards.yaml", docs(&maps), &mut resources);
    }
    if !operator.is_empty() {
        put("grafana-dashboards.yaml", docs(&operator), &mut resources);
    }
    if let Some((cfg, from)) = carried.alertmanager {
        put(
            "alertmanager.yaml",
            docs(&[doc(&monitoring::alertmanager_secret(k, cfg, from)?)?]),
            &mut resources,
        );
    }
    let kust = Kustomization {
        api_version: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        namespace: Some(k.namespace.value.clone()),
        resources,
        patches: Vec::new(),
    };
    out.push(OutFile { path: base.join("kustomization.yaml"), contents: docs(&[doc(&kust)?]) });
    for o in &k.overlays {
        out.extend(overlay(k, name, o)?);
    }
    Ok(out)
}

/// A strategic-merge patch of the daemon's Deployment: only what the overlay sets.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeploymentPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    replicas: Option<u32>,
    template: TemplatePatch,
}

#[derive(Serialize)]
struct TemplatePatch {
    spec: PodPatch,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PodPatch {
    #[serde(skip_serializing_if = "Labels::is_empty")]
    node_selector: Labels,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tolerations: Vec<Toleration>,
    containers: Vec<ContainerPatch>,
}

#[derive(Serialize)]
struct ContainerPatch {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<ResourceRequirements>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HpaPatch {
    min_replicas: u32,
    max_replicas: u32,
}

fn overlay(k: &Kubernetes, name: &str, o: &avspec::KubernetesOverlay) -> Result<Vec<OutFile>, String> {
    let d = dir().join("overlays").join(&o.name.value);
    // A patch names its target with the namespace the base put it in.
    let meta = Meta { name: name.to_owned(), namespace: Some(k.namespace.value.clone()), ..Meta::default() };
    let deployment = Object {
        api_version: "apps/v1",
        kind: "Deployment",
        metadata: meta.clone(),
        body: Spec {
            spec: DeploymentPatch {
                replicas: if k.app.autoscaling.is_some() || o.autoscaling.is_some() {
                    None
                } else {
                    o.replicas.as_ref().map(|r| r.value)
                },
                template: TemplatePatch {
                    spec: PodPatch {
                        node_selector: app::pairs(&o.node_selector),
                        tolerations: app::tolerations(&o.tolerations),
                        containers: vec![ContainerPatch {
                            name: "autovoiced",
                            resources: o.resources.as_ref().map(app::resources),
                        }],
                    },
                },
            },
        },
    };
    let mut files =
        vec![OutFile { path: d.join("deployment-patch.yaml"), contents: docs(&[doc(&deployment)?]) }];
    let mut patches = vec![Patch { path: "deployment-patch.yaml".to_owned() }];
    let mut resources = vec!["../../base".to_owned()];
    match (&k.app.autoscaling, &o.autoscaling) {
        (Some(_), Some(a)) => {
            let hpa = Object {
                api_version: "autoscaling/v2",
                kind: "HorizontalPodAutoscaler",
                metadata: meta,
                body: Spec {
                    spec: HpaPatch { min_replicas: a.min_replicas.value, max_replicas: a.max_replicas.value },
                },
            };
            files.push(OutFile { path: d.join("hpa-patch.yaml"), contents: docs(&[doc(&hpa)?]) });
            patches.push(Patch { path: "hpa-patch.yaml".to_owned() });
        }
        (None, Some(a)) => {
            files.push(OutFile { path: d.join("hpa.yaml"), contents: docs(&[doc(&app::hpa(k, name, a))?]) });
            resources.push("hpa.yaml".to_owned());
        }
        _ => {}
    }
    let kust = Kustomization {
        api_version: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        namespace: None,
        resources,
        patches,
    };
    files.push(OutFile { path: d.join("kustomization.yaml"), contents: docs(&[doc(&kust)?]) });
    Ok(files)
}
