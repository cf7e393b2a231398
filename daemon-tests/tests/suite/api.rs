//! In-process tests of every endpoint (`router(state).oneshot(request)`), every error type,
//! and the metrics each request updates.

use crate::common::*;
use autovoice_daemon::dsp::{Dsp, estimate_f0};
use autovoice_daemon::engine::Cpu as Engine;
use autovoice_daemon::metrics::SPEC_METRICS;
use autovoice_daemon::wav;
use axum::body::Body;
use axum::http::Request;

#[tokio::test]
async fn probes_speakers_and_metrics() {
    let state = ready_state();
    let (s, _, b) = send(&state, get("/health")).await;
    assert_eq!((s, json(&b)["status"].as_str()), (200, Some("ok")));
    let (s, _, b) = send(&state, get("/ready")).await;
    assert_eq!(s, 200);
    assert_eq!(json(&b)["backend"]["name"], "cpu");
    let (s, _, b) = send(&state, get("/speakers")).await;
    assert_eq!(s, 200);
    let list = json(&b);
    let ids: Vec<&str> =
        list["speakers"].as_array().expect("list").iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, ["default", "alto", "bass"]);
    let (s, h, b) = send(&state, get("/metrics")).await;
    assert_eq!(s, 200);
    assert!(h["content-type"].to_str().expect("ct").starts_with("text/plain; version=0.0.4"));
    for model in ["signal_path", "crepe", "speaker_encoder"] {
        let line = format!("autovoice_model_loaded{{model=\"{model}\"}} 1");
        assert!(String::from_utf8_lossy(&b).contains(&line), "{line}");
    }
    assert_eq!(
        metric(&state, r#"autovoice_http_requests_total{endpoint="/health",method="GET",status="200"}"#),
        1.0
    );
    assert_eq!(
        metric(&state, r#"autovoice_http_request_duration_seconds_count{endpoint="/speakers",method="GET"}"#),
        1.0
    );
}

#[tokio::test]
async fn not_ready_until_models_load() {
    let state = state_with(|_| {}, None, false);
    let (s, _, b) = send(&state, get("/ready")).await;
    assert_eq!((s, json(&b)["error"]["type"].as_str()), (503, Some("not_ready")));
    assert_eq!(metric(&state, r#"autovoice_model_loaded{model="signal_path"}"#), 0.0);
    let (s, _, b) = send(&state, post("/synthesize", r#"{"text":"hi","speaker_id":"default"}"#)).await;
    assert_eq!((s, json(&b)["error"]["type"].as_str()), (503, Some("not_ready")));
    assert_eq!(
        metric(&state, r#"autovoice_synthesis_requests_total{speaker_id="default",success="false"}"#),
        1.0
    );
    state.load_models();
    let (s, _, b) = send(&state, get("/ready")).await;
    assert_eq!(s, 200);
    assert_eq!(json(&b)["models"]["crepe"], "loaded");
    assert_eq!(metric(&state, r#"autovoice_model_loaded{model="signal_path"}"#), 1.0);
    assert_eq!(metric(&state, r#"autovoice_model_loaded{model="crepe"}"#), 1.0);
}

#[tokio::test]
async fn synthesize_speaks_at_the_speakers_pitch_and_counts_it() {
    require_espeak();
    let state = ready_state();
    let req = Request::post("/synthesize")
        .header("x-request-id", "test-req-1")
        .body(Body::from(r#"{"text":"The quick brown fox jumps over the lazy dog.","speaker_id":"alto"}"#))
        .expect("request");
    let (s, h, b) = send(&state, req).await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
    assert_eq!(h["content-type"], "audio/wav");
    assert_eq!(h["x-request-id"], "test-req-1", "the caller's request id is echoed");
    assert_eq!(h["x-autovoice-speaker"], "alto");
    let audio = wav::decode(&b, false).expect("valid WAV");
    assert_eq!(audio.sample_rate, 22_050);
    assert!(audio.duration_secs() > 1.0);
    let d = Dsp::<Engine>::new(Default::default(), 1024, 256);
    let f0 = estimate_f0(&d, d.tensor(&audio.samples), 22_050).expect("voiced speech");
    assert!(cents(f64::from(f0), 190.0).abs() < 200.0, "median F0 {f0} Hz, speaker target 190 Hz");
    assert_eq!(
        metric(&state, r#"autovoice_synthesis_requests_total{speaker_id="alto",success="true"}"#),
        1.0
    );
    assert_eq!(metric(&state, "autovoice_synthesis_duration_seconds_count"), 1.0);
    assert_eq!(
        metric(&state, r#"autovoice_http_requests_total{endpoint="/synthesize",method="POST",status="200"}"#),
        1.0
    );
    for op in ["tts_frontend", "resample", "pitch_shift", "normalize", "encode"] {
        let series = format!(r#"autovoice_audio_processing_total{{operation="{op}",success="true"}}"#);
        assert_eq!(metric(&state, &series), 1.0, "{op}");
    }
    assert_eq!(metric(&state, "autovoice_model_inference_duration_seconds_count"), 1.0);
}

#[tokio::test]
async fn convert_shifts_a_220_hz_tone_up_an_octave_from_any_supported_wav() {
    let state = ready_state();
    // 16-bit mono at 16 kHz, stereo float at 44.1 kHz.
    let mono = tone_wav(220.0, 1.5, 16_000);
    let mut stereo = Vec::new();
    let samples = tone(220.0, 1.5, 44_100, 0.5);
    {
        let data: Vec<u8> =
            samples.iter().flat_map(|s| [s.to_le_bytes(), s.to_le_bytes()].concat()).collect();
        stereo.extend_from_slice(b"RIFF");
        stereo.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        stereo.extend_from_slice(b"WAVEfmt ");
        stereo.extend_from_slice(&16u32.to_le_bytes());
        for v in [3u16, 2] {
            stereo.extend_from_slice(&v.to_le_bytes());
        }
        for v in [44_100u32, 44_100 * 8] {
            stereo.extend_from_slice(&v.to_le_bytes());
        }
        for v in [8u16, 32] {
            stereo.extend_from_slice(&v.to_le_bytes());
        }
        stereo.extend_from_slice(b"data");
        stereo.extend_from_slice(&(data.len() as u32).to_le_bytes());
        stereo.extend_from_slice(&data);
    }
    for (name, body) in [("pcm16 mono 16k", mono), ("float stereo 44.1k", stereo)] {
        let (s, h, b) =
            send(&state, Request::post("/convert?pitch_shift=12").body(Body::from(body)).expect("req")).await;
        assert_eq!(s, 200, "{name}: {}", String::from_utf8_lossy(&b));
        assert_eq!(h["x-autovoice-pitch-ratio"], "2.0000");
        let out = wav::decode(&b, false).expect("valid WAV");
        let d = Dsp::<Engine>::new(Default::default(), 2048, 256);
        let f0 = estimate_f0(&d, d.tensor(&out.samples), out.sample_rate).expect("voiced");
        assert!(cents(f64::from(f0), 440.0).abs() < 10.0, "{name}: {f0} Hz");
    }
    assert_eq!(
        metric(&state, r#"autovoice_audio_processing_total{operation="voice_conversion",success="true"}"#),
        2.0
    );
    assert_eq!(metric(&state, r#"autovoice_audio_processing_total{operation="decode",success="true"}"#), 2.0);
    // A speaker target: the tone moves to the speaker's F0.
    let (s, h, _) = send(
        &state,
        Request::post("/convert?speaker_id=bass")
            .body(Body::from(tone_wav(180.0, 1.0, 22_050)))
            .expect("req"),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(h["x-autovoice-speaker"], "bass");
    assert_eq!(h["x-autovoice-source-f0"].to_str().expect("f0").split('.').next(), Some("180"));
}

/// Sends `req` and checks status, JSON error type, and the error counter for `endpoint`.
async fn expect_error(
    state: &autovoice_daemon::AppState,
    req: Request<Body>,
    status: u16,
    ty: &str,
    endpoint: &str,
) {
    let (s, _, b) = send(state, req).await;
    let body = json(&b);
    assert_eq!((s, body["error"]["type"].as_str()), (status, Some(ty)), "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    let series = format!(r#"autovoice_request_errors_total{{endpoint="{endpoint}",error_type="{ty}"}}"#);
    assert!(metric(state, &series) >= 1.0, "{series} not counted");
}

#[tokio::test]
async fn every_error_type_has_a_status_a_json_body_and_a_metric() {
    let state = state_with(
        |c| {
            c.max_body_bytes = 4096;
            c.max_text_chars = 20;
            c.max_audio_secs = 0.5;
        },
        None,
        true,
    );
    let wav_body = |b: Vec<u8>| Request::post("/convert?pitch_shift=1").body(Body::from(b)).expect("req");
    expect_error(&state, post("/synthesize", vec![b'x'; 5000]), 413, "payload_too_large", "/synthesize")
        .await;
    expect_error(
        &state,
        post("/synthesize", r#"{"text":"this text is far too long","speaker_id":"default"}"#),
        413,
        "text_too_long",
        "/synthesize",
    )
    .await;
    expect_error(&state, wav_body(tone_wav(200.0, 0.1, 8000)[..0].to_vec()), 400, "empty_input", "/convert")
        .await;
    let long = state_with(|c| c.max_audio_secs = 0.5, None, true);
    expect_error(&long, wav_body(tone_wav(200.0, 1.0, 8000)), 413, "audio_too_long", "/convert").await;
    expect_error(
        &state,
        post("/synthesize", r#"{"text":"hi","speaker_id":"tenor"}"#),
        404,
        "unknown_speaker",
        "/synthesize",
    )
    .await;
    expect_error(
        &state,
        Request::post("/convert?speaker_id=tenor").body(Body::empty()).expect("r"),
        404,
        "unknown_speaker",
        "/convert",
    )
    .await;
    expect_error(&state, post("/synthesize", r#"{"text": "hi""#), 400, "malformed_json", "/synthesize").await;
    expect_error(
        &state,
        post("/synthesize", r#"{"text":"hi","speaker_id":"default","volume":3}"#),
        400,
        "malformed_json",
        "/synthesize",
    )
    .await;
    expect_error(&state, wav_body(b"RIFF\0\0\0\0WAVEjunk".to_vec()), 400, "malformed_wav", "/convert").await;
    let mut hi_rate = tone_wav(200.0, 0.1, 16_000);
    hi_rate[24..28].copy_from_slice(&96_000u32.to_le_bytes());
    expect_error(&state, wav_body(hi_rate), 415, "unsupported_audio", "/convert").await;
    expect_error(&state, post("/synthesize", "  "), 400, "empty_input", "/synthesize").await;
    expect_error(
        &state,
        post("/synthesize", r#"{"text":"  ","speaker_id":"default"}"#),
        400,
        "empty_input",
        "/synthesize",
    )
    .await;
    expect_error(
        &state,
        post("/synthesize", r#"{"text":"hi","speaker_id":"default","format":"mp3"}"#),
        400,
        "invalid_parameter",
        "/synthesize",
    )
    .await;
    expect_error(
        &state,
        Request::post("/convert?pitch_shift=loud").body(Body::empty()).expect("r"),
        400,
        "invalid_parameter",
        "/convert",
    )
    .await;
    expect_error(
        &state,
        Request::post("/convert?pitch_shift=40").body(Body::empty()).expect("r"),
        400,
        "invalid_parameter",
        "/convert",
    )
    .await;
    expect_error(
        &state,
        Request::post("/convert").body(Body::empty()).expect("r"),
        400,
        "invalid_parameter",
        "/convert",
    )
    .await;
    expect_error(&state, get("/nope"), 404, "not_found", "unmatched").await;
    expect_error(
        &state,
        Request::delete("/synthesize").body(Body::empty()).expect("r"),
        405,
        "method_not_allowed",
        "/synthesize",
    )
    .await;
    assert_eq!(
        metric(
            &state,
            r#"autovoice_http_requests_total{endpoint="/synthesize",method="OTHER",status="405"}"#
        ),
        1.0
    );
    // The unknown speaker's id never becomes a label value.
    assert!(!state.metrics.render().expect("render").contains("tenor"));
}

#[tokio::test]
async fn auth_overload_timeout_faults_and_internal_errors() {
    let authed = state_with(|_| {}, Some("s3cret"), true);
    expect_error(&authed, get("/speakers"), 401, "unauthorized", "/speakers").await;
    let with = |t: &str| {
        Request::get("/speakers")
            .header("authorization", format!("Bearer {t}"))
            .body(Body::empty())
            .expect("r")
    };
    expect_error(&authed, with("wrong"), 401, "unauthorized", "/speakers").await;
    assert_eq!(send(&authed, with("s3cret")).await.0, 200);
    assert_eq!(send(&authed, get("/health")).await.0, 200, "probes stay open");
    assert_eq!(send(&authed, get("/metrics")).await.0, 200, "metrics stay open");

    let busy = state_with(
        |c| {
            c.concurrency = 1;
            c.queue = 0;
        },
        None,
        true,
    );
    let _held = busy.limiter.acquire(std::time::Duration::from_secs(1)).await.expect("slot");
    let (s, h, b) = send(
        &busy,
        Request::post("/convert?pitch_shift=1").body(Body::from(tone_wav(200.0, 0.2, 8000))).expect("r"),
    )
    .await;
    assert_eq!((s, json(&b)["error"]["type"].as_str()), (503, Some("overloaded")));
    assert_eq!(h["retry-after"], "1");

    let slow = state_with(
        |c| {
            c.concurrency = 1;
            c.queue = 4;
            c.deadline_secs = 0.05;
        },
        None,
        true,
    );
    let _held = slow.limiter.acquire(std::time::Duration::from_secs(1)).await.expect("slot");
    expect_error(
        &slow,
        Request::post("/convert?pitch_shift=1").body(Body::from(tone_wav(200.0, 0.2, 8000))).expect("r"),
        504,
        "timeout",
        "/convert",
    )
    .await;

    let faulty = state_with(|c| c.inject_faults = 1.0, None, true);
    expect_error(
        &faulty,
        post("/synthesize", r#"{"text":"hi","speaker_id":"default"}"#),
        500,
        "injected_fault",
        "/synthesize",
    )
    .await;
    assert_eq!(
        metric(&faulty, r#"autovoice_synthesis_requests_total{speaker_id="default",success="false"}"#),
        1.0
    );

    let broken = state_with(|c| c.espeak = "/nonexistent/espeak-ng".into(), None, true);
    expect_error(
        &broken,
        post("/synthesize", r#"{"text":"hi","speaker_id":"default"}"#),
        500,
        "internal",
        "/synthesize",
    )
    .await;
    assert_eq!(
        metric(&broken, r#"autovoice_audio_processing_total{operation="tts_frontend",success="false"}"#),
        1.0
    );
}

#[tokio::test]
async fn metrics_match_the_spec_exactly() {
    let state = ready_state();
    let text = state.metrics.render().expect("render");
    let families: Vec<(&str, &str)> =
        text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).filter_map(|l| l.split_once(' ')).collect();
    for (name, kind) in SPEC_METRICS {
        let gpu = name.starts_with("autovoice_gpu_");
        let found = families.iter().find(|(n, _)| n == name);
        if gpu {
            // Without NVML (this machine) the GPU gauges are absent, never zero.
            assert!(found.is_none(), "{name} exported without NVML");
        } else {
            assert_eq!(found.map(|f| f.1), Some(*kind), "{name} missing or of the wrong type");
        }
    }
    for (name, _) in &families {
        assert!(SPEC_METRICS.iter().any(|(n, _)| n == name), "undeclared family {name}");
    }
}
