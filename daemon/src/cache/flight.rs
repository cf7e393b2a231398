//! Single flight: concurrent requests for one key share one computation. The first caller
//! spawns it as a task (so a client that hangs up does not cancel the work the others wait
//! for); the rest await the same result.

use super::Key;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Why a shared computation gave no value.
#[derive(Debug)]
pub enum FlightError<E> {
    /// The computation returned this error (every waiter gets it).
    Failed(Arc<E>),
    /// The task panicked or was cancelled.
    Lost(String),
}

impl<E> Clone for FlightError<E> {
    fn clone(&self) -> Self {
        match self {
            Self::Failed(e) => Self::Failed(e.clone()),
            Self::Lost(m) => Self::Lost(m.clone()),
        }
    }
}

type Outcome<T, E> = Result<T, FlightError<E>>;
type Pending<T, E> = Shared<BoxFuture<'static, Outcome<T, E>>>;

pub struct Flights<T, E> {
    running: Arc<Mutex<HashMap<Key, Pending<T, E>>>>,
}

/// Whether this caller started the computation or joined one already running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Leader,
    Follower,
}

impl<T, E> Flights<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Send + Sync + 'static,
{
    pub fn new() -> Self {
        Self { running: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// Runs `work` for `key` unless a computation for it is running, in which case its result
    /// is awaited instead.
    pub async fn run<F, Fut>(&self, key: Key, work: F) -> (Role, Outcome<T, E>)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let (role, pending) = {
            let Ok(mut running) = self.running.lock() else {
                return (Role::Leader, Err(FlightError::Lost("single-flight table poisoned".to_owned())));
            };
            match running.get(&key) {
                Some(p) => (Role::Follower, p.clone()),
                None => {
                    let fut = work();
                    let table = self.running.clone();
                    let task = tokio::spawn(async move {
                        let out = fut.await.map_err(|e| FlightError::Failed(Arc::new(e)));
                        // Later requests find the finished value in the cache, not here.
                        if let Ok(mut t) = table.lock() {
                            t.remove(&key);
                        }
                        out
                    });
                    let p =
                        async move { task.await.unwrap_or_else(|e| Err(FlightError::Lost(e.to_string()))) }
                            .boxed()
                            .shared();
                    running.insert(key, p.clone());
                    (Role::Leader, p)
                }
            }
        };
        (role, pending.await)
    }

    /// Computations running now.
    pub fn in_flight(&self) -> usize {
        self.running.lock().map(|r| r.len()).unwrap_or_default()
    }
}

impl<T, E> Default for Flights<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}
