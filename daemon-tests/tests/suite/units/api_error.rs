//! Unit tests of domain errors at the HTTP edge (`daemon/src/api/error.rs`), kept in the one test binary.

use autovoice_daemon::api::error::*;
use autovoice_daemon::limits::Rejected;
use autovoice_daemon::pipeline::{PipelineError, RequestError};
use autovoice_daemon::state::EnrollError;
use autovoice_daemon::wav::WavError;

#[test]
fn domain_errors_keep_their_status_and_message() {
    let shared = PipelineError::Shared(std::sync::Arc::new(Box::new(PipelineError::Timeout)));
    let cases: [(PipelineError, u16, &str); 7] = [
        (shared, 504, "timeout"),
        (PipelineError::SpeakerStore("Redis: timeout".into()), 503, "store_unavailable"),
        (PipelineError::Rejected(Rejected::Overloaded { retry_after_secs: 1 }), 503, "overloaded"),
        (PipelineError::Rejected(Rejected::Timeout), 504, "timeout"),
        (PipelineError::Wav(WavError::Unsupported("3 channels".into())), 415, "unsupported_audio"),
        (PipelineError::Enroll(EnrollError::Taken("alto".into())), 409, "conflict"),
        (RequestError::TextTooLong { chars: 2, limit: 1 }.into(), 413, "text_too_long"),
    ];
    for (e, status, kind) in cases {
        let message = e.to_string();
        let api = ApiError::from(e);
        assert_eq!((api.status().as_u16(), api.error_type().as_str()), (status, kind), "{api}");
        if !matches!(api, ApiError::Overloaded(_) | ApiError::Timeout | ApiError::NotReady) {
            assert_eq!(api.message(), message, "the domain message reaches the client");
        }
    }
}
