//! The speaker registry: built-in and enrolled speakers with their pre-resolved metric
//! children, looked up by id. Enrolled speakers persist in the data directory's file or, with
//! a shared store, in Redis, where every replica finds a speaker enrolled on another one.

use super::{AppState, EnrollError, MAX_SPEAKERS};
use crate::metrics::Metrics;
use crate::metrics::label::Success;
use crate::shared::RedisError;
use crate::shared::speakers::Inserted;
use crate::speakers::{Enrolled, F0Stats, Speaker};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

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
    pub fn new(m: &Metrics, speaker: Speaker, embedding: Option<Vec<f32>>, f0: Option<F0Stats>) -> Self {
        let slot = OnceLock::new();
        if let Some(e) = embedding {
            let _ = slot.set(e);
        }
        Self {
            ok: m.synthesis_requests_total.resolve(&speaker.id, Success::True),
            failed: m.synthesis_requests_total.resolve(&speaker.id, Success::False),
            speaker,
            embedding: slot,
            f0,
        }
    }

    pub fn enrolled(m: &Metrics, e: &Enrolled) -> Self {
        Self::new(m, e.speaker.clone(), Some(e.embedding.clone()), Some(e.f0))
    }

    pub fn count(&self, success: bool) {
        if success { self.ok.inc() } else { self.failed.inc() }
    }

    /// An entry counted nowhere, for tests of what depends on a speaker alone (the daemon's
    /// test suite is a crate of its own, so this cannot be `cfg(test)`).
    pub fn for_key(speaker: Speaker) -> Self {
        let counter = || prometheus::IntCounter::new("scratch", "scratch").expect("counter");
        Self { speaker, ok: counter(), failed: counter(), embedding: OnceLock::new(), f0: None }
    }
}

/// Why the shared speaker store is not in use yet.
pub enum Unverified {
    /// Redis did not answer; checked again later.
    Unreachable(String),
    /// Redis would lose speakers (the setting is named).
    Unsafe(String),
}

impl AppState {
    /// The speaker `id` among those this replica knows.
    pub fn speaker(&self, id: &str) -> Option<Arc<SpeakerEntry>> {
        self.speakers.read().ok()?.iter().find(|s| s.speaker.id == id).cloned()
    }

    pub fn speaker_list(&self) -> Vec<Arc<SpeakerEntry>> {
        self.speakers.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// The speaker `id`: known here, or (with a shared store) enrolled on another replica.
    /// An error only when the shared store cannot be asked.
    pub async fn find_speaker(&self, id: &str) -> Result<Option<Arc<SpeakerEntry>>, RedisError> {
        if let Some(e) = self.speaker(id) {
            return Ok(Some(e));
        }
        let Some(shared) = &self.shared_speakers else { return Ok(None) };
        Ok(shared.get(id).await?.map(|record| self.add_local(&record)))
    }

    /// Every speaker, with a shared store's speakers fetched first (on error: those known here).
    pub async fn speaker_list_fresh(&self) -> Vec<Arc<SpeakerEntry>> {
        if let Some(shared) = &self.shared_speakers {
            match shared.all().await {
                Ok(all) => all.iter().for_each(|r| {
                    self.add_local(r);
                }),
                Err(e) => tracing::warn!(error = %e, "listing speakers known here only"),
            }
        }
        self.speaker_list()
    }

    /// Adds a speaker read from the shared store, unless it is known already.
    fn add_local(&self, record: &Enrolled) -> Arc<SpeakerEntry> {
        let Ok(mut list) = self.speakers.write() else {
            return Arc::new(SpeakerEntry::enrolled(&self.metrics, record));
        };
        if let Some(e) = list.iter().find(|s| s.speaker.id == record.speaker.id) {
            return e.clone();
        }
        let e = Arc::new(SpeakerEntry::enrolled(&self.metrics, record));
        list.push(e.clone());
        e
    }

    /// Checks once that Redis keeps speakers, then imports the data directory's speakers
    /// into an empty shared store.
    pub(super) async fn verify_shared(&self) -> Result<(), Unverified> {
        let Some(shared) = &self.shared_speakers else { return Ok(()) };
        if self.shared_verified.load(Ordering::Acquire) {
            return Ok(());
        }
        let unreachable = |e: RedisError| Unverified::Unreachable(e.to_string());
        let fsync =
            shared.check_durable().await.map_err(unreachable)?.map_err(|u| Unverified::Unsafe(u.0))?;
        if fsync != "always" {
            tracing::warn!(
                appendfsync = %fsync,
                "Redis fsyncs its AOF `{fsync}`: a crash of Redis itself may lose the last second of enrollments \
                 (a clean restart loses nothing); `appendfsync always` closes that window"
            );
        }
        let _ = self.speakers_fsync.set(fsync);
        let local: Vec<Enrolled> = self.enrolled.lock().map(|l| l.clone()).unwrap_or_default();
        let copied = shared.import(&local, MAX_SPEAKERS - self.builtin).await.map_err(unreachable)?;
        if copied > 0 {
            tracing::info!(copied, "imported the data directory's speakers into Redis");
        }
        self.shared_verified.store(true, Ordering::Release);
        for r in shared.all().await.map_err(unreachable)? {
            self.add_local(&r);
        }
        Ok(())
    }

    /// Adds an enrolled speaker: persisted first (the file store or Redis), then visible.
    /// Fails without changing anything when the id is taken or the limit is reached; with
    /// Redis, atomically across replicas.
    pub async fn enroll(&self, record: Enrolled) -> Result<Arc<SpeakerEntry>, EnrollError> {
        if let Some(shared) = &self.shared_speakers {
            self.verify_shared().await.map_err(|u| match u {
                Unverified::Unreachable(m) | Unverified::Unsafe(m) => EnrollError::Shared(m),
            })?;
            if self.speaker(&record.speaker.id).is_some() {
                return Err(EnrollError::Taken(record.speaker.id));
            }
            return match shared.insert(&record, MAX_SPEAKERS - self.builtin).await {
                Ok(Inserted::Stored) => Ok(self.add_local(&record)),
                Ok(Inserted::Taken) => Err(EnrollError::Taken(record.speaker.id)),
                Ok(Inserted::Full) => Err(EnrollError::Full),
                Err(e) => Err(EnrollError::Shared(e.to_string())),
            };
        }
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
        let e = Arc::new(SpeakerEntry::enrolled(&self.metrics, &record));
        self.speakers.write().map_err(|_| EnrollError::Poisoned)?.push(e.clone());
        Ok(e)
    }
}
