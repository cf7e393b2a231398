//! The remote-write overlay against real Prometheus 2.42 servers: one evaluates the generated
//! rules and writes to another started as a remote-write receiver (what Thanos Receive and
//! Mimir accept); the receiver must hold the recorded series, each with the cluster's external
//! label, and none of the raw series the overlay keeps local.

use crate::common::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn prometheus(
    bin: &std::path::Path,
    config: &std::path::Path,
    data: &std::path::Path,
    port: u16,
    extra: &[&str],
) -> Killed {
    let log = std::fs::File::create(data.with_extension("log")).expect("log");
    let child = Command::new(bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    Killed(child)
}

/// The instant vector of `query` at the Prometheus on `port`.
fn query(port: u16, query: &str) -> Result<Vec<serde_json::Value>, String> {
    let q: String = query
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let r = avctl::live::http::get(
        &format!("http://127.0.0.1:{port}/api/v1/query?query={q}"),
        Duration::from_secs(3),
    )?;
    let v: serde_json::Value = serde_json::from_slice(&r.body).map_err(|e| format!("{e}: {}", r.text()))?;
    Ok(v["data"]["result"].as_array().cloned().unwrap_or_default())
}

#[test]
fn recorded_series_reach_the_receiver_labelled_with_their_cluster_and_raw_ones_stay_local() {
    let Some(bin) = tool("prometheus") else { return };
    let dir = tempdir();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret\n").expect("token");
    let (receiver_port, sender_port) = (free_port(), free_port());
    let spec = repo().join("specs");
    let o = Command::new(env!("CARGO_BIN_EXE_avctl"))
        .args(["--spec", spec.to_str().expect("utf8"), "--overlay"])
        .arg(spec.join("overlays/remote-write.yaml"))
        .args(["generate", "--out", "."])
        .env("CLUSTER", "ci-cluster-1")
        .env("REMOTE_WRITE_URL", format!("http://127.0.0.1:{receiver_port}/api/v1/write"))
        .env("REMOTE_WRITE_TOKEN_FILE", &token)
        .current_dir(dir.path())
        .output()
        .expect("avctl");
    assert!(o.status.success(), "{}", text(&o));
    let receiver_config = dir.path().join("receiver.yml");
    std::fs::write(&receiver_config, "global: {}\n").expect("config");
    let _receiver = prometheus(
        &bin,
        &receiver_config,
        &dir.path().join("receiver"),
        receiver_port,
        &["--web.enable-remote-write-receiver"],
    );
    let sender_config = dir.path().join("generated/prometheus/prometheus.yml");
    let _sender = prometheus(&bin, &sender_config, &dir.path().join("sender"), sender_port, &[]);

    // Rules evaluate every 10s and the queue sends within seconds: allow a minute. The sender
    // must also have scraped once, so that it holds raw series that could leak.
    let slos = avspec::load_dir(&spec).spec.map(|s| s.slos.len()).expect("the spec loads");
    let start = Instant::now();
    let recorded = loop {
        let found = query(receiver_port, "slo:objective:ratio").unwrap_or_default();
        let scraped = !query(sender_port, "up").unwrap_or_default().is_empty();
        if (found.len() == slos && scraped) || start.elapsed() > Duration::from_secs(60) {
            break found;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let logs = || std::fs::read_to_string(dir.path().join("sender.log")).unwrap_or_default();
    assert_eq!(recorded.len(), slos, "one objective per SLO at the receiver: {recorded:?}\n{}", logs());
    for s in &recorded {
        assert_eq!(s["metric"]["cluster"], "ci-cluster-1", "{s}");
    }
    // The sender has raw series (its scrape jobs' `up`); none of them left it.
    assert!(!query(sender_port, "up").expect("sender up").is_empty());
    let raw = query(receiver_port, r#"{__name__!~".+:.+|ALERTS"}"#).expect("receiver query");
    assert!(raw.is_empty(), "raw series reached the receiver: {raw:?}");
}

#[test]
fn remote_write_without_the_cluster_label_is_refused() {
    let spec = tempdir();
    copy_tree(&repo().join("specs"), spec.path());
    let overlay = spec.path().join("overlays/remote-write.yaml");
    let original = std::fs::read_to_string(&overlay).expect("overlay");
    let broken = original
        .replace("      - {name: cluster, value: \"${CLUSTER}\"}\n", "      - {name: region, value: eu}\n");
    assert_ne!(broken, original);
    std::fs::write(&overlay, &broken).expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_avctl"))
        .args(["--spec", spec.path().to_str().expect("utf8"), "--overlay"])
        .arg(&overlay)
        .arg("validate")
        .output()
        .expect("avctl");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let line = broken.lines().position(|l| l.contains("- name: long-term")).expect("endpoint") + 1;
    let at = format!("overlays/remote-write.yaml:{line}:15");
    assert!(
        text(&o).contains("error[prometheus/remote-write-mixes-clusters]") && text(&o).contains(&at),
        "{at}?\n{}",
        text(&o)
    );
}
