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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> Key {
        Key([n; 32])
    }

    #[test]
    fn evicts_least_recently_used_by_bytes() {
        let m = Metrics::new().expect("metrics");
        let mem: Memory<u32> = Memory::new(3 * (1000 + ENTRY_OVERHEAD), &m);
        for n in 0..3 {
            mem.put(key(n), Arc::new(u32::from(n)), 1000);
        }
        assert!(mem.get(&key(0)).is_some(), "touch 0 so 1 is the oldest");
        mem.put(key(3), Arc::new(3), 1000);
        assert!(mem.get(&key(1)).is_none(), "the least recently used entry goes first");
        assert!(mem.get(&key(0)).is_some() && mem.get(&key(3)).is_some());
        assert_eq!(mem.size(), (3, 3 * (1000 + ENTRY_OVERHEAD)));
        assert_eq!(m.cache_memory_entries.get(), 3);
        assert_eq!(m.cache_memory_bytes.get(), (3 * (1000 + ENTRY_OVERHEAD)) as f64);
        // One big entry evicts as many as it needs.
        mem.put(key(4), Arc::new(4), 2500);
        assert_eq!(mem.size().0, 1, "2.5 kB needs the room of all three");
        // Larger than the budget: not stored, nothing evicted.
        mem.put(key(5), Arc::new(5), 10_000);
        assert!(mem.get(&key(5)).is_none() && mem.get(&key(4)).is_some());
    }

    #[test]
    fn replacing_a_key_does_not_double_count() {
        let m = Metrics::new().expect("metrics");
        let mem: Memory<u32> = Memory::new(10_000, &m);
        mem.put(key(1), Arc::new(1), 100);
        mem.put(key(1), Arc::new(2), 300);
        assert_eq!(mem.size(), (1, 300 + ENTRY_OVERHEAD));
        assert_eq!(mem.get(&key(1)).map(|v| *v), Some(2));
    }
}
