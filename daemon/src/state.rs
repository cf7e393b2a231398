//! Shared state: configuration, metrics, the signal path and neural models (once loaded),
//! speakers with their pre-resolved metric children, enrollment storage and admission control.

use crate::config::Config;
use crate::dsp::{Dsp, Engine};
use crate::limits::Limiter;
use crate::metrics::Metrics;
use crate::metrics::label::{Model, Success};
use crate::quality::Quality;
use crate::speakers::{Enrolled, F0Stats, Speaker, SpeakerError, Store};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// Why the daemon cannot start with this configuration.
#[derive(Debug)]
pub enum StartError {
    Speakers(SpeakerError),
    TooManySpeakers { count: usize },
    Metrics(prometheus::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Speakers(e) => e.fmt(f),
            Self::TooManySpeakers { count } => {
                write!(f, "{count} speakers; at most {MAX_SPEAKERS} are allowed")
            }
            Self::Metrics(e) => write!(f, "cannot register metrics: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

impl From<SpeakerError> for StartError {
    fn from(e: SpeakerError) -> Self {
        Self::Speakers(e)
    }
}

/// Why an enrollment was not stored. Nothing changed when this is returned.
#[derive(Debug)]
pub enum EnrollError {
    /// A speaker with this id exists (built in or enrolled).
    Taken(String),
    /// The daemon holds `MAX_SPEAKERS` speakers.
    Full,
    /// The data directory could not be written.
    Store(SpeakerError),
    /// A thread panicked while holding the speaker lists.
    Poisoned,
}

impl std::fmt::Display for EnrollError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Taken(id) => write!(f, "speaker `{id}` already exists"),
            Self::Full => write!(f, "the daemon holds {MAX_SPEAKERS} speakers, its limit"),
            Self::Store(e) => e.fmt(f),
            Self::Poisoned => f.write_str("speaker store poisoned"),
        }
    }
}

impl std::error::Error for EnrollError {}

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
    /// Random per process, so request ids from several replicas (or restarts) never collide.
    request_tag: u64,
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
    pub fn new(cfg: Config, speakers: Vec<Speaker>, token: Option<String>) -> Result<Self, StartError> {
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
            return Err(StartError::TooManySpeakers { count: all.len() });
        }
        let metrics = Metrics::new().map_err(StartError::Metrics)?;
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
            request_tag: process_tag(),
            request_seq: AtomicU64::new(0),
        })))
    }

    pub(crate) fn set_status(&self, model: Model, status: ModelStatus) {
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
    pub fn enroll(&self, record: Enrolled) -> Result<Arc<SpeakerEntry>, EnrollError> {
        let mut enrolled = self.enrolled.lock().map_err(|_| EnrollError::Poisoned)?;
        if self.speaker(&record.speaker.id).is_some() {
            return Err(EnrollError::Taken(record.speaker.id));
        }
        if self.speaker_list().len() >= MAX_SPEAKERS {
            return Err(EnrollError::Full);
        }
        let mut next = enrolled.clone();
        next.push(record.clone());
        if let Some(store) = &self.store {
            store.save(&next).map_err(EnrollError::Store)?;
        }
        *enrolled = next;
        let e = Arc::new(entry(&self.metrics, record.speaker, Some(record.embedding), Some(record.f0)));
        self.speakers.write().map_err(|_| EnrollError::Poisoned)?.push(e.clone());
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

    /// A new request id: `av-<process tag>-<sequence>`, both hex. The tag is random per
    /// process, so ids stay unique across replicas and restarts.
    pub fn next_request_id(&self) -> String {
        format!("av-{:016x}-{:x}", self.request_tag, self.request_seq.fetch_add(1, Ordering::Relaxed))
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

/// 64 random bits for this process: std's hasher keys are seeded from the OS's randomness,
/// mixed with the clock and pid for machines where that seed is weak.
fn process_tag() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    h.write_u128(now.as_nanos());
    h.write_u32(std::process::id());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_unique_within_and_across_processes() {
        let a = AppState::new(Config::for_tests(), crate::speakers::builtin(), None).expect("state");
        let b = AppState::new(Config::for_tests(), crate::speakers::builtin(), None).expect("state");
        let (a1, a2, b1) = (a.next_request_id(), a.next_request_id(), b.next_request_id());
        assert_ne!(a1, a2);
        assert_ne!(a1, b1, "two daemons (replicas) must not hand out the same first id");
        let tag = |id: &str| id.rsplit_once('-').map(|(t, _)| t.to_owned());
        assert_eq!(tag(&a1), tag(&a2), "one process keeps one tag");
        assert!(a1.len() <= 64 && a1.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'), "{a1}");
    }
}
