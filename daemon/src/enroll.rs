//! `POST /speakers`: enrolls a speaker from a reference recording. The neural models give the
//! recording's GE2E embedding and CREPE F0 statistics; the new speaker speaks through an
//! espeak-ng base voice shifted to the recording's median F0, and later outputs are compared
//! with its embedding. Persisted (atomically) in the data directory when one is configured.

use crate::error::ApiError;
use crate::metrics::label::Operation;
use crate::routes::{query_pairs, read_body};
use crate::speakers::{Enrolled, Speaker, check_id};
use crate::state::{AppState, SpeakerEntry};
use crate::voice::step;
use crate::wav;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Shortest recording accepted, in seconds: a partial utterance of the encoder is 1.6 s, and
/// shorter recordings give unstable embeddings.
pub const MIN_SECS: f64 = 1.0;
/// Voiced CREPE frames (10 ms) a recording needs for its F0 statistics.
pub const MIN_VOICED_FRAMES: usize = 20;

struct Params {
    id: String,
    base_voice: String,
    formant_scale: f32,
}

fn params(query: Option<&str>) -> Result<Params, ApiError> {
    let (mut id, mut voice, mut formant) = (None, None, None);
    for (k, v) in query_pairs(query) {
        match k {
            "id" => id = Some(v.to_owned()),
            "base_voice" => voice = Some(v.to_owned()),
            "formant_scale" => {
                let f: f32 = v.parse().map_err(|_| {
                    ApiError::InvalidParameter(format!("formant_scale `{v}` is not a number"))
                })?;
                if !(0.5..=2.0).contains(&f) {
                    return Err(ApiError::InvalidParameter(format!("formant_scale {f} is outside 0.5-2.0")));
                }
                formant = Some(f);
            }
            other => {
                return Err(ApiError::InvalidParameter(format!(
                    "unknown query parameter `{other}`; expected id, base_voice, formant_scale"
                )));
            }
        }
    }
    let id = id.ok_or_else(|| ApiError::InvalidParameter("give the new speaker's `id`".to_owned()))?;
    check_id(&id).map_err(ApiError::InvalidParameter)?;
    let base_voice = voice.unwrap_or_else(|| "en-us".to_owned());
    let voice_ok = !base_voice.is_empty()
        && base_voice.len() <= 32
        && base_voice.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-_".contains(&b));
    if !voice_ok {
        return Err(ApiError::InvalidParameter(format!(
            "base_voice `{base_voice}` is not an espeak-ng voice name (e.g. en-us, en-gb+f3)"
        )));
    }
    Ok(Params { id, base_voice, formant_scale: formant.unwrap_or(1.0) })
}

pub async fn enroll(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Response, ApiError> {
    let p = params(query.as_deref())?;
    let bytes = read_body(&state, body).await?;
    if !state.is_ready() {
        return Err(ApiError::ModelsMissing(
            "enrollment needs CREPE and the speaker encoder; see GET /ready".to_owned(),
        ));
    }
    let audio = step(&state.metrics, Operation::Decode, || wav::decode(&bytes, false))?;
    let secs = audio.duration_secs();
    if secs < MIN_SECS || secs > state.cfg.max_audio_secs {
        return Err(ApiError::InvalidParameter(format!(
            "the recording is {secs:.2} s long; enrollment needs {MIN_SECS}-{} s of speech",
            state.cfg.max_audio_secs
        )));
    }
    let deadline = Duration::from_secs_f64(state.cfg.deadline_secs);
    let work = async {
        let _permit = state.limiter.acquire(deadline).await?;
        let st = state.clone();
        tokio::task::spawn_blocking(move || {
            let (dsp, q) = match (st.dsp.get(), st.quality.get()) {
                (Some(d), Some(q)) => (d, q),
                _ => return Err(ApiError::NotReady),
            };
            step(&st.metrics, Operation::Measure, || Ok(q.analyse(dsp, &audio, MIN_VOICED_FRAMES)))
        })
        .await
        .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))?
    };
    let (embedding, stats) = tokio::time::timeout(deadline, work).await.map_err(|_| ApiError::Timeout)??;
    let f0 = stats.ok_or_else(|| {
        ApiError::InvalidParameter(format!(
            "the recording has fewer than {MIN_VOICED_FRAMES} voiced 10 ms frames; enroll with clear speech"
        ))
    })?;
    let speaker = Speaker {
        id: p.id,
        base_voice: p.base_voice,
        target_f0: f0.median_hz.clamp(50.0, 500.0),
        formant_scale: p.formant_scale,
    };
    let entry = state.enroll(Enrolled { speaker, f0, embedding })?;
    tracing::info!(speaker = %entry.speaker.id, f0 = entry.speaker.target_f0, "speaker enrolled");
    Ok((StatusCode::CREATED, axum::Json(describe(&entry))).into_response())
}

/// A speaker as `GET /speakers` and `POST /speakers` show it.
pub fn describe(e: &SpeakerEntry) -> serde_json::Value {
    let mut v = serde_json::to_value(&e.speaker).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("enrolled".into(), e.f0.is_some().into());
        if let Some(f0) = e.f0 {
            obj.insert("f0".into(), serde_json::to_value(f0).unwrap_or_default());
        }
    }
    v
}
