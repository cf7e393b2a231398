//! Shared state: configuration, metrics, the signal path (once loaded), speakers with their
//! pre-resolved metric children, and admission control.

use crate::config::Config;
use crate::dsp::{self, Dsp, Engine};
use crate::limits::Limiter;
use crate::metrics::Metrics;
use crate::metrics::label::Success;
use crate::speakers::Speaker;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// A speaker with its `synthesis_requests_total` children resolved once at start-up.
pub struct SpeakerEntry {
    pub speaker: Speaker,
    pub ok: prometheus::IntCounter,
    pub failed: prometheus::IntCounter,
}

impl SpeakerEntry {
    pub fn count(&self, success: bool) {
        if success { self.ok.inc() } else { self.failed.inc() }
    }
}

pub struct Inner {
    pub cfg: Config,
    pub metrics: Metrics,
    pub dsp: OnceLock<Dsp<Engine>>,
    pub speakers: Vec<SpeakerEntry>,
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
    pub fn new(cfg: Config, speakers: Vec<Speaker>, token: Option<String>) -> Result<Self, String> {
        crate::speakers::validate(&speakers)?;
        let metrics = Metrics::new().map_err(|e| format!("cannot register metrics: {e}"))?;
        let entries = speakers
            .into_iter()
            .map(|s| SpeakerEntry {
                ok: metrics.synthesis_requests_total.resolve(&s.id, Success::True),
                failed: metrics.synthesis_requests_total.resolve(&s.id, Success::False),
                speaker: s,
            })
            .collect();
        let limiter = Limiter::new(cfg.concurrency, cfg.queue);
        Ok(Self(Arc::new(Inner {
            cfg,
            metrics,
            dsp: OnceLock::new(),
            speakers: entries,
            limiter,
            token: token.filter(|t| !t.is_empty()),
            faults: AtomicU64::new(0),
            request_seq: AtomicU64::new(0),
        })))
    }

    /// Builds the signal path and runs it once (warm-up); then the daemon is ready.
    /// Blocking: call from a blocking thread.
    pub fn load_models(&self) {
        let d = Dsp::<Engine>::new(Default::default(), 1024, 256);
        let warm: Vec<f32> = (0..4096).map(|i| (i as f32 * 0.06).sin() * 0.3).collect();
        let _ = dsp::to_vec(d.pitch_shift(d.tensor(&warm), 1.5, 1.0));
        if self.dsp.set(d).is_ok() {
            self.metrics.model_loaded.set(1);
            tracing::info!(backend = dsp::backend_name(), "models loaded and warmed up");
        }
    }

    pub fn is_ready(&self) -> bool {
        self.dsp.get().is_some()
    }

    pub fn speaker(&self, id: &str) -> Option<&SpeakerEntry> {
        self.speakers.iter().find(|s| s.speaker.id == id)
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
