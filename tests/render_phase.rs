//! The end-to-end test's rendering check: `avctl render`'s drawing from the test's real
//! Prometheus after the load. Every panel whose queries returned data is drawn with its series
//! (or its value) inside its plot area, and the panels showing "No data" are exactly those whose
//! every query reads metrics this machine cannot have (GPU and DCGM ones).

use avctl::render::{self, PanelState, data::Prometheus};
use avspec::PanelType;
use avspec::index::Index;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

type R<T = ()> = Result<T, String>;

/// Renders every dashboard over the last `minutes` into `dir/render/` and checks each panel.
pub fn dashboards_drawn(prom: &str, index: &Index<'_>, no_data: &[String], dir: &Path, minutes: i64) -> R {
    render::load_fonts(Path::new(render::DEFAULT_FONT_DIR))?;
    let out = dir.join("render");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|e| e.to_string())?.as_millis() as i64;
    let range = render::data::Range { start_ms: now - minutes * 60_000, end_ms: now, step_ms: 2_000 };
    let source = Prometheus { base: prom.to_owned(), timeout: Duration::from_secs(10) };
    let (mut drawn, mut empty) = (0, Vec::new());
    for d in &index.spec.dashboards {
        let placed = render::grid::place(d);
        let data = render::panel_data(&placed, &source, range, &render::variables(d, &BTreeMap::new()));
        let r = render::render_rgb(d, &data, "e2e")?;
        render::write_png(&out.join(format!("{}.png", d.uid.value)), &r)?;
        for p in &r.panels {
            let name = format!("{}/{}", d.uid.value, p.id);
            let expected_empty = no_data.contains(&name);
            match (&p.state, expected_empty) {
                (PanelState::Data, false) => {
                    let ok = match p.kind {
                        PanelType::Timeseries => r.series_pixels(p.plot) > 20,
                        PanelType::Stat | PanelType::Gauge => r.ink(p.plot) > 100,
                    };
                    if !ok {
                        return Err(format!("{name}: data, but nothing drawn in its plot area {:?}", p.plot));
                    }
                    drawn += 1;
                }
                (PanelState::NoData, true) => {
                    if r.series_pixels(p.plot) > 0 {
                        return Err(format!("{name}: \"No data\" with series drawn"));
                    }
                    empty.push(name);
                }
                (state, _) => {
                    return Err(format!(
                        "{name}: {state:?}, expected {}",
                        if expected_empty { "no data" } else { "data" }
                    ));
                }
            }
        }
    }
    eprintln!(
        "e2e: rendered {drawn} panels with data and {} without ({empty:?}) into {}",
        empty.len(),
        out.display()
    );
    Ok(())
}
