//! Unit tests of single flight (`daemon/src/cache/flight.rs`), kept in the one test binary.

use autovoice_daemon::cache::Key;
use autovoice_daemon::cache::flight::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_run() {
    let flights: Arc<Flights<u64, String>> = Arc::new(Flights::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..20 {
        let (f, runs) = (flights.clone(), runs.clone());
        handles.push(tokio::spawn(async move {
            f.run(Key([7; 32]), || async move {
                runs.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                Ok(42)
            })
            .await
        }));
    }
    let mut leaders = 0;
    for h in handles {
        let (role, out) = h.await.expect("join");
        assert_eq!(out.ok(), Some(42));
        leaders += usize::from(role == Role::Leader);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the work ran once for 20 callers");
    assert_eq!(leaders, 1);
    assert_eq!(flights.in_flight(), 0, "finished flights leave the table");
}

#[tokio::test]
async fn errors_reach_every_waiter_and_the_next_call_runs_again() {
    let flights: Flights<u64, String> = Flights::new();
    let (_, out) = flights.run(Key([1; 32]), || async { Err("boom".to_owned()) }).await;
    assert!(matches!(out, Err(FlightError::Failed(e)) if *e == "boom"));
    let (role, out) = flights.run(Key([1; 32]), || async { Ok(1) }).await;
    assert_eq!((role, out.ok()), (Role::Leader, Some(1)));
}
