//! Work taken off the response path: a sample of requests (a fraction, spread evenly rather
//! than at random, so a rate of 0.25 is exactly every fourth) hands a job to one worker through
//! a bounded queue. A job that finds the queue full is dropped and counted: under load the
//! queue sheds work, it never grows.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// A job: CPU-bound, run on a blocking thread.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// What became of an offered job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    Queued,
    /// The queue was full (or the worker gone); the drop is counted.
    Dropped,
}

pub struct Sampled {
    rate: f64,
    seen: AtomicU64,
    tx: mpsc::Sender<Job>,
    /// Taken by the first offer, which starts the worker inside the caller's runtime.
    rx: Mutex<Option<mpsc::Receiver<Job>>>,
    dropped: prometheus::IntCounter,
}

impl Sampled {
    /// Samples `rate` (0 to 1) of the requests asked; at most `capacity` jobs wait.
    pub fn new(rate: f64, capacity: usize, dropped: prometheus::IntCounter) -> Self {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        Self { rate: rate.clamp(0.0, 1.0), seen: AtomicU64::new(0), tx, rx: Mutex::new(Some(rx)), dropped }
    }

    /// Whether this request is in the sample: the n-th request is when `floor(n * rate)`
    /// steps up, so any window of requests holds its share within one.
    pub fn chosen(&self) -> bool {
        if self.rate <= 0.0 {
            return false;
        }
        let n = self.seen.fetch_add(1, Ordering::Relaxed) as f64;
        ((n + 1.0) * self.rate).floor() > (n * self.rate).floor()
    }

    /// Queues `job` for the worker, or drops it (counted) when the queue is full. Call inside
    /// a tokio runtime: the first call starts the worker there.
    pub fn offer(&self, job: Job) -> Offer {
        self.start();
        match self.tx.try_send(job) {
            Ok(()) => Offer::Queued,
            Err(_) => {
                self.dropped.inc();
                Offer::Dropped
            }
        }
    }

    fn start(&self) {
        let rx = match self.rx.lock() {
            Ok(mut slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        let Some(mut rx) = rx else { return };
        // One job at a time: measurement never takes more than one core from the requests.
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                if let Err(e) = tokio::task::spawn_blocking(job).await {
                    tracing::warn!(error = %e, "a background job panicked");
                }
            }
        });
    }
}
