//! Shared state: configuration, metrics, the signal path and neural models (once loaded),
//! speakers with their pre-resolved metric children, enrollment storage and admission control.

use crate::config::Config;
use crate::dsp::{self, Dsp, Engine};
use crate::limits::Limiter;
use crate::metrics::Metrics;
use crate::metrics::label::{Model, Success};
use crate::quality::Quality;
use crate::speakers::{Enrolled, F0Stats, Speaker, Store};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// Speakers at most, built-in and enrolled: the `speaker_id` label's declared bound.
pub const MAX_SPEAKERS: usize = 100;

/// A speaker with its `synthesis_requests_total` children resolved once, when it is added.
pub struct SpeakerEntry {
    pub speaker: Speaker,
    pub ok: prometheus::IntCounter,
    pub failed: prometheus::IntCounter,
    /// Target embedding: the enrollment recording's, or for a built-in speaker its reference
    /// utterance's (computed when the models load).
    pub embedding: OnceLock<Vec<f32>>,
    /// F0 statistics of the enrollment recording (enrolled speakers only).
    pub f0: Option<F0Stats>,
}

impl SpeakerEntry {
    pub fn count(&self, success: bool) {
        if success { self.ok.inc() } else { self.failed.inc() }
    }
}

/// Load state of one model, for `/ready` and the start-up log.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelStatus {
    Loading,
    Loaded,
    Failed(String),
}

pub struct Inner {
    pub cfg: Config,
    pub metrics: Metrics,
    pub dsp: OnceLock<Dsp<Engine>>,
    pub quality: OnceLock<Quality>,
    speakers: RwLock<Vec<Arc<SpeakerEntry>>>,
    /// Enrolled speakers as persisted; the lock also serialises enrollments.
    enrolled: Mutex<Vec<Enrolled>>,
    store: Option<Store>,
    status: Mutex<[(Model, ModelStatus); 3]>,
    pub limiter: Limiter,
    /// Bearer token required on the API routes, when set.
    pub token: Option<String>,
    faults: AtomicU64,
    request_seq: AtomicU64,
}

/// Cheap to clone; handlers share one `Inner`.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Builds the state; enrolled speakers are read from `cfg.data_dir` when it is set.
    pub fn new(cfg: Config, speakers: Vec<Speaker>, token: Option<String>) -> Result<Self, String> {
        crate::speakers::validate(&speakers)?;
        let (store, enrolled) = match &cfg.data_dir {
            Some(dir) => {
                let (s, list) = Store::open(dir)?;
                (Some(s), list)
            }
            None => (None, Vec::new()),
        };
        let mut all = speakers.clone();
        all.extend(enrolled.iter().map(|e| e.speaker.clone()));
        crate::speakers::validate(&all)?;
        if all.len() > MAX_SPEAKERS {
            return Err(format!("{} speakers; at most {MAX_SPEAKERS} are allowed", all.len()));
        }
        let metrics = Metrics::new().map_err(|e| format!("cannot register metrics: {e}"))?;
        let mut entries: Vec<Arc<SpeakerEntry>> =
            speakers.into_iter().map(|s| Arc::new(entry(&metrics, s, None, None))).collect();
        for e in &enrolled {
            entries.push(Arc::new(entry(&metrics, e.speaker.clone(), Some(e.embedding.clone()), Some(e.f0))));
        }
        let limiter = Limiter::new(cfg.concurrency, cfg.queue);
        Ok(Self(Arc::new(Inner {
            cfg,
            metrics,
            dsp: OnceLock::new(),
            quality: OnceLock::new(),
            speakers: RwLock::new(entries),
            enrolled: Mutex::new(enrolled),
            store,
            status: Mutex::new([
                (Model::SignalPath, ModelStatus::Loading),
                (Model::Crepe, ModelStatus::Loading),
                (Model::SpeakerEncoder, ModelStatus::Loading),
            ]),
            limiter,
            token: token.filter(|t| !t.is_empty()),
            faults: AtomicU64::new(0),
            request_seq: AtomicU64::new(0),
        })))
    }

    fn set_status(&self, model: Model, status: ModelStatus) {
        self.metrics.model_loaded.get(model).set(i64::from(status == ModelStatus::Loaded));
        if let Ok(mut all) = self.status.lock()
            && let Some(slot) = all.iter_mut().find(|(m, _)| *m == model)
        {
            slot.1 = status;
        }
    }

    /// Each model with its load state.
    pub fn model_status(&self) -> Vec<(Model, ModelStatus)> {
        self.status.lock().map(|s| s.to_vec()).unwrap_or_default()
    }

    /// Builds the signal path and runs it once (warm-up), then loads CREPE and the speaker
    /// encoder from `cfg.models_dir` and embeds the built-in speakers' reference utterances.
    /// Missing weights leave those models "failed" with the fetch hint; the signal path still
    /// serves. Blocking: call from a blocking thread.
    pub fn load_models(&self) {
        let d = Dsp::<Engine>::new(Default::default(), 1024, 256);
        let warm: Vec<f32> = (0..4096).map(|i| (i as f32 * 0.06).sin() * 0.3).collect();
        let _ = dsp::to_vec(d.pitch_shift(d.tensor(&warm), 1.5, 1.0));
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
            match crate::voice::reference_utterance(self, dsp, &entry.speaker) {
                Ok(audio) => {
                    let _ = entry.embedding.set(q.embed(&crate::quality::to_16k(dsp, &audio)));
                }
                Err(e) => tracing::warn!(speaker = %entry.speaker.id, error = %e, "no reference embedding"),
            }
        }
    }

    /// The signal path is loaded: requests can be served.
    pub fn can_serve(&self) -> bool {
        self.dsp.get().is_some()
    }

    /// Everything is loaded, the quality models included.
    pub fn is_ready(&self) -> bool {
        self.can_serve() && self.quality.get().is_some()
    }

    pub fn speaker(&self, id: &str) -> Option<Arc<SpeakerEntry>> {
        self.speakers.read().ok()?.iter().find(|s| s.speaker.id == id).cloned()
    }

    pub fn speaker_list(&self) -> Vec<Arc<SpeakerEntry>> {
        self.speakers.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Adds an enrolled speaker: persisted first (when there is a data directory), then
    /// visible. Fails without changing anything when the id is taken or the limit is reached.
    pub fn enroll(&self, record: Enrolled) -> Result<Arc<SpeakerEntry>, crate::error::ApiError> {
        use crate::error::ApiError;
        let mut enrolled =
            self.enrolled.lock().map_err(|_| ApiError::Internal("speaker store poisoned".into()))?;
        if self.speaker(&record.speaker.id).is_some() {
            return Err(ApiError::Conflict(format!("speaker `{}` already exists", record.speaker.id)));
        }
        if self.speaker_list().len() >= MAX_SPEAKERS {
            return Err(ApiError::InvalidParameter(format!(
                "the daemon holds {MAX_SPEAKERS} speakers, its limit"
            )));
        }
        let mut next = enrolled.clone();
        next.push(record.clone());
        if let Some(store) = &self.store {
            store.save(&next).map_err(ApiError::Internal)?;
        }
        *enrolled = next;
        let e = Arc::new(entry(&self.metrics, record.speaker, Some(record.embedding), Some(record.f0)));
        self.speakers
            .write()
            .map_err(|_| ApiError::Internal("speaker list poisoned".into()))?
            .push(e.clone());
        Ok(e)
    }

    /// Whether to fail this synthesis on purpose (`--inject-faults`): deterministic, every
    /// 1/p-th request, so tests and alert drills are repeatable.
    pub fn inject_fault(&self) -> bool {
        let p = self.cfg.inject_faults;
        if p <= 0.0 {
            return false;
        }
        let n = self.faults.fetch_add(1, Ordering::Relaxed) as f64;
        (n * p).floor() != ((n + 1.0) * p).floor()
    }

    /// A new request id: a per-process sequence number in hex, prefixed by the start time.
    pub fn next_request_id(&self) -> String {
        format!("av-{:x}", self.request_seq.fetch_add(1, Ordering::Relaxed))
    }
}

fn entry(m: &Metrics, speaker: Speaker, embedding: Option<Vec<f32>>, f0: Option<F0Stats>) -> SpeakerEntry {
    let slot = OnceLock::new();
    if let Some(e) = embedding {
        let _ = slot.set(e);
    }
    SpeakerEntry {
        ok: m.synthesis_requests_total.resolve(&speaker.id, Success::True),
        failed: m.synthesis_requests_total.resolve(&speaker.id, Success::False),
        speaker,
        embedding: slot,
        f0,
    }
}
