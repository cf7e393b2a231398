//! Why the daemon cannot start, and why an enrollment was not stored.

use super::MAX_SPEAKERS;
use crate::speakers::SpeakerError;

/// Why the daemon cannot start with this configuration.
#[derive(Debug)]
pub enum StartError {
    Speakers(SpeakerError),
    TooManySpeakers {
        count: usize,
    },
    Metrics(prometheus::Error),
    /// The Redis URL is malformed.
    Redis(String),
    /// The shared speaker store would lose speakers (a Redis setting, named in the message).
    UnsafeStore(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Speakers(e) => e.fmt(f),
            Self::TooManySpeakers { count } => {
                write!(f, "{count} speakers; at most {MAX_SPEAKERS} are allowed")
            }
            Self::Metrics(e) => write!(f, "cannot register metrics: {e}"),
            Self::Redis(m) => write!(f, "--redis-url: {m}"),
            Self::UnsafeStore(m) => write!(f, "refusing to keep enrolled speakers in Redis: {m}"),
        }
    }
}

impl std::error::Error for StartError {}

impl From<SpeakerError> for StartError {
    fn from(e: SpeakerError) -> Self {
        Self::Speakers(e)
    }
}

/// Why an enrollment was not stored. Nothing changed when this is returned.
#[derive(Debug)]
pub enum EnrollError {
    /// A speaker with this id exists (built in or enrolled).
    Taken(String),
    /// The daemon holds `MAX_SPEAKERS` speakers.
    Full,
    /// The data directory could not be written.
    Store(SpeakerError),
    /// The shared store (Redis) did not take it: unreachable, or unsafe for speakers.
    Shared(String),
    /// A thread panicked while holding the speaker lists.
    Poisoned,
}

impl std::fmt::Display for EnrollError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Taken(id) => write!(f, "speaker `{id}` already exists"),
            Self::Full => write!(f, "the daemon holds {MAX_SPEAKERS} speakers, its limit"),
            Self::Store(e) => e.fmt(f),
            Self::Shared(m) => write!(f, "the speaker was not stored: {m}"),
            Self::Poisoned => f.write_str("speaker store poisoned"),
        }
    }
}

impl std::error::Error for EnrollError {}
