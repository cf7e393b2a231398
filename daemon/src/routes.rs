//! The HTTP API: synthesize, convert, speakers, probes and metrics. `router(state)` builds it.

use crate::error::ApiError;
use crate::metrics::label::{Operation, Task};
use crate::state::{AppState, SpeakerEntry};
use crate::voice::{self, Target, step};
use crate::wav::{self, Audio};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/synthesize", post(synthesize))
        .route("/convert", post(convert))
        .route("/speakers", get(speakers).post(crate::enroll::enroll))
        .route("/ws/synthesize", get(crate::ws::upgrade))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::observe))
        .with_state(state)
}

/// Reads the body up to the configured limit.
pub async fn read_body(state: &AppState, body: Body) -> Result<Bytes, ApiError> {
    let limit = state.cfg.max_body_bytes;
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(format!("the body exceeds {limit} bytes")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthesisRequest {
    pub text: String,
    pub speaker_id: String,
    #[serde(default)]
    pub format: Option<String>,
}

/// Parses and checks a synthesis request (shared by HTTP and WebSocket).
pub fn parse_synthesis(state: &AppState, bytes: &[u8]) -> Result<SynthesisRequest, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::EmptyInput(
            "the request body is empty; expected JSON {\"text\", \"speaker_id\"}".to_owned(),
        ));
    }
    let req: SynthesisRequest =
        serde_json::from_slice(bytes).map_err(|e| ApiError::MalformedJson(format!("{e}")))?;
    if req.text.trim().is_empty() {
        return Err(ApiError::EmptyInput("`text` is empty".to_owned()));
    }
    let chars = req.text.chars().count();
    if chars > state.cfg.max_text_chars {
        return Err(ApiError::TextTooLong(format!(
            "`text` has {chars} characters; the limit is {}",
            state.cfg.max_text_chars
        )));
    }
    if let Some(f) = &req.format
        && f != "wav"
    {
        return Err(ApiError::InvalidParameter(format!("format `{f}` is not supported; use `wav`")));
    }
    Ok(req)
}

fn unknown_speaker(state: &AppState, id: &str) -> ApiError {
    let known: Vec<String> = state.speaker_list().iter().map(|s| s.speaker.id.clone()).collect();
    ApiError::UnknownSpeaker(format!("no speaker `{id}`; known: {}", known.join(", ")))
}

/// Synthesizes one request: admission, front end, voice transform, WAV. Counted in the
/// synthesis metrics whatever the outcome (unknown speakers excepted: their ids are unbounded).
pub async fn run_synthesis(
    state: &AppState,
    req: &SynthesisRequest,
) -> Result<(Vec<u8>, voice::Report), ApiError> {
    let entry = state.speaker(&req.speaker_id).ok_or_else(|| unknown_speaker(state, &req.speaker_id))?;
    let start = Instant::now();
    let result = synthesis_inner(state, req, &entry).await;
    state.metrics.synthesis_duration_seconds.observe(start.elapsed().as_secs_f64());
    entry.count(result.is_ok());
    result
}

async fn synthesis_inner(
    state: &AppState,
    req: &SynthesisRequest,
    entry: &Arc<SpeakerEntry>,
) -> Result<(Vec<u8>, voice::Report), ApiError> {
    if !state.can_serve() {
        return Err(ApiError::NotReady);
    }
    if state.inject_fault() {
        return Err(ApiError::InjectedFault);
    }
    let deadline = Duration::from_secs_f64(state.cfg.deadline_secs);
    let work = async {
        let _permit = state.limiter.acquire(deadline).await?;
        let start = Instant::now();
        let front = crate::tts::speak(&state.cfg.espeak, &entry.speaker.base_voice, &req.text).await;
        voice::record(&state.metrics, Operation::TtsFrontend, start, front.is_ok());
        let audio = front?;
        let target = Target {
            f0: Some(entry.speaker.target_f0),
            semitones: 0.0,
            formant_scale: entry.speaker.formant_scale,
        };
        blocking(state, audio, target, Goal { speaker: Some(entry.clone()), task: Task::Synthesis }).await
    };
    tokio::time::timeout(deadline, work).await.map_err(|_| ApiError::Timeout)?
}

/// Whom an output is for: the target speaker (if any) and the kind of request, for measuring.
struct Goal {
    speaker: Option<Arc<SpeakerEntry>>,
    task: Task,
}

/// Measures an output with the neural models, when they are loaded: pitch error against the
/// F0 the request asked for (the speaker's, or the input's, shifted by `semitones`) and
/// similarity to the speaker's embedding. Recorded in the spec's quality histograms.
fn measure(
    st: &AppState,
    input: &Audio,
    out: &Audio,
    target: Target,
    goal: &Goal,
) -> Option<crate::quality::Measured> {
    if st.cfg.no_quality {
        return None;
    }
    let (dsp, q) = (st.dsp.get()?, st.quality.get()?);
    let start = Instant::now();
    let shift = 2f64.powf(f64::from(target.semitones) / 12.0);
    let expected = match &goal.speaker {
        Some(s) => Some(f64::from(s.speaker.target_f0) * shift),
        None => q.f0(dsp, input).map(|f| f * shift),
    };
    let embedding = goal.speaker.as_ref().and_then(|s| s.embedding.get()).map(Vec::as_slice);
    let m = q.measure(dsp, out, expected, embedding);
    voice::record(&st.metrics, Operation::Measure, start, true);
    if let Some(c) = m.pitch_error_cents {
        st.metrics.pitch_error_cents.get(goal.task).observe(c);
    }
    if let Some(s) = m.similarity {
        st.metrics.speaker_similarity_ratio.get(goal.task).observe(f64::from(s));
    }
    Some(m)
}

/// Runs the voice transform, the quality measurement and encoding on a blocking thread.
async fn blocking(
    state: &AppState,
    audio: Audio,
    target: Target,
    goal: Goal,
) -> Result<(Vec<u8>, voice::Report), ApiError> {
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let dsp = st.dsp.get().ok_or(ApiError::NotReady)?;
        let (out, mut report) = voice::transform(dsp, &st.metrics, &audio, target)?;
        report.measured = measure(&st, &audio, &out, target, &goal);
        let bytes = step(&st.metrics, Operation::Encode, || Ok(wav::encode(&out.samples, out.sample_rate)))?;
        Ok((bytes, report))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))?
}

fn wav_response(bytes: Vec<u8>, report: voice::Report, speaker: Option<&str>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    let mut put = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            headers.insert(k, v);
        }
    };
    put("x-autovoice-pitch-ratio", format!("{:.4}", report.ratio));
    if let Some(f0) = report.source_f0 {
        put("x-autovoice-source-f0", format!("{f0:.1}"));
    }
    if let Some(s) = speaker {
        put("x-autovoice-speaker", s.to_owned());
    }
    if let Some(m) = report.measured {
        if let Some(f) = m.output_f0 {
            put("x-autovoice-output-f0", format!("{f:.1}"));
        }
        if let Some(c) = m.pitch_error_cents {
            put("x-autovoice-pitch-error-cents", format!("{c:.1}"));
        }
        if let Some(s) = m.similarity {
            put("x-autovoice-speaker-similarity", format!("{s:.4}"));
        }
    }
    (StatusCode::OK, headers, bytes).into_response()
}

async fn synthesize(State(state): State<AppState>, body: Body) -> Result<Response, ApiError> {
    let bytes = read_body(&state, body).await?;
    let req = parse_synthesis(&state, &bytes)?;
    let (wav, report) = run_synthesis(&state, &req).await?;
    Ok(wav_response(wav, report, Some(&req.speaker_id)))
}

/// The `key=value` pairs of a query string (a bare `key` gives an empty value).
pub fn query_pairs(query: Option<&str>) -> impl Iterator<Item = (&str, &str)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// `speaker_id` and/or `pitch_shift` (semitones, -24..=24) from the query string.
fn convert_params(state: &AppState, query: Option<&str>) -> Result<(Option<String>, f32), ApiError> {
    let (mut speaker, mut shift) = (None, None);
    for (k, v) in query_pairs(query) {
        match k {
            "speaker_id" => speaker = Some(v.to_owned()),
            "pitch_shift" => {
                let s: f32 = v
                    .parse()
                    .map_err(|_| ApiError::InvalidParameter(format!("pitch_shift `{v}` is not a number")))?;
                if !(-24.0..=24.0).contains(&s) {
                    return Err(ApiError::InvalidParameter(format!(
                        "pitch_shift {s} is outside -24..=24 semitones"
                    )));
                }
                shift = Some(s);
            }
            other => {
                return Err(ApiError::InvalidParameter(format!(
                    "unknown query parameter `{other}`; expected speaker_id, pitch_shift"
                )));
            }
        }
    }
    if speaker.is_none() && shift.is_none() {
        return Err(ApiError::InvalidParameter("give `speaker_id` and/or `pitch_shift`".to_owned()));
    }
    if let Some(s) = &speaker
        && state.speaker(s).is_none()
    {
        return Err(unknown_speaker(state, s));
    }
    Ok((speaker, shift.unwrap_or(0.0)))
}

async fn convert(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Response, ApiError> {
    let (speaker, semitones) = convert_params(&state, query.as_deref())?;
    let bytes = read_body(&state, body).await?;
    if !state.can_serve() {
        return Err(ApiError::NotReady);
    }
    let m = &state.metrics;
    let start = Instant::now();
    let result = async {
        let audio = step(m, Operation::Decode, || wav::decode(&bytes, false))?;
        if audio.duration_secs() > state.cfg.max_audio_secs {
            return Err(ApiError::AudioTooLong(format!(
                "{:.1} s of audio; the limit is {} s",
                audio.duration_secs(),
                state.cfg.max_audio_secs
            )));
        }
        let deadline = Duration::from_secs_f64(state.cfg.deadline_secs);
        let entry = speaker.as_deref().and_then(|s| state.speaker(s));
        let goal = Goal { speaker: entry.clone(), task: Task::Conversion };
        let target = Target {
            f0: entry.as_ref().map(|e| e.speaker.target_f0),
            semitones,
            formant_scale: entry.as_ref().map_or(1.0, |e| e.speaker.formant_scale),
        };
        let work = async {
            let _permit = state.limiter.acquire(deadline).await?;
            blocking(&state, audio, target, goal).await
        };
        tokio::time::timeout(deadline, work).await.map_err(|_| ApiError::Timeout)?
    }
    .await;
    voice::record(m, Operation::VoiceConversion, start, result.is_ok());
    let (wav, report) = result?;
    Ok(wav_response(wav, report, speaker.as_deref()))
}

/// Every speaker; enrolled ones with `enrolled: true` and their recording's F0 statistics.
async fn speakers(State(state): State<AppState>) -> Response {
    let list: Vec<serde_json::Value> =
        state.speaker_list().iter().map(|s| crate::enroll::describe(s)).collect();
    axum::Json(serde_json::json!({ "speakers": list })).into_response()
}

async fn health() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

/// 200 once the signal path and both neural models are loaded; otherwise 503 naming what is
/// missing and how to fix it.
async fn ready(State(state): State<AppState>) -> Result<Response, ApiError> {
    use crate::state::ModelStatus;
    if !state.can_serve() {
        return Err(ApiError::NotReady);
    }
    let status = state.model_status();
    let failed: Vec<String> = status
        .iter()
        .filter_map(|(m, s)| match s {
            ModelStatus::Loaded => None,
            ModelStatus::Loading => Some(format!("{}: loading", m.as_str())),
            ModelStatus::Failed(why) => Some(format!("{}: {why}", m.as_str())),
        })
        .collect();
    if !failed.is_empty() || !state.is_ready() {
        return Err(ApiError::ModelsMissing(format!("models not loaded: {}", failed.join("; "))));
    }
    let models: serde_json::Map<String, serde_json::Value> =
        status.iter().map(|(m, _)| (m.as_str().to_owned(), "loaded".into())).collect();
    Ok(axum::Json(serde_json::json!({
        "status": "ready",
        "backend": crate::dsp::backend_name(),
        "models": models,
    }))
    .into_response())
}

async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = state.metrics.render().map_err(|e| ApiError::Internal(format!("metrics: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}
