//! Unit tests of sampled background work (`daemon/src/background.rs`), kept in the one test binary.

use autovoice_daemon::background::*;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;

fn counter() -> prometheus::IntCounter {
    prometheus::IntCounter::new("dropped", "dropped").expect("counter")
}

#[test]
fn the_sample_is_the_rate_spread_evenly() {
    for (rate, of_100) in [(1.0, 100), (0.25, 25), (0.1, 10), (0.0, 0), (0.333, 33)] {
        let s = Sampled::new(rate, 1, counter());
        let picks: Vec<bool> = (0..100).map(|_| s.chosen()).collect();
        assert_eq!(picks.iter().filter(|p| **p).count(), of_100, "rate {rate}");
        if rate == 0.25 {
            let every_fourth: Vec<bool> = (0..100).map(|i| i % 4 == 3).collect();
            assert_eq!(picks, every_fourth);
        }
    }
}

#[tokio::test]
async fn a_full_queue_drops_and_counts_and_every_queued_job_runs() {
    let dropped = counter();
    let s = Sampled::new(1.0, 2, dropped.clone());
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let ran = Arc::new(AtomicUsize::new(0));
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let r = ran.clone();
    // The first job holds the worker until released, so the next ones wait in the queue.
    assert_eq!(
        s.offer(Box::new(move || {
            let _ = started_tx.send(());
            let _ = gate.recv();
            r.fetch_add(1, Ordering::SeqCst);
        })),
        Offer::Queued
    );
    started.await.expect("the worker took the first job");
    let offers: Vec<Offer> = (0..4)
        .map(|_| {
            let r = ran.clone();
            s.offer(Box::new(move || {
                r.fetch_add(1, Ordering::SeqCst);
            }))
        })
        .collect();
    assert_eq!(offers, [Offer::Queued, Offer::Queued, Offer::Dropped, Offer::Dropped]);
    assert_eq!(dropped.get(), 2);
    release.send(()).expect("release");
    for _ in 0..200 {
        if ran.load(Ordering::SeqCst) == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(ran.load(Ordering::SeqCst), 3, "the held job and the two queued ones ran");
}
