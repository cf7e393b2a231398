//! Speakers are user data: an enrollment the shared store acknowledged (201) survives `kill -9`
//! of the daemon in the middle of a burst of enrollments and a restart of Redis, and the next
//! daemon on that Redis serves it. Runs the real binary against a real `redis-server`.

use crate::redis_server::RedisServer;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One HTTP/1.1 request with `Connection: close`: the status and the body.
fn http(port: u16, method: &str, path: &str, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").ok_or(std::io::ErrorKind::UnexpectedEof)?;
    let status = std::str::from_utf8(&out[9..12]).ok().and_then(|c| c.parse().ok()).unwrap_or(0);
    Ok((status, out[split + 4..].to_vec()))
}

fn daemon(port: u16, redis: &RedisServer) -> Child {
    let models = concat!(env!("CARGO_MANIFEST_DIR"), "/../models");
    let child = Command::new(env!("CARGO_BIN_EXE_autovoiced"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--redis-url", &redis.url(), "--models-dir", models])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn autovoiced");
    let start = Instant::now();
    while !matches!(http(port, "GET", "/ready", b""), Ok((200, _))) {
        assert!(start.elapsed() < Duration::from_secs(90), "daemon not ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port()
}

#[test]
fn acknowledged_enrollments_survive_kill_9_and_a_redis_restart() {
    crate::require_espeak();
    let mut redis = RedisServer::start(&[]);
    let port = free_port();
    let mut first = daemon(port, &redis);
    let (status, reference) =
        http(port, "POST", "/synthesize", br#"{"text": "This is my reference recording, spoken clearly for enrollment.", "speaker_id": "bass"}"#)
            .expect("synthesize");
    assert_eq!(status, 200);

    // Enroll one speaker after another until the daemon is killed under them.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let burst = {
        let (acked, reference) = (acked.clone(), reference.clone());
        std::thread::spawn(move || {
            for i in 0..50 {
                let id = format!("burst-{i}");
                match http(port, "POST", &format!("/speakers?id={id}"), &reference) {
                    Ok((201, _)) => acked.lock().expect("lock").push(id),
                    Ok((s, b)) => panic!("enrollment answered {s}: {}", String::from_utf8_lossy(&b)),
                    Err(_) => return,
                }
            }
        })
    };
    let start = Instant::now();
    while acked.lock().expect("lock").len() < 3 {
        assert!(start.elapsed() < Duration::from_secs(60), "enrollments too slow");
        std::thread::sleep(Duration::from_millis(5));
    }
    first.kill().expect("kill -9");
    first.wait().expect("reap");
    burst.join().expect("burst");
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() >= 3);

    redis.restart();
    let port = free_port();
    let mut second = daemon(port, &redis);
    let (_, list) = http(port, "GET", "/speakers", b"").expect("list");
    let list: serde_json::Value = serde_json::from_slice(&list).expect("json");
    let ids: Vec<&str> =
        list["speakers"].as_array().expect("array").iter().filter_map(|s| s["id"].as_str()).collect();
    for id in &acked {
        assert!(ids.contains(&id.as_str()), "acknowledged `{id}` lost; the store holds {ids:?}");
    }
    let body = format!(r#"{{"text": "Still here.", "speaker_id": "{}"}}"#, acked[0]);
    assert_eq!(http(port, "POST", "/synthesize", body.as_bytes()).expect("synthesize").0, 200);
    second.kill().expect("kill");
    let _ = second.wait();
}
