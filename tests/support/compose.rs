//! The generated docker-compose.yml run by podman-compose: up, down, restart, the services'
//! health and logs, and a teardown (containers, networks, volumes) on every exit path.

use crate::podman::{Engine, run, tail};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A service of the compose file, as the test needs it.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub image: String,
    pub container: String,
    pub profiles: Vec<String>,
    pub healthcheck: bool,
}

/// The services of the compose file at `path`, in file order.
pub fn services(path: &Path) -> Result<Vec<Service>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: Value = serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let map = doc["services"].as_object().ok_or_else(|| format!("{}: no services", path.display()))?;
    map.iter()
        .map(|(name, s)| {
            let field =
                |k: &str| s[k].as_str().map(str::to_owned).ok_or_else(|| format!("service {name}: no {k}"));
            Ok(Service {
                name: name.clone(),
                image: field("image")?,
                container: field("container_name")?,
                profiles: s["profiles"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect(),
                healthcheck: s["healthcheck"]["test"].is_array(),
            })
        })
        .collect()
}

/// The fully qualified name Docker gives an image reference (`redis:7` is
/// `docker.io/library/redis:7`), so a local image of that name is what a run resolves to.
pub fn qualified(image: &str) -> String {
    let first = image.split('/').next().unwrap_or_default();
    let has_registry =
        image.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    match (has_registry, image.contains('/')) {
        (true, _) => image.to_owned(),
        (false, true) => format!("docker.io/{image}"),
        (false, false) => format!("docker.io/library/{image}"),
    }
}

/// A compose project brought up with podman-compose; `down -v` when dropped.
pub struct Stack<'e> {
    engine: &'e Engine,
    repo: PathBuf,
    pub project: String,
    file: PathBuf,
    pub services: Vec<Service>,
}

impl<'e> Stack<'e> {
    pub fn new(engine: &'e Engine, repo: &Path, project: &str, file: &Path, services: Vec<Service>) -> Self {
        Self { engine, repo: repo.to_owned(), project: project.to_owned(), file: file.to_owned(), services }
    }

    fn compose(&self, args: &[&str]) -> Result<String, String> {
        let mut cmd = self.engine.command("podman-compose");
        // The compose file refuses to interpolate without Grafana's admin password, even for a
        // run that leaves Grafana out; a value nobody else knows.
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        cmd.env("GRAFANA_ADMIN_PASSWORD", format!("stack-test-{nanos:x}"));
        cmd.current_dir(&self.repo).arg("-p").arg(&self.project).arg("-f").arg(&self.file).args(args);
        run(cmd)
    }

    fn names(&self) -> Vec<&str> {
        self.services.iter().map(|s| s.name.as_str()).collect()
    }

    /// `podman-compose up -d` of the chosen services.
    pub fn up(&self) -> Result<(), String> {
        let mut args = vec!["up", "-d"];
        args.extend(self.names());
        self.compose(&args).map(|_| ())
    }

    /// `podman-compose down`, with `-v` to remove the named volumes too.
    pub fn down(&self, volumes: bool) -> Result<(), String> {
        let args: &[&str] = if volumes { &["down", "-v"] } else { &["down"] };
        self.compose(args).map(|_| ())
    }

    pub fn restart(&self, service: &str) -> Result<(), String> {
        self.compose(&["restart", service]).map(|_| ())
    }

    fn inspect(&self, container: &str, format: &str) -> Result<String, String> {
        Ok(self.engine.podman(&["inspect", "--format", format, container])?.trim().to_owned())
    }

    /// Waits until every service runs and each with a healthcheck is `healthy`. podman runs
    /// healthchecks from systemd timers, and these machines have no systemd, so the test is the
    /// scheduler: it runs each container's own healthcheck (`podman healthcheck run`, the
    /// compose file's command inside the container) until it passes.
    pub fn wait_healthy(&self, within: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let mut waiting = Vec::new();
            for s in &self.services {
                let state = self.inspect(&s.container, "{{.State.Status}}")?;
                if state != "running" {
                    return Err(format!(
                        "{} ({}) is {state}, not running\n{}",
                        s.name,
                        s.container,
                        self.report()
                    ));
                }
                if s.healthcheck {
                    // Exit 0: healthy; 1: unhealthy or still in its start period.
                    let healthy = self
                        .engine
                        .command("podman")
                        .args(["healthcheck", "run", &s.container])
                        .output()
                        .map_err(|e| format!("podman healthcheck run: {e}"))?;
                    if !healthy.status.success() {
                        waiting.push(s.name.as_str());
                    }
                }
            }
            if waiting.is_empty() {
                return Ok(());
            }
            if start.elapsed() > within {
                return Err(format!(
                    "not healthy after {} s: {}\n{}",
                    within.as_secs(),
                    waiting.join(", "),
                    self.report()
                ));
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    }

    /// Each service's state and health as `podman ps` shows them.
    pub fn ps(&self) -> Result<String, String> {
        self.engine.podman(&[
            "ps",
            "-a",
            "--filter",
            &format!("label=io.podman.compose.project={}", self.project),
            "--format",
            "{{.Names}}\t{{.Status}}\t{{.Ports}}",
        ])
    }

    /// Every service's state, health and last log lines: the guide's `docker logs` advice.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for s in &self.services {
            let state = self
                .inspect(&s.container, "{{.State.Status}} {{.State.Health.Status}}")
                .unwrap_or_else(|e| e.lines().last().unwrap_or_default().to_owned());
            let mut logs = self.engine.command("podman");
            logs.args(["logs", "--tail", "30", &s.container]);
            let text = logs.output().map_or_else(
                |e| e.to_string(),
                |o| format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
            );
            out.push_str(&format!(
                "--- {} ({}): {state}; last log lines:\n{}",
                s.name,
                s.container,
                tail(&text, 30)
            ));
        }
        out
    }

    /// What is left of the project: containers, networks and volumes carrying its label.
    pub fn leftovers(&self) -> Result<Vec<String>, String> {
        let label = format!("label=io.podman.compose.project={}", self.project);
        let mut left = Vec::new();
        for (kind, args) in [
            ("container", vec!["ps", "-a", "--filter", &label, "--format", "{{.Names}}"]),
            ("network", vec!["network", "ls", "--filter", &label, "--format", "{{.Name}}"]),
            ("volume", vec!["volume", "ls", "--filter", &label, "--format", "{{.Name}}"]),
        ] {
            let names = self.engine.podman(&args)?;
            left.extend(names.lines().filter(|l| !l.is_empty()).map(|n| format!("{kind} {n}")));
        }
        Ok(left)
    }

    /// Removes whatever `down -v` left (a run that died half-way): by label, forcibly.
    pub fn purge(&self) {
        let _ = self.down(true);
        let label = format!("label=io.podman.compose.project={}", self.project);
        for s in &self.services {
            let _ = self.engine.podman(&["rm", "-f", "-v", &s.container]);
        }
        for (ls, rm) in [(["volume", "ls"], ["volume", "rm"]), (["network", "ls"], ["network", "rm"])] {
            let Ok(names) = self.engine.podman(&[ls[0], ls[1], "--filter", &label, "--format", "{{.Name}}"])
            else {
                continue;
            };
            for n in names.lines().filter(|l| !l.is_empty()) {
                let _ = self.engine.podman(&[rm[0], rm[1], "-f", n]);
            }
        }
    }
}

impl Drop for Stack<'_> {
    fn drop(&mut self) {
        self.purge();
    }
}
