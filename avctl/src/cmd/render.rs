//! `avctl render`: one image per dashboard from a Prometheus server or from fixture series,
//! with a per-dashboard progress line on stderr and a JSON report of what each panel showed.

use super::{CANNOT_RUN, FINDINGS, OK};
use crate::render::data::{Fixtures, Prometheus, Range, Source};
use crate::render::{self, PanelReport, PanelState};
use crate::resolved::{Ctx, Resolved};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImageFormat {
    Png,
    Svg,
}

/// `avctl render`'s flags.
#[derive(Debug, clap::Args)]
pub struct Options {
    /// Prometheus base URL, e.g. `http://127.0.0.1:9090`.
    #[arg(long, required_unless_present = "fixtures", conflicts_with = "fixtures")]
    pub prometheus: Option<String>,
    /// Draw from the series the promtool tests are synthesized from, with avctl's own PromQL
    /// evaluator: no Prometheus at all.
    #[arg(long)]
    pub fixtures: bool,
    /// Range start: `now`, `now-1h` or Unix seconds.
    #[arg(long)]
    pub from: Option<String>,
    /// Range end (default `now`).
    #[arg(long)]
    pub to: Option<String>,
    /// The range as a duration ending at `--to`, e.g. `30m` (default 1h).
    #[arg(long, value_parser = avspec::PromDuration::parse)]
    pub last: Option<avspec::PromDuration>,
    /// Only this dashboard (repeatable).
    #[arg(long = "dashboard", value_name = "UID")]
    pub dashboards: Vec<String>,
    /// A dashboard variable's value instead of its default (`name=value`, repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    #[arg(long, value_enum, default_value = "png")]
    pub format: ImageFormat,
    #[arg(long)]
    pub out: PathBuf,
    /// Directory with DejaVuSans.ttf and DejaVuSans-Bold.ttf.
    #[arg(long, env = "AVCTL_FONT_DIR", default_value = render::DEFAULT_FONT_DIR)]
    pub font_dir: PathBuf,
    /// Exit 1 when a panel shows no data or an error.
    #[arg(long)]
    pub fail_on_empty: bool,
    /// No progress lines.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `now`, `now-<duration>` or Unix seconds, as Unix milliseconds.
pub fn parse_time(s: &str, now_ms: i64) -> Result<i64, String> {
    let s = s.trim();
    if s == "now" {
        return Ok(now_ms);
    }
    if let Some(d) = s.strip_prefix("now-") {
        let d = avspec::PromDuration::parse(d).map_err(|e| format!("`{s}`: {e}"))?;
        return Ok(now_ms - d.millis() as i64);
    }
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| (v * 1000.0).round() as i64)
        .ok_or_else(|| format!("`{s}` is not a time: write `now`, `now-1h` or Unix seconds"))
}

fn range(o: &Options) -> Result<Range, String> {
    if o.prometheus.is_none() {
        return Ok(Fixtures::RANGE);
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let end = o.to.as_deref().map_or(Ok(now), |e| parse_time(e, now))?;
    let start = match (&o.from, o.last) {
        (Some(_), Some(_)) => return Err("give --from or --last, not both".to_owned()),
        (Some(s), None) => parse_time(s, now)?,
        (None, Some(d)) => end - d.millis() as i64,
        (None, None) => end - 3_600_000,
    };
    if start >= end {
        return Err(format!("the range starts ({start} ms) at or after it ends ({end} ms)"));
    }
    Ok(Range { start_ms: start, end_ms: end, step_ms: render::step_for(start, end) })
}

fn overrides(vars: &[String]) -> Result<BTreeMap<String, String>, String> {
    vars.iter()
        .map(|v| {
            v.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| format!("--var `{v}`: expected name=value"))
        })
        .collect()
}

#[derive(Serialize)]
struct Report<'a> {
    dashboard: &'a str,
    file: String,
    panels: &'a [PanelReport],
}

pub fn run(ctx: &Ctx, o: &Options) -> u8 {
    let resolved = Resolved::load(ctx);
    let checked = resolved.check_for(ctx);
    let Some(index) = checked.usable("nothing was rendered") else { return CANNOT_RUN };
    let prepared = (|| {
        render::load_fonts(&o.font_dir)?;
        let range = range(o)?;
        let vars = overrides(&o.vars)?;
        let dashboards = render::dashboards(index, &o.dashboards)?;
        std::fs::create_dir_all(&o.out).map_err(|e| format!("{}: {e}", o.out.display()))?;
        Ok::<_, String>((range, vars, dashboards))
    })();
    let (range, vars, dashboards) = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return CANNOT_RUN;
        }
    };
    let source: Box<dyn Source + '_> = match &o.prometheus {
        Some(url) => Box::new(Prometheus { base: url.clone(), timeout: Duration::from_secs(30) }),
        None => Box::new(Fixtures { index }),
    };
    let subtitle = match &o.prometheus {
        None => "fixture series (avctl render --fixtures)".to_owned(),
        Some(url) => format!("{url}, {} s to {} s", range.start_ms / 1000, range.end_ms / 1000),
    };
    let mut reports = Vec::new();
    let mut empty = 0;
    for (i, d) in dashboards.iter().enumerate() {
        let start = Instant::now();
        let placed = render::grid::place(d);
        let data = render::panel_data(&placed, source.as_ref(), range, &render::variables(d, &vars));
        let (file, written) = match o.format {
            ImageFormat::Png => {
                let path = o.out.join(format!("{}.png", d.uid.value));
                let r = render::render_rgb(d, &data, &subtitle)
                    .and_then(|r| render::write_png(&path, &r).map(|()| r.panels));
                (path, r)
            }
            ImageFormat::Svg => {
                let path = o.out.join(format!("{}.svg", d.uid.value));
                let r = render::render_svg(d, &data, &subtitle).and_then(|(svg, panels)| {
                    std::fs::write(&path, svg)
                        .map(|()| panels)
                        .map_err(|e| format!("{}: {e}", path.display()))
                });
                (path, r)
            }
        };
        let panels = match written {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: dashboard {}: {e}", d.uid.value);
                return CANNOT_RUN;
            }
        };
        let blank = panels.iter().filter(|p| p.state != PanelState::Data).count();
        empty += blank;
        if !o.quiet {
            eprintln!(
                "render [{}/{}] {}: {} panels ({blank} without data) in {:.0} ms -> {}",
                i + 1,
                dashboards.len(),
                d.uid.value,
                panels.len(),
                start.elapsed().as_secs_f64() * 1000.0,
                file.display()
            );
            for p in panels.iter().filter(|p| p.state != PanelState::Data) {
                let what = match &p.state {
                    PanelState::Error(e) => format!("error: {e}"),
                    _ => "no data".to_owned(),
                };
                eprintln!("  {}/{}: {what}", d.uid.value, p.id);
            }
        }
        reports.push((d.uid.value.clone(), file.display().to_string(), panels));
    }
    let report: Vec<Report<'_>> = reports
        .iter()
        .map(|(uid, file, panels)| Report { dashboard: uid, file: file.clone(), panels })
        .collect();
    let path = o.out.join("render-report.json");
    let written = serde_json::to_string_pretty(&report)
        .map_err(|e| e.to_string())
        .and_then(|t| std::fs::write(&path, t + "\n").map_err(|e| format!("{}: {e}", path.display())));
    if let Err(e) = written {
        eprintln!("error: {e}");
        return CANNOT_RUN;
    }
    if o.fail_on_empty && empty > 0 {
        eprintln!("error: {empty} panels without data (--fail-on-empty)");
        return FINDINGS;
    }
    OK
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times_are_now_relative_or_unix_seconds() {
        let now = 1_700_000_000_000;
        assert_eq!(parse_time("now", now), Ok(now));
        assert_eq!(parse_time("now-30m", now), Ok(now - 1_800_000));
        assert_eq!(parse_time("1700000000.5", now), Ok(1_700_000_000_500));
        assert!(parse_time("yesterday", now).is_err_and(|e| e.contains("not a time")));
        assert!(parse_time("now-3x", now).is_err());
    }
}
