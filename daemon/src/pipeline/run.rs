//! How every request's work runs: admitted by the limiter (a slot, or a bounded wait for one),
//! within the request's deadline, its CPU-bound part on a blocking thread.

use super::error::PipelineError;
use crate::state::AppState;
use std::future::Future;
use std::time::Duration;

/// Runs `work` once a processing slot is free, all of it (queueing included) within the
/// configured deadline. Dropping `work` at the deadline also stops what it started (the
/// front end's process is killed on drop).
pub async fn admitted<T>(
    state: &AppState,
    work: impl Future<Output = Result<T, PipelineError>>,
) -> Result<T, PipelineError> {
    let deadline = Duration::from_secs_f64(state.cfg.deadline_secs);
    let run = async {
        let _permit = state.limiter.acquire(deadline).await?;
        work.await
    };
    tokio::time::timeout(deadline, run).await.map_err(|_| PipelineError::Timeout)?
}

/// Runs CPU-bound `f` on tokio's blocking pool, so it never stalls the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, PipelineError> + Send + 'static,
) -> Result<T, PipelineError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| PipelineError::Worker(e.to_string()))?
}
