//! Unit tests of the concurrency limiter (`daemon/src/limits.rs`), kept in the one test binary.

use autovoice_daemon::limits::*;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn refuses_at_once_when_slots_and_queue_are_full() {
    let l = Arc::new(Limiter::new(1, 1));
    let held = l.acquire(Duration::from_secs(1)).await.expect("first slot");
    let waiter = {
        let l = l.clone();
        tokio::spawn(async move { l.acquire(Duration::from_secs(5)).await.map(|_| ()) })
    };
    while l.waiting() == 0 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        l.acquire(Duration::from_secs(5)).await.err(),
        Some(Rejected::Overloaded { retry_after_secs: 1 })
    );
    drop(held);
    assert!(waiter.await.expect("join").is_ok(), "the queued request gets the slot");
}
