//! Time to first audio and whole-request latency, streamed and not, for short, medium, long
//! and three-sentence texts on the CPU backend, uncached; then p50/p95 under a concurrent load
//! at the daemon's `--concurrency`. Prints a Markdown table (README "Performance").
//! `cargo bench -p autovoice-daemon-bench --bench latency [-- RUNS]`.

use autovoice_daemon::config::Config;
use autovoice_daemon::metrics::label::Transport;
use autovoice_daemon::pipeline::stream::{self, Event};
use autovoice_daemon::pipeline::{QualityMode, SynthesisRequest, synthesize};
use autovoice_daemon::{AppState, speakers};
use std::time::{Duration, Instant};

const TEXTS: [(&str, &str); 4] = [
    ("short", "Hi."),
    ("medium", "Hello from AutoVoice."),
    ("long", "AutoVoice turns text into speech and converts voices on the graphics card or the processor."),
    (
        "three sentences",
        "Hello from AutoVoice. This is the second sentence, with a clause in it. And here is the third one!",
    ),
];

fn request(state: &AppState, text: &str, quality: QualityMode) -> SynthesisRequest {
    let body = serde_json::json!({"text": text, "speaker_id": "alto"}).to_string();
    let mut req = SynthesisRequest::parse(&state.cfg, body.as_bytes()).expect("request");
    req.quality = quality;
    req
}

/// `(first audio, whole)` of one streamed synthesis.
async fn streamed(state: &AppState, req: &SynthesisRequest) -> (Duration, Duration) {
    let start = Instant::now();
    let mut s = stream::synthesize(state, req, Transport::Http).await.expect("stream");
    let mut first = None;
    loop {
        match s.next().await.expect("event") {
            Event::Audio(_) => {
                first.get_or_insert_with(|| start.elapsed());
            }
            Event::Done(_) => break,
            Event::Failed(e) => panic!("{e}"),
        }
    }
    (first.unwrap_or_default(), start.elapsed())
}

async fn whole(state: &AppState, req: &SynthesisRequest) -> Duration {
    let start = Instant::now();
    synthesize(state, req).await.expect("synthesis (is espeak-ng installed?)");
    start.elapsed()
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

fn main() {
    let runs: usize = std::env::args().filter_map(|a| a.parse().ok()).next().unwrap_or(10);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // Uncached (every run does the work); nothing sampled, so no measurement runs behind.
    let cfg = Config { cache_bytes: 0, quality_sample: 0.0, ..Config::for_tests() };
    let state = AppState::new(cfg, speakers::builtin(), None).expect("state");
    state.load_models();
    println!(
        "| text | whole, measured in line (before) p50 / p95 | whole p50 / p95 | streamed: first audio p50 / p95 | streamed: whole p50 / p95 |"
    );
    println!("|---|---:|---:|---:|---:|");
    rt.block_on(async {
        for (name, text) in TEXTS {
            let (sync, plain) = (request(&state, text, QualityMode::Sync), request(&state, text, QualityMode::Sampled));
            let _ = whole(&state, &plain).await; // warm-up
            let (mut before, mut after, mut first, mut streamed_whole) = (vec![], vec![], vec![], vec![]);
            for _ in 0..runs {
                before.push(whole(&state, &sync).await);
                after.push(whole(&state, &plain).await);
                let (f, w) = streamed(&state, &plain).await;
                first.push(f);
                streamed_whole.push(w);
            }
            println!(
                "| {name} ({} chars) | {:.0} / {:.0} ms | {:.0} / {:.0} ms | {:.0} / {:.0} ms | {:.0} / {:.0} ms |",
                text.len(),
                pct(&mut before, 0.5),
                pct(&mut before, 0.95),
                pct(&mut after, 0.5),
                pct(&mut after, 0.95),
                pct(&mut first, 0.5),
                pct(&mut first, 0.95),
                pct(&mut streamed_whole, 0.5),
                pct(&mut streamed_whole, 0.95),
            );
        }
        // Concurrent load: as many clients as slots, each streaming the three sentences.
        let clients = state.cfg.concurrency;
        let text = TEXTS[3].1;
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let (st, req) = (state.clone(), request(&state, text, QualityMode::Sampled));
                tokio::spawn(async move {
                    let mut out = Vec::new();
                    for _ in 0..runs {
                        out.push(streamed(&st, &req).await);
                    }
                    out
                })
            })
            .collect();
        let (mut first, mut all) = (vec![], vec![]);
        for t in tasks {
            for (f, w) in t.await.expect("client") {
                first.push(f);
                all.push(w);
            }
        }
        println!(
            "\n{clients} concurrent streaming clients (--concurrency {clients}), three sentences, {} requests: first audio p50 {:.0} ms, p95 {:.0} ms; whole p50 {:.0} ms, p95 {:.0} ms",
            first.len(),
            pct(&mut first, 0.5),
            pct(&mut first, 0.95),
            pct(&mut all, 0.5),
            pct(&mut all, 0.95),
        );
    });
}
