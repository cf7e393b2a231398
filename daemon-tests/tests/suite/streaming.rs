//! Streamed synthesis: over HTTP (chunked WAV of unknown length) and the WebSocket (pipelined
//! requests, cancel), the joins (no clicks, continuous F0), the duration against the whole
//! answer, and slots freed by clients that leave or stop reading.

use crate::common::*;
use autovoice_daemon::metrics::label::Transport;
use autovoice_daemon::pipeline::joins::FADE;
use autovoice_daemon::pipeline::stream::{self, Event};
use autovoice_daemon::pipeline::{self, SynthesisRequest};
use autovoice_daemon::{AppState, wav};
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

const THREE: &str =
    "Hello from AutoVoice. This is the second sentence, with a clause in it. And here is the third one!";

fn request(state: &AppState, text: &str) -> SynthesisRequest {
    let body = serde_json::json!({"text": text, "speaker_id": "alto"}).to_string();
    SynthesisRequest::parse(&state.cfg, body.as_bytes()).expect("request")
}

/// The largest sample-to-sample step in `x[range]`.
fn worst_step(x: &[f32], from: usize, to: usize) -> f32 {
    x[from.max(1)..to.min(x.len())]
        .iter()
        .zip(&x[from.max(1) - 1..])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pieces_join_without_clicks_at_continuous_pitch_and_last_as_long_as_the_whole_answer() {
    require_espeak();
    let state = state_with(|c| c.cache_bytes = 0, None, true);
    let req = request(&state, THREE);
    let whole_requests = metric(&state, "autovoice_synthesis_duration_seconds_count");
    let mut s = stream::synthesize(&state, &req, Transport::Http).await.expect("stream");
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let summary = loop {
        match s.next().await.expect("an event") {
            Event::Audio(b) => chunks.push(b.to_vec()),
            Event::Done(summary) => break summary,
            Event::Failed(e) => panic!("{e}"),
        }
    };
    assert_eq!(summary.pieces, 5, "the first words, then three sentences, one with a clause");
    assert_eq!(summary.bytes, chunks.iter().map(Vec::len).sum::<usize>());
    let bytes = chunks.concat();
    assert_eq!(&bytes[40..44], &[0xff; 4], "a data size of unknown length");
    let streamed = wav::decode(&bytes, true).expect("the chunks are one WAV stream");
    let x = &streamed.samples;

    // Joins are where each chunk ends (its last FADE samples wait for the next piece): the
    // steps around them are no larger than the signal's own steps elsewhere.
    let mut joins = Vec::new();
    let mut at = 0;
    for c in &chunks[..summary.pieces - 1] {
        at += (c.len() - if joins.is_empty() { 44 } else { 0 }) / 2;
        joins.push(at);
    }
    let near = |i: usize| joins.iter().any(|j| i + 2 * FADE >= *j && i <= j + 2 * FADE);
    let elsewhere = (1..x.len()).filter(|i| !near(*i)).map(|i| (x[i] - x[i - 1]).abs()).fold(0.0, f32::max);
    for j in &joins {
        let step = worst_step(x, j.saturating_sub(2 * FADE), j + 2 * FADE);
        assert!(step <= elsewhere, "a click at sample {j}: step {step} against {elsewhere} elsewhere");
    }

    // Each piece reaches the alto's F0 (CREPE), so the pitch carries on across every join.
    let mut bounds = vec![0];
    bounds.extend(&joins);
    bounds.push(x.len());
    let f0s: Vec<f64> = autovoice_daemon::on_engine!(state.engine().expect("engine"), s => {
        let q = s.quality().expect("models");
        bounds
            .windows(2)
            .map(|w| {
                let piece = wav::Audio { samples: x[w[0]..w[1]].to_vec(), sample_rate: streamed.sample_rate };
                q.f0(&s.dsp, &piece).expect("voiced")
            })
            .collect()
    });
    // Every piece is pulled to the same target, so no join moves the voice by more than the
    // spread of the pieces around it (under two semitones; 179-190 Hz measured).
    for (i, f0) in f0s.iter().enumerate() {
        assert!(cents(*f0, 190.0).abs() < 100.0, "piece {i} at {f0} Hz: {f0s:?}");
    }

    // As long as the whole answer of the same text, within 3 %.
    let whole = pipeline::synthesize(&state, &req).await.expect("whole");
    let whole = wav::decode(&whole.output.wav, false).expect("wav");
    let ratio = streamed.duration_secs() / whole.duration_secs();
    assert!(
        (0.97..=1.03).contains(&ratio),
        "streamed {:.3} s, whole {:.3} s",
        streamed.duration_secs(),
        whole.duration_secs()
    );
    assert_eq!(metric(&state, r#"autovoice_time_to_first_audio_seconds_count{transport="http"}"#), 1.0);
    assert_eq!(
        metric(&state, "autovoice_synthesis_duration_seconds_count") - whole_requests,
        2.0,
        "the streamed and the whole answer are each one request"
    );
    assert!(summary.first_audio < Duration::from_secs_f64(whole.duration_secs()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_streams_chunked_and_the_plain_answer_is_unchanged() {
    require_espeak();
    let state = ready_state();
    let addr = serve(state.clone()).await;
    let body = serde_json::json!({"text": THREE, "speaker_id": "alto", "stream": true}).to_string();
    let mut conn = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /synthesize HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await.expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("headers") + 4;
    let headers = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    assert!(headers.starts_with("http/1.1 200"), "{headers}");
    assert!(
        headers.contains("transfer-encoding: chunked") && headers.contains("content-type: audio/wav"),
        "{headers}"
    );
    assert!(headers.contains("x-autovoice-cache: miss"));
    // De-chunk: size line, data, CRLF, until the zero chunk.
    let (mut body, mut rest, mut chunks) = (Vec::new(), &raw[split..], 0);
    loop {
        let line = rest.windows(2).position(|w| w == b"\r\n").expect("chunk size");
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..line]).expect("hex").trim(), 16).expect("size");
        if size == 0 {
            break;
        }
        body.extend_from_slice(&rest[line + 2..line + 2 + size]);
        rest = &rest[line + 4 + size..];
        chunks += 1;
    }
    assert!(chunks >= 5, "one chunk per piece at least ({chunks})");
    let streamed = wav::decode(&body, true).expect("WAV stream");
    assert!(streamed.duration_secs() > 4.0);
    // The same request without "stream" is the whole file, with its length in the header.
    let plain = serde_json::json!({"text": THREE, "speaker_id": "alto"}).to_string();
    let (s, _, b) = send(&state, post("/synthesize", plain)).await;
    assert_eq!(s, 200);
    assert!(wav::decode(&b, false).is_ok(), "the plain answer is a complete WAV file, as before");
    // A second streamed request is served from the cache, whole.
    let (s, h, b2) = send(&state, post("/synthesize", body_stream())).await;
    assert_eq!((s, h.get("x-autovoice-cache").map(|v| v.to_str().unwrap_or(""))), (200, Some("hit-memory")));
    assert_eq!(wav::decode(&b2, false).map(|a| a.samples.len()).ok(), Some(streamed.samples.len()));
    assert_eq!(metric(&state, r#"autovoice_time_to_first_audio_seconds_count{transport="http"}"#), 2.0);
}

fn body_stream() -> String {
    serde_json::json!({"text": THREE, "speaker_id": "alto", "stream": true}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_answers_pipelined_requests_in_order_and_cancels() {
    require_espeak();
    let state = state_with(|c| c.concurrency = 1, None, true);
    let addr = serve(state.clone()).await;
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/ws/synthesize")).await.expect("connect");
    // Two requests at once: the second waits for the first; answers never interleave.
    for text in ["First request, in two pieces.", "Second request."] {
        let msg = serde_json::json!({"text": text, "speaker_id": "alto"}).to_string();
        ws.send(Message::Text(msg.into())).await.expect("send");
    }
    for want_pieces in [2, 1] {
        let (audio, summary) = ws_answer(&mut ws).await;
        assert_eq!(
            (summary["done"].as_bool(), summary["pieces"].as_u64()),
            (Some(true), Some(want_pieces)),
            "{summary}"
        );
        assert_eq!(summary["bytes"].as_u64(), Some(audio.len() as u64));
        assert!(wav::decode(&audio, true).is_ok());
    }
    assert_eq!(metric(&state, r#"autovoice_time_to_first_audio_seconds_count{transport="websocket"}"#), 2.0);

    // A long text, cancelled after its first audio: the slot is free again at once.
    let long = "This sentence is one of many. ".repeat(20);
    ws.send(Message::Text(serde_json::json!({"text": long, "speaker_id": "alto"}).to_string().into()))
        .await
        .expect("send");
    let Some(Ok(Message::Binary(_))) = ws.next().await else { panic!("expected audio") };
    ws.send(Message::Text(r#"{"cancel": true}"#.into())).await.expect("cancel");
    let (_, cancelled) = ws_answer(&mut ws).await;
    assert_eq!(cancelled["cancelled"], true, "{cancelled}");
    let start = Instant::now();
    while state.limiter.free() != 1 {
        assert!(start.elapsed() < Duration::from_secs(2), "the cancelled stream still holds its slot");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ws.send(Message::Text(r#"{"text":"After the cancel.","speaker_id":"alto"}"#.into())).await.expect("send");
    let (_, done) = ws_answer(&mut ws).await;
    assert_eq!(done["done"], true, "{done}");
    // A cancelled request is neither a success nor a failure of the service.
    assert_eq!(
        metric(&state, r#"autovoice_synthesis_requests_total{speaker_id="alto",success="false"}"#),
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_or_stops_reading_frees_its_slot() {
    require_espeak();
    let state = state_with(
        |c| {
            c.concurrency = 1;
            c.queue = 0;
            c.deadline_secs = 3.0;
            c.cache_bytes = 0;
        },
        None,
        true,
    );
    let addr = serve(state.clone()).await;
    let long = "This sentence is one of many. ".repeat(30);
    let body = serde_json::json!({"text": long, "speaker_id": "alto", "stream": true}).to_string();
    let head = format!(
        "POST /synthesize HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // Leaves after the first bytes: the work stops and the slot is free well before the deadline.
    let mut conn = TcpStream::connect(addr).await.expect("connect");
    conn.write_all(head.as_bytes()).await.expect("write");
    let mut first = [0u8; 256];
    let n = conn.read(&mut first).await.expect("read");
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    drop(conn);
    let start = Instant::now();
    while state.limiter.free() != 1 {
        assert!(start.elapsed() < Duration::from_secs(2), "a departed client still holds the slot");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Connects and never reads: the slot is held no longer than the deadline.
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(head.as_bytes()).await.expect("write");
    let start = Instant::now();
    while state.limiter.free() == 1 {
        assert!(start.elapsed() < Duration::from_secs(3), "the stream never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    while state.limiter.free() != 1 {
        assert!(start.elapsed() < Duration::from_secs(6), "a client that stopped reading holds the slot");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (s, _, _) = send(&state, post("/synthesize", r#"{"text": "Next.", "speaker_id": "alto"}"#)).await;
    assert_eq!(s, 200, "the slot serves the next request");
    drop(idle);
}
