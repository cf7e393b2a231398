//! Output quality with the neural models: the pitch error of a response against the F0 it was
//! meant to reach (CREPE) and its similarity to the target speaker (GE2E embeddings), and the
//! analysis of an enrollment recording (embedding and F0 statistics).

use crate::dsp::{self, Dsp};
use crate::models;
use crate::models::crepe::{self, Crepe};
use crate::models::kernels::ModelBackend;
use crate::models::speaker::{self, SpeakerEncoder};
use crate::speakers::F0Stats;
use crate::wav::Audio;
use burn::tensor::backend::Backend;

/// Hop of the CREPE frames used to measure a response: 20 ms keeps measuring cheap against the
/// transform while a one-second answer still gets 50 frames. Enrollment, where precision
/// matters more than time, uses torchcrepe's 10 ms (`models::PITCH_HOP`).
const MEASURE_HOP: usize = 320;
/// Resemblyzer's volume target (-30 dBFS, raised only), applied before embedding.
const TARGET_DBFS: f64 = -30.0;

/// The loaded models, on the engine's backend.
pub struct Quality<B: ModelBackend> {
    pub crepe: Crepe<B>,
    pub encoder: SpeakerEncoder<B>,
}

/// What one measurement found.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Measured {
    /// Median F0 of the voiced output frames, Hz.
    pub output_f0: Option<f64>,
    /// `|1200 log2(output / expected)|`, when both are known.
    pub pitch_error_cents: Option<f64>,
    /// Cosine similarity of the output's embedding to the target speaker's.
    pub similarity: Option<f32>,
}

/// `audio` at 16 kHz, the models' rate.
pub fn to_16k<B: Backend>(dsp: &Dsp<B>, audio: &Audio) -> Vec<f32> {
    if audio.sample_rate == crepe::SAMPLE_RATE {
        return audio.samples.clone();
    }
    let ratio = crepe::SAMPLE_RATE as f32 / audio.sample_rate as f32;
    dsp::to_vec(dsp::resample(&dsp.device, dsp.tensor(&audio.samples), ratio))
}

/// Raises quiet audio to -30 dBFS RMS, as Resemblyzer's `preprocess_wav` does; never lowers it.
pub fn normalize_volume(wav: &[f32]) -> Vec<f32> {
    let rms = (wav.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / wav.len().max(1) as f64).sqrt();
    if rms <= 0.0 {
        return wav.to_vec();
    }
    let change = TARGET_DBFS - 20.0 * rms.log10();
    if change <= 0.0 {
        return wav.to_vec();
    }
    let gain = 10f64.powf(change / 20.0) as f32;
    wav.iter().map(|v| v * gain).collect()
}

impl<B: ModelBackend> Quality<B> {
    /// Median F0 of the voiced frames of `audio`, Hz.
    pub fn f0(&self, dsp: &Dsp<B>, audio: &Audio) -> Option<f64> {
        models::track(&self.crepe, &to_16k(dsp, audio), MEASURE_HOP).voiced_median(models::VOICED)
    }

    /// The GE2E embedding of 16 kHz audio, volume-normalised as Resemblyzer does.
    pub fn embed(&self, wav16k: &[f32]) -> Vec<f32> {
        self.encoder.embed_utterance(&normalize_volume(wav16k))
    }

    /// Measures an output against the F0 it should have (`expected_f0`) and the target
    /// speaker's embedding.
    pub fn measure(
        &self,
        dsp: &Dsp<B>,
        out: &Audio,
        expected_f0: Option<f64>,
        embedding: Option<&[f32]>,
    ) -> Measured {
        let wav = to_16k(dsp, out);
        let output_f0 = models::track(&self.crepe, &wav, MEASURE_HOP).voiced_median(models::VOICED);
        let pitch_error_cents = match (output_f0, expected_f0) {
            (Some(have), Some(want)) if want > 0.0 => Some((1200.0 * (have / want).log2()).abs()),
            _ => None,
        };
        let similarity = embedding.map(|e| speaker::cosine(&self.embed(&wav), e));
        Measured { output_f0, pitch_error_cents, similarity }
    }

    /// Embedding and F0 statistics of an enrollment recording; `None` for the statistics when
    /// fewer than `min_voiced` frames are voiced.
    pub fn analyse(&self, dsp: &Dsp<B>, audio: &Audio, min_voiced: usize) -> (Vec<f32>, Option<F0Stats>) {
        let wav = to_16k(dsp, audio);
        let track = models::track(&self.crepe, &wav, models::PITCH_HOP);
        let voiced = track.voiced(models::VOICED);
        let stats = (voiced.len() >= min_voiced && !voiced.is_empty()).then(|| {
            let at = |q: f64| voiced[((voiced.len() - 1) as f64 * q).round() as usize] as f32;
            F0Stats {
                median_hz: at(0.5),
                p10_hz: at(0.1),
                p90_hz: at(0.9),
                voiced_ratio: voiced.len() as f32 / track.hz.len().max(1) as f32,
            }
        });
        (self.embed(&wav), stats)
    }
}
