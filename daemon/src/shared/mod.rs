//! Redis, the state replicas share: one multiplexed connection (the redis crate's
//! `ConnectionManager`, which reconnects by itself), every command bounded by a short timeout
//! and timed into the spec's metrics, and a health flag so requests skip Redis at once while
//! it is known to be down instead of each waiting out its timeout. A background task pings
//! Redis (every second while down) and clears the flag when it answers again.

pub mod speakers;

use crate::metrics::Metrics;
use crate::metrics::label::CacheOperation;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Why a Redis command gave no answer.
#[derive(Debug)]
pub enum RedisError {
    /// Redis is known to be down; the command was not sent.
    Down,
    /// No answer within the timeout.
    Timeout(Duration),
    /// Redis answered with an error, or the connection failed.
    Command(redis::RedisError),
    /// The URL is not a Redis URL.
    Url(String),
}

impl std::fmt::Display for RedisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Down => f.write_str("Redis is unreachable (the daemon retries every second)"),
            Self::Timeout(t) => write!(f, "Redis did not answer within {} ms", t.as_millis()),
            Self::Command(e) => write!(f, "Redis: {e}"),
            Self::Url(m) => write!(f, "invalid Redis URL: {m}"),
        }
    }
}

impl std::error::Error for RedisError {}

/// Seconds between health pings while Redis answers, and while it does not.
const PING_UP: Duration = Duration::from_secs(5);
const PING_DOWN: Duration = Duration::from_secs(1);

pub struct Redis {
    conn: ConnectionManager,
    timeout: Duration,
    up: AtomicBool,
    /// The URL without its password, for logs and `/ready`.
    pub address: String,
    errors: crate::metrics::CacheErrorsTotal,
    duration: prometheus::Histogram,
}

impl Redis {
    /// A client for `url` (`redis://[:password@]host:port/db`). Connects lazily: the daemon
    /// starts whether or not Redis is up; call `check` to learn which.
    pub fn new(url: &str, timeout: Duration, metrics: &Metrics) -> Result<Arc<Self>, RedisError> {
        let client = redis::Client::open(url).map_err(|e| RedisError::Url(e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(RedisError::Command)?;
        Ok(Arc::new(Self {
            conn,
            timeout,
            up: AtomicBool::new(false),
            address: redact(url),
            errors: metrics.cache_errors_total.clone(),
            duration: metrics.redis_command_duration_seconds.clone(),
        }))
    }

    /// Whether the last command or ping got an answer.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// The per-command timeout on the request path.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `cmd` with the request-path timeout, unless Redis is known to be down.
    pub async fn query<T: FromRedisValue>(&self, op: CacheOperation, cmd: &Cmd) -> Result<T, RedisError> {
        self.query_within(op, cmd, self.timeout).await
    }

    /// Sends `cmd` with its own timeout (for work off the synthesis path, such as enrollment).
    pub async fn query_within<T: FromRedisValue>(
        &self,
        op: CacheOperation,
        cmd: &Cmd,
        timeout: Duration,
    ) -> Result<T, RedisError> {
        if !self.is_up() {
            self.errors.get(op).inc();
            return Err(RedisError::Down);
        }
        self.send(op, cmd, timeout).await
    }

    async fn send<T: FromRedisValue>(
        &self,
        op: CacheOperation,
        cmd: &Cmd,
        timeout: Duration,
    ) -> Result<T, RedisError> {
        let start = Instant::now();
        let mut conn = self.conn.clone();
        let answer = tokio::time::timeout(timeout, cmd.query_async::<T>(&mut conn)).await;
        self.duration.observe(start.elapsed().as_secs_f64());
        let result = match answer {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => {
                // An error reply (a wrong type, a script error) is not an outage.
                if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout()
                {
                    self.mark_down(&e.to_string());
                }
                RedisError::Command(e)
            }
            Err(_) => {
                self.mark_down("timeout");
                RedisError::Timeout(timeout)
            }
        };
        self.errors.get(op).inc();
        Err(result)
    }

    fn mark_down(&self, why: &str) {
        if self.up.swap(false, Ordering::Relaxed) {
            tracing::warn!(redis = %self.address, error = why, "Redis is unreachable; serving uncached until it answers");
        }
    }

    /// Pings Redis once (timeout at least 250 ms: a reconnect needs a round trip more) and
    /// updates the health flag.
    pub async fn check(&self) -> bool {
        let timeout = self.timeout.max(Duration::from_millis(250));
        let ok = matches!(self.send::<String>(CacheOperation::Ping, &redis::cmd("PING"), timeout).await, Ok(p) if p == "PONG");
        if ok && !self.up.swap(true, Ordering::Relaxed) {
            tracing::info!(redis = %self.address, "Redis answers; cache and shared speakers are on");
        }
        ok
    }

    /// Keeps the health flag current for as long as the daemon runs.
    pub fn spawn_health(self: &Arc<Self>) {
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(r) = me.upgrade() else { return };
                r.check().await;
                let wait = if r.is_up() { PING_UP } else { PING_DOWN };
                drop(r);
                tokio::time::sleep(wait).await;
            }
        });
    }

    /// `CONFIG GET name`, or `None` when the server refuses CONFIG (some managed services do).
    pub async fn config_get(&self, name: &str) -> Result<Option<String>, RedisError> {
        let cmd = redis::cmd("CONFIG").arg("GET").arg(name).clone();
        let pairs: Vec<String> =
            match self.send(CacheOperation::SpeakerRead, &cmd, Duration::from_secs(1)).await {
                Ok(v) => v,
                Err(RedisError::Command(e))
                    if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(e),
            };
        Ok(pairs.chunks(2).find(|p| p.first().is_some_and(|k| k == name)).and_then(|p| p.get(1).cloned()))
    }
}

/// `url` with any password replaced by `***`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}
