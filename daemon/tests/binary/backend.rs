//! The binary's compute backend: `--backend cuda` without a device refuses to start with the
//! reason (exit 2, never listening), and the choice is logged once and exported. In a `--features
//! cuda` build (`scripts/check-cuda-fallback.sh`) the same tests prove the fallback.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../models");

/// What the log gives as the reason for the CPU: the probe's error after `CUDA unavailable: `
/// in a CUDA build, that the build has none otherwise.
fn reason_is_right(reason: &str) -> bool {
    match reason.strip_prefix("CUDA unavailable: ") {
        Some(why) => cfg!(feature = "cuda") && !why.is_empty(),
        None => !cfg!(feature = "cuda") && reason == autovoice_daemon::engine::select::NOT_BUILT,
    }
}

/// Whether this machine has an NVIDIA driver with a device node; the refusal and fallback
/// tests are for machines without.
fn has_gpu() -> bool {
    std::path::Path::new("/dev/nvidiactl").exists()
}

#[test]
fn requiring_cuda_without_a_device_refuses_to_start_with_the_reason() {
    if has_gpu() && cfg!(feature = "cuda") {
        eprintln!("a GPU is present: `--backend cuda` would start; nothing to refuse");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let out = Command::new(env!("CARGO_BIN_EXE_autovoiced"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--models-dir", MODELS, "--backend", "cuda"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let log = String::from_utf8_lossy(&out.stdout);
    let line: serde_json::Value = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["fields"]["message"] == "cannot start")
        .unwrap_or_else(|| panic!("no start error in {log}"));
    let error = line["fields"]["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("--backend cuda: "), "{error}");
    if !cfg!(feature = "cuda") {
        assert!(error.contains("rebuild with `--features cuda`"), "{error}");
    }
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "it never listened");
}

#[test]
fn the_binary_logs_its_choice_once_and_exports_it() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_autovoiced"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--models-dir", MODELS])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    let metrics = loop {
        if let Some(text) = http_get(port, "/metrics") {
            break text;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the daemon did not answer");
        std::thread::sleep(Duration::from_millis(50));
    };
    // Serving starts while the models load: wait for them, then stop it.
    while http_get(port, "/ready").is_none_or(|r| !r.starts_with("HTTP/1.1 200")) {
        assert!(start.elapsed() < Duration::from_secs(120), "never ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(child.wait().expect("wait").success());
    let (mut log, mut err) = (String::new(), String::new());
    child.stdout.take().expect("stdout").read_to_string(&mut log).expect("log");
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("stderr");
    let on = if has_gpu() && cfg!(feature = "cuda") { "cuda" } else { "cpu" };
    assert!(metrics.contains(&format!("autovoice_compute_backend{{backend=\"{on}\"}} 1")), "{metrics}");
    let chosen: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["fields"]["message"] == "compute backend chosen")
        .collect();
    assert_eq!(chosen.len(), 1, "the choice is logged once: {log}");
    assert_eq!(chosen[0]["fields"]["backend"], on);
    if on == "cpu" {
        // A CUDA build that fell back warns; a CPU build only says why it is on the CPU.
        let level = if cfg!(feature = "cuda") { "WARN" } else { "INFO" };
        assert_eq!(chosen[0]["level"], level, "{}", chosen[0]);
        assert!(chosen[0]["fields"]["reason"].as_str().is_some_and(reason_is_right), "{}", chosen[0]);
    }
    // The CUDA runtime's panic, caught by the probe, is not printed.
    assert!(!err.contains("panicked"), "{err}");
}

/// One `GET` with `Connection: close`: the whole answer, or `None` when nothing answers.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    (!out.is_empty()).then_some(out)
}
