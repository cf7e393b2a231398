//! `GET /ws/synthesize`: each text message is a synthesis request; the answer is the WAV as
//! binary frames followed by a JSON summary (or a JSON error). The socket survives errors.

use super::error::ApiError;
use crate::pipeline::{self, SynthesisRequest};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;

/// Audio is streamed in frames of this many bytes.
pub const CHUNK: usize = 16 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route("/ws/synthesize", get(upgrade))
}

async fn upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| session(state, socket))
}

async fn session(state: AppState, mut socket: WebSocket) {
    let m = &state.metrics;
    m.websocket_connections_total.inc();
    m.active_websocket_connections.inc();
    while let Some(Ok(msg)) = socket.recv().await {
        let reply = match msg {
            Message::Text(text) => handle(&state, text.as_bytes()).await,
            Message::Binary(_) => {
                Err(ApiError::MalformedJson("send requests as JSON text messages".to_owned()))
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        let sent = match reply {
            Ok(frames) => {
                let mut ok = true;
                for f in frames {
                    if socket.send(f).await.is_err() {
                        ok = false;
                        break;
                    }
                }
                ok
            }
            Err(e) => socket.send(Message::Text(e.body().to_string().into())).await.is_ok(),
        };
        if !sent {
            break;
        }
    }
    m.active_websocket_connections.dec();
}

async fn handle(state: &AppState, bytes: &[u8]) -> Result<Vec<Message>, ApiError> {
    let req = SynthesisRequest::parse(&state.cfg, bytes)?;
    let answer = pipeline::synthesize(state, &req).await?;
    let (wav, report) = (&answer.output.wav, answer.output.report);
    let mut frames: Vec<Message> = wav.chunks(CHUNK).map(|c| Message::Binary(c.to_vec().into())).collect();
    let done = serde_json::json!({
        "done": true,
        "bytes": wav.len(),
        "chunks": frames.len(),
        "speaker_id": req.speaker_id,
        "pitch_ratio": report.ratio,
        "output_f0": report.measured.and_then(|m| m.output_f0),
        "pitch_error_cents": report.measured.and_then(|m| m.pitch_error_cents),
        "speaker_similarity": report.measured.and_then(|m| m.similarity),
        "cache": super::audio::cache_header(answer.source),
    });
    frames.push(Message::Text(done.to_string().into()));
    Ok(frames)
}
