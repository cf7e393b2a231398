//! Unit tests of the in-memory LRU tier (`daemon/src/cache/memory.rs`), kept in the one test binary.

use autovoice_daemon::cache::Key;
use autovoice_daemon::cache::memory::*;
use autovoice_daemon::metrics::Metrics;
use std::sync::Arc;

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
