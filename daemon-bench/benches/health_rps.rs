//! Requests per second of `GET /health` through the daemon's full router and middleware
//! (metrics, request ids, logs off) and its own accept loop with the client limits, against a
//! bare axum hello-world on `axum::serve`, same machine, same client.
//! Prints both rates and their ratio (target: at least 0.9).

use autovoice_daemon::config::Config;
use autovoice_daemon::{AppState, router, server, speakers};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CONNECTIONS: usize = 32;
const SECONDS: u64 = 5;

async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// Keep-alive clients sending `GET /health` as fast as answers come; returns requests/s.
async fn load(addr: SocketAddr) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let mut buf = vec![0u8; 4096];
            while Instant::now() < deadline {
                s.write_all(b"GET /health HTTP/1.1\r\nHost: b\r\n\r\n").await.expect("write");
                // Read one full response: headers, then Content-Length bytes of body.
                let mut have = Vec::new();
                loop {
                    let n = s.read(&mut buf).await.expect("read");
                    assert!(n > 0, "server closed the connection");
                    have.extend_from_slice(&buf[..n]);
                    if let Some(end) = have.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&have[..end]).to_ascii_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length: "))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if have.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.expect("client");
    }
    done.load(Ordering::Relaxed) as f64 / SECONDS as f64
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let bare = serve(axum::Router::new().route(
            "/health",
            axum::routing::get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        ))
        .await;
        let state = AppState::new(Config::for_tests(), speakers::builtin(), None).expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let full = listener.local_addr().expect("addr");
        let limits = server::Limits::from_config(&state.cfg);
        tokio::spawn(server::serve(listener, router(state), limits, std::future::pending()));
        // Warm both up, then measure alternately twice and keep the better run of each.
        load(bare).await;
        load(full).await;
        let (mut b, mut f) = (0.0f64, 0.0f64);
        for _ in 0..2 {
            b = b.max(load(bare).await);
            f = f.max(load(full).await);
        }
        println!("bare axum:      {b:.0} req/s");
        println!("daemon /health: {f:.0} req/s (all middleware and metrics on)");
        println!("ratio:          {:.3}", f / b);
    });
}
