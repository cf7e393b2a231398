//! The pipeline's one error type: what went wrong with a request, in domain terms. The API
//! maps it to a status and an `error_type` at its edge.

use super::frontend::FrontendError;
use crate::limits::Rejected;
use crate::state::EnrollError;
use crate::wav::WavError;

/// A request that does not say what the daemon can do.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestError {
    /// No body at all where JSON was expected.
    EmptyBody,
    Json(String),
    EmptyText,
    TextTooLong {
        chars: usize,
        limit: usize,
    },
    /// A query or JSON parameter that is missing, unknown, not a number or out of range.
    Parameter(String),
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::EmptyBody => {
                f.write_str("the request body is empty; expected JSON {\"text\", \"speaker_id\"}")
            }
            Self::Json(m) | Self::Parameter(m) => f.write_str(m),
            Self::EmptyText => f.write_str("`text` is empty"),
            Self::TextTooLong { chars, limit } => {
                write!(f, "`text` has {chars} characters; the limit is {limit}")
            }
        }
    }
}

#[derive(Debug)]
pub enum PipelineError {
    Request(RequestError),
    UnknownSpeaker {
        id: String,
        known: Vec<String>,
    },
    /// The signal path is not loaded yet.
    NotReady,
    /// The work needs the neural models, which are not loaded: what for.
    ModelsMissing(&'static str),
    InjectedFault,
    Rejected(Rejected),
    /// The request ran past its deadline.
    Timeout,
    Wav(WavError),
    AudioTooLong {
        secs: f64,
        limit: f64,
    },
    /// An enrollment recording that cannot give a speaker.
    Recording(String),
    Frontend(FrontendError),
    Enroll(EnrollError),
    /// The signal path produced NaN or infinite samples.
    NonFinite,
    /// A worker thread panicked or was cancelled.
    Worker(String),
    /// The client of a streamed answer went away (closed the connection, or cancelled); no
    /// one is left to answer.
    Cancelled,
    /// The shared speaker store (Redis) could not be asked whether a speaker exists.
    SpeakerStore(String),
    /// The error of an identical request whose result this one shared (single flight): a
    /// `PipelineError`, type-erased by the cache, which sits below the pipeline.
    Shared(std::sync::Arc<crate::cache::WorkError>),
}

impl std::fmt::Display for PipelineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Request(e) => e.fmt(f),
            Self::UnknownSpeaker { id, known } => write!(f, "no speaker `{id}`; known: {}", known.join(", ")),
            Self::NotReady => f.write_str("models are not loaded yet"),
            Self::ModelsMissing(what) => f.write_str(what),
            Self::InjectedFault => f.write_str("fault injected for testing (--inject-faults)"),
            Self::Rejected(e) => e.fmt(f),
            Self::Timeout => f.write_str("the request did not finish within its deadline"),
            Self::Wav(e) => e.fmt(f),
            Self::AudioTooLong { secs, limit } => write!(f, "{secs:.1} s of audio; the limit is {limit} s"),
            Self::Recording(m) => f.write_str(m),
            Self::Frontend(e) => e.fmt(f),
            Self::Enroll(e) => e.fmt(f),
            Self::NonFinite => f.write_str("the signal path produced non-finite samples"),
            Self::Worker(m) => write!(f, "worker failed: {m}"),
            Self::Cancelled => f.write_str("the client cancelled the request"),
            Self::SpeakerStore(m) => write!(f, "the shared speaker store is unavailable: {m}"),
            Self::Shared(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for PipelineError {}

impl From<RequestError> for PipelineError {
    fn from(e: RequestError) -> Self {
        Self::Request(e)
    }
}

impl From<WavError> for PipelineError {
    fn from(e: WavError) -> Self {
        Self::Wav(e)
    }
}

impl From<Rejected> for PipelineError {
    fn from(e: Rejected) -> Self {
        match e {
            // A queued request that never got a slot ran out of its deadline.
            Rejected::Timeout => Self::Timeout,
            e => Self::Rejected(e),
        }
    }
}

impl From<FrontendError> for PipelineError {
    fn from(e: FrontendError) -> Self {
        Self::Frontend(e)
    }
}

impl From<EnrollError> for PipelineError {
    fn from(e: EnrollError) -> Self {
        Self::Enroll(e)
    }
}
