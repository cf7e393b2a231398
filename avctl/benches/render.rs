//! `avctl render` on the three AutoVoice dashboards over one hour of one-minute data: drawing
//! alone (the data already fetched), PNG encoding, and the whole fixture path (series
//! synthesized and evaluated, then drawn). Target: well under a second plus query time.

use avctl::render::{self, PanelData, data::Fixtures};
use avspec::index::Index;
use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;

fn bench(c: &mut Criterion) {
    render::load_fonts(Path::new(render::DEFAULT_FONT_DIR)).expect("fonts-dejavu-core");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let spec = avctl::slo::expand(&avspec::load_dir(&dir).spec.expect("spec"));
    let index = Index::new(&spec);
    let source = Fixtures { index: &index };
    let data: Vec<Vec<PanelData>> = spec
        .dashboards
        .iter()
        .map(|d| {
            let placed = render::grid::place(d);
            render::panel_data(&placed, &source, Fixtures::RANGE, &render::variables(d, &BTreeMap::new()))
        })
        .collect();
    c.bench_function("render: draw the 3 AutoVoice dashboards (data fetched)", |b| {
        b.iter(|| {
            for (d, pd) in spec.dashboards.iter().zip(&data) {
                black_box(render::render_rgb(d, pd, "bench").expect("render"));
            }
        });
    });
    let out = tempfile::tempdir().expect("tempdir");
    c.bench_function("render: draw and write the 3 dashboards as PNG", |b| {
        b.iter(|| {
            for (d, pd) in spec.dashboards.iter().zip(&data) {
                let r = render::render_rgb(d, pd, "bench").expect("render");
                render::write_png(&out.path().join("d.png"), &r).expect("png");
            }
        });
    });
    c.bench_function("render: fixture series evaluated, drawn and written (3 dashboards)", |b| {
        b.iter(|| {
            for d in &spec.dashboards {
                let placed = render::grid::place(d);
                let pd = render::panel_data(
                    &placed,
                    &source,
                    Fixtures::RANGE,
                    &render::variables(d, &BTreeMap::new()),
                );
                let r = render::render_rgb(d, &pd, "bench").expect("render");
                render::write_png(&out.path().join("d.png"), &r).expect("png");
            }
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
