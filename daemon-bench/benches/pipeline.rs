//! Real-time factor of /synthesize and /convert for a 5 s utterance on the CPU backend, and the
//! `/metrics` render time. RTF = processing time / audio duration (printed after the runs).

use autovoice_daemon::config::Config;
use autovoice_daemon::pipeline::voice::{Target, transform};
use autovoice_daemon::pipeline::{SynthesisRequest, synthesize};
use autovoice_daemon::{AppState, speakers, wav};
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Instant;

/// About five seconds of speech from espeak-ng at its default rate.
const TEXT: &str =
    "AutoVoice turns text into speech and converts voices on the graphics card or the processor.";

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // Uncached: every run must do the work (benches/cache.rs measures the cache); nothing is
    // sampled for measurement, which would run behind the next request.
    let cfg = Config { cache_bytes: 0, quality_sample: 0.0, ..Config::for_tests() };
    let state = AppState::new(cfg, speakers::builtin(), None).expect("state");
    state.load_models();
    let body = serde_json::json!({"text": TEXT, "speaker_id": "alto"}).to_string();
    let req = SynthesisRequest::parse(&state.cfg, body.as_bytes()).expect("request");
    let bytes = rt
        .block_on(synthesize(&state, &req))
        .expect("synthesis (is espeak-ng installed?)")
        .output
        .wav
        .clone();
    let audio = wav::decode(&bytes, false).expect("wav");
    let secs = audio.duration_secs();
    println!("utterance: {secs:.2} s of audio");

    let mut group = c.benchmark_group("daemon");
    group.sample_size(10);
    group.bench_function("synthesize_utterance", |b| {
        b.iter(|| rt.block_on(synthesize(&state, &req)).expect("synthesis"))
    });
    let engine = state.engine().expect("loaded");
    let target = Target { f0: Some(120.0), semitones: 0.0, formant_scale: 0.92 };
    let convert = |audio: &wav::Audio| {
        autovoice_daemon::on_engine!(engine, s => transform(&s.dsp, &state.metrics, audio, target))
            .expect("convert")
    };
    group.bench_function("convert_utterance", |b| b.iter(|| convert(&audio)));
    group.finish();
    c.bench_function("metrics_render", |b| b.iter(|| state.metrics.render().expect("render")));

    // The RTFs, measured directly as a mean over a few runs, for the README.
    let runs = 5;
    let t = Instant::now();
    for _ in 0..runs {
        rt.block_on(synthesize(&state, &req)).expect("synthesis");
    }
    let syn = t.elapsed().as_secs_f64() / f64::from(runs);
    let t = Instant::now();
    for _ in 0..runs {
        convert(&audio);
    }
    let conv = t.elapsed().as_secs_f64() / f64::from(runs);
    println!("RTF synthesize: {:.3} ({syn:.3} s for {secs:.2} s)", syn / secs);
    println!("RTF convert:    {:.3} ({conv:.3} s for {secs:.2} s)", conv / secs);
}

criterion_group!(benches, bench);
criterion_main!(benches);
