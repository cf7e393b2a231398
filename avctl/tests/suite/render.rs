//! `avctl render`: the AutoVoice dashboards drawn from fixture series (no Prometheus), each
//! panel's plot checked in the pixels; the CLI's files, report, SVG output, progress and
//! `--fail-on-empty` against a Prometheus that is not there.

use crate::common::*;
use avctl::render::{self, PanelState, data::Fixtures};
use avspec::PanelType;
use std::collections::BTreeMap;

fn fonts() -> bool {
    let dir = std::path::Path::new(render::DEFAULT_FONT_DIR);
    if !dir.join("DejaVuSans.ttf").is_file() {
        assert!(
            std::env::var_os("AVCTL_SKIP_TOOLS").is_some(),
            "fonts-dejavu-core is not installed: run scripts/setup.sh"
        );
        return false;
    }
    render::load_fonts(dir).expect("fonts");
    true
}

#[test]
fn every_panel_with_fixture_data_is_drawn_in_its_plot_area() {
    if !fonts() {
        return;
    }
    let loaded = avspec::load_dir(&repo().join("specs"));
    let spec = avctl::slo::expand(loaded.spec.as_ref().expect("spec"));
    let index = avspec::index::Index::new(&spec);
    let source = Fixtures { index: &index };
    let mut drawn = 0;
    for d in &spec.dashboards {
        let placed = render::grid::place(d);
        let data =
            render::panel_data(&placed, &source, Fixtures::RANGE, &render::variables(d, &BTreeMap::new()));
        let r = render::render_rgb(d, &data, "test").expect("render");
        assert_eq!(r.panels.len(), d.rows.iter().map(|row| row.panels.len()).sum::<usize>());
        for p in &r.panels {
            match (&p.state, p.kind) {
                (PanelState::Data, PanelType::Timeseries) => {
                    let n = r.series_pixels(p.plot);
                    assert!(n > 50, "{}/{}: {n} series pixels in {:?}", d.uid.value, p.id, p.plot);
                    drawn += 1;
                }
                (PanelState::Data, _) => {
                    assert!(r.ink(p.plot) > 200, "{}/{}: no value drawn", d.uid.value, p.id);
                    drawn += 1;
                }
                (PanelState::NoData, _) => {
                    // Only the budget panels: their 28-day compliance window reads recorded
                    // series over a range, which the fixture evaluator does not compute.
                    assert!(p.id.ends_with("-budget"), "{}/{} has no fixture data", d.uid.value, p.id);
                    assert_eq!(r.series_pixels(p.plot), 0);
                }
                (PanelState::Error(e), _) => panic!("{}/{}: {e}", d.uid.value, p.id),
            }
        }
    }
    assert!(drawn >= 30, "{drawn} panels drawn");
}

#[test]
fn the_cli_writes_one_image_per_dashboard_and_a_report() {
    if !fonts() {
        return;
    }
    let out = tempdir();
    let spec = repo().join("specs");
    let o = avctl(
        &[
            "--spec",
            spec.to_str().expect("utf8"),
            "render",
            "--fixtures",
            "--out",
            out.path().to_str().expect("utf8"),
        ],
        out.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    for uid in ["autovoice-overview", "autovoice-performance", "autovoice-gpu"] {
        let png = image::open(out.path().join(format!("{uid}.png"))).expect("png").to_rgb8();
        assert_eq!(png.width(), render::WIDTH);
        assert!(text(&o).contains(&format!("{uid}: ")), "progress line for {uid}: {}", text(&o));
    }
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("render-report.json")).expect("report"),
    )
    .expect("json");
    assert_eq!(report.as_array().map(Vec::len), Some(3));
    let states: Vec<&str> =
        report[0]["panels"].as_array().expect("panels").iter().filter_map(|p| p["state"].as_str()).collect();
    assert!(states.iter().all(|s| *s == "data" || *s == "no_data"), "{states:?}");
    // SVG: text stays text.
    let o = avctl(
        &[
            "--spec",
            spec.to_str().expect("utf8"),
            "render",
            "--fixtures",
            "--format",
            "svg",
            "--dashboard",
            "autovoice-gpu",
            "-q",
            "--out",
            out.path().to_str().expect("utf8"),
        ],
        out.path(),
    );
    assert!(o.status.success() && o.stderr.is_empty(), "{}", text(&o));
    let svg = std::fs::read_to_string(out.path().join("autovoice-gpu.svg")).expect("svg");
    assert!(svg.starts_with("<svg") && svg.contains("GPU Utilization"), "{}", &svg[..200.min(svg.len())]);
}

#[test]
fn query_errors_are_shown_on_the_panels_and_fail_the_run_on_request() {
    if !fonts() {
        return;
    }
    let out = tempdir();
    let spec = repo().join("specs");
    // A port nothing listens on: every query fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let url = format!("http://127.0.0.1:{port}");
    let run = |extra: &[&str]| {
        let mut args =
            vec!["--spec", spec.to_str().expect("utf8"), "render", "--prometheus", &url, "--last", "10m"];
        args.extend_from_slice(&[
            "--dashboard",
            "autovoice-gpu",
            "--out",
            out.path().to_str().expect("utf8"),
        ]);
        args.extend_from_slice(extra);
        avctl(&args, out.path())
    };
    let o = run(&[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("error:"), "the failing panels are listed: {}", text(&o));
    let o = run(&["--fail-on-empty"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let o = run(&["--dashboard", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no dashboard `nope`"), "{}", text(&o));
}
