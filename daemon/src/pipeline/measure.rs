//! Measuring an output with the neural models, when they are loaded: pitch error against the
//! F0 the request asked for and similarity to the target speaker's embedding, recorded in the
//! spec's quality histograms.

use super::voice::{self, Target};
use crate::metrics::label::{Operation, Task};
use crate::quality::Measured;
use crate::state::{AppState, SpeakerEntry};
use crate::wav::Audio;
use std::sync::Arc;
use std::time::Instant;

/// Whom an output is for: the target speaker (if any) and the kind of request.
pub struct Goal {
    pub speaker: Option<Arc<SpeakerEntry>>,
    pub task: Task,
}

/// Measures `out` (made from `input` towards `target`); `None` when measuring is off or the
/// models are not loaded. The expected F0 is the speaker's, or the input's, shifted by the
/// target's semitones.
pub fn measure(st: &AppState, input: &Audio, out: &Audio, target: Target, goal: &Goal) -> Option<Measured> {
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
