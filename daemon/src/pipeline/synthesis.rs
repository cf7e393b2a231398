//! Synthesis and conversion of whole answers: a validated request through the cache (memory,
//! Redis, single flight) and, on a miss, admission, the front end, the voice transform and WAV
//! encoding, counted in the spec's metrics. Quality is measured before the answer only when the
//! request asks; otherwise a sample is measured after it.

use super::cached::{self, convert_key, synthesis_key};
use super::error::PipelineError;
use super::frontend;
use super::measure::{self, Goal};
use super::request::{ConvertRequest, QualityMode, SynthesisRequest};
use super::run::{admitted, blocking};
use super::voice::{self, Target, step};
use crate::answer::{Answer, Output};
use crate::metrics::label::{Operation, Task};
use crate::on_engine;
use crate::state::{AppState, SpeakerEntry};
use crate::wav::{self, Audio};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Instant;

/// The speaker `id`, or `UnknownSpeaker` listing the known ones. With a shared speaker store,
/// a speaker enrolled on another replica is found there.
pub async fn find_speaker(state: &AppState, id: &str) -> Result<Arc<SpeakerEntry>, PipelineError> {
    match state.find_speaker(id).await {
        Ok(Some(e)) => Ok(e),
        Ok(None) => {
            let known = state.speaker_list().iter().map(|s| s.speaker.id.clone()).collect();
            Err(PipelineError::UnknownSpeaker { id: id.to_owned(), known })
        }
        Err(e) => Err(PipelineError::SpeakerStore(e.to_string())),
    }
}

/// Synthesizes one request. Counted in the synthesis metrics whatever the outcome (unknown
/// speakers excepted: their ids are unbounded).
pub async fn synthesize(state: &AppState, req: &SynthesisRequest) -> Result<Answer, PipelineError> {
    let entry = find_speaker(state, &req.speaker_id).await?;
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
) -> Result<Answer, PipelineError> {
    let fp = state.fingerprint().ok_or(PipelineError::NotReady)?;
    if state.inject_fault() {
        return Err(PipelineError::InjectedFault);
    }
    let key = synthesis_key(&fp, &req.text, entry);
    let target = speaker_target(entry);
    let goal = Goal { speaker: Some(entry.clone()), task: Task::Synthesis };
    let (st, text, g, quality, e) =
        (state.clone(), req.text.clone(), goal.clone(), req.quality, entry.clone());
    let (output, source) = cached::through(state, key, move || async move {
        admitted(&st, async {
            let start = Instant::now();
            let front = frontend::speak(&st.cfg.espeak, &e.speaker.base_voice, &text).await;
            voice::record(&st.metrics, Operation::TtsFrontend, start, front.is_ok());
            transform_and_encode(&st, front?, target, g, quality).await
        })
        .await
    })
    .await?;
    let answer = Answer { output, source };
    match req.quality {
        QualityMode::Sync => measure::answered(state, answer, None, target, goal).await,
        QualityMode::Sampled => Ok(answer),
    }
}

/// Where a speaker's voice should end up: its median F0 and formant scale.
pub fn speaker_target(entry: &SpeakerEntry) -> Target {
    Target { f0: Some(entry.speaker.target_f0), semitones: 0.0, formant_scale: entry.speaker.formant_scale }
}

/// Checks a conversion's speaker before the body is read: an unknown one is a 404 at once.
pub async fn check_convert(
    state: &AppState,
    req: &ConvertRequest,
) -> Result<Option<Arc<SpeakerEntry>>, PipelineError> {
    match &req.speaker_id {
        Some(id) => find_speaker(state, id).await.map(Some),
        None => Ok(None),
    }
}

/// Converts an uploaded WAV file to the request's speaker and/or pitch shift.
pub async fn convert(state: &AppState, req: &ConvertRequest, upload: Bytes) -> Result<Answer, PipelineError> {
    let entry = check_convert(state, req).await?;
    let fp = state.fingerprint().ok_or(PipelineError::NotReady)?;
    let start = Instant::now();
    let key = convert_key(&fp, &upload, entry.as_deref(), req.pitch_shift);
    let target = Target {
        f0: entry.as_ref().map(|e| e.speaker.target_f0),
        semitones: req.pitch_shift,
        formant_scale: entry.as_ref().map_or(1.0, |e| e.speaker.formant_scale),
    };
    let goal = Goal { speaker: entry, task: Task::Conversion };
    let (st, g, quality, input) = (state.clone(), goal.clone(), req.quality, upload.clone());
    let result = cached::through(state, key, move || async move {
        let m = &st.metrics;
        let audio = step(m, Operation::Decode, || wav::decode(&input, false).map_err(PipelineError::from))?;
        if audio.duration_secs() > st.cfg.max_audio_secs {
            return Err(PipelineError::AudioTooLong {
                secs: audio.duration_secs(),
                limit: st.cfg.max_audio_secs,
            });
        }
        admitted(&st, transform_and_encode(&st, audio, target, g, quality)).await
    })
    .await;
    voice::record(&state.metrics, Operation::VoiceConversion, start, result.is_ok());
    let (output, source) = result?;
    let answer = Answer { output, source };
    match req.quality {
        QualityMode::Sync => measure::answered(state, answer, Some(upload), target, goal).await,
        QualityMode::Sampled => Ok(answer),
    }
}

/// The voice transform and encoding on a blocking thread, with the quality measured there
/// first when the request asks (`sync`); otherwise the answer is offered to the sampled
/// measurement after it is encoded.
async fn transform_and_encode(
    state: &AppState,
    audio: Audio,
    target: Target,
    goal: Goal,
    quality: QualityMode,
) -> Result<Output, PipelineError> {
    let st = state.clone();
    let (output, later) = blocking(move || {
        let engine = st.engine().ok_or(PipelineError::NotReady)?;
        let (out, mut report) =
            on_engine!(engine, s => voice::transform(&s.dsp, &st.metrics, &audio, target))?;
        if quality == QualityMode::Sync {
            report.measured = measure::now(&st, Some(&audio), &out, target, &goal);
        }
        let wav = step(&st.metrics, Operation::Encode, || {
            Ok::<_, PipelineError>(wav::encode(&out.samples, out.sample_rate))
        })?;
        let later = (quality == QualityMode::Sampled).then_some((audio, out, goal));
        Ok((Output { wav: wav.into(), report }, later))
    })
    .await?;
    if let Some((input, out, goal)) = later {
        measure::later(state, Some(input), out, target, goal);
    }
    Ok(output)
}
