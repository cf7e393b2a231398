//! Admission control: a fixed number of requests run at once, a bounded number wait, and
//! everything beyond that is refused at once with 503 + Retry-After instead of timing out.

use crate::error::ApiError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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
    pub async fn acquire(&self, deadline: Duration) -> Result<OwnedSemaphorePermit, ApiError> {
        if let Ok(p) = self.slots.clone().try_acquire_owned() {
            return Ok(p);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(ApiError::Overloaded(1));
        }
        let got = tokio::time::timeout(deadline, self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match got {
            Ok(Ok(p)) => Ok(p),
            Ok(Err(_)) => Err(ApiError::Internal("limiter closed".to_owned())),
            Err(_) => Err(ApiError::Timeout),
        }
    }

    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(l.acquire(Duration::from_secs(5)).await.err(), Some(ApiError::Overloaded(1)));
        drop(held);
        assert!(waiter.await.expect("join").is_ok(), "the queued request gets the slot");
    }
}
