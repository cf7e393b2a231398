//! Drawing one dashboard with plotters, in Grafana's dark theme: the title bar, row headers,
//! and each panel (timeseries lines with axes, legend and threshold lines; stat and gauge
//! values in their threshold colour; "No data" and query errors said on the panel).

use super::grid::{self, Placed, Rect};
use super::units;
use super::{PanelData, PanelReport, PanelState};
use avspec::{Dashboard, Panel, PanelType};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub const BACKGROUND: RGBColor = RGBColor(17, 18, 23);
pub const PANEL: RGBColor = RGBColor(24, 27, 31);
const BORDER: RGBColor = RGBColor(44, 50, 53);
const TEXT: RGBColor = RGBColor(204, 204, 220);
const MUTED: RGBColor = RGBColor(142, 142, 160);
const ERROR: RGBColor = RGBColor(242, 73, 92);
/// Grafana's classic palette, in order.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(126, 178, 109),
    RGBColor(234, 184, 57),
    RGBColor(110, 208, 224),
    RGBColor(239, 132, 60),
    RGBColor(226, 77, 66),
    RGBColor(31, 120, 193),
    RGBColor(186, 67, 169),
    RGBColor(112, 93, 160),
    RGBColor(80, 134, 66),
    RGBColor(204, 163, 0),
];
/// Height of the dashboard's title bar.
pub const TOP: u32 = 40;
const TITLE_H: i32 = 26;

/// Grafana's named colours (the spec's thresholds use them) or `#rrggbb`.
pub fn color(name: &str) -> RGBColor {
    let hex = |s: &str| u8::from_str_radix(s, 16).ok();
    if let Some(h) = name.strip_prefix('#')
        && h.len() == 6
        && let (Some(r), Some(g), Some(b)) = (hex(&h[0..2]), hex(&h[2..4]), hex(&h[4..6]))
    {
        return RGBColor(r, g, b);
    }
    match name {
        "red" => RGBColor(242, 73, 92),
        "orange" => RGBColor(255, 152, 48),
        "yellow" => RGBColor(250, 222, 42),
        "green" => RGBColor(115, 191, 105),
        "blue" => RGBColor(87, 148, 242),
        "purple" => RGBColor(184, 119, 217),
        "transparent" => PANEL,
        _ => TEXT,
    }
}

type Area<'a, DB> = DrawingArea<DB, Shift>;
type Drawn<T> = Result<T, String>;

fn text_style(size: u32, c: RGBColor) -> TextStyle<'static> {
    let font = ("sans-serif", size).into_font();
    TextStyle { font, color: c.to_backend_color(), pos: Pos::new(HPos::Left, VPos::Top) }
}

fn bold(size: u32, c: RGBColor) -> TextStyle<'static> {
    let font = ("sans-serif", size, FontStyle::Bold).into_font();
    TextStyle { font, color: c.to_backend_color(), pos: Pos::new(HPos::Left, VPos::Top) }
}

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("drawing failed: {e}")
}

/// A string cut to `max` characters.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        s.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
    }
}

fn hhmm(ms: i64) -> String {
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}", secs / 3600, secs / 60 % 60)
}

/// Draws `d` on `root` (already sized to [`grid::height`]); `data` holds each panel's query
/// results in placement order. Returns where each panel's plot went and what it showed.
pub fn dashboard<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    d: &Dashboard,
    placed: &[Placed<'_>],
    data: &[PanelData],
    subtitle: &str,
) -> Drawn<Vec<PanelReport>> {
    let (width, _) = root.dim_in_pixel();
    root.fill(&BACKGROUND).map_err(err)?;
    root.draw(&Text::new(d.title.value.clone(), (12, 10), bold(18, TEXT))).map_err(err)?;
    let sub = text_style(13, MUTED).pos(Pos::new(HPos::Right, VPos::Top));
    root.draw(&Text::new(subtitle.to_owned(), (width as i32 - 12, 13), sub)).map_err(err)?;
    let mut reports = Vec::new();
    let mut next = data.iter();
    for p in placed {
        match p {
            Placed::Row { title, cell } => {
                let r = grid::pixels(*cell, width, TOP);
                root.draw(&Text::new((*title).to_owned(), (r.x, r.y + 6), bold(15, TEXT))).map_err(err)?;
            }
            Placed::Panel { panel, cell } => {
                let r = grid::pixels(*cell, width, TOP);
                let pd = next.next().ok_or("a panel without data")?;
                reports.push(panel_box(root, panel, r, pd)?);
            }
        }
    }
    Ok(reports)
}

fn panel_box<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    p: &Panel,
    r: Rect,
    data: &PanelData,
) -> Drawn<PanelReport> {
    let (x1, y1) = (r.x + r.w as i32, r.y + r.h as i32);
    root.draw(&Rectangle::new([(r.x, r.y), (x1, y1)], PANEL.filled())).map_err(err)?;
    root.draw(&Rectangle::new([(r.x, r.y), (x1, y1)], BORDER.stroke_width(1))).map_err(err)?;
    let chars = (r.w as usize / 8).max(4);
    root.draw(&Text::new(clip(&p.title.value, chars), (r.x + 8, r.y + 7), bold(13, TEXT))).map_err(err)?;
    let body = Rect {
        x: r.x + 4,
        y: r.y + TITLE_H,
        w: r.w.saturating_sub(8),
        h: r.h.saturating_sub(TITLE_H as u32 + 4),
    };
    let report = |plot: Rect, state: PanelState| PanelReport {
        id: p.id.value.clone(),
        title: p.title.value.clone(),
        kind: p.kind.value,
        plot,
        state,
    };
    if let Some(e) = &data.error {
        let msg = clip(&format!("Error: {e}"), chars);
        let centre = (body.x + body.w as i32 / 2, body.y + body.h as i32 / 2);
        let style = text_style(13, ERROR).pos(Pos::new(HPos::Center, VPos::Center));
        root.draw(&Text::new(msg, centre, style)).map_err(err)?;
        return Ok(report(body, PanelState::Error(e.clone())));
    }
    if data.lines.iter().all(|l| l.points.is_empty()) {
        let centre = (body.x + body.w as i32 / 2, body.y + body.h as i32 / 2);
        let style = text_style(16, MUTED).pos(Pos::new(HPos::Center, VPos::Center));
        root.draw(&Text::new("No data", centre, style)).map_err(err)?;
        return Ok(report(body, PanelState::NoData));
    }
    let area = root.clone().shrink((body.x as u32, body.y as u32), (body.w, body.h));
    let plot = match p.kind.value {
        PanelType::Timeseries => timeseries(&area, p, data, body)?,
        PanelType::Stat | PanelType::Gauge => single_value(&area, p, data, body)?,
    };
    Ok(report(plot, PanelState::Data))
}

fn unit_of(p: &Panel) -> &str {
    p.unit.as_ref().map_or("short", |u| u.value.as_str())
}

fn decimals(p: &Panel) -> Option<usize> {
    p.decimals.map(|d| d as usize)
}

fn timeseries<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    p: &Panel,
    data: &PanelData,
    body: Rect,
) -> Drawn<Rect> {
    let lines: Vec<_> = data.lines.iter().filter(|l| !l.points.is_empty()).collect();
    let legend_rows = ((body.h as usize).saturating_sub(80) / 16).clamp(1, 4).min(lines.len());
    let legend_h = (legend_rows as u32) * 16 + 4;
    let (plot_area, legend_area) = area.split_vertically(body.h.saturating_sub(legend_h));
    let t0 = data.range.start_ms;
    let t1 = data.range.end_ms.max(t0 + 1);
    let values = lines.iter().flat_map(|l| l.points.iter().map(|(_, v)| *v)).filter(|v| v.is_finite());
    let thresholds = p.thresholds.iter().map(|t| t.value.value);
    let (mut lo, mut hi) =
        values.clone().chain(thresholds).fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    lo = p.min.as_ref().map_or(lo.min(0.0), |m| m.value);
    hi = p.max.as_ref().map_or(hi, |m| m.value);
    // No spread (one flat value) or no finite value at all: a unit-high axis around it.
    if !lo.is_finite() || !hi.is_finite() || hi <= lo {
        lo = if lo.is_finite() { lo } else { 0.0 };
        hi = lo + 1.0;
    }
    let unit = unit_of(p).to_owned();
    let dec = decimals(p);
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_right(12)
        .x_label_area_size(18)
        .y_label_area_size(80)
        .build_cartesian_2d(t0..t1, lo..hi + (hi - lo) * 0.05)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|t| hhmm(*t))
        .y_label_formatter(&|v| units::format(*v, &unit, dec))
        .label_style(text_style(11, MUTED))
        .axis_style(BORDER)
        .bold_line_style(BORDER.mix(0.5))
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(err)?;
    for t in &p.thresholds {
        let c = color(&t.color);
        chart
            .draw_series(LineSeries::new([(t0, t.value.value), (t1, t.value.value)], c.stroke_width(1)))
            .map_err(err)?;
    }
    for (i, l) in lines.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        let pts = l.points.iter().filter(|(_, v)| v.is_finite()).copied();
        chart.draw_series(LineSeries::new(pts, c.stroke_width(2))).map_err(err)?;
    }
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    // Legend: one row per series, as many as fit; the rest counted.
    for (i, l) in lines.iter().take(legend_rows).enumerate() {
        let y = 2 + i as i32 * 16;
        let c = PALETTE[i % PALETTE.len()];
        legend_area.draw(&Rectangle::new([(64, y + 5), (78, y + 8)], c.filled())).map_err(err)?;
        let more = if i + 1 == legend_rows && lines.len() > legend_rows {
            format!("  (+{} more)", lines.len() - legend_rows)
        } else {
            String::new()
        };
        let label = clip(&l.legend, (body.w as usize / 7).saturating_sub(14)) + &more;
        legend_area.draw(&Text::new(label, (84, y), text_style(12, TEXT))).map_err(err)?;
    }
    Ok(Rect {
        x: xr.start,
        y: yr.start,
        w: (xr.end - xr.start).max(1) as u32,
        h: (yr.end - yr.start).max(1) as u32,
    })
}

/// The colour Grafana gives a value: the highest threshold at or below it, else the base.
fn value_color(p: &Panel, v: f64) -> RGBColor {
    let mut c = color(&p.base_color);
    for t in &p.thresholds {
        if v >= t.value.value {
            c = color(&t.color);
        }
    }
    c
}

fn single_value<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    p: &Panel,
    data: &PanelData,
    body: Rect,
) -> Drawn<Rect> {
    // Reduced as the panels say: the last non-null value of the first series.
    let v = data
        .lines
        .iter()
        .find_map(|l| l.points.iter().rev().map(|(_, v)| *v).find(|v| !v.is_nan()))
        .unwrap_or(f64::NAN);
    let text = units::format(v, unit_of(p), decimals(p));
    let c = value_color(p, v);
    let (w, h) = (body.w as i32, body.h as i32);
    let size =
        ((h as f64 * 0.4).min(w as f64 / (text.chars().count() as f64 * 0.62))).clamp(12.0, 72.0) as u32;
    if p.kind.value == PanelType::Gauge {
        let lo = p.min.as_ref().map_or(0.0, |m| m.value);
        let hi = p.max.as_ref().map_or(100.0, |m| m.value);
        let share = if hi > lo { ((v - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.0 };
        // A half circle that fits the body with its stroke: radius at most 80% of the height.
        let radius = (f64::from(w) * 0.4).min(f64::from(h - 10).max(10.0) * 0.8).max(8.0);
        let (cx, cy) = (w / 2, h / 2 + (radius / 2.0) as i32);
        let arc = |from: f64, to: f64| -> Vec<(i32, i32)> {
            (0..=48)
                .map(|i| {
                    let a = std::f64::consts::PI * (1.0 - (from + (to - from) * f64::from(i) / 48.0));
                    ((f64::from(cx) + radius * a.cos()) as i32, (f64::from(cy) - radius * a.sin()) as i32)
                })
                .collect()
        };
        let thick = (radius * 0.18).max(3.0) as u32;
        area.draw(&PathElement::new(arc(0.0, 1.0), BORDER.stroke_width(thick))).map_err(err)?;
        if share > 0.0 {
            area.draw(&PathElement::new(arc(0.0, share), c.stroke_width(thick))).map_err(err)?;
        }
        let style = bold(size.min(40), c).pos(Pos::new(HPos::Center, VPos::Bottom));
        area.draw(&Text::new(text, (cx, cy), style)).map_err(err)?;
    } else {
        let style = bold(size, c).pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new(text, (w / 2, h / 2), style)).map_err(err)?;
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_hex_colours() {
        assert_eq!(color("red"), RGBColor(242, 73, 92));
        assert_eq!(color("#102030"), RGBColor(16, 32, 48));
        assert_eq!(color("#zz"), TEXT);
        assert_eq!(hhmm(3_600_000 * 25 + 61_000), "01:01");
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
