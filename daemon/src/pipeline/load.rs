//! Start-up: builds and warms the signal path, loads CREPE and the speaker encoder, and embeds
//! the built-in speakers' reference utterances.

use super::cached;
use super::frontend;
use super::voice::{Target, transform};
use crate::dsp::{self, Dsp, Engine};
use crate::metrics::Metrics;
use crate::metrics::label::Model;
use crate::quality::{self, Quality};
use crate::speakers::Speaker;
use crate::state::{AppState, ModelStatus};
use crate::wav::Audio;
use std::path::Path;

/// The sentence a built-in speaker's target embedding is computed from.
pub const REFERENCE_TEXT: &str =
    "The quick brown fox jumps over the lazy dog, and five wizards hum quietly in the evening.";

impl AppState {
    /// Builds the signal path and runs it once (warm-up), then loads CREPE and the speaker
    /// encoder from `cfg.models_dir` and embeds the built-in speakers' reference utterances.
    /// Missing weights leave those models "failed" with the fetch hint; the signal path still
    /// serves. Blocking: call from a blocking thread.
    pub fn load_models(&self) {
        let d = Dsp::<Engine>::new(Default::default(), 1024, 256);
        let warm: Vec<f32> = (0..4096).map(|i| (i as f32 * 0.06).sin() * 0.3).collect();
        let _ = dsp::to_vec(d.pitch_shift(d.tensor(&warm), 1.5, 1.0));
        let espeak = espeak_version(&self.cfg.espeak);
        self.set_fingerprint(cached::fingerprint(&espeak, b"", false));
        if self.dsp.set(d).is_ok() {
            self.set_status(Model::SignalPath, ModelStatus::Loaded);
            tracing::info!(backend = dsp::backend_name(), "signal path loaded and warmed up");
        }
        let dir = &self.cfg.models_dir;
        let crepe = crate::models::load_crepe(dir, self.cfg.crepe_capacity.into());
        let encoder = crate::models::load_speaker(dir);
        for (model, result) in
            [(Model::Crepe, crepe.as_ref().err()), (Model::SpeakerEncoder, encoder.as_ref().err())]
        {
            if let Some(e) = result {
                tracing::error!(model = model.as_str(), error = %e, "model not loaded");
                self.set_status(model, ModelStatus::Failed(e.to_string()));
            }
        }
        if let (Ok(crepe), Ok(encoder)) = (crepe, encoder) {
            let _ = self.quality.set(Quality { crepe, encoder });
            self.embed_builtin_speakers();
            let weights =
                weights_digest(dir, &[self.cfg.crepe_capacity_file(), crate::models::speaker::FILE]);
            self.set_fingerprint(cached::fingerprint(&espeak, &weights, !self.cfg.no_quality));
            self.set_status(Model::Crepe, ModelStatus::Loaded);
            self.set_status(Model::SpeakerEncoder, ModelStatus::Loaded);
            tracing::info!(dir = %dir.display(), "CREPE and speaker encoder loaded");
        }
    }

    /// Gives each speaker without an embedding the embedding of its reference utterance.
    fn embed_builtin_speakers(&self) {
        let (Some(dsp), Some(q)) = (self.dsp.get(), self.quality.get()) else { return };
        for entry in self.speaker_list() {
            if entry.embedding.get().is_some() {
                continue;
            }
            match reference_utterance(&self.cfg.espeak, dsp, &entry.speaker) {
                Ok(audio) => {
                    let _ = entry.embedding.set(q.embed(&quality::to_16k(dsp, &audio)));
                }
                Err(e) => tracing::warn!(speaker = %entry.speaker.id, error = %e, "no reference embedding"),
            }
        }
    }
}

/// A built-in speaker's reference utterance: the reference sentence through the speaker's
/// front-end voice and transform. Uses scratch metrics so start-up work is not counted as
/// traffic.
pub fn reference_utterance(
    espeak: &Path,
    dsp: &Dsp<Engine>,
    speaker: &Speaker,
) -> Result<Audio, Box<dyn std::error::Error + Send + Sync>> {
    let scratch = Metrics::new()?;
    let audio = frontend::speak_blocking(espeak, &speaker.base_voice, REFERENCE_TEXT)?;
    let target = Target { f0: Some(speaker.target_f0), semitones: 0.0, formant_scale: speaker.formant_scale };
    Ok(transform(dsp, &scratch, &audio, target)?.0)
}

/// `espeak-ng --version`'s line: another front-end build may speak differently.
fn espeak_version(espeak: &Path) -> String {
    std::process::Command::new(espeak)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// SHA-256 over the named weight files (name and content): new weights are new cache keys.
fn weights_digest(dir: &Path, files: &[&str]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for f in files {
        h.update(f.as_bytes());
        match std::fs::read(dir.join(f)) {
            Ok(bytes) => h.update(&bytes),
            Err(e) => h.update(e.to_string().as_bytes()),
        }
    }
    h.finalize().to_vec()
}
