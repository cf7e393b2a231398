//! The voice pipeline: resample to the internal rate, estimate the source F0, shift pitch and
//! formants to the target, normalise loudness. Each step is timed into the spec's metrics.

use super::error::PipelineError;
pub use crate::answer::Report;
use crate::dsp::{self, Dsp};
use crate::metrics::Metrics;
use crate::metrics::label::{Operation, Success};
use crate::wav::Audio;
use burn::tensor::backend::Backend;
use std::time::Instant;

/// The rate the signal path runs at and the daemon answers with (espeak-ng's native rate).
pub const INTERNAL_RATE: u32 = 22_050;
/// Loudness target (linear RMS, about -20 dBFS) and peak ceiling.
const TARGET_RMS: f32 = 0.1;
const PEAK: f32 = 0.97;

/// Where the voice should end up.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Median F0 to reach, in Hz; `None` keeps the source's.
    pub f0: Option<f32>,
    /// Extra shift in semitones, added after reaching `f0`.
    pub semitones: f32,
    pub formant_scale: f32,
}

/// Records one execution of audio-processing step `op` that began at `start`.
pub fn record(m: &Metrics, op: Operation, start: Instant, ok: bool) {
    m.audio_processing_duration_seconds.get(op).observe(start.elapsed().as_secs_f64());
    m.audio_processing_total.get(op, if ok { Success::True } else { Success::False }).inc();
}

/// Runs `f` as audio-processing step `op`: duration and outcome go to the spec's metrics.
pub fn step<T, E>(m: &Metrics, op: Operation, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let start = Instant::now();
    let out = f();
    record(m, op, start, out.is_ok());
    out
}

/// Transforms `audio` towards `target` at the internal rate; each step is timed.
pub fn transform<B: Backend>(
    dsp: &Dsp<B>,
    m: &Metrics,
    audio: &Audio,
    target: Target,
) -> Result<(Audio, Report), PipelineError> {
    let x = dsp.tensor(&audio.samples);
    let x = step(m, Operation::Resample, || {
        Ok::<_, PipelineError>(dsp::resample(&dsp.device, x, INTERNAL_RATE as f32 / audio.sample_rate as f32))
    })?;
    let inference = Instant::now();
    let source_f0 = dsp::estimate_f0(dsp, x.clone(), INTERNAL_RATE);
    let base = match (target.f0, source_f0) {
        (Some(want), Some(have)) => want / have,
        _ => 1.0,
    };
    let ratio = (base * 2f32.powf(target.semitones / 12.0)).clamp(0.25, 4.0);
    let shifted = step(m, Operation::PitchShift, || {
        Ok::<_, PipelineError>(dsp.pitch_shift(x, ratio, target.formant_scale))
    })?;
    m.model_inference_duration_seconds.observe(inference.elapsed().as_secs_f64());
    let y = step(m, Operation::Normalize, || {
        Ok::<_, PipelineError>(dsp::normalize_loudness(shifted, TARGET_RMS, PEAK))
    })?;
    let samples = dsp::to_vec(y);
    if samples.iter().any(|v| !v.is_finite()) {
        return Err(PipelineError::NonFinite);
    }
    Ok((Audio { samples, sample_rate: INTERNAL_RATE }, Report { source_f0, ratio, measured: None }))
}
