//! Tests against a real listening server: WebSocket streaming, malformed traffic (the server
//! keeps serving) and overload answered at once. The binary's shutdown on SIGTERM and its probe
//! are tested in the daemon's package (daemon/tests/binary/server.rs).

use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// Sends raw bytes and returns whatever the server answers before closing or 5 s pass.
async fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    // No write shutdown: hyper drops a request whose client half-closes the connection.
    let _ = s.write_all(bytes).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

async fn health_ok(addr: SocketAddr) -> bool {
    raw(addr, b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .starts_with("HTTP/1.1 200")
}

#[tokio::test]
async fn websocket_streams_audio_then_a_summary_and_survives_bad_messages() {
    require_espeak();
    let state = ready_state();
    let addr = serve(state.clone()).await;
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/ws/synthesize")).await.expect("connect");
    assert_eq!(metric(&state, "autovoice_active_websocket_connections"), 1.0);
    ws.send(Message::Text("{not json".into())).await.expect("send");
    let Some(Ok(Message::Text(err))) = ws.next().await else { panic!("expected an error message") };
    assert_eq!(json(err.as_bytes())["error"]["type"], "malformed_json");
    ws.send(Message::Text(r#"{"text":"Streaming works.","speaker_id":"bass","quality":"sync"}"#.into()))
        .await
        .expect("send");
    let (audio, summary) = ws_answer(&mut ws).await;
    assert_eq!(summary["done"], true);
    assert_eq!(summary["bytes"].as_u64(), Some(audio.len() as u64));
    assert_eq!(summary["pieces"].as_u64(), Some(1));
    assert!(summary["first_audio_ms"].as_f64().is_some(), "{summary}");
    // The quality, asked for synchronously, travels in the summary.
    assert!(summary["pitch_error_cents"].as_f64().is_some_and(|c| c < 100.0), "{summary}");
    assert!(summary["speaker_similarity"].as_f64().is_some_and(|s| s > 0.5), "{summary}");
    assert!(autovoice_daemon::wav::decode(&audio, true).is_ok(), "the chunks form a WAV stream");
    ws.close(None).await.expect("close");
    drop(ws);
    let start = Instant::now();
    while metric(&state, "autovoice_active_websocket_connections") != 0.0 {
        assert!(start.elapsed() < Duration::from_secs(5), "active gauge not decremented");
        tokio::task::yield_now().await;
    }
    assert_eq!(metric(&state, "autovoice_websocket_connections_total"), 1.0);
    assert_eq!(
        metric(&state, r#"autovoice_synthesis_requests_total{speaker_id="bass",success="true"}"#),
        1.0
    );
    assert_eq!(
        metric(
            &state,
            r#"autovoice_http_requests_total{endpoint="/ws/synthesize",method="GET",status="101"}"#
        ),
        1.0
    );
}

/// At least 30 kinds of malformed requests; after each the server still answers /health.
#[tokio::test]
async fn malformed_traffic_does_not_stop_the_server() {
    let state = state_with(
        |c| {
            c.max_body_bytes = 64 * 1024;
            c.max_audio_secs = 2.0;
        },
        None,
        true,
    );
    let addr = serve(state.clone()).await;
    let wav = tone_wav(200.0, 0.2, 8000);
    let req = |method: &str, path: &str, headers: &str, body: &[u8]| {
        let mut v = format!(
            "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        v.extend_from_slice(body);
        v
    };
    let mut truncated_wav = wav.clone();
    truncated_wav.truncate(60);
    let mut eight_bit = wav.clone();
    eight_bit[34..36].copy_from_slice(&8u16.to_le_bytes());
    let mut six_channels = wav.clone();
    six_channels[22..24].copy_from_slice(&6u16.to_le_bytes());
    let mut nan = autovoice_daemon::wav::encode(&[0.0; 16], 8000);
    nan[20..22].copy_from_slice(&3u16.to_le_bytes());
    nan[34..36].copy_from_slice(&32u16.to_le_bytes());
    nan.truncate(44);
    nan.extend_from_slice(&f32::NAN.to_le_bytes());
    let cases: Vec<Vec<u8>> = vec![
        b"\r\n\r\n".to_vec(),
        b"GARBAGE\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"GET / HTTP/9.9\r\n\r\n".to_vec(),
        b"GET /health HTTP/1.1\r\nHost: t\r\nBad Header Line\r\n\r\n".to_vec(),
        b"POST /synthesize HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"te".to_vec(),
        b"POST /synthesize HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n".to_vec(),
        b"POST /synthesize HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(),
        req("POST", "/synthesize", "", b"{}"),
        req("POST", "/synthesize", "", b"[]"),
        req("POST", "/synthesize", "", b"null"),
        req("POST", "/synthesize", "", br#"{"text": 5, "speaker_id": "default"}"#),
        req("POST", "/synthesize", "", br#"{"text": "hi"}"#),
        req("POST", "/synthesize", "", b"\xff\xfe\x00garbage"),
        req("POST", "/synthesize", "", br#"{"text":"hi","speaker_id":"../../etc/passwd"}"#),
        req("POST", "/synthesize", "", &[b'{'; 70_000]),
        req("POST", "/synthesize", "", br#"{"text":"\u0000\u0001","speaker_id":"default","format":"ogg"}"#),
        req("POST", "/convert?pitch_shift=1", "", b""),
        req("POST", "/convert?pitch_shift=1", "", b"RIFF"),
        req("POST", "/convert?pitch_shift=1", "", &truncated_wav),
        req("POST", "/convert?pitch_shift=1", "", &eight_bit),
        req("POST", "/convert?pitch_shift=1", "", &six_channels),
        req("POST", "/convert?pitch_shift=1", "", &nan),
        req("POST", "/convert?pitch_shift=1", "", &autovoice_daemon::wav::encode(&[0.1; 40_000], 8000)),
        req("POST", "/convert?pitch_shift=NaN", "", &wav),
        req("POST", "/convert?pitch_shift=1e400", "", &wav),
        req("POST", "/convert?speaker_id=%00", "", &wav),
        req("POST", "/convert?what=ever", "", &wav),
        req("POST", "/convert?&&&", "", &wav),
        req("PUT", "/speakers", "", b""),
        req("GET", "/../../etc/passwd", "", b""),
        req("GET", "/ws/synthesize", "", b""),
        req(
            "GET",
            "/ws/synthesize",
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 99\r\n",
            b"",
        ),
        req("GET", "/health", &format!("X-Request-Id: {}\r\n", "x".repeat(500)), b""),
        req("GET", "/health", "X-Request-Id: ../\r\n", b""),
        req("GET", "/speakers", "Authorization: Bearer \r\n", b""),
    ];
    assert!(cases.len() >= 30);
    for (i, c) in cases.iter().enumerate() {
        let answer = raw(addr, c).await;
        assert!(!answer.starts_with("HTTP/1.1 500") || answer.contains("\"type\""), "case {i}: {answer}");
        assert!(health_ok(addr).await, "server stopped answering after case {i}");
    }
    // Every status the server produced is inside the spec's domain: nothing was left uncounted.
    let text = state.metrics.render().expect("render");
    assert!(
        text.contains(r#"error_type="malformed_json""#) && text.contains(r#"error_type="unsupported_audio""#)
    );
}

#[tokio::test]
async fn overload_is_refused_at_once_while_health_and_metrics_answer() {
    let state = state_with(
        |c| {
            c.concurrency = 1;
            c.queue = 1;
        },
        None,
        true,
    );
    let addr = serve(state.clone()).await;
    let _slot = state.limiter.acquire(Duration::from_secs(1)).await.expect("slot");
    // One request may queue; the rest are refused immediately.
    let body = tone_wav(200.0, 0.5, 8000);
    // Distinct requests: identical ones would join the queued one (single flight), not queue.
    let request = |shift: u32| {
        let mut v = format!("POST /convert?pitch_shift={shift} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        v.extend_from_slice(&body);
        v
    };
    let queued = tokio::spawn({
        let r = request(3);
        async move { raw(addr, &r).await }
    });
    while state.limiter.waiting() == 0 {
        tokio::task::yield_now().await;
    }
    for shift in 4..9 {
        let start = Instant::now();
        let answer = raw(addr, &request(shift)).await;
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.to_ascii_lowercase().contains("retry-after: 1"), "{answer}");
        assert!(start.elapsed() < Duration::from_secs(2), "503 must be immediate");
        assert!(health_ok(addr).await);
        assert!(
            raw(addr, b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                .await
                .starts_with("HTTP/1.1 200")
        );
    }
    drop(_slot);
    let served = queued.await.expect("join");
    assert!(served.starts_with("HTTP/1.1 200"), "the queued request is served: {served}");
}
