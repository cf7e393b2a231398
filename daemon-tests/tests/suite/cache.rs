//! The synthesis cache and shared state against a real `redis-server`: misses then hits with
//! identical bytes, keys that change with every input, single flight, two daemons sharing hits
//! and speakers, corrupt entries, Redis killed under load and restarted, and a Redis that would
//! lose speakers refused at start.

use crate::common::redis_server::RedisServer;
use crate::common::*;
use autovoice_daemon::AppState;
use autovoice_daemon::config::Config;
use autovoice_daemon::speakers::{self, Speaker};
use std::time::{Duration, Instant};

fn synth(text: &str, speaker: &str) -> axum::http::Request<axum::body::Body> {
    post("/synthesize", format!(r#"{{"text": "{text}", "speaker_id": "{speaker}"}}"#))
}

fn cache_header(h: &axum::http::HeaderMap) -> String {
    h.get("x-autovoice-cache").and_then(|v| v.to_str().ok()).unwrap_or("absent").to_owned()
}

/// Pipeline runs so far: each synthesis runs the front end once.
fn frontend_runs(state: &AppState) -> f64 {
    metric(state, r#"autovoice_audio_processing_total{operation="tts_frontend",success="true"}"#)
}

fn lookups(state: &AppState, result: &str, tier: &str) -> f64 {
    metric(
        state,
        &format!(r#"autovoice_cache_requests_total{{cache_result="{result}",cache_tier="{tier}"}}"#),
    )
}

/// A loaded daemon state on `redis` (connected) with `f` applied to its config.
async fn on_redis(redis: &RedisServer, f: impl FnOnce(&mut Config)) -> AppState {
    let url = redis.url();
    let state = state_with(
        |c| {
            c.redis_url = Some(url);
            f(c);
        },
        None,
        true,
    );
    state.connect_shared().await.expect("connect");
    assert!(state.redis.as_ref().is_some_and(|r| r.is_up()), "Redis answers");
    state
}

/// Waits until the cache entries written in the background have reached Redis.
fn wait_for_keys(redis: &RedisServer, n: usize) -> Vec<String> {
    let start = Instant::now();
    loop {
        let keys: Vec<String> =
            redis.cli(&["--scan", "--pattern", "autovoice:cache:*"]).lines().map(str::to_owned).collect();
        if keys.len() >= n {
            return keys;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "{} of {n} entries in Redis", keys.len());
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[tokio::test]
async fn memory_cache_hits_with_identical_bytes_and_misses_on_any_change() {
    require_espeak();
    let state = ready_state();
    let (s, h1, b1) = send(&state, synth("Cached words.", "alto")).await;
    assert_eq!((s, cache_header(&h1).as_str()), (200, "miss"));
    let (s, h2, b2) = send(&state, synth("Cached   words.", "alto")).await;
    assert_eq!((s, cache_header(&h2).as_str()), (200, "hit-memory"), "whitespace is normalised");
    assert_eq!(b1, b2, "a hit returns the computed bytes");
    for name in ["x-autovoice-pitch-ratio", "x-autovoice-pitch-error-cents", "x-autovoice-speaker-similarity"]
    {
        assert_eq!(h1.get(name), h2.get(name), "{name} is cached with the audio");
    }
    assert_eq!(frontend_runs(&state), 1.0, "the pipeline ran once");
    let (_, h, _) = send(&state, synth("Cached words.", "bass")).await;
    assert_eq!(cache_header(&h), "miss", "another speaker is another key");
    // Conversions: the upload and the pitch shift are in the key.
    let tone = tone_wav(200.0, 1.0, 16_000);
    let convert = |q: &str| {
        axum::http::Request::post(format!("/convert?{q}"))
            .body(axum::body::Body::from(tone.clone()))
            .expect("req")
    };
    let (s, h, _) = send(&state, convert("pitch_shift=2")).await;
    assert_eq!((s, cache_header(&h).as_str()), (200, "miss"));
    let (_, h, _) = send(&state, convert("pitch_shift=3")).await;
    assert_eq!(cache_header(&h), "miss", "a changed pitch shift is a miss");
    let (_, h, _) = send(&state, convert("pitch_shift=2")).await;
    assert_eq!(cache_header(&h), "hit-memory");
    assert_eq!((lookups(&state, "hit", "memory"), lookups(&state, "miss", "memory")), (2.0, 4.0));
    assert!(metric(&state, "autovoice_cache_memory_entries") == 4.0);
    assert!(metric(&state, "autovoice_cache_memory_bytes") > 4.0 * 10_000.0);
    // Synthesis requests are counted whether or not they hit.
    assert_eq!(
        metric(&state, r#"autovoice_synthesis_requests_total{speaker_id="alto",success="true"}"#),
        2.0
    );

    let off = state_with(|c| c.cache_bytes = 0, None, true);
    for _ in 0..2 {
        let (_, h, _) = send(&off, synth("Cached words.", "alto")).await;
        assert_eq!(cache_header(&h), "miss");
    }
    assert_eq!(frontend_runs(&off), 2.0, "--cache-bytes 0 turns the cache off");
    assert_eq!(lookups(&off, "miss", "memory"), 0.0, "no lookups are counted when it is off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_identical_requests_run_the_pipeline_once() {
    require_espeak();
    let state = ready_state();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let st = state.clone();
        tasks.push(tokio::spawn(async move { send(&st, synth("Twenty at once.", "default")).await }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        let (s, _, b) = t.await.expect("join");
        assert_eq!(s, 200);
        bodies.push(b);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "every caller got the same audio");
    assert_eq!(frontend_runs(&state), 1.0, "single flight: one pipeline run for 20 requests");
    let hits = lookups(&state, "hit", "inflight") + lookups(&state, "hit", "memory");
    assert_eq!((lookups(&state, "miss", "memory"), hits), (1.0, 19.0));
}

#[tokio::test]
async fn two_daemons_share_hits_and_speakers_through_redis() {
    require_espeak();
    let redis = RedisServer::start(&[]);
    let a = on_redis(&redis, |_| {}).await;
    let b = on_redis(&redis, |_| {}).await;
    let (s, h, from_a) = send(&a, synth("Shared between replicas.", "alto")).await;
    assert_eq!((s, cache_header(&h).as_str()), (200, "miss"));
    wait_for_keys(&redis, 1);
    let (s, h, from_b) = send(&b, synth("Shared between replicas.", "alto")).await;
    assert_eq!((s, cache_header(&h).as_str()), (200, "hit-redis"));
    assert_eq!(from_a, from_b, "the second replica serves the first one's bytes");
    assert_eq!((frontend_runs(&b), lookups(&b, "hit", "redis")), (0.0, 1.0));
    assert!(metric(&b, "autovoice_redis_command_duration_seconds_count") >= 1.0);
    let (_, h, _) = send(&b, synth("Shared between replicas.", "alto")).await;
    assert_eq!(cache_header(&h), "hit-memory", "the near cache keeps what Redis gave");

    // A speaker with other parameters under the same id never gets another's audio.
    let mut altered = speakers::builtin();
    altered[1] = Speaker { target_f0: 200.0, ..altered[1].clone() };
    let cfg = Config { redis_url: Some(redis.url()), ..Config::for_tests() };
    let c = AppState::new(cfg, altered, None).expect("state");
    c.load_models();
    c.connect_shared().await.expect("connect");
    let (_, h, _) = send(&c, synth("Shared between replicas.", "alto")).await;
    assert_eq!(cache_header(&h), "miss", "a changed speaker parameter is a miss");

    // Enrolled on one replica: served, listed and taken on the other at once.
    let (_, _, reference) =
        send(&a, synth("This is my reference recording for the shared store.", "bass")).await;
    let enroll = |id: &str| {
        axum::http::Request::post(format!("/speakers?id={id}"))
            .body(axum::body::Body::from(reference.clone()))
            .expect("req")
    };
    let (s, _, body) = send(&a, enroll("shared-voice")).await;
    assert_eq!(s, 201, "{}", String::from_utf8_lossy(&body));
    let (s, _, body) = send(&b, synth("Spoken by a speaker enrolled elsewhere.", "shared-voice")).await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
    let (s, _, body) = send(&b, enroll("shared-voice")).await;
    assert_eq!((s, json(&body)["error"]["type"].as_str()), (409, Some("conflict")), "409 across replicas");
    let (_, _, list) = send(&c, get("/speakers")).await;
    assert!(json(&list)["speakers"].as_array().expect("list").iter().any(|s| s["id"] == "shared-voice"));
    assert_eq!(redis.cli(&["HLEN", "autovoice:speakers"]), "1");
    let (_, _, ready) = send(&b, get("/ready")).await;
    let ready = json(&ready);
    assert_eq!(
        (ready["cache"]["redis"]["state"].as_str(), ready["cache"]["speakers"].as_str()),
        (Some("up"), Some("redis"))
    );
    assert_eq!(ready["cache"]["speakers_appendfsync"], "everysec", "what a Redis crash could lose is shown");
}

#[tokio::test]
async fn corrupt_or_truncated_entries_are_counted_misses() {
    require_espeak();
    let redis = RedisServer::start(&[]);
    // No near cache: every lookup goes to Redis.
    let a = on_redis(&redis, |c| c.cache_bytes = 0).await;
    let (_, _, good) = send(&a, synth("Entries can rot.", "bass")).await;
    let key = wait_for_keys(&redis, 1).remove(0);
    let (_, h, again) = send(&a, synth("Entries can rot.", "bass")).await;
    assert_eq!((cache_header(&h).as_str(), again == good), ("hit-redis", true));
    // Flip bytes in the middle of the audio, then cut the entry short.
    assert_eq!(
        redis.cli(&["SETRANGE", &key, "2000", "garbage!"]).parse::<usize>().map(|n| n > 2000),
        Ok(true)
    );
    let (s, h, healed) = send(&a, synth("Entries can rot.", "bass")).await;
    assert_eq!((s, cache_header(&h).as_str()), (200, "miss"), "a corrupt entry is a miss");
    assert_eq!(healed, good, "never garbage audio");
    wait_for_keys(&redis, 1);
    let script = "return redis.call('SET', KEYS[1], string.sub(redis.call('GET', KEYS[1]), 1, 1000))";
    // The recomputed entry is written back in the background: wait until it is whole again.
    let start = Instant::now();
    while redis.cli(&["STRLEN", &key]).parse::<usize>().unwrap_or(0) < good.len() {
        assert!(start.elapsed() < Duration::from_secs(5), "entry not rewritten");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(redis.cli(&["EVAL", script, "1", &key]), "OK");
    let (s, h, healed) = send(&a, synth("Entries can rot.", "bass")).await;
    assert_eq!(
        (s, cache_header(&h).as_str(), healed == good),
        (200, "miss", true),
        "a truncated entry is a miss"
    );
    assert_eq!(metric(&a, r#"autovoice_cache_errors_total{cache_operation="decode"}"#), 2.0);
    assert_eq!(frontend_runs(&a), 3.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_killed_under_load_fails_nothing_and_hits_resume_after_restart() {
    require_espeak();
    let mut redis = RedisServer::start(&[]);
    let state = on_redis(&redis, |c| {
        c.cache_bytes = 0;
        c.concurrency = 4;
        c.queue = 64;
    })
    .await;
    let texts = ["One.", "Two words.", "Three short words.", "Four words right here."];
    let speakers = ["default", "alto", "bass"];
    let load = |round: usize| {
        let st = state.clone();
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for i in 0..12 {
                let (t, s) = (texts[(i + round) % texts.len()], speakers[(i * 7 + round) % speakers.len()]);
                statuses.push(send(&st, synth(t, s)).await.0);
            }
            statuses
        })
    };
    let clients: Vec<_> = (0..4).map(load).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.kill();
    let mut statuses = Vec::new();
    for c in clients {
        statuses.extend(c.await.expect("join"));
    }
    assert!(statuses.iter().all(|s| *s == 200), "no synthesis failed while Redis died: {statuses:?}");
    let errors =
        |op: &str| metric(&state, &format!(r#"autovoice_cache_errors_total{{cache_operation="{op}"}}"#));
    assert!(errors("get") + errors("set") > 0.0, "the failures are counted");
    let (s, _, ready) = send(&state, get("/ready")).await;
    assert_eq!((s, json(&ready)["cache"]["redis"]["state"].as_str()), (200, Some("down")), "readiness holds");

    // Redis back (same port, its AOF): the daemon reconnects by itself and hits resume.
    redis.revive();
    let start = Instant::now();
    while !state.redis.as_ref().is_some_and(|r| r.is_up()) {
        assert!(start.elapsed() < Duration::from_secs(10), "the daemon did not reconnect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(errors("ping") > 0.0, "failed health pings are counted while Redis is down");
    let (_, h, _) = send(&state, synth("After the restart.", "alto")).await;
    assert_eq!(cache_header(&h), "miss");
    let start = Instant::now();
    loop {
        let (s, h, _) = send(&state, synth("After the restart.", "alto")).await;
        assert_eq!(s, 200);
        if cache_header(&h) == "hit-redis" {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "hits did not resume");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_redis_that_would_lose_speakers_is_refused_at_start() {
    for (args, setting) in [
        (&["--appendonly", "no"][..], "appendonly `no`"),
        (&["--maxmemory-policy", "allkeys-lru"][..], "maxmemory-policy `allkeys-lru`"),
    ] {
        let redis = RedisServer::start(args);
        let state = state_with(|c| c.redis_url = Some(redis.url()), None, false);
        let err = state.connect_shared().await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(setting) && err.contains("--local-speakers"), "{err}");
        // A cache-only Redis is fine when speakers stay local.
        let local = state_with(
            |c| {
                c.redis_url = Some(redis.url());
                c.local_speakers = true;
            },
            None,
            false,
        );
        local.connect_shared().await.expect("cache-only Redis");
        assert_eq!(local.speaker_store_kind(), "memory");
    }
    // A volatile policy evicts only keys with a TTL (cache entries), never the speakers.
    let redis = RedisServer::start(&["--maxmemory-policy", "volatile-lru", "--appendfsync", "always"]);
    let state = state_with(|c| c.redis_url = Some(redis.url()), None, false);
    state.connect_shared().await.expect("volatile-lru keeps speakers");
    assert_eq!(state.speakers_fsync.get().map(String::as_str), Some("always"));
}

#[tokio::test]
async fn speakers_of_a_data_directory_are_imported_once() {
    require_espeak();
    let dir = tempfile::tempdir().expect("tmp");
    let local = state_with(|c| c.data_dir = Some(dir.path().to_owned()), None, true);
    let (_, _, reference) = send(&local, synth("A recording kept on local disk for import.", "alto")).await;
    let req = axum::http::Request::post("/speakers?id=from-disk")
        .body(axum::body::Body::from(reference))
        .expect("req");
    assert_eq!(send(&local, req).await.0, 201);
    let redis = RedisServer::start(&[]);
    let shared = on_redis(&redis, |c| c.data_dir = Some(dir.path().to_owned())).await;
    assert_eq!(redis.cli(&["HEXISTS", "autovoice:speakers", "from-disk"]), "1");
    assert_eq!(shared.speaker_store_kind(), "redis");
    // A second daemon on the same (now non-empty) store imports nothing and sees the speaker.
    let other = tempfile::tempdir().expect("tmp");
    let again = on_redis(&redis, |c| c.data_dir = Some(other.path().to_owned())).await;
    assert!(again.speaker("from-disk").is_some());
    assert_eq!(redis.cli(&["HLEN", "autovoice:speakers"]), "1");
}
