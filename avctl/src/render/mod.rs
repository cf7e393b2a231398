//! `avctl render`: dashboards drawn straight from the spec and Prometheus data, with no Grafana
//! server: the 24-column grid, row headers, titles, and each panel from its queries over a
//! time range (or from synthesized fixture series), as PNG or SVG.

pub mod data;
pub mod draw;
pub mod grid;
pub mod legend;
pub mod units;

use avspec::index::Index;
use avspec::{Dashboard, PanelType};
use data::{Points, Range, Source};
use grid::{Placed, Rect};
use plotters::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

/// Width of every image (Grafana's grid on a 1600-pixel screen).
pub const WIDTH: u32 = 1600;
/// Where Debian's `fonts-dejavu-core` puts the fonts (scripts/setup.sh installs it).
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts/truetype/dejavu";

/// One series as drawn: its legend and points.
#[derive(Debug, Clone)]
pub struct Line {
    pub legend: String,
    pub points: Points,
}

/// A panel's query results: its series, or the first query error.
#[derive(Debug, Clone)]
pub struct PanelData {
    pub lines: Vec<Line>,
    pub error: Option<String>,
    pub range: Range,
}

/// What a panel showed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "error")]
pub enum PanelState {
    Data,
    NoData,
    Error(String),
}

/// Where a panel's plot (or value) was drawn, and what it showed.
#[derive(Debug, Clone, Serialize)]
pub struct PanelReport {
    pub id: String,
    pub title: String,
    #[serde(serialize_with = "kind_name")]
    pub kind: PanelType,
    #[serde(serialize_with = "rect")]
    pub plot: Rect,
    #[serde(flatten)]
    pub state: PanelState,
}

fn kind_name<S: serde::Serializer>(k: &PanelType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.as_str())
}

fn rect<S: serde::Serializer>(r: &Rect, s: S) -> Result<S::Ok, S::Error> {
    [i64::from(r.x), i64::from(r.y), i64::from(r.w), i64::from(r.h)].serialize(s)
}

/// A dashboard drawn into an RGB buffer.
#[derive(Debug)]
pub struct Rendered {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
    pub panels: Vec<PanelReport>,
}

impl Rendered {
    /// The pixel at (x, y).
    pub fn pixel(&self, x: i32, y: i32) -> Option<[u8; 3]> {
        let (x, y) = (usize::try_from(x).ok()?, usize::try_from(y).ok()?);
        if x >= self.width as usize || y >= self.height as usize {
            return None;
        }
        let i = (y * self.width as usize + x) * 3;
        Some([self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]])
    }

    /// Pixels inside `r` that are one of the series colours.
    pub fn series_pixels(&self, r: Rect) -> usize {
        let palette: Vec<[u8; 3]> = draw::PALETTE.iter().map(|c| [c.0, c.1, c.2]).collect();
        self.count(r, |p| palette.contains(&p))
    }

    /// Pixels inside `r` that differ from the panel background.
    pub fn ink(&self, r: Rect) -> usize {
        let bg = [draw::PANEL.0, draw::PANEL.1, draw::PANEL.2];
        self.count(r, |p| p != bg)
    }

    fn count(&self, r: Rect, f: impl Fn([u8; 3]) -> bool) -> usize {
        let mut n = 0;
        for y in r.y..r.y + r.h as i32 {
            for x in r.x..r.x + r.w as i32 {
                if self.pixel(x, y).is_some_and(&f) {
                    n += 1;
                }
            }
        }
        n
    }
}

static FONTS: OnceLock<Result<(), String>> = OnceLock::new();

/// Registers DejaVu Sans (regular and bold) from `dir` with plotters, once per process.
pub fn load_fonts(dir: &Path) -> Result<(), String> {
    FONTS
        .get_or_init(|| {
            for (file, style) in
                [("DejaVuSans.ttf", FontStyle::Normal), ("DejaVuSans-Bold.ttf", FontStyle::Bold)]
            {
                let path = dir.join(file);
                let bytes = std::fs::read(&path).map_err(|e| {
                    format!(
                        "cannot read the font {} ({e}); install fonts-dejavu-core or pass --font-dir",
                        path.display()
                    )
                })?;
                // plotters keeps fonts for the process's lifetime.
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                plotters::style::register_font("sans-serif", style, bytes)
                    .map_err(|_| format!("{} is not a font plotters can read", path.display()))?;
            }
            Ok(())
        })
        .clone()
}

/// The dashboard's variables at their defaults, with `overrides` applied.
pub fn variables(d: &Dashboard, overrides: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut vars = crate::usage::dashboard_defaults(d);
    vars.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
    vars
}

/// Each panel's data in placement order (row headers have none).
pub fn panel_data(
    placed: &[Placed<'_>],
    source: &dyn Source,
    range: Range,
    vars: &BTreeMap<String, String>,
) -> Vec<PanelData> {
    placed
        .iter()
        .filter_map(|p| match p {
            Placed::Panel { panel, .. } => Some(*panel),
            Placed::Row { .. } => None,
        })
        .map(|panel| {
            let mut pd = PanelData { lines: Vec::new(), error: None, range };
            for q in &panel.queries {
                let expr = crate::promql::substitute(&q.expr, vars);
                match source.query_range(&expr, &range) {
                    Ok(series) => pd.lines.extend(series.into_iter().map(|(labels, points)| Line {
                        legend: legend::name(q.legend.as_deref(), &labels, &expr),
                        points,
                    })),
                    Err(e) => {
                        pd.error.get_or_insert(e);
                    }
                }
            }
            pd
        })
        .collect()
}

/// Draws dashboard `d` into an RGB buffer.
pub fn render_rgb(d: &Dashboard, data: &[PanelData], subtitle: &str) -> Result<Rendered, String> {
    let placed = grid::place(d);
    let height = grid::height(&placed, draw::TOP);
    let mut rgb = vec![0u8; WIDTH as usize * height as usize * 3];
    let panels = {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, height)).into_drawing_area();
        let panels = draw::dashboard(&root, d, &placed, data, subtitle)?;
        root.present().map_err(|e| format!("drawing failed: {e}"))?;
        panels
    };
    Ok(Rendered { width: WIDTH, height, rgb, panels })
}

/// Draws dashboard `d` as SVG text.
pub fn render_svg(
    d: &Dashboard,
    data: &[PanelData],
    subtitle: &str,
) -> Result<(String, Vec<PanelReport>), String> {
    let placed = grid::place(d);
    let height = grid::height(&placed, draw::TOP);
    let mut svg = String::new();
    let panels = {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let panels = draw::dashboard(&root, d, &placed, data, subtitle)?;
        root.present().map_err(|e| format!("drawing failed: {e}"))?;
        panels
    };
    Ok((svg, panels))
}

/// Writes `r` as a PNG file.
pub fn write_png(path: &Path, r: &Rendered) -> Result<(), String> {
    image::save_buffer_with_format(
        path,
        &r.rgb,
        r.width,
        r.height,
        image::ExtendedColorType::Rgb8,
        image::ImageFormat::Png,
    )
    .map_err(|e| format!("{}: {e}", path.display()))
}

/// The step of a range: about one point per 4 pixels of a full-width panel, at least a second.
pub fn step_for(start_ms: i64, end_ms: i64) -> i64 {
    ((end_ms - start_ms) / 400).max(1000) / 1000 * 1000
}

/// Index and dashboard lookups for the command.
pub fn dashboards<'a>(index: &'a Index<'a>, wanted: &[String]) -> Result<Vec<&'a Dashboard>, String> {
    let all = &index.spec.dashboards;
    if wanted.is_empty() {
        return Ok(all.iter().collect());
    }
    wanted
        .iter()
        .map(|uid| {
            all.iter().find(|d| d.uid.value == *uid).ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(|d| d.uid.as_str()).collect();
                format!("no dashboard `{uid}`; the spec has: {}", known.join(", "))
            })
        })
        .collect()
}
