//! Measuring an output with the neural models, when they are loaded: pitch error against the
//! F0 the request asked for and similarity to the target speaker's embedding, recorded in the
//! spec's quality histograms. Measured before the answer when the request asks (`sync`),
//! otherwise after it, on a sample, by the background worker.

use super::error::PipelineError;
use super::run::blocking;
use super::voice::{self, Target};
use crate::answer::{Answer, Output, Report};
use crate::metrics::label::{Operation, Task};
use crate::on_engine;
use crate::quality::Measured;
use crate::state::{AppState, SpeakerEntry};
use crate::wav::{self, Audio};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Instant;

/// Whom an output is for: the target speaker (if any) and the kind of request.
#[derive(Clone)]
pub struct Goal {
    pub speaker: Option<Arc<SpeakerEntry>>,
    pub task: Task,
}

/// Whether anything can be measured: measuring is on and the models are loaded.
fn possible(st: &AppState) -> bool {
    !st.cfg.no_quality && st.is_ready()
}

/// Measures `out` (made from `input` towards `target`) now; `None` when measuring is off or
/// the models are not loaded. The expected F0 is the speaker's, or the input's (when given),
/// shifted by the target's semitones.
pub fn now(
    st: &AppState,
    input: Option<&Audio>,
    out: &Audio,
    target: Target,
    goal: &Goal,
) -> Option<Measured> {
    if st.cfg.no_quality {
        return None;
    }
    let start = Instant::now();
    let shift = 2f64.powf(f64::from(target.semitones) / 12.0);
    let embedding = goal.speaker.as_ref().and_then(|s| s.embedding.get()).map(Vec::as_slice);
    let m = on_engine!(st.engine()?, s => {
        let q = s.quality()?;
        let expected = match &goal.speaker {
            Some(entry) => Some(f64::from(entry.speaker.target_f0) * shift),
            None => input.and_then(|i| q.f0(&s.dsp, i)).map(|f| f * shift),
        };
        q.measure(&s.dsp, out, expected, embedding)
    });
    voice::record(&st.metrics, Operation::Measure, start, true);
    if let Some(c) = m.pitch_error_cents {
        st.metrics.pitch_error_cents.get(goal.task).observe(c);
    }
    if let Some(s) = m.similarity {
        st.metrics.speaker_similarity_ratio.get(goal.task).observe(f64::from(s));
    }
    Some(m)
}

/// Queues the measurement of a computed answer that is being sent, when it is in the sample;
/// a full queue drops it (counted). `input` is only kept when there is no speaker to compare
/// with. Call from inside the runtime.
pub fn later(st: &AppState, input: Option<Audio>, out: Audio, target: Target, goal: Goal) {
    if !possible(st) || !st.measurements.chosen() {
        return;
    }
    let input = input.filter(|_| goal.speaker.is_none());
    let state = st.clone();
    st.measurements.offer(Box::new(move || {
        now(&state, input.as_ref(), &out, target, &goal);
    }));
}

/// `answer` with its quality measured, for a request that asked for it synchronously: a
/// cached answer computed without a measurement (it was sampled) is measured here. `upload` is
/// a conversion's input, read again only when there is no speaker to compare with.
pub async fn answered(
    st: &AppState,
    answer: Answer,
    upload: Option<Bytes>,
    target: Target,
    goal: Goal,
) -> Result<Answer, PipelineError> {
    if answer.output.report.measured.is_some() || !possible(st) {
        return Ok(answer);
    }
    let (state, output) = (st.clone(), answer.output.clone());
    let measured = blocking(move || {
        let out = wav::decode(&output.wav, false)?;
        let input = match upload.filter(|_| goal.speaker.is_none()) {
            Some(b) => Some(wav::decode(&b, false)?),
            None => None,
        };
        Ok(now(&state, input.as_ref(), &out, target, &goal))
    })
    .await?;
    let report = Report { measured, ..answer.output.report };
    let output = Arc::new(Output { wav: answer.output.wav.clone(), report });
    Ok(Answer { output, source: answer.source })
}
