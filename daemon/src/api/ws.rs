//! `GET /ws/synthesize`: each text message is a synthesis request, answered by binary frames
//! as each piece of the text is ready (together one WAV file: a header of unknown length, then
//! PCM) and a JSON summary, or a JSON error. Requests sent while audio is flowing wait their
//! turn (answers never interleave); `{"cancel": true}` stops the current one and drops those
//! waiting. The socket survives errors.

use super::error::ApiError;
use crate::metrics::label::Transport;
use crate::pipeline::stream::{self, Event, Stream, Summary};
use crate::pipeline::{PipelineError, SynthesisRequest};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use futures_util::{SinkExt as _, StreamExt as _};
use std::collections::VecDeque;

/// Audio is sent in frames of at most this many bytes.
pub const CHUNK: usize = 16 * 1024;
/// Requests that may wait behind the one being answered; past it a request is refused.
pub const MAX_WAITING: usize = 8;

pub fn routes() -> Router<AppState> {
    Router::new().route("/ws/synthesize", get(upgrade))
}

async fn upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| session(state, socket))
}

/// The request being answered.
struct Current {
    req: SynthesisRequest,
    stream: Stream,
    frames: usize,
}

/// A control message: `{"cancel": true}`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Cancel {
    cancel: bool,
}

async fn session(state: AppState, socket: WebSocket) {
    let m = &state.metrics;
    m.websocket_connections_total.inc();
    m.active_websocket_connections.inc();
    let (mut tx, mut rx) = socket.split();
    let mut waiting: VecDeque<Utf8Bytes> = VecDeque::new();
    let mut current: Option<Current> = None;
    'session: loop {
        while current.is_none()
            && let Some(text) = waiting.pop_front()
        {
            match start(&state, text.as_bytes()).await {
                Ok(c) => current = Some(c),
                Err(e) => {
                    if tx.send(error(&e)).await.is_err() {
                        break 'session;
                    }
                }
            }
        }
        let out: Vec<Message> = tokio::select! {
            msg = rx.next() => match msg {
                Some(Ok(Message::Text(text))) => match serde_json::from_slice::<Cancel>(text.as_bytes()) {
                    Ok(Cancel { cancel: true }) => {
                        let dropped = waiting.len();
                        waiting.clear();
                        let stopped = current.take().is_some();
                        let body = serde_json::json!({"cancelled": stopped, "dropped_waiting": dropped});
                        vec![Message::Text(body.to_string().into())]
                    }
                    _ if waiting.len() >= MAX_WAITING => vec![error(&ApiError::InvalidParameter(format!(
                        "{MAX_WAITING} requests are already waiting on this socket; wait for an answer"
                    )))],
                    _ => {
                        waiting.push_back(text);
                        Vec::new()
                    }
                },
                Some(Ok(Message::Binary(_))) => {
                    vec![error(&ApiError::MalformedJson("send requests as JSON text messages".to_owned()))]
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Vec::new(),
                Some(Ok(Message::Close(_)) | Err(_)) | None => break 'session,
            },
            ev = next_event(&mut current) => match ev {
                Some(Event::Audio(bytes)) => {
                    let frames: Vec<Message> =
                        bytes.chunks(CHUNK).map(|c| Message::Binary(bytes.slice_ref(c))).collect();
                    if let Some(c) = current.as_mut() {
                        c.frames += frames.len();
                    }
                    frames
                }
                Some(Event::Done(summary)) => {
                    let c = current.take();
                    c.map(|c| vec![done(&c, &summary)]).unwrap_or_default()
                }
                Some(Event::Failed(e)) => {
                    current = None;
                    vec![error(&ApiError::from(e))]
                }
                None => {
                    current = None;
                    vec![error(&ApiError::from(PipelineError::Worker("the stream ended early".into())))]
                }
            },
        };
        let mut sent = true;
        for msg in out {
            if tx.send(msg).await.is_err() {
                sent = false;
                break;
            }
        }
        if !sent {
            break;
        }
    }
    // Dropping `current` cancels its synthesis and frees its slot.
    drop(current);
    m.active_websocket_connections.dec();
}

/// The next event of the current stream; pending forever when there is none, so the select
/// only reads the socket.
async fn next_event(current: &mut Option<Current>) -> Option<Event> {
    match current {
        Some(c) => c.stream.next().await,
        None => std::future::pending().await,
    }
}

async fn start(state: &AppState, bytes: &[u8]) -> Result<Current, ApiError> {
    let req = SynthesisRequest::parse(&state.cfg, bytes)?;
    let stream = stream::synthesize(state, &req, Transport::Websocket).await?;
    Ok(Current { req, stream, frames: 0 })
}

fn error(e: &ApiError) -> Message {
    Message::Text(e.body().to_string().into())
}

fn done(c: &Current, s: &Summary) -> Message {
    let report = s.report;
    let body = serde_json::json!({
        "done": true,
        "bytes": s.bytes,
        "chunks": c.frames,
        "pieces": s.pieces,
        "first_audio_ms": (s.first_audio.as_secs_f64() * 1000.0).round(),
        "speaker_id": c.req.speaker_id,
        "pitch_ratio": report.ratio,
        "output_f0": report.measured.and_then(|m| m.output_f0),
        "pitch_error_cents": report.measured.and_then(|m| m.pitch_error_cents),
        "speaker_similarity": report.measured.and_then(|m| m.similarity),
        "cache": super::audio::cache_header(c.stream.source),
    });
    Message::Text(body.to_string().into())
}
