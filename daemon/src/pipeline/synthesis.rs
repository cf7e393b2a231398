//! Synthesis and conversion: a validated request through admission, the front end, the voice
//! transform, the quality measurement and WAV encoding, counted in the spec's metrics.

use super::error::PipelineError;
use super::frontend;
use super::measure::{Goal, measure};
use super::request::{ConvertRequest, SynthesisRequest};
use super::run::{admitted, blocking};
use super::voice::{self, Report, Target, step};
use crate::metrics::label::{Operation, Task};
use crate::state::{AppState, SpeakerEntry};
use crate::wav::{self, Audio};
use std::sync::Arc;
use std::time::Instant;

/// A finished answer: the WAV file and what the transform did.
#[derive(Debug)]
pub struct Output {
    pub wav: Vec<u8>,
    pub report: Report,
}

fn unknown_speaker(state: &AppState, id: &str) -> PipelineError {
    let known = state.speaker_list().iter().map(|s| s.speaker.id.clone()).collect();
    PipelineError::UnknownSpeaker { id: id.to_owned(), known }
}

/// The speaker `id`, or `UnknownSpeaker` listing the known ones.
pub fn find_speaker(state: &AppState, id: &str) -> Result<Arc<SpeakerEntry>, PipelineError> {
    state.speaker(id).ok_or_else(|| unknown_speaker(state, id))
}

/// Synthesizes one request. Counted in the synthesis metrics whatever the outcome (unknown
/// speakers excepted: their ids are unbounded).
pub async fn synthesize(state: &AppState, req: &SynthesisRequest) -> Result<Output, PipelineError> {
    let entry = find_speaker(state, &req.speaker_id)?;
    let start = Instant::now();
    let result = synthesize_for(state, req, &entry).await;
    state.metrics.synthesis_duration_seconds.observe(start.elapsed().as_secs_f64());
    entry.count(result.is_ok());
    result
}

async fn synthesize_for(
    state: &AppState,
    req: &SynthesisRequest,
    entry: &Arc<SpeakerEntry>,
) -> Result<Output, PipelineError> {
    if !state.can_serve() {
        return Err(PipelineError::NotReady);
    }
    if state.inject_fault() {
        return Err(PipelineError::InjectedFault);
    }
    admitted(state, async {
        let start = Instant::now();
        let front = frontend::speak(&state.cfg.espeak, &entry.speaker.base_voice, &req.text).await;
        voice::record(&state.metrics, Operation::TtsFrontend, start, front.is_ok());
        let target = Target {
            f0: Some(entry.speaker.target_f0),
            semitones: 0.0,
            formant_scale: entry.speaker.formant_scale,
        };
        let goal = Goal { speaker: Some(entry.clone()), task: Task::Synthesis };
        transform_and_encode(state, front?, target, goal).await
    })
    .await
}

/// Checks a conversion's speaker before the body is read: an unknown one is a 404 at once.
pub fn check_convert(state: &AppState, req: &ConvertRequest) -> Result<(), PipelineError> {
    match &req.speaker_id {
        Some(id) => find_speaker(state, id).map(|_| ()),
        None => Ok(()),
    }
}

/// Converts an uploaded WAV file to the request's speaker and/or pitch shift.
pub async fn convert(state: &AppState, req: &ConvertRequest, upload: &[u8]) -> Result<Output, PipelineError> {
    check_convert(state, req)?;
    if !state.can_serve() {
        return Err(PipelineError::NotReady);
    }
    let m = &state.metrics;
    let start = Instant::now();
    let result = async {
        let audio = step(m, Operation::Decode, || wav::decode(upload, false).map_err(PipelineError::from))?;
        if audio.duration_secs() > state.cfg.max_audio_secs {
            return Err(PipelineError::AudioTooLong {
                secs: audio.duration_secs(),
                limit: state.cfg.max_audio_secs,
            });
        }
        let entry = req.speaker_id.as_deref().and_then(|s| state.speaker(s));
        let target = Target {
            f0: entry.as_ref().map(|e| e.speaker.target_f0),
            semitones: req.pitch_shift,
            formant_scale: entry.as_ref().map_or(1.0, |e| e.speaker.formant_scale),
        };
        let goal = Goal { speaker: entry, task: Task::Conversion };
        admitted(state, transform_and_encode(state, audio, target, goal)).await
    }
    .await;
    voice::record(m, Operation::VoiceConversion, start, result.is_ok());
    result
}

/// The voice transform, the quality measurement and encoding, on a blocking thread.
async fn transform_and_encode(
    state: &AppState,
    audio: Audio,
    target: Target,
    goal: Goal,
) -> Result<Output, PipelineError> {
    let st = state.clone();
    blocking(move || {
        let dsp = st.dsp.get().ok_or(PipelineError::NotReady)?;
        let (out, mut report) = voice::transform(dsp, &st.metrics, &audio, target)?;
        report.measured = measure(&st, &audio, &out, target, &goal);
        let wav = step(&st.metrics, Operation::Encode, || {
            Ok::<_, PipelineError>(wav::encode(&out.samples, out.sample_rate))
        })?;
        Ok(Output { wav, report })
    })
    .await
}
