//! The synthesis cache: `/synthesize` uncached (every request computed) against a memory hit
//! and a Redis hit, and the cost of one Redis round trip on loopback. Starts its own
//! `redis-server` on a free port (scripts/setup.sh installs it); the Redis cases are skipped,
//! with a note, when it is missing.

use autovoice_daemon::config::Config;
use autovoice_daemon::metrics::label::CacheOperation;
use autovoice_daemon::{AppState, router, speakers};
use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const BODY: &str = r#"{"text": "Hello from AutoVoice, answered from the cache.", "speaker_id": "alto"}"#;

fn state(rt: &tokio::runtime::Runtime, f: impl FnOnce(&mut Config)) -> AppState {
    // Nothing sampled for measurement: it would run behind the next request and blur it.
    let mut cfg = Config { quality_sample: 0.0, ..Config::for_tests() };
    f(&mut cfg);
    let _guard = rt.enter();
    let state = AppState::new(cfg, speakers::builtin(), None).expect("state");
    state.load_models();
    rt.block_on(state.connect_shared()).expect("connect");
    state
}

fn synthesize(rt: &tokio::runtime::Runtime, state: &AppState) -> String {
    rt.block_on(async {
        let req =
            Request::post("/synthesize").header("content-type", "application/json").body(Body::from(BODY));
        let res = router(state.clone()).oneshot(req.expect("request")).await.expect("infallible");
        assert_eq!(res.status(), 200);
        let how =
            res.headers().get("x-autovoice-cache").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        res.into_body().collect().await.expect("body");
        how
    })
}

fn redis_server() -> Option<(Child, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--dir",
        ])
        .arg(std::env::temp_dir())
        .args(["--appendfilename", &format!("bench-{port}.aof")])
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > Duration::from_secs(5) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((child, port))
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut group = c.benchmark_group("cache");
    group.sample_size(10);
    let uncached = state(&rt, |c| c.cache_bytes = 0);
    group.bench_function("synthesize_uncached", |b| b.iter(|| synthesize(&rt, &uncached)));
    drop(uncached);
    let memory = state(&rt, |_| {});
    assert_eq!(synthesize(&rt, &memory), "miss");
    group.sample_size(100);
    group.bench_function("synthesize_memory_hit", |b| {
        b.iter(|| assert_eq!(synthesize(&rt, &memory), "hit-memory"))
    });
    drop(memory);
    match redis_server() {
        Some((mut child, port)) => {
            let url = format!("redis://127.0.0.1:{port}/0");
            let redis = state(&rt, |c| {
                c.cache_bytes = 0;
                c.redis_url = Some(url);
            });
            synthesize(&rt, &redis);
            while synthesize(&rt, &redis) != "hit-redis" {
                std::thread::sleep(Duration::from_millis(10));
            }
            group.bench_function("synthesize_redis_hit", |b| {
                b.iter(|| assert_eq!(synthesize(&rt, &redis), "hit-redis"))
            });
            let client = redis.redis.clone().expect("redis");
            group.bench_function("redis_round_trip_ping", |b| {
                b.iter(|| {
                    rt.block_on(client.query::<String>(CacheOperation::Ping, &redis::cmd("PING")))
                        .expect("ping")
                })
            });
            let _ = child.kill();
            let _ = child.wait();
        }
        None => {
            eprintln!("cache bench: redis-server not available; Redis cases skipped (run scripts/setup.sh)")
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
