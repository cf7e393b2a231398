//! One error enum for the API: it gives the HTTP status, the JSON `error.type` and the
//! `error_type` metric label (the generated label enum, so the two cannot drift apart). The
//! pipeline's domain errors are mapped into it here, at the edge, and nowhere else.

use crate::limits::Rejected;
use crate::metrics::label::ErrorType;
use crate::pipeline::{PipelineError, RequestError};
use crate::state::EnrollError;
use crate::wav::WavError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    PayloadTooLarge(String),
    /// No byte of the request body arrived for this many seconds.
    BodyStalled(f64),
    /// The body broke off or was not valid HTTP framing.
    UnreadableBody(String),
    TextTooLong(String),
    AudioTooLong(String),
    UnknownSpeaker(String),
    MalformedJson(String),
    MalformedWav(String),
    UnsupportedAudio(String),
    EmptyInput(String),
    InvalidParameter(String),
    /// The resource exists already (enrolling a taken speaker id).
    Conflict(String),
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    /// Over capacity: the client should retry after this many seconds.
    Overloaded(u64),
    Timeout,
    NotReady,
    /// The signal path serves but a neural model is not loaded: why, and how to fix it.
    ModelsMissing(String),
    InjectedFault,
    /// The shared store (Redis) did not answer; the request may succeed once it is back.
    StoreUnavailable(String),
    Internal(String),
}

impl ApiError {
    pub fn error_type(&self) -> ErrorType {
        match self {
            Self::PayloadTooLarge(_) => ErrorType::PayloadTooLarge,
            Self::TextTooLong(_) => ErrorType::TextTooLong,
            Self::AudioTooLong(_) => ErrorType::AudioTooLong,
            Self::UnknownSpeaker(_) => ErrorType::UnknownSpeaker,
            Self::MalformedJson(_) => ErrorType::MalformedJson,
            Self::MalformedWav(_) => ErrorType::MalformedWav,
            Self::UnsupportedAudio(_) => ErrorType::UnsupportedAudio,
            Self::EmptyInput(_) => ErrorType::EmptyInput,
            Self::InvalidParameter(_) => ErrorType::InvalidParameter,
            Self::Conflict(_) => ErrorType::Conflict,
            Self::Unauthorized => ErrorType::Unauthorized,
            Self::NotFound => ErrorType::NotFound,
            Self::MethodNotAllowed => ErrorType::MethodNotAllowed,
            Self::Overloaded(_) => ErrorType::Overloaded,
            Self::Timeout | Self::BodyStalled(_) => ErrorType::Timeout,
            Self::UnreadableBody(_) => ErrorType::InvalidParameter,
            Self::NotReady | Self::ModelsMissing(_) => ErrorType::NotReady,
            Self::InjectedFault => ErrorType::InjectedFault,
            Self::StoreUnavailable(_) => ErrorType::StoreUnavailable,
            Self::Internal(_) => ErrorType::Internal,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::PayloadTooLarge(_) | Self::TextTooLong(_) | Self::AudioTooLong(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::UnknownSpeaker(_) | Self::NotFound => StatusCode::NOT_FOUND,
            Self::MalformedJson(_)
            | Self::MalformedWav(_)
            | Self::EmptyInput(_)
            | Self::InvalidParameter(_)
            | Self::UnreadableBody(_) => StatusCode::BAD_REQUEST,
            Self::BodyStalled(_) => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedAudio(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Overloaded(_) | Self::NotReady | Self::ModelsMissing(_) | Self::StoreUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Self::InjectedFault | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::PayloadTooLarge(m)
            | Self::TextTooLong(m)
            | Self::AudioTooLong(m)
            | Self::UnknownSpeaker(m)
            | Self::MalformedJson(m)
            | Self::MalformedWav(m)
            | Self::UnsupportedAudio(m)
            | Self::EmptyInput(m)
            | Self::InvalidParameter(m)
            | Self::Conflict(m)
            | Self::ModelsMissing(m)
            | Self::StoreUnavailable(m)
            | Self::Internal(m) => m.clone(),
            Self::Unauthorized => "missing or wrong bearer token".to_owned(),
            Self::NotFound => "no such route".to_owned(),
            Self::MethodNotAllowed => "method not allowed on this route".to_owned(),
            Self::Overloaded(s) => format!("server is at capacity; retry in {s} s"),
            Self::Timeout => "the request did not finish within its deadline".to_owned(),
            Self::BodyStalled(s) => format!("the request body stalled: no byte arrived for {s} s"),
            Self::UnreadableBody(e) => format!("the request body could not be read: {e}"),
            Self::NotReady => "models are not loaded yet".to_owned(),
            Self::InjectedFault => "fault injected for testing (--inject-faults)".to_owned(),
        }
    }

    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({"error": {"type": self.error_type().as_str(), "message": self.message()}})
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error_type().as_str(), self.message())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status(), axum::Json(self.body())).into_response();
        if let Self::Overloaded(secs) = &self
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        // The middleware counts the error by type; the extension carries it there.
        res.extensions_mut().insert(self.error_type());
        res
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        let m = e.to_string();
        match e {
            RequestError::EmptyBody | RequestError::EmptyText => Self::EmptyInput(m),
            RequestError::Json(_) => Self::MalformedJson(m),
            RequestError::TextTooLong { .. } => Self::TextTooLong(m),
            RequestError::Parameter(_) => Self::InvalidParameter(m),
        }
    }
}

impl From<PipelineError> for ApiError {
    fn from(e: PipelineError) -> Self {
        Self::from(&e)
    }
}

impl From<&PipelineError> for ApiError {
    fn from(e: &PipelineError) -> Self {
        let m = e.to_string();
        match e {
            PipelineError::Request(r) => r.clone().into(),
            // A shared result's error is answered as if this request had met it itself.
            PipelineError::Shared(inner) => match inner.downcast_ref::<PipelineError>() {
                Some(e) => Self::from(e),
                None => Self::Internal(m),
            },
            PipelineError::UnknownSpeaker { .. } => Self::UnknownSpeaker(m),
            PipelineError::NotReady => Self::NotReady,
            PipelineError::ModelsMissing(_) => Self::ModelsMissing(m),
            PipelineError::InjectedFault => Self::InjectedFault,
            PipelineError::Rejected(Rejected::Overloaded { retry_after_secs }) => {
                Self::Overloaded(*retry_after_secs)
            }
            PipelineError::Rejected(Rejected::Timeout) | PipelineError::Timeout => Self::Timeout,
            PipelineError::Wav(WavError::Empty(_)) => Self::EmptyInput(m),
            PipelineError::Wav(WavError::Malformed(_)) => Self::MalformedWav(m),
            PipelineError::Wav(WavError::Unsupported(_)) => Self::UnsupportedAudio(m),
            PipelineError::AudioTooLong { .. } => Self::AudioTooLong(m),
            PipelineError::Recording(_) | PipelineError::Enroll(EnrollError::Full) => {
                Self::InvalidParameter(m)
            }
            PipelineError::Enroll(EnrollError::Taken(_)) => Self::Conflict(m),
            PipelineError::SpeakerStore(_) | PipelineError::Enroll(EnrollError::Shared(_)) => {
                Self::StoreUnavailable(m)
            }
            PipelineError::Rejected(Rejected::Closed)
            | PipelineError::Frontend(_)
            | PipelineError::Enroll(EnrollError::Store(_) | EnrollError::Poisoned)
            | PipelineError::NonFinite
            | PipelineError::Worker(_)
            // Only ever seen by the task whose client left; mapped for completeness.
            | PipelineError::Cancelled => Self::Internal(m),
        }
    }
}
