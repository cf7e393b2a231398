//! Support for the end-to-end and stack tests: child processes that are always reaped, free
//! loopback ports, polling with a deadline, a small client for Prometheus's HTTP API, and a
//! podman engine with the compose stack on it.

pub mod alerting;
pub mod compose;
pub mod podman;

use avctl::live::http;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A release binary built by `cargo build --release` (scripts/test.sh builds them first).
pub fn release_bin(name: &str) -> Result<PathBuf, String> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo().join("target"), PathBuf::from);
    let path = target.join("release").join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: build it first with `cargo build --release -p avctl -p autovoice-daemon`",
            path.display()
        ))
    }
}

/// A free port on 127.0.0.1 (bound, then released for the child to take).
pub fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| format!("local_addr: {e}"))
}

/// Child processes killed and reaped when dropped, so every exit path (a failed assertion
/// included) cleans up.
#[derive(Default)]
pub struct Procs {
    children: Vec<(String, Child)>,
}

impl Procs {
    /// Starts `cmd` with its output in `log`.
    pub fn spawn(&mut self, name: &str, mut cmd: Command, log: &Path) -> Result<(), String> {
        let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {name} ({:?}): {e}", cmd.get_program()))?;
        self.children.push((name.to_owned(), child));
        Ok(())
    }

    /// Kills one process now (SIGKILL: the target vanishes as in a crash).
    pub fn kill(&mut self, name: &str) -> Result<(), String> {
        let i =
            self.children.iter().position(|(n, _)| n == name).ok_or_else(|| format!("no process {name}"))?;
        let (_, mut child) = self.children.remove(i);
        child.kill().map_err(|e| format!("kill {name}: {e}"))?;
        child.wait().map_err(|e| format!("wait {name}: {e}"))?;
        Ok(())
    }

    /// Fails when a process has exited early (with its name and status).
    pub fn all_running(&mut self) -> Result<(), String> {
        for (name, child) in &mut self.children {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("{name} exited early: {status}"));
            }
        }
        Ok(())
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `f` until it returns `Ok(Some(v))` or `within` has passed; the last error or `what`
/// explains a timeout.
pub fn wait_for<T>(
    what: &str,
    within: Duration,
    mut f: impl FnMut() -> Result<Option<T>, String>,
) -> Result<T, String> {
    let start = Instant::now();
    let mut last = String::new();
    loop {
        match f() {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last = e,
        }
        if start.elapsed() > within {
            return Err(format!("timed out after {within:?} waiting for {what}; last: {last}"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Prometheus's HTTP API at `base` (`http://127.0.0.1:PORT`).
pub struct Prom {
    pub base: String,
}

impl Prom {
    fn api(&self, method: &str, path: &str, form: &str) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let headers = [("Content-Type", "application/x-www-form-urlencoded")];
        let r = http::request(method, &url, &headers, form.as_bytes(), TIMEOUT)?;
        let v: Value =
            serde_json::from_slice(&r.body).map_err(|e| format!("{path}: not JSON ({e}): {}", r.text()))?;
        if v["status"] != "success" {
            return Err(format!("{path}: {}", r.text()));
        }
        Ok(v["data"].clone())
    }

    /// The instant vector of `query` now (an error for a query Prometheus rejects).
    pub fn query(&self, query: &str) -> Result<Vec<Value>, String> {
        let data = self.api("POST", "/api/v1/query", &format!("query={}", form_encode(query)))?;
        Ok(data["result"].as_array().cloned().unwrap_or_default())
    }

    pub fn targets(&self) -> Result<Vec<Value>, String> {
        Ok(self.api("GET", "/api/v1/targets?state=active", "")?["activeTargets"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// Every rule of every group.
    pub fn rules(&self) -> Result<Vec<Value>, String> {
        let data = self.api("GET", "/api/v1/rules", "")?;
        Ok(data["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
            .collect())
    }

    /// Alerts now firing with this name, as their label sets.
    pub fn firing(&self, alertname: &str) -> Result<Vec<Value>, String> {
        let data = self.api("GET", "/api/v1/alerts", "")?;
        Ok(data["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["labels"]["alertname"] == alertname && a["state"] == "firing")
            .map(|a| a["labels"].clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_escapes_promql() {
        assert_eq!(
            form_encode(r#"sum(rate(x{a="b"}[1m])) > 0"#),
            "sum%28rate%28x%7Ba%3D%22b%22%7D%5B1m%5D%29%29+%3E+0"
        );
    }

    /// The Dockerfile's builder stage runs cargo on the whole workspace, which fails when a
    /// member is missing from the build context; `.dockerignore` is an allow-list.
    #[test]
    fn the_image_build_context_holds_every_workspace_member() {
        let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).expect("Cargo.toml");
        let members = manifest
            .lines()
            .find_map(|l| l.trim().strip_prefix("members = ["))
            .expect("workspace members")
            .trim_end_matches(']');
        let allowed = std::fs::read_to_string(repo().join(".dockerignore")).expect(".dockerignore");
        let members: Vec<&str> = members.split(',').map(|m| m.trim().trim_matches('"')).collect();
        assert!(members.len() >= 6, "{members:?}");
        for m in members {
            assert!(allowed.lines().any(|l| l == format!("!{m}/")), "`!{m}/` is not in .dockerignore");
        }
    }

    #[test]
    fn wait_for_reports_the_last_error_on_timeout() {
        let e =
            wait_for("nothing", Duration::from_millis(10), || Err::<Option<()>, _>("still no".to_owned()));
        assert!(e.is_err_and(|e| e.contains("waiting for nothing; last: still no")));
    }
}
