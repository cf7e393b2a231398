//! The synthesis cache in front of the voice pipeline: an in-memory LRU bounded by bytes (the
//! near cache), optionally Redis behind it (shared by replicas, entries with a TTL), and single
//! flight so concurrent identical requests run the pipeline once. Redis can only make a lookup
//! slower by its timeout, never fail it: an error, a timeout or a corrupt entry is a counted
//! miss and the request is computed.

pub mod envelope;
pub mod flight;
pub mod memory;

use crate::metrics::Metrics;
use crate::metrics::label::{CacheOperation, CacheResult, CacheTier};
use crate::shared::Redis;
use flight::{FlightError, Flights, Role};
use memory::Memory;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// A cache key: SHA-256 of everything that decides an answer's bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Key(pub [u8; 32]);

impl Key {
    /// The Redis key of this entry. The version changes when the entry encoding does.
    pub fn redis_key(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::with_capacity(19 + 64);
        s.push_str("autovoice:cache:v1:");
        for b in self.0 {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

/// What the cache stores: its size for the byte budget and its encoding for Redis.
pub trait Entry: Send + Sync + Sized + 'static {
    /// Bytes this entry holds in memory.
    fn weight(&self) -> usize;
    fn encode(&self) -> Vec<u8>;
    /// Decodes an `encode`d entry; an error when the bytes are not one.
    fn decode(bytes: &[u8]) -> Result<Self, String>;
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Memory,
    Redis,
    /// Another request computed it while this one waited.
    Flight,
    /// This request computed it.
    Computed,
}

/// The error of a computation, shared by every request that waited for it. Type-erased so the
/// cache sits below the pipeline whose errors it carries (they downcast back).
pub type WorkError = Box<dyn std::error::Error + Send + Sync>;

pub struct Cache<V> {
    memory: Option<Arc<Memory<V>>>,
    redis: Option<Arc<Redis>>,
    ttl: Duration,
    flights: Flights<(Arc<V>, Source), WorkError>,
    requests: crate::metrics::CacheRequestsTotal,
    decode_errors: prometheus::IntCounter,
}

impl<V: Entry> Cache<V> {
    /// A cache of `memory_bytes` in memory (0: none) in front of `redis` (entries kept `ttl`).
    pub fn new(memory_bytes: usize, redis: Option<Arc<Redis>>, ttl: Duration, metrics: &Metrics) -> Self {
        Self {
            memory: (memory_bytes > 0).then(|| Arc::new(Memory::new(memory_bytes, metrics))),
            redis,
            ttl,
            flights: Flights::new(),
            requests: metrics.cache_requests_total.clone(),
            decode_errors: metrics.cache_errors_total.get(CacheOperation::Decode).clone(),
        }
    }

    /// Whether lookups happen at all (memory or Redis configured).
    pub fn enabled(&self) -> bool {
        self.memory.is_some() || self.redis.is_some()
    }

    /// `(entries, bytes, capacity)` of the in-memory tier.
    pub fn memory_size(&self) -> Option<(usize, usize, usize)> {
        self.memory.as_ref().map(|m| {
            let (n, b) = m.size();
            (n, b, m.capacity())
        })
    }

    /// The answer for `key`: from memory, from a computation already running, from Redis, or
    /// computed by `work` (then stored in both tiers; the Redis write does not delay it).
    pub async fn get_or_compute<F, Fut>(
        &self,
        key: Key,
        work: F,
    ) -> Result<(Arc<V>, Source), FlightError<WorkError>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, WorkError>> + Send + 'static,
    {
        if !self.enabled() {
            return match work().await {
                Ok(v) => Ok((Arc::new(v), Source::Computed)),
                Err(e) => Err(FlightError::Failed(Arc::new(e))),
            };
        }
        if let Some(v) = self.memory.as_ref().and_then(|m| m.get(&key)) {
            self.count(CacheResult::Hit, CacheTier::Memory);
            return Ok((v, Source::Memory));
        }
        let (memory, redis, ttl, decode_errors) =
            (self.memory.clone(), self.redis.clone(), self.ttl, self.decode_errors.clone());
        let (role, out) = self
            .flights
            .run(key, move || {
                let fut = work();
                async move {
                    if let Some(r) = &redis
                        && let Some(v) = redis_get::<V>(r, &key, &decode_errors).await
                    {
                        return Ok((remember(memory.as_deref(), key, v), Source::Redis));
                    }
                    let v = remember(memory.as_deref(), key, fut.await?);
                    write_behind(redis, key, v.as_ref(), ttl);
                    Ok((v, Source::Computed))
                }
            })
            .await;
        let last = self.last_tier();
        match (role, &out) {
            (Role::Follower, Ok(_)) => self.count(CacheResult::Hit, CacheTier::Inflight),
            (Role::Follower, Err(_)) => self.count(CacheResult::Miss, CacheTier::Inflight),
            (Role::Leader, Ok((_, Source::Redis))) => self.count(CacheResult::Hit, CacheTier::Redis),
            (Role::Leader, _) => self.count(CacheResult::Miss, last),
        }
        out.map(|(v, s)| (v, if role == Role::Follower { Source::Flight } else { s }))
    }

    /// The entry for `key` from memory or Redis, counted as a hit or a miss, for answers that
    /// are produced as they are sent (a streamed synthesis) and so cannot be single-flighted.
    pub async fn lookup(&self, key: &Key) -> Option<(Arc<V>, Source)> {
        if !self.enabled() {
            return None;
        }
        if let Some(v) = self.memory.as_ref().and_then(|m| m.get(key)) {
            self.count(CacheResult::Hit, CacheTier::Memory);
            return Some((v, Source::Memory));
        }
        if let Some(r) = &self.redis
            && let Some(v) = redis_get::<V>(r, key, &self.decode_errors).await
        {
            self.count(CacheResult::Hit, CacheTier::Redis);
            return Some((remember(self.memory.as_deref(), *key, v), Source::Redis));
        }
        self.count(CacheResult::Miss, self.last_tier());
        None
    }

    /// Stores a finished answer under `key` in both tiers (the Redis write in the background;
    /// call inside the runtime).
    pub fn store(&self, key: Key, v: V) {
        let v = remember(self.memory.as_deref(), key, v);
        write_behind(self.redis.clone(), key, v.as_ref(), self.ttl);
    }

    /// The tier a miss is counted against: the last one asked.
    fn last_tier(&self) -> CacheTier {
        if self.redis.is_some() { CacheTier::Redis } else { CacheTier::Memory }
    }

    fn count(&self, result: CacheResult, tier: CacheTier) {
        self.requests.get(result, tier).inc();
    }
}

/// `v`, shared, and kept in the memory tier when there is one.
fn remember<V: Entry>(memory: Option<&Memory<V>>, key: Key, v: V) -> Arc<V> {
    let v = Arc::new(v);
    if let Some(m) = memory {
        m.put(key, v.clone(), v.weight());
    }
    v
}

/// Writes `v` to Redis in the background, so the answer does not wait for it.
fn write_behind<V: Entry>(redis: Option<Arc<Redis>>, key: Key, v: &V, ttl: Duration) {
    if let Some(r) = redis {
        let sealed = envelope::seal(&v.encode());
        tokio::spawn(async move { redis_set(&r, &key, sealed, ttl).await });
    }
}

/// The entry for `key` in Redis, if it is there and checks out. Errors are counted (by the
/// client) and mean "not cached".
async fn redis_get<V: Entry>(r: &Redis, key: &Key, decode_errors: &prometheus::IntCounter) -> Option<V> {
    let cmd = redis::cmd("GET").arg(key.redis_key()).clone();
    let bytes: Vec<u8> = r.query::<Option<Vec<u8>>>(CacheOperation::Get, &cmd).await.ok()??;
    match envelope::open(&bytes).and_then(V::decode) {
        Ok(v) => Some(v),
        Err(why) => {
            decode_errors.inc();
            tracing::warn!(key = %key.redis_key(), error = %why, "corrupt cache entry in Redis; recomputing");
            None
        }
    }
}

async fn redis_set(r: &Redis, key: &Key, sealed: Vec<u8>, ttl: Duration) {
    let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
    let cmd = redis::cmd("SET").arg(key.redis_key()).arg(sealed).arg("PX").arg(ms).clone();
    let _ = r.query::<()>(CacheOperation::Set, &cmd).await;
}
