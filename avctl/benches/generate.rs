//! Load + check + validate + generate (in memory) for the AutoVoice spec and for synthetic specs at 10%,
//! 50% and 100% of 10,000 metrics / 5,000 alerts / 100 dashboards x 20 panels (linearity).

use avctl::emit::{GenOptions, generate_all};
use avctl::synth::Size;
use avspec::index::Index;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// What `avctl generate` does before writing: load, check, validate, render every file.
fn run(files: &[(String, String)]) -> usize {
    let loaded = avspec::load_texts(files);
    let diags = avctl::cmd::check_loaded(&loaded, None);
    assert!(diags.iter().all(|d| d.severity < avspec::Severity::Warning), "{diags:?}");
    let spec = loaded.spec.expect("spec loads");
    generate_all(&Index::new(&spec), &GenOptions::default()).expect("generate").len()
}

/// What `avctl validate` does: load, spec checks, PromQL checks and lints.
fn validate(files: &[(String, String)]) -> usize {
    let loaded = avspec::load_texts(files);
    avctl::cmd::check_loaded(&loaded, None).len()
}

fn autovoice_files() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    avspec::load::spec_files(&dir)
        .expect("specs")
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("read")))
        .collect()
}

fn bench(c: &mut Criterion) {
    let autovoice = autovoice_files();
    c.bench_function("generate/autovoice", |b| b.iter(|| black_box(run(&autovoice))));
    let mut group = c.benchmark_group("generate/synthetic");
    group.sample_size(10);
    for div in [10, 2, 1] {
        let size = Size::LARGE.scaled_down(div);
        let files = avctl::synth::spec_files(size);
        group.throughput(Throughput::Elements(size.metrics as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size.metrics), &files, |b, f| {
            b.iter(|| black_box(run(f)))
        });
    }
    group.finish();
    let large = avctl::synth::spec_files(Size::LARGE);
    let mut group = c.benchmark_group("validate/synthetic");
    group.sample_size(10);
    group.bench_function("10000", |b| b.iter(|| black_box(validate(&large))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
