//! The daemon's workload objects: Deployment (probes, graceful shutdown, non-root), Service,
//! PodDisruptionBudget, HorizontalPodAutoscaler, and Redis when it runs in the namespace.

use super::objects::*;
use avspec::{App, Kubernetes, Redis, Resources, TaintEffect};
use std::collections::BTreeMap;

/// The image's user (the Dockerfile's `USER 10001:10001`).
const UID: u32 = 10001;
/// Seconds a terminating pod keeps serving before the daemon stops accepting, so endpoints
/// controllers and proxies stop sending it new requests first.
pub const PRE_STOP_SECS: u64 = 5;
/// The Service and container port name the ServiceMonitor scrapes.
pub const PORT_NAME: &str = "http";
/// The Service label whose value the operator makes each target's `job` (`jobLabel`).
pub const JOB_LABEL: &str = "monitoring.autovoice.dev/job";

pub fn selector(name: &str) -> Labels {
    BTreeMap::from([("app.kubernetes.io/name".to_owned(), name.to_owned())])
}

pub(super) fn meta(name: &str, k: &Kubernetes, labels: Labels) -> Meta {
    Meta {
        name: name.to_owned(),
        namespace: Some(k.namespace.value.clone()),
        labels,
        annotations: Labels::new(),
    }
}

pub fn resources(r: &Resources) -> ResourceRequirements {
    let mut requests = BTreeMap::from([
        ("cpu".to_owned(), r.cpu.value.clone()),
        ("memory".to_owned(), r.memory.value.clone()),
    ]);
    let mut limits = BTreeMap::from([("memory".to_owned(), r.memory.value.clone())]);
    if let Some(g) = &r.gpus {
        // Extended resources are requested and limited alike.
        requests.insert("nvidia.com/gpu".to_owned(), g.value.to_string());
        limits.insert("nvidia.com/gpu".to_owned(), g.value.to_string());
    }
    ResourceRequirements { requests, limits }
}

pub fn tolerations(list: &[avspec::Toleration]) -> Vec<Toleration> {
    list.iter()
        .map(|t| Toleration {
            key: t.key.value.clone(),
            operator: if t.value.is_some() { "Equal" } else { "Exists" },
            value: t.value.as_ref().map(|v| v.value.clone()),
            effect: match t.effect.value {
                TaintEffect::NoSchedule => "NoSchedule",
                TaintEffect::PreferNoSchedule => "PreferNoSchedule",
                TaintEffect::NoExecute => "NoExecute",
            }
            .to_owned(),
        })
        .collect()
}

pub fn pairs(list: &[avspec::KeyValue]) -> Labels {
    list.iter().map(|kv| (kv.name.value.clone(), kv.value.value.clone())).collect()
}

fn security() -> PodSecurity {
    PodSecurity {
        run_as_non_root: true,
        run_as_user: UID,
        run_as_group: UID,
        fs_group: UID,
        seccomp_profile: Seccomp { kind: "RuntimeDefault" },
    }
}

fn locked_down() -> ContainerSecurity {
    ContainerSecurity {
        allow_privilege_escalation: false,
        read_only_root_filesystem: true,
        capabilities: Capabilities { drop: vec!["ALL"] },
    }
}

fn http_probe(path: &str, period: u64, failures: u64) -> Probe {
    Probe {
        http_get: Some(HttpGet { path: path.to_owned(), port: PORT_NAME.to_owned() }),
        exec: None,
        period_seconds: period,
        timeout_seconds: 5,
        failure_threshold: failures,
    }
}

/// Seconds Kubernetes waits after SIGTERM before SIGKILL: the pre-stop pause, then the
/// daemon's own drain (it stops accepting and lets in-flight requests finish within their
/// deadline), plus a margin.
pub fn grace_secs(app: &App) -> u64 {
    PRE_STOP_SECS + app.request_deadline.value.secs_f64().ceil() as u64 + 5
}

pub fn redis_url(k: &Kubernetes, name: &str) -> Option<String> {
    match (&k.redis.url, &k.redis.image) {
        (Some(url), _) => Some(url.value.clone()),
        (None, Some(_)) => Some(format!("redis://{name}-redis:6379/0")),
        (None, None) => None,
    }
}

pub fn deployment(k: &Kubernetes, name: &str, job: &str) -> Object<Spec<DeploymentSpec>> {
    let app = &k.app;
    let mut env = vec![Env {
        name: "AUTOVOICE_DEADLINE_SECS".to_owned(),
        value: app.request_deadline.value.secs_f64().to_string(),
    }];
    if let Some(url) = redis_url(k, name) {
        env.push(Env { name: "AUTOVOICE_REDIS_URL".to_owned(), value: url });
    }
    env.extend(
        app.environment.iter().map(|kv| Env { name: kv.name.value.clone(), value: kv.value.value.clone() }),
    );
    let period = 10;
    let startup_failures = (app.startup_timeout.value.secs_f64() / period as f64).ceil().max(1.0) as u64;
    let mut labels = selector(name);
    labels.insert(JOB_LABEL.to_owned(), job.to_owned());
    let container = Container {
        name: "autovoiced".to_owned(),
        image: app.image.value.clone(),
        args: Vec::new(),
        ports: vec![ContainerPort {
            name: PORT_NAME.to_owned(),
            container_port: app.port.value,
            protocol: "TCP",
        }],
        env,
        resources: resources(&app.resources),
        // Liveness waits until the models have loaded and warmed up (`/ready`) once.
        startup_probe: Some(http_probe("/ready", period, startup_failures)),
        liveness_probe: Some(http_probe("/health", period, 3)),
        readiness_probe: Some(http_probe("/ready", 5, 2)),
        lifecycle: Some(Lifecycle {
            pre_stop: Handler { exec: Exec { command: vec!["sleep".to_owned(), PRE_STOP_SECS.to_string()] } },
        }),
        security_context: locked_down(),
        volume_mounts: vec![VolumeMount {
            name: "data".to_owned(),
            mount_path: "/var/lib/autovoice".to_owned(),
        }],
    };
    Object {
        api_version: "apps/v1",
        kind: "Deployment",
        metadata: meta(name, k, labels.clone()),
        body: Spec {
            spec: DeploymentSpec {
                // An autoscaler owns the count when there is one.
                replicas: if app.autoscaling.is_some() { None } else { Some(app.replicas.value) },
                selector: Selector { match_labels: selector(name) },
                strategy: Strategy {
                    kind: "RollingUpdate",
                    rolling_update: RollingUpdate { max_unavailable: 0, max_surge: 1 },
                },
                template: PodTemplate {
                    metadata: Meta {
                        name: String::new(),
                        namespace: None,
                        labels,
                        annotations: Labels::new(),
                    },
                    spec: PodSpec {
                        termination_grace_period_seconds: grace_secs(app),
                        security_context: security(),
                        node_selector: pairs(&app.node_selector),
                        tolerations: tolerations(&app.tolerations),
                        containers: vec![container],
                        volumes: vec![Volume { name: "data".to_owned(), empty_dir: BTreeMap::new() }],
                    },
                },
            },
        },
    }
}

/// A ClusterIP Service in front of the pods labelled `pods`, with one named TCP port.
fn cluster_service(
    k: &Kubernetes,
    name: &str,
    labels: Labels,
    pods: Labels,
    port: (&str, u16),
) -> Object<Spec<ServiceSpec>> {
    Object {
        api_version: "v1",
        kind: "Service",
        metadata: meta(name, k, labels),
        body: Spec {
            spec: ServiceSpec {
                kind: "ClusterIP",
                selector: pods,
                ports: vec![ServicePort {
                    name: port.0.to_owned(),
                    port: port.1,
                    target_port: port.0.to_owned(),
                    protocol: "TCP",
                }],
            },
        },
    }
}

pub fn service(k: &Kubernetes, name: &str, job: &str) -> Object<Spec<ServiceSpec>> {
    let mut labels = selector(name);
    labels.insert(JOB_LABEL.to_owned(), job.to_owned());
    cluster_service(k, name, labels, selector(name), (PORT_NAME, k.app.port.value))
}

pub fn pdb(k: &Kubernetes, name: &str) -> Object<Spec<PdbSpec>> {
    Object {
        api_version: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: meta(name, k, selector(name)),
        body: Spec {
            spec: PdbSpec {
                min_available: k.app.min_available.value,
                selector: Selector { match_labels: selector(name) },
            },
        },
    }
}

pub fn hpa(k: &Kubernetes, name: &str, a: &avspec::Autoscaling) -> Object<Spec<HpaSpec>> {
    Object {
        api_version: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: meta(name, k, selector(name)),
        body: Spec {
            spec: HpaSpec {
                scale_target_ref: TargetRef {
                    api_version: "apps/v1",
                    kind: "Deployment",
                    name: name.to_owned(),
                },
                min_replicas: a.min_replicas.value,
                max_replicas: a.max_replicas.value,
                metrics: vec![HpaMetric {
                    kind: "Resource",
                    resource: ResourceMetric {
                        name: "cpu",
                        target: MetricTarget {
                            kind: "Utilization",
                            average_utilization: a.cpu_utilization.value,
                        },
                    },
                }],
            },
        },
    }
}

/// Redis in the namespace: one replica with its own volume (AOF keeps enrolled speakers), and
/// a Service the daemon reaches it by.
pub fn redis(
    k: &Kubernetes,
    name: &str,
    r: &Redis,
    image: &str,
) -> (Object<Spec<StatefulSetSpec>>, Object<Spec<ServiceSpec>>) {
    let rname = format!("{name}-redis");
    let labels = selector(&rname);
    let mut args = r.args.clone();
    if args.is_empty() {
        args = ["--appendonly", "yes"].map(str::to_owned).to_vec();
    }
    let container = Container {
        name: "redis".to_owned(),
        image: image.to_owned(),
        args,
        ports: vec![ContainerPort { name: "redis".to_owned(), container_port: 6379, protocol: "TCP" }],
        env: Vec::new(),
        resources: ResourceRequirements {
            requests: BTreeMap::from([
                ("cpu".to_owned(), "100m".to_owned()),
                ("memory".to_owned(), "640Mi".to_owned()),
            ]),
            limits: BTreeMap::from([("memory".to_owned(), "640Mi".to_owned())]),
        },
        startup_probe: None,
        liveness_probe: Some(exec_probe(&["redis-cli", "ping"])),
        readiness_probe: Some(exec_probe(&["redis-cli", "ping"])),
        lifecycle: None,
        security_context: locked_down(),
        volume_mounts: vec![VolumeMount { name: "data".to_owned(), mount_path: "/data".to_owned() }],
    };
    let storage = r.storage.as_ref().map_or_else(|| "1Gi".to_owned(), |s| s.value.clone());
    let claim = Object {
        api_version: "v1",
        kind: "PersistentVolumeClaim",
        metadata: Meta { name: "data".to_owned(), ..Meta::default() },
        body: Spec {
            spec: ClaimSpec {
                access_modes: vec!["ReadWriteOnce"],
                resources: Requests { requests: BTreeMap::from([("storage".to_owned(), storage)]) },
            },
        },
    };
    let mut pod_security = security();
    // The official redis image runs as uid 999.
    (pod_security.run_as_user, pod_security.run_as_group, pod_security.fs_group) = (999, 999, 999);
    let set = Object {
        api_version: "apps/v1",
        kind: "StatefulSet",
        metadata: meta(&rname, k, labels.clone()),
        body: Spec {
            spec: StatefulSetSpec {
                replicas: 1,
                service_name: rname.clone(),
                selector: Selector { match_labels: labels.clone() },
                template: PodTemplate {
                    metadata: Meta { labels: labels.clone(), ..Meta::default() },
                    spec: PodSpec {
                        termination_grace_period_seconds: 30,
                        security_context: pod_security,
                        node_selector: Labels::new(),
                        tolerations: Vec::new(),
                        containers: vec![container],
                        volumes: Vec::new(),
                    },
                },
                volume_claim_templates: vec![claim],
            },
        },
    };
    let svc = cluster_service(k, &rname, labels.clone(), labels, ("redis", 6379));
    (set, svc)
}

fn exec_probe(cmd: &[&str]) -> Probe {
    Probe {
        http_get: None,
        exec: Some(Exec { command: cmd.iter().map(|s| (*s).to_owned()).collect() }),
        period_seconds: 10,
        timeout_seconds: 5,
        failure_threshold: 3,
    }
}
