//! Shared state: configuration, metrics, the signal path and neural models (once loaded), the
//! speaker registry, the synthesis cache and its Redis, and admission control.

mod error;
mod registry;

pub use error::{EnrollError, StartError};
pub use registry::SpeakerEntry;

use crate::answer::Output;
use crate::cache::Cache;
use crate::config::Config;
use crate::engine::{Engine, Selection, Unavailable};
use crate::limits::Limiter;
use crate::metrics::Metrics;
use crate::metrics::label::{Backend, Model};
use crate::shared::Redis;
use crate::shared::speakers::SharedSpeakers;
use crate::speakers::{Enrolled, Speaker, Store};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

/// Speakers at most, built-in and enrolled: the `speaker_id` label's declared bound.
pub const MAX_SPEAKERS: usize = 100;

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
    /// The backend, once chosen (`select_backend`).
    backend: OnceLock<Selection>,
    /// The signal path and, once loaded, the neural models; shared between states of one
    /// process (`load_models_like`).
    pub(crate) engine: OnceLock<Arc<Engine>>,
    speakers: RwLock<Vec<Arc<SpeakerEntry>>>,
    builtin: usize,
    /// Enrolled speakers as persisted in the file store; the lock also serialises enrollments.
    enrolled: Mutex<Vec<Enrolled>>,
    store: Option<Store>,
    /// Enrolled speakers on Redis (`--redis-url` without `--local-speakers`).
    shared_speakers: Option<SharedSpeakers>,
    /// Whether Redis was checked safe for speakers and local speakers imported.
    shared_verified: AtomicBool,
    /// Redis's `appendfsync`, once checked: how much a crash of Redis could lose.
    pub speakers_fsync: OnceLock<String>,
    pub redis: Option<Arc<Redis>>,
    pub cache: Cache<Output>,
    /// Sampled quality measurements, run after their answers are sent.
    pub measurements: crate::background::Sampled,
    /// What every cache key of this process shares; set when the models load.
    fingerprint: RwLock<Option<[u8; 32]>>,
    /// espeak-ng's version and the weight files' digest, once the models are loaded: what the
    /// fingerprint is made of besides the backend and whether outputs are measured.
    pub(crate) model_inputs: OnceLock<(String, Vec<u8>)>,
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
    /// Builds the state; enrolled speakers are read from `cfg.data_dir` when it is set. With
    /// `cfg.redis_url` the Redis client is created (it connects lazily: call `connect_shared`),
    /// which needs a tokio runtime.
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
        let redis = match &cfg.redis_url {
            Some(url) => Some(
                Redis::new(url, Duration::from_millis(cfg.redis_timeout_ms), &metrics)
                    .map_err(|e| StartError::Redis(e.to_string()))?,
            ),
            None => None,
        };
        let shared_speakers = redis.clone().filter(|_| !cfg.local_speakers).map(SharedSpeakers::new);
        let builtin = speakers.len();
        let mut entries: Vec<Arc<SpeakerEntry>> =
            speakers.into_iter().map(|s| Arc::new(SpeakerEntry::new(&metrics, s, None, None))).collect();
        for e in &enrolled {
            entries.push(Arc::new(SpeakerEntry::enrolled(&metrics, e)));
        }
        let cache = Cache::new(
            cfg.cache_bytes,
            redis.clone(),
            Duration::from_secs(cfg.cache_ttl_secs.max(1)),
            &metrics,
        );
        let limiter = Limiter::new(cfg.concurrency, cfg.queue);
        let measurements = crate::background::Sampled::new(
            cfg.quality_sample,
            cfg.quality_queue,
            metrics.quality_measurements_dropped_total.clone(),
        );
        Ok(Self(Arc::new(Inner {
            // Speakers live in Redis then; the file is read once, to import it.
            store: store.filter(|_| shared_speakers.is_none()),
            shared_speakers,
            shared_verified: AtomicBool::new(false),
            speakers_fsync: OnceLock::new(),
            redis,
            cache,
            measurements,
            fingerprint: RwLock::new(None),
            model_inputs: OnceLock::new(),
            cfg,
            metrics,
            backend: OnceLock::new(),
            engine: OnceLock::new(),
            speakers: RwLock::new(entries),
            builtin,
            enrolled: Mutex::new(enrolled),
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

    /// Connects to Redis when configured: pings it, starts the health task and, for shared
    /// speakers, checks that Redis keeps them and imports the local ones. Redis being down is
    /// not an error (the daemon serves uncached and checks again when it answers); a Redis that
    /// would lose speakers is.
    pub async fn connect_shared(&self) -> Result<(), StartError> {
        let Some(redis) = &self.redis else { return Ok(()) };
        let up = redis.check().await;
        redis.spawn_health();
        if !up {
            tracing::warn!(redis = %redis.address, "Redis does not answer; serving uncached until it does");
            return Ok(());
        }
        match self.verify_shared().await {
            Ok(()) => Ok(()),
            Err(registry::Unverified::Unsafe(m)) => Err(StartError::UnsafeStore(m)),
            Err(registry::Unverified::Unreachable(m)) => {
                tracing::warn!(redis = %redis.address, error = %m, "speaker store not checked yet; checked again at the first enrollment");
                Ok(())
            }
        }
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

    /// The signal path and the models, once built.
    pub fn engine(&self) -> Option<&Engine> {
        self.engine.get().map(|e| &**e)
    }

    /// The signal path is loaded: requests can be served.
    pub fn can_serve(&self) -> bool {
        self.engine.get().is_some()
    }

    /// Everything is loaded, the quality models included.
    pub fn is_ready(&self) -> bool {
        self.engine().is_some_and(Engine::has_quality)
    }

    /// Chooses the compute backend (`--backend`, probing CUDA) the first time it is called and
    /// returns that choice ever after: the reason for a fallback is logged once, and the
    /// `autovoice_compute_backend` gauge marks the backend in use.
    pub fn select_backend(&self) -> Result<&Selection, Unavailable> {
        if let Some(s) = self.backend.get() {
            return Ok(s);
        }
        let chosen = crate::engine::select(self.cfg.backend)?;
        let s = self.backend.get_or_init(|| chosen);
        for b in Backend::ALL {
            self.metrics.compute_backend.get(b).set(i64::from(b == s.backend));
        }
        let (backend, reason) = (s.backend.as_str(), s.reason.as_deref());
        if s.fallback {
            tracing::warn!(backend, reason, "compute backend chosen");
        } else {
            tracing::info!(backend, reason, device = s.device.as_deref(), "compute backend chosen");
        }
        Ok(s)
    }

    /// The backend chosen, once `select_backend` has run.
    pub fn backend(&self) -> Option<&Selection> {
        self.backend.get()
    }

    /// The cache-key fingerprint, once the signal path is loaded.
    pub fn fingerprint(&self) -> Option<[u8; 32]> {
        if !self.can_serve() {
            return None;
        }
        self.fingerprint.read().ok().and_then(|f| *f)
    }

    pub(crate) fn set_fingerprint(&self, fp: [u8; 32]) {
        if let Ok(mut f) = self.fingerprint.write() {
            *f = Some(fp);
        }
    }

    /// Where enrolled speakers are kept: `redis`, `file` or `memory`.
    pub fn speaker_store_kind(&self) -> &'static str {
        match (&self.shared_speakers, &self.store) {
            (Some(_), _) => "redis",
            (None, Some(_)) => "file",
            (None, None) => "memory",
        }
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

/// 64 random bits for this process: std's hasher keys are seeded from the OS's randomness,
/// mixed with the clock and pid for machines where that seed is weak.
fn process_tag() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    h.write_u128(now.as_nanos());
    h.write_u32(std::process::id());
    h.finish()
}
