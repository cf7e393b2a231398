//! Throughput of the burn neural models on the daemon's backend (CPU by default, CUDA with
//! `--features cuda`): CREPE tiny and full in frames per second of the forward pass, and the
//! speaker encoder in partial utterances (160 mel frames) per second. The same shapes as
//! tools/bench_reference.py, which measures torchcrepe and Resemblyzer; scripts/bench-models.sh
//! runs both and docs/benchmarks.md records the figures.

use autovoice_daemon::engine::Preferred as Engine;
use autovoice_daemon::models::crepe::{Capacity, Crepe, WINDOW};
use autovoice_daemon::models::speaker::{PARTIAL_FRAMES, SpeakerEncoder};
use burn::tensor::{Tensor, TensorData};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;

const PARTIALS: usize = 8;

/// Deterministic pseudo-random values (xorshift), so runs see the same input.
fn noise(n: usize, seed: u64) -> Vec<f32> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let device = Default::default();
    let mut group = c.benchmark_group("models");
    group.sample_size(10);
    for (capacity, frames) in [(Capacity::Tiny, 256usize), (Capacity::Full, 32)] {
        let model = Crepe::<Engine>::load(&dir.join(capacity.file()), capacity, &device)
            .unwrap_or_else(|e| panic!("{e}"));
        let input = noise(frames * WINDOW, 7);
        group.throughput(Throughput::Elements(frames as u64));
        group.bench_function(format!("crepe_{}_frames", capacity.name()), |b| {
            b.iter(|| {
                let t =
                    Tensor::<Engine, 2>::from_data(TensorData::new(input.clone(), [frames, WINDOW]), &device);
                model.forward(t).into_data()
            })
        });
    }
    let enc = SpeakerEncoder::<Engine>::load(&dir.join("resemblyzer.pt"), &device)
        .unwrap_or_else(|e| panic!("{e}"));
    let mels: Vec<f32> = noise(PARTIALS * PARTIAL_FRAMES * 40, 11).iter().map(|v| v.abs()).collect();
    group.throughput(Throughput::Elements(PARTIALS as u64));
    group.bench_function("speaker_encoder_partials", |b| {
        b.iter(|| {
            let t = Tensor::<Engine, 3>::from_data(
                TensorData::new(mels.clone(), [PARTIALS, PARTIAL_FRAMES, 40]),
                &device,
            );
            enc.forward(t).into_data()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
