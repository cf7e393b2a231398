//! `POST /synthesize` (text to a speaker's voice) and `POST /convert` (an uploaded WAV file to
//! a speaker and/or pitch shift). WAV answers carry what the transform did and, when measured
//! (`x-autovoice-quality: sync`), the output's F0, pitch error and speaker similarity as
//! headers, and `x-autovoice-cache` says whether the answer was computed or served from the
//! cache. `"stream": true` answers chunked: a WAV header of unknown length, then PCM as each
//! piece of the text is ready.

use super::error::ApiError;
use super::extract::{LimitedBody, QualityHeader, QueryPairs, Synthesis};
use crate::cache::Source;
use crate::metrics::label::Transport;
use crate::pipeline::stream::{self, Event};
use crate::pipeline::{self, Answer, ConvertRequest, PipelineError, SynthesisRequest};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::StreamExt as _;

pub fn routes() -> Router<AppState> {
    Router::new().route("/synthesize", post(synthesize)).route("/convert", post(convert))
}

async fn synthesize(
    State(state): State<AppState>,
    QualityHeader(quality): QualityHeader,
    Synthesis(mut req): Synthesis,
) -> Result<Response, ApiError> {
    if let Some(q) = quality {
        req.quality = q;
    }
    if req.stream {
        return streamed(&state, &req).await;
    }
    let answer = pipeline::synthesize(&state, &req).await?;
    Ok(wav_response(&answer, Some(&req.speaker_id)))
}

/// A streamed answer: 200 once the first audio is ready (an error before it is answered as an
/// error, with its status); an error after it aborts the body, so the client sees a truncated
/// transfer rather than a short file.
async fn streamed(state: &AppState, req: &SynthesisRequest) -> Result<Response, ApiError> {
    let mut s = stream::synthesize(state, req, Transport::Http).await?;
    let first = match s.next().await {
        Some(Event::Audio(b)) => b,
        Some(Event::Failed(e)) => return Err(e.into()),
        Some(Event::Done(_)) | None => {
            return Err(ApiError::from(PipelineError::Worker("the stream ended before any audio".into())));
        }
    };
    let source = s.source;
    let rest = futures_util::stream::unfold(s, |mut s| async move {
        match s.next().await? {
            Event::Audio(b) => Some((Ok(b), s)),
            Event::Done(_) => None,
            Event::Failed(e) => Some((Err(std::io::Error::other(e.to_string())), s)),
        }
    });
    let body = futures_util::stream::once(async { Ok::<_, std::io::Error>(first) }).chain(rest);
    let headers = audio_headers(source, Some(&req.speaker_id));
    Ok((StatusCode::OK, headers, axum::body::Body::from_stream(body)).into_response())
}

async fn convert(
    State(state): State<AppState>,
    QualityHeader(quality): QualityHeader,
    query: QueryPairs,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let mut req = ConvertRequest::from_pairs(query.iter())?;
    if let Some(q) = quality {
        req.quality = q;
    }
    // An unknown speaker is refused before the upload is read.
    pipeline::synthesis::check_convert(&state, &req).await?;
    let LimitedBody(bytes) = LimitedBody::read(&state, body).await?;
    let answer = pipeline::convert(&state, &req, bytes).await?;
    Ok(wav_response(&answer, req.speaker_id.as_deref()))
}

/// `x-autovoice-cache`: where the answer came from.
pub fn cache_header(source: Source) -> &'static str {
    match source {
        Source::Memory => "hit-memory",
        Source::Redis => "hit-redis",
        Source::Flight => "hit-inflight",
        Source::Computed => "miss",
    }
}

/// What every audio answer carries: its type, where it came from and for which speaker.
fn audio_headers(source: Source, speaker: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    headers.insert("x-autovoice-cache", HeaderValue::from_static(cache_header(source)));
    if let Some(v) = speaker.and_then(|s| HeaderValue::from_str(s).ok()) {
        headers.insert("x-autovoice-speaker", v);
    }
    headers
}

fn wav_response(answer: &Answer, speaker: Option<&str>) -> Response {
    let report = answer.output.report;
    let mut headers = audio_headers(answer.source, speaker);
    let mut put = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            headers.insert(k, v);
        }
    };
    put("x-autovoice-pitch-ratio", format!("{:.4}", report.ratio));
    if let Some(f0) = report.source_f0 {
        put("x-autovoice-source-f0", format!("{f0:.1}"));
    }
    if let Some(m) = report.measured {
        if let Some(f) = m.output_f0 {
            put("x-autovoice-output-f0", format!("{f:.1}"));
        }
        if let Some(c) = m.pitch_error_cents {
            put("x-autovoice-pitch-error-cents", format!("{c:.1}"));
        }
        if let Some(s) = m.similarity {
            put("x-autovoice-speaker-similarity", format!("{s:.4}"));
        }
    }
    (StatusCode::OK, headers, answer.output.wav.clone()).into_response()
}
