//! Start-up: builds and warms the signal path, loads CREPE and the speaker encoder, and embeds
//! the built-in speakers' reference utterances (or takes all of it from a loaded state).

use super::cached;
use super::frontend;
use super::voice::{Target, transform};
use crate::dsp::Dsp;
use crate::engine::{Engine, Stack};
use crate::metrics::Metrics;
use crate::metrics::label::Model;
use crate::models::kernels::ModelBackend;
use crate::on_engine;
use crate::quality;
use crate::speakers::Speaker;
use crate::state::{AppState, ModelStatus};
use crate::wav::Audio;
use burn::tensor::backend::Backend;
use std::path::Path;
use std::sync::Arc;

/// The sentence a built-in speaker's target embedding is computed from.
pub const REFERENCE_TEXT: &str =
    "The quick brown fox jumps over the lazy dog, and five wizards hum quietly in the evening.";

impl AppState {
    /// Builds the signal path and runs it once (warm-up), then loads CREPE and the speaker
    /// encoder from `cfg.models_dir` and embeds the built-in speakers' reference utterances.
    /// Missing weights leave those models "failed" with the fetch hint; the signal path still
    /// serves. Blocking: call from a blocking thread.
    pub fn load_models(&self) {
        let selection = match self.select_backend() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "signal path not loaded");
                self.set_status(Model::SignalPath, ModelStatus::Failed(e.to_string()));
                return;
            }
        };
        let engine = Arc::new(Engine::build(selection));
        let espeak = espeak_version(&self.cfg.espeak);
        let backend = selection.backend.as_str();
        self.set_fingerprint(cached::fingerprint(backend, &espeak, b"", false));
        if self.engine.set(engine).is_err() {
            return;
        }
        self.set_status(Model::SignalPath, ModelStatus::Loaded);
        tracing::info!(backend, "signal path loaded and warmed up");
        let Some(engine) = self.engine.get() else { return };
        let dir = &self.cfg.models_dir;
        let loaded = engine.load_quality(dir, self.cfg.crepe_capacity.into());
        for (model, error) in [(Model::Crepe, &loaded.crepe), (Model::SpeakerEncoder, &loaded.encoder)] {
            if let Some(e) = error {
                tracing::error!(model = model.as_str(), error = %e, "model not loaded");
                self.set_status(model, ModelStatus::Failed(e.to_string()));
            }
        }
        if engine.has_quality() {
            self.embed_builtin_speakers(engine);
            let weights =
                weights_digest(dir, &[self.cfg.crepe_capacity_file(), crate::models::speaker::FILE]);
            let (espeak, weights) = self.model_inputs.get_or_init(|| (espeak, weights));
            self.set_fingerprint(cached::fingerprint(backend, espeak, weights, !self.cfg.no_quality));
            self.set_status(Model::Crepe, ModelStatus::Loaded);
            self.set_status(Model::SpeakerEncoder, ModelStatus::Loaded);
            tracing::info!(dir = %dir.display(), "CREPE and speaker encoder loaded");
        }
    }

    /// What `load_models` does, but taking the engine (signal path and models) and the built-in
    /// speakers' embeddings from `loaded`, a loaded state of this process with the same models,
    /// CREPE capacity, front end and backend, instead of building them again; when anything
    /// differs it loads. For processes that hold several states, such as the daemon's tests:
    /// loading takes seconds, sharing nothing.
    pub fn load_models_like(&self, loaded: &AppState) {
        let Ok(selection) = self.select_backend() else { return self.load_models() };
        let same_models = self.cfg.models_dir == loaded.cfg.models_dir
            && self.cfg.crepe_capacity == loaded.cfg.crepe_capacity
            && self.cfg.espeak == loaded.cfg.espeak;
        let Some((engine, (espeak, weights))) = loaded
            .engine
            .get()
            .zip(loaded.model_inputs.get())
            .filter(|(e, _)| same_models && e.has_quality() && e.backend() == selection.backend)
        else {
            return self.load_models();
        };
        if self.engine.set(Arc::clone(engine)).is_err() {
            return;
        }
        let known = loaded.speaker_list();
        for entry in self.speaker_list() {
            let theirs = known.iter().find(|k| k.speaker == entry.speaker).and_then(|k| k.embedding.get());
            if let Some(embedding) = theirs {
                let _ = entry.embedding.set(embedding.clone());
            }
        }
        self.embed_builtin_speakers(engine);
        let (espeak, weights) = self.model_inputs.get_or_init(|| (espeak.clone(), weights.clone()));
        let backend = selection.backend.as_str();
        self.set_fingerprint(cached::fingerprint(backend, espeak, weights, !self.cfg.no_quality));
        for model in [Model::SignalPath, Model::Crepe, Model::SpeakerEncoder] {
            self.set_status(model, ModelStatus::Loaded);
        }
    }

    /// Gives each speaker without an embedding the embedding of its reference utterance.
    fn embed_builtin_speakers(&self, engine: &Engine) {
        on_engine!(engine, s => self.embed_builtin_speakers_on(s));
    }

    fn embed_builtin_speakers_on<B: ModelBackend>(&self, stack: &Stack<B>) {
        let Some(q) = stack.quality() else { return };
        for entry in self.speaker_list() {
            if entry.embedding.get().is_some() {
                continue;
            }
            match reference_utterance(&self.cfg.espeak, &stack.dsp, &entry.speaker) {
                Ok(audio) => {
                    let _ = entry.embedding.set(q.embed(&quality::to_16k(&stack.dsp, &audio)));
                }
                Err(e) => tracing::warn!(speaker = %entry.speaker.id, error = %e, "no reference embedding"),
            }
        }
    }
}

/// A built-in speaker's reference utterance: the reference sentence through the speaker's
/// front-end voice and transform. Uses scratch metrics so start-up work is not counted as
/// traffic.
pub fn reference_utterance<B: Backend>(
    espeak: &Path,
    dsp: &Dsp<B>,
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
