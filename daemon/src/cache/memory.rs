//! The near cache: an in-memory LRU bounded by bytes, not entries, so long utterances cannot
//! push the daemon past its memory budget. Its size is mirrored into the spec's gauges.

use super::Key;
use crate::metrics::Metrics;
use lru::LruCache;
use std::sync::{Arc, Mutex};

/// Bookkeeping cost of one entry beyond its payload (key, list links, `Arc` header).
pub const ENTRY_OVERHEAD: usize = 128;

struct Inner<V> {
    lru: LruCache<Key, (Arc<V>, usize)>,
    bytes: usize,
}

pub struct Memory<V> {
    capacity: usize,
    inner: Mutex<Inner<V>>,
    entries_gauge: prometheus::IntGauge,
    bytes_gauge: prometheus::Gauge,
}

impl<V> Memory<V> {
    pub fn new(capacity: usize, metrics: &Metrics) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Inner { lru: LruCache::unbounded(), bytes: 0 }),
            entries_gauge: metrics.cache_memory_entries.clone(),
            bytes_gauge: metrics.cache_memory_bytes.clone(),
        }
    }

    /// The entry for `key`, now the most recently used.
    pub fn get(&self, key: &Key) -> Option<Arc<V>> {
        let mut inner = self.inner.lock().ok()?;
        inner.lru.get(key).map(|(v, _)| v.clone())
    }

    /// Stores `value` of `weight` payload bytes, evicting the least recently used entries until
    /// it fits. An entry larger than the whole budget is not stored.
    pub fn put(&self, key: Key, value: Arc<V>, weight: usize) {
        let cost = weight.saturating_add(ENTRY_OVERHEAD);
        if cost > self.capacity {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else { return };
        if let Some((_, old)) = inner.lru.pop(&key) {
            inner.bytes -= old;
        }
        while inner.bytes + cost > self.capacity {
            match inner.lru.pop_lru() {
                Some((_, (_, c))) => inner.bytes -= c,
                None => break,
            }
        }
        inner.lru.put(key, (value, cost));
        inner.bytes += cost;
        self.entries_gauge.set(inner.lru.len() as i64);
        self.bytes_gauge.set(inner.bytes as f64);
    }

    /// `(entries, bytes)` held now.
    pub fn size(&self) -> (usize, usize) {
        self.inner.lock().map(|i| (i.lru.len(), i.bytes)).unwrap_or_default()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}
