//! `docker-compose.yml`: services and profiles from the spec, with Prometheus and Grafana wired
//! to the generated configuration and safe defaults (loopback ports, no default password).

use super::{GENERATED, to_yaml};
use avspec::index::Index;
use avspec::{Role, Service};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Compose {
    services: BTreeMap<String, ComposeService>,
    networks: BTreeMap<String, Network>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    volumes: BTreeMap<String, Empty>,
}

#[derive(Serialize)]
struct Network {
    driver: String,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct ComposeService {
    image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    build: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    container_name: Option<String>,
    restart: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    profiles: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    command: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ports: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    environment: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    volumes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    healthcheck: Option<Healthcheck>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    depends_on: BTreeMap<String, DependsOn>,
    networks: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    privileged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    deploy: Option<Deploy>,
}

#[derive(Serialize)]
struct Healthcheck {
    test: Vec<String>,
    interval: String,
    timeout: String,
    retries: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_period: Option<String>,
}

#[derive(Serialize)]
struct DependsOn {
    condition: String,
}

#[derive(Serialize)]
struct Deploy {
    resources: Resources,
}

#[derive(Serialize)]
struct Resources {
    reservations: Reservations,
}

#[derive(Serialize)]
struct Reservations {
    devices: Vec<Device>,
}

#[derive(Serialize)]
struct Device {
    driver: String,
    count: String,
    capabilities: Vec<String>,
}

/// Environment variable that must hold Grafana's admin password; compose refuses to start
/// without it instead of falling back to `admin`.
pub const GRAFANA_PASSWORD_VAR: &str = "GRAFANA_ADMIN_PASSWORD";

/// Host directory (relative to the repository) mounted at [`ALERTMANAGER_SECRETS_AT`].
pub const ALERTMANAGER_SECRETS: &str = "secrets/alertmanager";
/// Where Alertmanager's container sees the receiver secrets: Docker's secrets location, and not
/// under the read-only config mount `/etc/alertmanager`, inside which the runtime cannot create
/// the mount point (measured with runc: "mkdir …/etc/alertmanager/secrets: read-only file system").
pub const ALERTMANAGER_SECRETS_AT: &str = "/run/secrets/alertmanager";

/// The compose file's path, relative to the output root.
pub const COMPOSE_FILE: &str = "docker-compose.yml";

/// `docker-compose.yml`, when the spec has a `stack:` section.
pub fn compose(index: &Index<'_>) -> Result<Option<String>, String> {
    let Some(stack) = &index.spec.stack else { return Ok(None) };
    let mut volumes = BTreeMap::new();
    let mut services = BTreeMap::new();
    for s in &stack.services {
        let svc = service(index, stack, s);
        for v in &svc.volumes {
            let src = v.split(':').next().unwrap_or_default();
            if !src.starts_with('/') && !src.starts_with('.') {
                volumes.insert(src.to_owned(), Empty {});
            }
        }
        services.insert(s.name.value.clone(), svc);
    }
    // No top-level `name:`: docker-compose 1.29 rejects it; the project is named by directory.
    let doc = Compose {
        services,
        networks: BTreeMap::from([(stack.network.value.clone(), Network { driver: "bridge".to_owned() })]),
        volumes,
    };
    to_yaml(&doc).map(Some)
}

fn service(index: &Index<'_>, stack: &avspec::Stack, s: &Service) -> ComposeService {
    let p = &index.spec.prometheus;
    let mut command = s.command.clone();
    let mut volumes: Vec<String> = s
        .volumes
        .iter()
        .map(|v| format!("{}:{}{}", v.source.value, v.target.value, if v.read_only { ":ro" } else { "" }))
        .collect();
    let mut environment: BTreeMap<String, String> =
        s.environment.iter().map(|kv| (kv.name.value.clone(), kv.value.value.clone())).collect();
    match s.role.value {
        Role::Prometheus => {
            command.extend([
                "--config.file=/etc/prometheus/prometheus.yml".to_owned(),
                "--storage.tsdb.path=/prometheus".to_owned(),
                format!("--storage.tsdb.retention.time={}", p.retention.time.value),
                format!("--storage.tsdb.retention.size={}", p.retention.size.value),
            ]);
            volumes.push(format!("./{GENERATED}/prometheus:/etc/prometheus:ro"));
            volumes.push("prometheus-data:/prometheus".to_owned());
        }
        Role::Grafana => {
            environment.insert(
                "GF_SECURITY_ADMIN_PASSWORD".to_owned(),
                format!(
                    "${{{GRAFANA_PASSWORD_VAR}:?set {GRAFANA_PASSWORD_VAR} to the Grafana admin password}}"
                ),
            );
            environment.insert("GF_USERS_ALLOW_SIGN_UP".to_owned(), "false".to_owned());
            volumes.push(format!("./{GENERATED}/grafana/provisioning:/etc/grafana/provisioning:ro"));
            volumes.push(format!("./{GENERATED}/grafana/dashboards:/var/lib/grafana/dashboards:ro"));
            volumes.push("grafana-data:/var/lib/grafana".to_owned());
        }
        Role::Alertmanager => {
            command.extend([
                "--config.file=/etc/alertmanager/alertmanager.yml".to_owned(),
                "--storage.path=/alertmanager".to_owned(),
            ]);
            volumes.push(format!("./{GENERATED}/alertmanager:/etc/alertmanager:ro"));
            // The files the receivers name (routing keys, webhook URLs) live outside the
            // repository; the generated config holds only their paths.
            volumes.push(format!("./{ALERTMANAGER_SECRETS}:{ALERTMANAGER_SECRETS_AT}:ro"));
            volumes.push("alertmanager-data:/alertmanager".to_owned());
        }
        Role::App | Role::Generic => {}
    }
    let healthcheck = s.healthcheck.as_ref().map(|h| Healthcheck {
        test: h.test.clone(),
        interval: h.interval.to_string(),
        timeout: h.timeout.to_string(),
        retries: h.retries,
        start_period: h.start_period.as_ref().map(|d| d.to_string()),
    });
    ComposeService {
        image: s.image.value.clone(),
        build: s.build.as_ref().map(|b| b.value.clone()),
        container_name: s.container_name.as_ref().map(|c| c.value.clone()),
        restart: "unless-stopped".to_owned(),
        profiles: s.profiles.iter().map(|p| p.value.clone()).collect(),
        command,
        ports: s
            .ports
            .iter()
            .map(|port| {
                let bind = port.bind.as_ref().unwrap_or(&stack.bind_address);
                format!("{}:{}:{}", bind.value, port.host.value, port.container.value)
            })
            .collect(),
        environment,
        volumes,
        healthcheck,
        depends_on: s
            .depends_on
            .iter()
            .map(|d| {
                let condition = if d.healthy { "service_healthy" } else { "service_started" };
                (d.service.value.clone(), DependsOn { condition: condition.to_owned() })
            })
            .collect(),
        networks: vec![stack.network.value.clone()],
        privileged: s.privileged,
        deploy: s.gpu.then(|| Deploy {
            resources: Resources {
                reservations: Reservations {
                    devices: vec![Device {
                        driver: "nvidia".to_owned(),
                        count: "all".to_owned(),
                        capabilities: vec!["gpu".to_owned()],
                    }],
                },
            },
        }),
    }
}
