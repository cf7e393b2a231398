//! Admission control: a fixed number of requests run at once, a bounded number wait, and
//! everything beyond that is refused at once with 503 + Retry-After instead of timing out.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a request got no slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// Every slot busy and the queue full: retry after this many seconds.
    Overloaded { retry_after_secs: u64 },
    /// Queued, but no slot freed up within the deadline.
    Timeout,
    /// The limiter was shut down.
    Closed,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Overloaded { retry_after_secs } => {
                write!(f, "server is at capacity; retry in {retry_after_secs} s")
            }
            Self::Timeout => f.write_str("no processing slot freed up within the deadline"),
            Self::Closed => f.write_str("limiter closed"),
        }
    }
}

impl std::error::Error for Rejected {}

#[derive(Debug)]
pub struct Limiter {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

impl Limiter {
    pub fn new(concurrency: usize, queue: usize) -> Self {
        Self { slots: Arc::new(Semaphore::new(concurrency.max(1))), waiting: AtomicUsize::new(0), queue }
    }

    /// A slot, waiting at most `deadline`; `Overloaded` at once when the queue is full.
    pub async fn acquire(&self, deadline: Duration) -> Result<OwnedSemaphorePermit, Rejected> {
        if let Ok(p) = self.slots.clone().try_acquire_owned() {
            return Ok(p);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Rejected::Overloaded { retry_after_secs: 1 });
        }
        let got = tokio::time::timeout(deadline, self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match got {
            Ok(Ok(p)) => Ok(p),
            Ok(Err(_)) => Err(Rejected::Closed),
            Err(_) => Err(Rejected::Timeout),
        }
    }

    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Slots free now.
    pub fn free(&self) -> usize {
        self.slots.available_permits()
    }
}
