//! Enrolled speakers on Redis, shared by every replica: one hash, `autovoice:speakers`, field
//! = speaker id, value = the enrollment record as JSON. Speakers are user data, not cache, so
//! the store refuses a Redis that could lose them (no AOF, or a policy that evicts keys
//! without a TTL) and inserts atomically (a Lua script checks the id and the limit and writes
//! in one step, so two replicas cannot both acknowledge one id).

use super::{Redis, RedisError};
use crate::metrics::label::CacheOperation;
use crate::speakers::{self, Enrolled};
use std::sync::Arc;
use std::time::Duration;

/// The hash holding every enrolled speaker.
pub const KEY: &str = "autovoice:speakers";

/// Timeout of speaker-store commands: enrollment and listing are off the synthesis path and
/// must not fail on a slow round trip.
const TIMEOUT: Duration = Duration::from_secs(1);

/// Inserts ARGV[2] at field ARGV[1] unless it exists (0) or the hash holds ARGV[3] entries (-1).
const INSERT: &str = r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1";

/// What an insert did.
#[derive(Debug, PartialEq, Eq)]
pub enum Inserted {
    Stored,
    Taken,
    Full,
}

/// A Redis setting that would lose speakers.
#[derive(Debug)]
pub struct Unsafe(pub String);

impl std::fmt::Display for Unsafe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone)]
pub struct SharedSpeakers {
    redis: Arc<Redis>,
}

impl SharedSpeakers {
    pub fn new(redis: Arc<Redis>) -> Self {
        Self { redis }
    }

    /// Checks that Redis keeps what it acknowledges: `appendonly yes`, and a `maxmemory-policy`
    /// that never evicts keys without a TTL (`noeviction` or a `volatile-*` policy; the
    /// speakers' hash has no TTL, cache entries do). On success, Redis's `appendfsync`: with
    /// anything but `always`, a crash of Redis itself (not a clean restart) can lose the last
    /// second of acknowledged writes.
    pub async fn check_durable(&self) -> Result<Result<String, Unsafe>, RedisError> {
        let aof = self.redis.config_get("appendonly").await?;
        let policy = self.redis.config_get("maxmemory-policy").await?;
        let (Some(aof), Some(policy)) = (aof, policy) else {
            return Ok(Err(Unsafe(format!(
                "{} refuses CONFIG GET, so the daemon cannot check that it keeps speakers (appendonly, maxmemory-policy); \
                 give --local-speakers to keep them in --data-dir",
                self.redis.address
            ))));
        };
        if aof != "yes" {
            return Ok(Err(Unsafe(format!(
                "{} has appendonly `{aof}`: enrolled speakers would be lost when it restarts; \
                 run it with `--appendonly yes` (or give --local-speakers)",
                self.redis.address
            ))));
        }
        if !(policy == "noeviction" || policy.starts_with("volatile-")) {
            return Ok(Err(Unsafe(format!(
                "{} has maxmemory-policy `{policy}`, which may evict enrolled speakers; use `noeviction` or a \
                 `volatile-*` policy (cache entries carry a TTL, speakers do not), or give --local-speakers",
                self.redis.address
            ))));
        }
        let fsync = self.redis.config_get("appendfsync").await?.unwrap_or_default();
        Ok(Ok(fsync))
    }

    /// Every enrolled speaker. Records that do not check out are skipped and logged.
    pub async fn all(&self) -> Result<Vec<Enrolled>, RedisError> {
        let cmd = redis::cmd("HGETALL").arg(KEY).clone();
        let pairs: Vec<(String, Vec<u8>)> =
            self.redis.query_within(CacheOperation::SpeakerRead, &cmd, TIMEOUT).await?;
        Ok(pairs.into_iter().filter_map(|(id, json)| self.decode(&id, &json)).collect())
    }

    /// One speaker, with the request-path timeout (it is looked up while a synthesis waits).
    pub async fn get(&self, id: &str) -> Result<Option<Enrolled>, RedisError> {
        let cmd = redis::cmd("HGET").arg(KEY).arg(id).clone();
        let json: Option<Vec<u8>> = self.redis.query(CacheOperation::SpeakerRead, &cmd).await?;
        Ok(json.and_then(|j| self.decode(id, &j)))
    }

    /// Stores `record` unless its id is taken or `limit` speakers are enrolled.
    pub async fn insert(&self, record: &Enrolled, limit: usize) -> Result<Inserted, RedisError> {
        let json = serde_json::to_vec(record).map_err(|e| {
            RedisError::Command(redis::RedisError::from((redis::ErrorKind::Client, "encode", e.to_string())))
        })?;
        // EVAL, not EVALSHA: the script is short, and a restarted Redis has no script cache.
        let cmd = redis::cmd("EVAL")
            .arg(INSERT)
            .arg(1)
            .arg(KEY)
            .arg(&record.speaker.id)
            .arg(json)
            .arg(limit)
            .clone();
        let n: i64 = self.redis.query_within(CacheOperation::SpeakerWrite, &cmd, TIMEOUT).await?;
        Ok(match n {
            1 => Inserted::Stored,
            0 => Inserted::Taken,
            _ => Inserted::Full,
        })
    }

    /// Copies speakers from a local store into an empty shared one (first start with Redis).
    /// Returns how many were copied; none when the shared store already holds speakers.
    pub async fn import(&self, local: &[Enrolled], limit: usize) -> Result<usize, RedisError> {
        let cmd = redis::cmd("HLEN").arg(KEY).clone();
        let held: usize = self.redis.query_within(CacheOperation::SpeakerRead, &cmd, TIMEOUT).await?;
        if held > 0 || local.is_empty() {
            return Ok(0);
        }
        let mut copied = 0;
        for record in local {
            if self.insert(record, limit).await? == Inserted::Stored {
                copied += 1;
            }
        }
        Ok(copied)
    }

    fn decode(&self, id: &str, json: &[u8]) -> Option<Enrolled> {
        let checked = serde_json::from_slice::<Enrolled>(json)
            .map_err(|e| e.to_string())
            .and_then(|e| speakers::check_record(&e).map(|()| e).map_err(|e| e.to_string()))
            .and_then(|e| {
                if e.speaker.id == id { Ok(e) } else { Err(format!("the record names `{}`", e.speaker.id)) }
            });
        match checked {
            Ok(e) => Some(e),
            Err(why) => {
                tracing::error!(speaker = id, error = %why, "skipping a malformed speaker record in Redis");
                self.redis.errors.get(CacheOperation::SpeakerRead).inc();
                None
            }
        }
    }
}
