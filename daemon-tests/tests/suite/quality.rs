//! The neural models in the daemon: outputs measured (pitch error, speaker similarity) into
//! headers and the spec's histograms when asked (`x-autovoice-quality: sync`), and after the
//! answer on a sample otherwise, through a bounded queue that drops and counts; speaker
//! enrollment with persistence; and what the daemon says when the weights are missing.

use crate::common::*;
use autovoice_daemon::AppState;
use autovoice_daemon::config::Config;
use autovoice_daemon::speakers::{self, STORE_FILE};
use autovoice_daemon::wav;
use axum::body::Body;
use axum::http::Request;
use std::path::Path;

/// A synthesis that asks for its quality with the answer.
fn speak(
    state: &AppState,
    text: &str,
    speaker: &str,
) -> impl std::future::Future<Output = (u16, axum::http::HeaderMap, Vec<u8>)> {
    let body = format!(r#"{{"text": "{text}", "speaker_id": "{speaker}"}}"#);
    let req = Request::post("/synthesize")
        .header("content-type", "application/json")
        .header("x-autovoice-quality", "sync")
        .body(Body::from(body))
        .expect("request");
    let state = state.clone();
    async move { send(&state, req).await }
}

/// A synthesis that leaves measurement to the sample.
async fn speak_plain(state: &AppState, text: &str) -> (u16, axum::http::HeaderMap, Vec<u8>) {
    send(state, post("/synthesize", format!(r#"{{"text": "{text}", "speaker_id": "alto"}}"#))).await
}

/// Waits (up to 60 s) until `series` reaches `want`; returns what it last read.
async fn eventually(state: &AppState, series: &str, want: f64) -> f64 {
    let mut v = metric(state, series);
    for _ in 0..600 {
        if v >= want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        v = metric(state, series);
    }
    v
}

const SYN_MEASURED: &str = r#"autovoice_pitch_error_cents_count{task="synthesis"}"#;
const DROPPED: &str = "autovoice_quality_measurements_dropped_total";

fn header(h: &axum::http::HeaderMap, name: &str) -> Option<f64> {
    h.get(name).map(|v| v.to_str().expect("ascii").parse().expect("number"))
}

fn enroll_req(query: &str, wav: Vec<u8>) -> Request<Body> {
    Request::post(format!("/speakers?{query}"))
        .header("content-type", "audio/wav")
        .body(Body::from(wav))
        .expect("req")
}

fn state_in(dir: &Path) -> AppState {
    state_with(|c| c.data_dir = Some(dir.to_owned()), None, true)
}

#[tokio::test]
async fn synthesis_and_conversion_are_measured() {
    require_espeak();
    let state = ready_state();
    let (s, h, b) = speak(&state, "The quick brown fox jumps over the lazy dog.", "alto").await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
    let err = header(&h, "x-autovoice-pitch-error-cents").expect("pitch error header");
    let f0 = header(&h, "x-autovoice-output-f0").expect("output F0 header");
    let sim = header(&h, "x-autovoice-speaker-similarity").expect("similarity header");
    // The output reaches the alto's 190 Hz within a semitone, as CREPE hears it, and sounds
    // like the alto's reference utterance.
    assert!(err < 100.0 && cents(f0, 190.0).abs() < 100.0, "pitch error {err} cents, F0 {f0} Hz");
    assert!((0.7..=1.0).contains(&sim), "similarity {sim}");
    assert_eq!(metric(&state, r#"autovoice_pitch_error_cents_count{task="synthesis"}"#), 1.0);
    assert_eq!(metric(&state, r#"autovoice_speaker_similarity_ratio_count{task="synthesis"}"#), 1.0);
    assert_eq!(
        metric(&state, r#"autovoice_audio_processing_total{operation="measure",success="true"}"#),
        1.0
    );

    // Conversion by a pure shift: the error is against the input's own F0 moved 5 semitones.
    let req = Request::post("/convert?pitch_shift=5&quality=sync").body(Body::from(b)).expect("req");
    let (s, h, b) = send(&state, req).await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
    let err = header(&h, "x-autovoice-pitch-error-cents").expect("pitch error header");
    assert!(err < 100.0, "conversion pitch error {err} cents");
    assert!(h.get("x-autovoice-speaker-similarity").is_none(), "no target speaker, no similarity");
    assert_eq!(metric(&state, r#"autovoice_pitch_error_cents_count{task="conversion"}"#), 1.0);
    assert_eq!(metric(&state, r#"autovoice_speaker_similarity_ratio_count{task="conversion"}"#), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_measured_after_they_are_sent_on_the_sample() {
    require_espeak();
    let state = state_with(|c| c.quality_sample = 1.0, None, true);
    let (s, h, b) = speak_plain(&state, "Measured after the answer.").await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
    assert!(h.get("x-autovoice-pitch-error-cents").is_none(), "no quality headers without sync");
    assert_eq!(eventually(&state, SYN_MEASURED, 1.0).await, 1.0, "the sampled answer was measured");
    assert_eq!(metric(&state, r#"autovoice_speaker_similarity_ratio_count{task="synthesis"}"#), 1.0);
    // A cache hit is the same audio: it is not measured again.
    let (_, h, _) = speak_plain(&state, "Measured after the answer.").await;
    assert_eq!(h.get("x-autovoice-cache").map(|v| v.as_bytes()), Some(&b"hit-memory"[..]));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(metric(&state, SYN_MEASURED), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_sample_nothing_is_measured_unless_asked_and_a_cached_answer_is_measured_when_asked() {
    require_espeak();
    let state = state_with(|c| c.quality_sample = 0.0, None, true);
    let (s, _, _) = speak_plain(&state, "Not in the sample.").await;
    assert_eq!(s, 200);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(metric(&state, SYN_MEASURED), 0.0);
    // The same text asked synchronously: served from the cache, measured on the spot.
    let (s, h, _) = speak(&state, "Not in the sample.", "alto").await;
    assert_eq!(s, 200);
    assert_eq!(h.get("x-autovoice-cache").map(|v| v.as_bytes()), Some(&b"hit-memory"[..]));
    assert!(header(&h, "x-autovoice-pitch-error-cents").is_some_and(|c| c < 100.0));
    assert_eq!(metric(&state, SYN_MEASURED), 1.0);
    // A value other than sync or sampled is refused, naming the header.
    let bad = Request::post("/synthesize")
        .header("x-autovoice-quality", "always")
        .body(Body::from(r#"{"text": "Hi.", "speaker_id": "alto"}"#))
        .expect("request");
    let (s, _, b) = send(&state, bad).await;
    assert_eq!((s, json(&b)["error"]["type"].as_str()), (400, Some("invalid_parameter")));
    assert!(json(&b)["error"]["message"].as_str().is_some_and(|m| m.contains("expected sync or sampled")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_measurement_queue_drops_and_counts_instead_of_growing() {
    require_espeak();
    let state = state_with(
        |c| {
            c.quality_sample = 1.0;
            c.quality_queue = 1;
            c.concurrency = 4;
            c.cache_bytes = 0;
        },
        None,
        true,
    );
    // Six answers in a burst; one worker measures at about half the synthesis rate.
    let texts: Vec<String> = (0..6).map(|i| format!("Burst request number {i}, spoken at once.")).collect();
    let answers = futures_util::future::join_all(texts.iter().map(|t| speak_plain(&state, t))).await;
    assert!(answers.iter().all(|(s, _, _)| *s == 200));
    // Every sampled answer is either measured or dropped; none waits without bound.
    let mut settled = 0.0;
    for _ in 0..600 {
        settled = metric(&state, SYN_MEASURED) + metric(&state, DROPPED);
        if settled >= 6.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(settled, 6.0, "measured + dropped = sampled");
    assert!(metric(&state, DROPPED) >= 1.0, "a burst past the queue is shed and counted");
    assert!(metric(&state, SYN_MEASURED) >= 1.0, "the worker still measures");
}

#[tokio::test]
async fn no_quality_skips_measuring() {
    require_espeak();
    let state = state_with(|c| c.no_quality = true, None, true);
    let (s, h, _) = speak(&state, "Not measured.", "alto").await;
    assert_eq!(s, 200);
    assert!(
        h.get("x-autovoice-pitch-error-cents").is_none() && h.get("x-autovoice-speaker-similarity").is_none()
    );
    assert_eq!(metric(&state, r#"autovoice_pitch_error_cents_count{task="synthesis"}"#), 0.0);
}

#[tokio::test]
async fn enrolled_speakers_persist_and_are_used() {
    require_espeak();
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_in(dir.path());
    let (_, _, reference) =
        speak(&state, "This is my reference recording for enrollment, spoken clearly.", "bass").await;
    let (s, _, b) =
        send(&state, enroll_req("id=narrator&base_voice=en-gb&formant_scale=0.95", reference.clone())).await;
    assert_eq!(s, 201, "{}", String::from_utf8_lossy(&b));
    let made = json(&b);
    assert_eq!(made["id"], "narrator");
    assert_eq!(made["enrolled"], true);
    let median = made["f0"]["median_hz"].as_f64().expect("median");
    assert!(cents(median, 90.0).abs() < 150.0, "enrolled F0 {median} Hz from a 90 Hz voice");
    assert_eq!(made["target_f0"].as_f64(), Some(median));

    // The new speaker speaks, is measured against its own embedding, and is counted.
    let (s, h, _) = speak(&state, "Now I speak with the enrolled voice.", "narrator").await;
    assert_eq!(s, 200);
    assert!(header(&h, "x-autovoice-speaker-similarity").expect("similarity") > 0.6);
    assert_eq!(
        metric(&state, r#"autovoice_synthesis_requests_total{speaker_id="narrator",success="true"}"#),
        1.0
    );

    // Taken ids, bad ids and bad recordings are refused without changing anything.
    let cases: [(&str, Vec<u8>, u16, &str); 5] = [
        ("id=narrator", reference.clone(), 409, "conflict"),
        ("id=Not%20ok", reference.clone(), 400, "invalid_parameter"),
        ("base_voice=en-us", reference.clone(), 400, "invalid_parameter"),
        ("id=short", wav::encode(&tone(150.0, 0.5, 16_000, 0.3), 16_000), 400, "invalid_parameter"),
        ("id=silent", wav::encode(&vec![0.0; 32_000], 16_000), 400, "invalid_parameter"),
    ];
    for (query, body, status, kind) in cases {
        let (s, _, b) = send(&state, enroll_req(query, body)).await;
        assert_eq!((s, json(&b)["error"]["type"].as_str()), (status, Some(kind)), "{query}");
    }
    assert_eq!(state.speaker_list().len(), 4);

    // A restart over the same data directory has the speaker, embedding and all.
    let saved = std::fs::read_to_string(dir.path().join(STORE_FILE)).expect("store");
    assert!(saved.contains("\"narrator\""));
    let again = state_in(dir.path());
    let entry = again.speaker("narrator").expect("persisted");
    assert_eq!(entry.embedding.get().map(Vec::len), Some(256));
    assert_eq!(entry.f0.map(|f| f.median_hz), Some(median as f32));
}

#[tokio::test]
async fn a_failed_write_changes_nothing() {
    require_espeak();
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_in(dir.path());
    let (_, _, reference) = speak(&state, "A reference recording that will not be stored.", "default").await;
    // Block the temporary file's name so the write fails before the rename.
    let tmp = dir.path().join(format!(".{STORE_FILE}.{}.tmp", std::process::id()));
    std::fs::create_dir(&tmp).expect("blocker");
    let (s, _, b) = send(&state, enroll_req("id=lost", reference)).await;
    assert_eq!((s, json(&b)["error"]["type"].as_str()), (500, Some("internal")));
    assert!(state.speaker("lost").is_none(), "a speaker that was not stored is not served");
    assert!(!dir.path().join(STORE_FILE).exists(), "no half-written store");
}

#[test]
fn a_corrupt_store_stops_the_start_with_its_path() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join(STORE_FILE), b"[{\"speaker\": 1}]").expect("write");
    let mut cfg = Config::for_tests();
    cfg.data_dir = Some(dir.path().to_owned());
    let err = AppState::new(cfg, speakers::builtin(), None).err().expect("refused").to_string();
    assert!(err.contains(STORE_FILE) && err.contains("expected the enrolled speakers"), "{err}");
}

#[tokio::test]
async fn missing_weights_are_reported_with_the_fix() {
    let state = state_with(|c| c.models_dir = "/nonexistent/models".into(), None, true);
    let (s, _, b) = send(&state, get("/ready")).await;
    let body = json(&b);
    assert_eq!((s, body["error"]["type"].as_str()), (503, Some("not_ready")));
    let msg = body["error"]["message"].as_str().expect("message");
    assert!(
        msg.contains("crepe") && msg.contains("speaker_encoder") && msg.contains("scripts/fetch-models.sh"),
        "{msg}"
    );
    assert_eq!(metric(&state, r#"autovoice_model_loaded{model="signal_path"}"#), 1.0);
    assert_eq!(metric(&state, r#"autovoice_model_loaded{model="crepe"}"#), 0.0);
    assert_eq!(metric(&state, r#"autovoice_model_loaded{model="speaker_encoder"}"#), 0.0);
    // The signal path still serves; outputs are simply not measured, and enrollment says why.
    require_espeak();
    let (s, h, _) = speak(&state, "Still speaking.", "default").await;
    assert_eq!(s, 200);
    assert!(h.get("x-autovoice-pitch-error-cents").is_none());
    let (s, _, b) =
        send(&state, enroll_req("id=later", wav::encode(&tone(150.0, 2.0, 16_000, 0.3), 16_000))).await;
    assert_eq!((s, json(&b)["error"]["type"].as_str()), (503, Some("not_ready")));
}
