//! Load + check + validate + generate (in memory) for the AutoVoice spec and for synthetic specs at 10%,
//! 50% and 100% of 10,000 metrics / 5,000 alerts / 100 dashboards x 20 panels (linearity).
//! "warm": the previous output's unit tests are current and reused; "cold": synthesized afresh.

use avctl::bench_spec::Size;
use avctl::emit::{GenOptions, generate_all};
use avctl::resolved::Resolved;
use avspec::index::Index;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

/// What `avctl generate` does before writing: load, check, validate, render every file, with
/// `prior` as the previous output root.
fn run(files: &[(String, String)], prior: Option<&Path>) -> usize {
    let resolved = Resolved::from_loaded(avspec::load_texts(files));
    let checked = resolved.check(None);
    assert!(
        checked.findings.iter().all(|d| d.severity < avspec::Severity::Warning),
        "{:?}",
        checked.findings
    );
    let opts = GenOptions { prior: prior.map(Path::to_path_buf), ..GenOptions::default() };
    generate_all(checked.index.as_ref().expect("spec loads"), &opts).expect("generate").len()
}

/// A previous output of `files`, for the warm runs.
fn primed(files: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = avctl::slo::expand(&avspec::load_texts(files).spec.expect("spec loads"));
    let out = generate_all(&Index::new(&spec), &GenOptions::default()).expect("generate");
    avctl::output::write(dir.path(), &out).expect("write");
    dir
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
    let prior = primed(&autovoice);
    c.bench_function("generate-warm/autovoice", |b| {
        b.iter(|| black_box(run(&autovoice, Some(prior.path()))))
    });
    c.bench_function("generate-cold/autovoice", |b| b.iter(|| black_box(run(&autovoice, None))));
    for warm in [true, false] {
        let mut group =
            c.benchmark_group(if warm { "generate-warm/synthetic" } else { "generate-cold/synthetic" });
        group.sample_size(10);
        for div in [10, 2, 1] {
            let size = Size::LARGE.scaled_down(div);
            let files = avctl::bench_spec::spec_files(size);
            let prior = warm.then(|| primed(&files));
            group.throughput(Throughput::Elements(size.metrics as u64));
            group.bench_with_input(BenchmarkId::from_parameter(size.metrics), &files, |b, f| {
                b.iter(|| black_box(run(f, prior.as_ref().map(|d| d.path()))))
            });
        }
        group.finish();
    }
    let large = avctl::bench_spec::spec_files(Size::LARGE);
    let mut group = c.benchmark_group("validate/synthetic");
    group.sample_size(10);
    group.bench_function("10000", |b| b.iter(|| black_box(validate(&large))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
