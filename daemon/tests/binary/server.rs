//! The binary as a process: graceful shutdown on SIGTERM, idle and under load (every accepted
//! request finished with a whole WAV, exit status 0), and `autovoiced probe`, the container
//! healthcheck.

use std::time::{Duration, Instant};

#[test]
fn the_binary_shuts_down_cleanly_on_sigterm() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_autovoiced"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--skip-models"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "daemon did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status =
        std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let code = child.wait().expect("wait");
    assert!(code.success(), "exit status {code}");
    let mut log = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().expect("stdout"), &mut log).expect("log");
    let lines: Vec<serde_json::Value> =
        log.lines().map(|l| serde_json::from_str(l).expect("every log line is JSON")).collect();
    assert!(lines.iter().any(|l| l["fields"]["message"] == "shut down cleanly"), "{log}");
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "compute backend chosen" && l["fields"]["backend"] == "cpu"),
        "backend logged at start: {log}"
    );
}

/// One HTTP/1.1 exchange over a plain socket with `Connection: close`: whatever came back,
/// split at the end of the headers.
fn exchange(port: u16, request: &[u8]) -> (String, Vec<u8>) {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return (String::new(), Vec::new());
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(60)));
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").map_or(out.len(), |i| i + 4);
    (String::from_utf8_lossy(&out[..split]).into_owned(), out[split..].to_vec())
}

fn synthesis_request(text: &str) -> Vec<u8> {
    let body = serde_json::json!({"text": text, "speaker_id": "alto"}).to_string();
    format!(
        "POST /synthesize HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn under_load_sigterm_finishes_every_accepted_request_with_a_whole_wav_and_exits_zero() {
    crate::require_espeak();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let models = concat!(env!("CARGO_MANIFEST_DIR"), "/../models");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_autovoiced"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--concurrency", "2", "--queue", "8"])
        .args(["--models-dir", models, "--quality-sample", "0", "--cache-bytes", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    while !exchange(port, b"GET /ready HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .0
        .starts_with("HTTP/1.1 200")
    {
        assert!(start.elapsed() < Duration::from_secs(120), "the daemon did not become ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Six clients at once on two slots: two run, four wait in the queue when the signal comes.
    let sentence = "This request was in flight when the daemon was told to stop, and it still finishes.";
    let clients: Vec<_> = (0..6)
        .map(|i| {
            let req = synthesis_request(&format!("Client {i}. {sentence} {sentence}"));
            std::thread::spawn(move || exchange(port, &req))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    let signalled = Instant::now();
    let status =
        std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    // A request after the signal is not served: refused or closed without an answer.
    std::thread::sleep(Duration::from_millis(100));
    let (late, _) = exchange(port, &synthesis_request("Too late."));
    assert!(!late.starts_with("HTTP/1.1 200"), "a request after SIGTERM was served: {late}");
    for (i, c) in clients.into_iter().enumerate() {
        let (head, body) = c.join().expect("client");
        assert!(head.starts_with("HTTP/1.1 200"), "client {i}: {head}");
        let audio = autovoiced_wav(&body).unwrap_or_else(|e| panic!("client {i}: not a whole WAV: {e}"));
        assert!(audio > 3.0, "client {i}: {audio} s of audio");
    }
    let code = child.wait().expect("wait");
    assert!(code.success(), "exit status {code}");
    assert!(signalled.elapsed() > Duration::from_millis(300), "it waited for the work in flight");
    let mut log = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().expect("stdout"), &mut log).expect("log");
    assert!(log.contains("shut down cleanly"), "{log}");
}

/// Seconds of audio in a complete WAV file (strict: the declared sizes must hold).
fn autovoiced_wav(body: &[u8]) -> Result<f64, String> {
    autovoice_daemon::wav::decode(body, false).map(|a| a.duration_secs()).map_err(|e| e.to_string())
}

/// Runs `autovoiced probe` with `args` against a daemon listening on `listen`.
fn probe(listen: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_autovoiced"))
        .args(["--listen", listen, "probe"])
        .args(args)
        .output()
        .expect("run probe")
}

#[test]
fn probe_exits_zero_only_on_a_success_answer_from_the_running_daemon() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    // Nothing listens yet: the probe fails and says why.
    let refused = probe(&format!("0.0.0.0:{port}"), &[]);
    assert_eq!(refused.status.code(), Some(1));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains(&format!("127.0.0.1:{port}/health")) && why.contains("refused"), "{why}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_autovoiced"))
        .args(["--listen", &format!("0.0.0.0:{port}"), "--skip-models"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "daemon did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Listening on every address, the daemon is probed on loopback; /health answers 200.
    let healthy = probe(&format!("0.0.0.0:{port}"), &[]);
    assert_eq!(healthy.status.code(), Some(0), "{}", String::from_utf8_lossy(&healthy.stderr));
    assert_eq!(String::from_utf8_lossy(&healthy.stdout).trim(), format!("127.0.0.1:{port}/health: 200 OK"));
    // --skip-models keeps /ready at 503: not a success.
    let unready = probe(&format!("0.0.0.0:{port}"), &["--path", "/ready"]);
    assert_eq!(unready.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unready.stderr).ends_with("/ready: answered 503 Service Unavailable\n"));
    let _ = child.kill();
    let _ = child.wait();
}
