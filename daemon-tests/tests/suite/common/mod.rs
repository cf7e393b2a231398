//! Helpers for the daemon tests: states with test configs, requests, metric lookups, signals.

#![allow(dead_code)]

pub mod redis_server;

use autovoice_daemon::config::Config;
use autovoice_daemon::{AppState, router, speakers, wav};
use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use std::sync::OnceLock;
use tower::ServiceExt;

/// A state with a test config changed by `f`; with `load`, its models loaded. Each state has
/// its own metrics, cache and speakers, but states whose config asks for the same models share
/// one loaded engine and the built-in speakers' embeddings (`AppState::load_models_like`):
/// loading them is seconds of CPU, and most tests would otherwise repeat it.
pub fn state_with(f: impl FnOnce(&mut Config), token: Option<&str>, load: bool) -> AppState {
    let mut cfg = Config::for_tests();
    f(&mut cfg);
    let state = AppState::new(cfg, speakers::builtin(), token.map(str::to_owned)).expect("state");
    if load {
        state.load_models_like(loaded());
    }
    state
}

static LOADED: OnceLock<AppState> = OnceLock::new();

/// The process's first fully loaded state, with the default test config.
fn loaded() -> &'static AppState {
    LOADED.get_or_init(|| {
        let state = AppState::new(Config::for_tests(), speakers::builtin(), None).expect("state");
        state.load_models();
        assert!(state.is_ready(), "models not loaded: {:?}", state.model_status());
        state
    })
}

pub fn ready_state() -> AppState {
    state_with(|_| {}, None, true)
}

pub async fn send(state: &AppState, req: Request<Body>) -> (u16, axum::http::HeaderMap, Vec<u8>) {
    let res: Response<Body> = router(state.clone()).oneshot(req).await.expect("infallible");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes().to_vec();
    (status, headers, body)
}

/// Serves `state` on a loopback port of its own through the daemon's accept loop and the
/// client limits of its config; returns the address.
pub async fn serve(state: AppState) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let limits = autovoice_daemon::server::Limits::from_config(&state.cfg);
    tokio::spawn(autovoice_daemon::server::serve(listener, router(state), limits, std::future::pending()));
    addr
}

/// One WebSocket answer: its binary frames, concatenated, up to the JSON text that ends it.
pub async fn ws_answer<S>(ws: &mut S) -> (Vec<u8>, serde_json::Value)
where
    S: futures_util::Stream<
            Item = Result<tokio_tungstenite::tungstenite::Message, tokio_tungstenite::tungstenite::Error>,
        > + Unpin,
{
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut audio = Vec::new();
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => audio.extend_from_slice(&b),
            Some(Ok(Message::Text(t))) => return (audio, json(t.as_bytes())),
            other => panic!("unexpected {other:?}"),
        }
    }
}

pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).expect("request")
}

pub fn post(uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri).header("content-type", "application/json").body(body.into()).expect("request")
}

pub fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

/// The value of one series in the state's exposition, 0 when absent.
pub fn metric(state: &AppState, series: &str) -> f64 {
    let text = state.metrics.render().expect("render");
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.parse().expect("number"))
}

pub fn tone(freq: f64, secs: f64, rate: u32, amp: f64) -> Vec<f32> {
    let n = (secs * f64::from(rate)) as usize;
    (0..n)
        .map(|i| (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

pub fn tone_wav(freq: f64, secs: f64, rate: u32) -> Vec<u8> {
    wav::encode(&tone(freq, secs, rate, 0.5), rate)
}

pub fn cents(a: f64, b: f64) -> f64 {
    1200.0 * (a / b).log2()
}

static ESPEAK: OnceLock<bool> = OnceLock::new();

/// espeak-ng must be installed (scripts/setup.sh does it).
pub fn require_espeak() {
    let ok =
        *ESPEAK.get_or_init(|| std::process::Command::new("espeak-ng").arg("--version").output().is_ok());
    assert!(ok, "espeak-ng is not installed: run scripts/setup.sh");
}
