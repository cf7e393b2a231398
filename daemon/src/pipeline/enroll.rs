//! Enrollment: a reference recording gives a new speaker. The neural models give the
//! recording's GE2E embedding and CREPE F0 statistics; the speaker speaks through an espeak-ng
//! base voice shifted to the recording's median F0, and later outputs are compared with its
//! embedding. Persisted (atomically) by the state when a data directory is configured.

use super::error::PipelineError;
use super::request::EnrollRequest;
use super::run::{admitted, blocking};
use super::voice::step;
use crate::metrics::label::Operation;
use crate::on_engine;
use crate::speakers::{Enrolled, Speaker};
use crate::state::{AppState, SpeakerEntry};
use crate::wav;
use std::sync::Arc;

/// Shortest recording accepted, in seconds: a partial utterance of the encoder is 1.6 s, and
/// shorter recordings give unstable embeddings.
pub const MIN_SECS: f64 = 1.0;
/// Voiced CREPE frames (10 ms) a recording needs for its F0 statistics.
pub const MIN_VOICED_FRAMES: usize = 20;

/// Enrolls `req`'s speaker from a WAV recording.
pub async fn enroll(
    state: &AppState,
    req: EnrollRequest,
    recording: &[u8],
) -> Result<Arc<SpeakerEntry>, PipelineError> {
    if !state.is_ready() {
        return Err(PipelineError::ModelsMissing(
            "enrollment needs CREPE and the speaker encoder; see GET /ready",
        ));
    }
    let audio = step(&state.metrics, Operation::Decode, || {
        wav::decode(recording, false).map_err(PipelineError::from)
    })?;
    let secs = audio.duration_secs();
    if secs < MIN_SECS || secs > state.cfg.max_audio_secs {
        return Err(PipelineError::Recording(format!(
            "the recording is {secs:.2} s long; enrollment needs {MIN_SECS}-{} s of speech",
            state.cfg.max_audio_secs
        )));
    }
    let st = state.clone();
    let analysed = admitted(
        state,
        blocking(move || {
            let engine = st.engine().ok_or(PipelineError::NotReady)?;
            on_engine!(engine, s => {
                let q = s.quality().ok_or(PipelineError::NotReady)?;
                step(&st.metrics, Operation::Measure, || Ok(q.analyse(&s.dsp, &audio, MIN_VOICED_FRAMES)))
            })
        }),
    );
    let (embedding, stats) = analysed.await?;
    let f0 = stats.ok_or_else(|| {
        PipelineError::Recording(format!(
            "the recording has fewer than {MIN_VOICED_FRAMES} voiced 10 ms frames; enroll with clear speech"
        ))
    })?;
    let speaker = Speaker {
        id: req.id,
        base_voice: req.base_voice,
        target_f0: f0.median_hz.clamp(50.0, 500.0),
        formant_scale: req.formant_scale,
    };
    let entry = state.enroll(Enrolled { speaker, f0, embedding }).await?;
    tracing::info!(speaker = %entry.speaker.id, f0 = entry.speaker.target_f0, "speaker enrolled");
    Ok(entry)
}
