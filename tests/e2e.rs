//! End to end: the generated configuration (base spec + `specs/overlays/e2e.yaml`) loaded by a
//! real Prometheus 2.42 scraping three real daemons (healthy; without models; with injected
//! faults). After a mixed load it asserts, through Prometheus's HTTP API, that every target is
//! up, every dashboard query returns data, every recording rule has a value and no rule failed;
//! then that ModelNotLoaded, HighErrorRate and AutoVoiceDown fire for the right instance, and
//! CacheBackendFailing when the healthy daemon's Redis (a real `redis-server`) is killed; and
//! that `avctl check-live` passes on the daemon. Prometheus sends its alerts to a real
//! Alertmanager 0.25 running the generated configuration, whose receivers post to a webhook the
//! test runs: HighErrorRate and ModelNotLoaded reach the receivers the spec names, the warning
//! of the same incident is muted, a resolved notification follows the fix; then a second
//! Alertmanager checks avctl's inhibition model (`routing_phase.rs`).
//!
//! Needs the release binaries, `prometheus`, `prometheus-alertmanager`, `redis-server` and
//! `espeak-ng` (scripts/test.sh provides them):
//! `cargo test -p autovoice-e2e -- --ignored --nocapture`.

mod render_phase;
mod routing_phase;

use autovoice_e2e::alerting::Webhook;
use autovoice_e2e::{Procs, Prom, TIMEOUT, free_port, release_bin, repo, wait_for};
use avctl::live::http;
use avspec::index::Index;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

type R<T = ()> = Result<T, String>;

struct Ports {
    app: u16,
    nomodel: u16,
    faulty: u16,
    prometheus: u16,
    alertmanager: u16,
    webhook: u16,
}

impl Ports {
    fn env(&self) -> [(&'static str, String); 6] {
        [
            ("E2E_APP_PORT", self.app.to_string()),
            ("E2E_NOMODEL_PORT", self.nomodel.to_string()),
            ("E2E_FAULTY_PORT", self.faulty.to_string()),
            ("E2E_PROMETHEUS_PORT", self.prometheus.to_string()),
            ("E2E_ALERTMANAGER_PORT", self.alertmanager.to_string()),
            ("E2E_WEBHOOK_PORT", self.webhook.to_string()),
        ]
    }
}

fn url(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}{path}")
}

fn avctl(ports: &Ports, args: &[&str]) -> R<std::process::Output> {
    let mut cmd = Command::new(release_bin("avctl")?);
    cmd.current_dir(repo()).args(["--overlay", "specs/overlays/e2e.yaml"]).args(args);
    cmd.env_remove("AVCTL_SPEC").env_remove("AVCTL_GRAFANA_SCHEMAS");
    for (k, v) in ports.env() {
        cmd.env(k, v);
    }
    cmd.output().map_err(|e| format!("avctl: {e}"))
}

fn start_daemon(procs: &mut Procs, dir: &Path, name: &str, port: u16, extra: &[&str]) -> R {
    let mut cmd = Command::new(release_bin("autovoiced")?);
    let models = repo().join("models");
    cmd.args(["--listen", &format!("127.0.0.1:{port}")]).arg("--models-dir").arg(&models).args(extra);
    procs.spawn(name, cmd, &dir.join(format!("{name}.log")))?;
    wait_for(&format!("{name} /health"), Duration::from_secs(60), || {
        Ok(http::get(&url(port, "/health"), TIMEOUT).ok().filter(|r| r.status == 200))
    })?;
    Ok(())
}

fn post(port: u16, path: &str, ctype: &str, body: &[u8]) -> R<http::Response> {
    http::request("POST", &url(port, path), &[("Content-Type", ctype)], body, Duration::from_secs(60))
}

/// Valid and invalid requests over HTTP and WebSocket, rounds `first..first + rounds`; returns
/// how many of each were sent. Each round's text is new (a cache miss, so the pipeline runs);
/// its WebSocket text repeats every three rounds (a cache hit).
fn mixed_load(port: u16, first: usize, rounds: usize) -> R<(usize, usize)> {
    let (mut ok, mut bad) = (0, 0);
    let json = "application/json";
    for i in first..first + rounds {
        let speaker = ["default", "alto", "bass"][i % 3];
        let body = format!(r#"{{"text": "Round {i} of the end to end test.", "speaker_id": "{speaker}"}}"#);
        let wav = post(port, "/synthesize", json, body.as_bytes())?;
        if wav.status != 200 {
            return Err(format!("synthesize: HTTP {}: {}", wav.status, wav.text()));
        }
        let body = format!(
            r#"{{"text": "Round {i}, streamed. It arrives piece by piece.", "speaker_id": "{speaker}", "stream": true}}"#
        );
        let streamed = post(port, "/synthesize", json, body.as_bytes())?;
        if streamed.status != 200 || streamed.body.len() <= 44 {
            return Err(format!(
                "streamed synthesize: HTTP {}: {} bytes",
                streamed.status,
                streamed.body.len()
            ));
        }
        let conv = post(port, "/convert?speaker_id=bass&pitch_shift=-2", "audio/wav", &wav.body)?;
        if conv.status != 200 {
            return Err(format!("convert: HTTP {}: {}", conv.status, conv.text()));
        }
        for path in ["/speakers", "/ready", "/health"] {
            http::get(&url(port, path), TIMEOUT)?;
        }
        ok += 6;
        // Invalid: malformed JSON, unknown speaker, empty text, a bad WAV, bad parameters, 404.
        for (path, ctype, body) in [
            ("/synthesize", json, "{not json".as_bytes()),
            ("/synthesize", json, br#"{"text": "hi", "speaker_id": "nobody"}"#.as_slice()),
            ("/synthesize", json, br#"{"text": "", "speaker_id": "alto"}"#.as_slice()),
            ("/convert?speaker_id=alto", "audio/wav", b"RIFF....WAVE".as_slice()),
            // A few bytes, not the round's WAV: the daemon refuses a bad parameter before it
            // reads the upload and closes the connection, and a client still writing a large
            // body then gets a broken pipe instead of the answer (seen once in CI, 2026-12-06).
            ("/convert?pitch_shift=99", "audio/wav", b"RIFF....WAVE".as_slice()),
            ("/nowhere", json, b"{}".as_slice()),
        ] {
            let r = post(port, path, ctype, body)?;
            if !(400..500).contains(&r.status) {
                return Err(format!("{path} with a bad request answered HTTP {}", r.status));
            }
            bad += 1;
        }
        websocket(port, speaker)?;
        ok += 1;
    }
    Ok((ok, bad))
}

/// One WebSocket synthesis, then a malformed message on the same socket.
fn websocket(port: u16, speaker: &str) -> R {
    use tungstenite::Message;
    let (mut ws, _) = tungstenite::connect(format!("ws://127.0.0.1:{port}/ws/synthesize"))
        .map_err(|e| format!("ws connect: {e}"))?;
    let req = format!(r#"{{"text": "Streaming hello.", "speaker_id": "{speaker}"}}"#);
    ws.send(Message::Text(req.into())).map_err(|e| format!("ws send: {e}"))?;
    let mut audio = 0;
    loop {
        match ws.read().map_err(|e| format!("ws read: {e}"))? {
            Message::Binary(b) => audio += b.len(),
            Message::Text(t) if t.contains("\"done\"") => break,
            Message::Text(t) => return Err(format!("ws: unexpected {t}")),
            _ => {}
        }
    }
    if audio == 0 {
        return Err("ws: no audio before done".to_owned());
    }
    ws.send(Message::Text("{broken".into())).map_err(|e| format!("ws send: {e}"))?;
    match ws.read().map_err(|e| format!("ws read: {e}"))? {
        Message::Text(t) if t.contains("error") => {}
        other => return Err(format!("ws: a malformed request got {other:?}")),
    }
    ws.close(None).map_err(|e| format!("ws close: {e}"))?;
    Ok(())
}

/// Metrics a query selects that cannot have series here: `requires: gpu` ones (no GPU on this
/// machine) and those of sources no enabled job scrapes (the DCGM exporter is off).
fn unavailable(index: &Index<'_>, metric: &str) -> bool {
    let Some((m, _)) = index.series(metric) else { return false };
    let scraped =
        index.spec.prometheus.jobs.iter().any(|j| j.enabled.value && j.source.value == m.source.name.value);
    m.metric.requires.is_some() || (!scraped && m.source.kind.value != avspec::SourceKind::Synthetic)
}

/// Every panel query returns data unless it reads only metrics this machine cannot have;
/// returns the panels all of whose queries are such (they show "No data").
fn panels_have_data(prom: &Prom, index: &Index<'_>) -> R<Vec<String>> {
    let mut exempt = Vec::new();
    let mut no_data = Vec::new();
    let mut checked = 0;
    for d in &index.spec.dashboards {
        let vars: BTreeMap<String, String> = d
            .variables
            .iter()
            .filter_map(|v| v.default.as_ref().map(|x| (v.name.value.clone(), x.value.clone())))
            .collect();
        for p in d.rows.iter().flat_map(|r| &r.panels) {
            let mut exempt_queries = 0;
            for q in &p.queries {
                let names = avctl::promql::metric_names(&q.expr, &vars);
                if !names.is_empty() && names.iter().all(|n| unavailable(index, n)) {
                    exempt.push(format!("{}/{}", d.uid.value, p.id.value));
                    exempt_queries += 1;
                    continue;
                }
                let text = avctl::promql::substitute(&q.expr, &vars);
                wait_for(&format!("data for panel {}/{}: {text}", d.uid.value, p.id.value), TIMEOUT, || {
                    Ok(Some(()).filter(|()| prom.query(&text).is_ok_and(|r| !r.is_empty())))
                })?;
                checked += 1;
            }
            if exempt_queries == p.queries.len() {
                no_data.push(format!("{}/{}", d.uid.value, p.id.value));
            }
        }
    }
    eprintln!("e2e: {checked} panel queries returned data; no data expected without a GPU: {exempt:?}");
    Ok(no_data)
}

fn rules_are_healthy(prom: &Prom, index: &Index<'_>) -> R {
    for r in &index.spec.recording_rules {
        let name = &r.record.value;
        wait_for(&format!("a value for recording rule {name}"), TIMEOUT, || {
            Ok(Some(()).filter(|()| prom.query(name).is_ok_and(|v| !v.is_empty())))
        })?;
    }
    let rules = prom.rules()?;
    let bad: Vec<String> = rules
        .iter()
        .filter(|r| {
            r["health"] != "ok" && r["health"] != "unknown" || r.get("lastError").is_some_and(|e| e != "")
        })
        .map(|r| format!("{}: {} {}", r["name"], r["health"], r["lastError"]))
        .collect();
    if !bad.is_empty() {
        return Err(format!("rules failing evaluation: {bad:?}"));
    }
    let failures = prom.query("sum(prometheus_rule_evaluation_failures_total)")?;
    let total = failures.first().and_then(|v| v["value"][1].as_str()).unwrap_or("0");
    if total != "0" {
        return Err(format!("prometheus_rule_evaluation_failures_total = {total}"));
    }
    eprintln!(
        "e2e: {} recording rules have values; {} rules evaluate without errors",
        index.spec.recording_rules.len(),
        rules.len()
    );
    Ok(())
}

/// Waits until `alert` fires for `instance` (`for` is 5s in the overlay).
fn fires_for(prom: &Prom, alert: &str, instance: &str) -> R {
    let start = Instant::now();
    wait_for(&format!("{alert} firing for {instance}"), Duration::from_secs(60), || {
        let firing = prom.firing(alert)?;
        let hit = firing.iter().any(|l| l["instance"] == instance || l.get("instance").is_none());
        Ok(hit.then_some(()))
    })?;
    let whom = if instance.is_empty() { "the job as a whole" } else { instance };
    eprintln!("e2e: {alert} fired for {whom} after {:.1}s", start.elapsed().as_secs_f64());
    Ok(())
}

fn run(dir: &Path, procs: &mut Procs) -> R {
    let hook = Webhook::start()?;
    let ports = Ports {
        app: free_port()?,
        nomodel: free_port()?,
        faulty: free_port()?,
        prometheus: free_port()?,
        alertmanager: free_port()?,
        webhook: hook.port,
    };
    let o = avctl(&ports, &["generate", "-q", "--out", dir.to_str().ok_or("path")?])?;
    if !o.status.success() {
        return Err(format!("generate: {}", String::from_utf8_lossy(&o.stderr)));
    }
    let redis_port = free_port()?;
    let mut cmd = Command::new("redis-server");
    cmd.args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"])
        .arg("--dir")
        .arg(dir);
    procs.spawn("redis", cmd, &dir.join("redis.log"))?;
    let redis_url = format!("redis://127.0.0.1:{redis_port}/0");
    wait_for("Redis answers", Duration::from_secs(20), || {
        Ok(std::net::TcpStream::connect(("127.0.0.1", redis_port)).ok().map(|_| ()))
    })?;
    // Every answer measured (after it is sent), so the quality panels see each round.
    start_daemon(procs, dir, "app", ports.app, &["--redis-url", &redis_url, "--quality-sample", "1"])?;
    start_daemon(procs, dir, "nomodel", ports.nomodel, &["--skip-models"])?;
    start_daemon(procs, dir, "faulty", ports.faulty, &["--inject-faults", "1"])?;
    let am = routing_phase::start(procs, dir, "alertmanager", ports.alertmanager)?;
    let mut cmd = Command::new("prometheus");
    cmd.arg(format!("--config.file={}", dir.join("generated/prometheus/prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{}", ports.prometheus))
        .arg("--log.level=warn");
    procs.spawn("prometheus", cmd, &dir.join("prometheus.log"))?;
    let prom = Prom { base: url(ports.prometheus, "") };
    wait_for("Prometheus ready", Duration::from_secs(60), || {
        Ok(http::get(&url(ports.prometheus, "/-/ready"), TIMEOUT).ok().filter(|r| r.status == 200))
    })?;

    // 1. Targets up.
    wait_for("all four targets up", Duration::from_secs(30), || {
        let t = prom.targets()?;
        Ok((t.len() == 4 && t.iter().all(|t| t["health"] == "up")).then_some(()))
    })?;
    // 2. Mixed load for long enough to fill the 1m panel windows with several scrapes.
    let start = Instant::now();
    let (mut ok, mut bad) = (0, 0);
    while start.elapsed() < Duration::from_secs(20) {
        let (o, b) = mixed_load(ports.app, ok + bad, 1)?;
        (ok, bad) = (ok + o, bad + b);
    }
    procs.all_running()?;
    eprintln!("e2e: sent {ok} valid and {bad} invalid requests in {:.0}s", start.elapsed().as_secs_f64());
    // 3. Every panel, every recording rule, no failed evaluation.
    // The spec as Prometheus got it: base plus the e2e overlay (the DCGM job is off there).
    let mut loaded = avspec::load_dir(&repo().join("specs"));
    let overlay =
        std::fs::read_to_string(repo().join("specs/overlays/e2e.yaml")).map_err(|e| e.to_string())?;
    let env = ports.env();
    let lookup = |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
    avspec::overlay::apply_text(&mut loaded, "e2e.yaml", &overlay, &lookup);
    let spec = avctl::slo::expand(loaded.spec.as_ref().ok_or("the spec does not load")?);
    let index = Index::new(&spec);
    let no_data = panels_have_data(&prom, &index)?;
    rules_are_healthy(&prom, &index)?;
    // The same dashboards drawn from this Prometheus (avctl render), panel by panel.
    render_phase::dashboards_drawn(&prom.base, &index, &no_data, dir, 3)?;
    if !prom.firing("HighErrorRate")?.is_empty() {
        return Err("HighErrorRate fires before any fault was injected".to_owned());
    }
    // 4. Faults: models missing, injected errors, a dead target.
    fires_for(&prom, "ModelNotLoaded", &format!("127.0.0.1:{}", ports.nomodel))?;
    for i in 0..20 {
        let body = format!(r#"{{"text": "Fault {i}.", "speaker_id": "default"}}"#);
        let r = post(ports.faulty, "/synthesize", "application/json", body.as_bytes())?;
        if r.status < 500 {
            return Err(format!("an injected fault answered HTTP {}", r.status));
        }
    }
    fires_for(&prom, "HighErrorRate", "")?;
    // 5. Routing: the page and the ticket, the muted warning, the resolved notification.
    routing_phase::high_error_rate_delivered(&hook, &index.spec.project.runbook_url.value)?;
    let nomodel = format!("127.0.0.1:{}", ports.nomodel);
    let (labels, _) = routing_phase::notified(&hook, "oncall-pager", "ModelNotLoaded", "firing")?;
    if labels["instance"] != nomodel.as_str() {
        return Err(format!("ModelNotLoaded paged for {labels}, not {nomodel}"));
    }
    routing_phase::muted(&am, &hook, "ElevatedErrorRate")?;
    // The fault ends: the daemon comes back with its models.
    procs.kill("nomodel")?;
    start_daemon(procs, dir, "nomodel-fixed", ports.nomodel, &[])?;
    routing_phase::notified(&hook, "oncall-pager", "ModelNotLoaded", "resolved")?;
    procs.kill("faulty")?;
    fires_for(&prom, "AutoVoiceDown", &format!("127.0.0.1:{}", ports.faulty))?;
    if !prom.firing("CacheBackendFailing")?.is_empty() {
        return Err("CacheBackendFailing fires while Redis is up".to_owned());
    }
    procs.kill("redis")?;
    fires_for(&prom, "CacheBackendFailing", &format!("127.0.0.1:{}", ports.app))?;
    // The daemon keeps serving, uncached, and says so on /ready.
    let r = post(
        ports.app,
        "/synthesize",
        "application/json",
        br#"{"text": "Redis is gone.", "speaker_id": "alto"}"#,
    )?;
    let ready = http::get(&url(ports.app, "/ready"), TIMEOUT)?;
    if r.status != 200 || ready.status != 200 || !ready.text().contains(r#""state":"down""#) {
        return Err(format!(
            "without Redis: synthesize {}, ready {} {}",
            r.status,
            ready.status,
            ready.text()
        ));
    }
    // 6. check-live on the healthy daemon.
    let o = avctl(&ports, &["check-live", &url(ports.app, ""), "-q"])?;
    eprintln!("{}", String::from_utf8_lossy(&o.stderr).trim_end());
    if !o.status.success() {
        return Err(format!(
            "check-live: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    // 7. The inhibition model against a fresh Alertmanager with the same configuration.
    let model_am = routing_phase::start(procs, dir, "alertmanager-model", free_port()?)?;
    routing_phase::model_agrees(&model_am, dir)
}

#[test]
#[ignore = "end to end: needs release binaries, prometheus and espeak-ng (scripts/test.sh runs it)"]
fn generated_stack_works_against_a_real_prometheus_and_daemon() {
    let tmp = std::env::temp_dir().join(format!("autovoice-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let started = Instant::now();
    let result = {
        let mut procs = Procs::default();
        run(&tmp, &mut procs)
        // `procs` drops here: every child is killed and reaped, on success or failure.
    };
    if let Err(e) = &result {
        for log in [
            "app",
            "nomodel",
            "nomodel-fixed",
            "faulty",
            "prometheus",
            "redis",
            "alertmanager",
            "alertmanager-model",
        ] {
            let text = std::fs::read_to_string(tmp.join(format!("{log}.log"))).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            eprintln!(
                "--- {log}.log (last lines)\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        let _ = std::fs::remove_dir_all(&tmp);
        panic!("end-to-end test failed after {:.0}s: {e}", started.elapsed().as_secs_f64());
    }
    let _ = std::fs::remove_dir_all(&tmp);
    eprintln!("e2e: passed in {:.0}s", started.elapsed().as_secs_f64());
}
