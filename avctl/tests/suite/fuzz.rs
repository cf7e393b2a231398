//! Fuzzing of everything avctl reads from someone else (fuzzkit: the corpus under
//! `fuzz/corpus/<target>/` replayed, then mutations for `FUZZ_SECS`): spec files and overlays
//! through load, checks, PromQL validation and rendering; PromQL expressions with Grafana
//! variables; the exposition format `check-live` scrapes. Invariant: findings or a result,
//! in bounded time and output, never a panic.

use crate::common::*;
use avspec::{Format, diag, load_texts};
use fuzzkit::{Target, fuzz};
use std::time::Duration;

/// Rendered findings may quote the input, but never flood the terminal: a line of the spec
/// is shown cut to a window around the column.
const MAX_RENDERED_PER_FINDING: usize = 4096;

fn spec_files(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() && p.file_name().is_some_and(|n| n != "overlays") {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                let rel = p.strip_prefix(dir).expect("rel").display().to_string();
                out.push((rel, std::fs::read_to_string(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

/// Load, check and render `files`; the rendered output must stay bounded.
fn check_files(files: &[(String, String)]) -> Result<(), String> {
    let loaded = load_texts(files);
    let diags = avctl::cmd::check_loaded(&loaded, None);
    for format in [Format::Text, Format::Json, Format::Github] {
        let text = diag::render(&diags, &loaded.sources, format);
        let limit = MAX_RENDERED_PER_FINDING * (diags.len() + 1);
        if text.len() > limit {
            return Err(format!("{} findings rendered as {} bytes ({format:?})", diags.len(), text.len()));
        }
    }
    Ok(())
}

const YAML_TOKENS: &[&str] = &[
    ": ",
    "- ",
    "\n  ",
    "\n",
    "&a ",
    "*a",
    "!!binary ",
    "<<: *a",
    "{",
    "}",
    "[",
    "]",
    "'",
    "\"",
    "#",
    "|-\n",
    ">\n",
    "~",
    "null",
    "NaN",
    ".inf",
    "-1",
    "1e999",
    "0x10",
    "9999999999999999999999",
    "${X}",
    "\t",
    "---\n",
    "...\n",
    "? ",
    "\u{feff}",
    "\\u0000",
];

#[test]
fn spec_files_never_panic_and_findings_stay_readable() {
    let base = spec_files(&repo().join("specs"));
    let seeds = base.iter().map(|(_, t)| t.as_bytes().to_vec()).collect();
    let names: Vec<String> = base.iter().map(|(n, _)| n.clone()).collect();
    fuzz(
        Target {
            name: "spec",
            seeds,
            dictionary: YAML_TOKENS,
            default_secs: 4,
            case_limit: Duration::from_secs(20),
        },
        move |input| {
            let text = String::from_utf8_lossy(input).into_owned();
            // The damaged text stands in for one of the spec's files (the one it came from is
            // unknown after splicing; the first differing name keeps the set a valid layout).
            let mut files = base.clone();
            let slot = input.len() % names.len();
            files[slot].1 = text;
            check_files(&files)
        },
    );
}

#[test]
fn overlays_never_panic() {
    let dir = repo().join("specs");
    let files = spec_files(&dir);
    let seeds = std::fs::read_dir(dir.join("overlays"))
        .expect("overlays")
        .flatten()
        .map(|e| std::fs::read(e.path()).expect("read"))
        .collect();
    fuzz(
        Target {
            name: "overlay",
            seeds,
            dictionary: YAML_TOKENS,
            default_secs: 3,
            case_limit: Duration::from_secs(20),
        },
        move |input| {
            let mut loaded = load_texts(&files);
            let text = String::from_utf8_lossy(input);
            avspec::overlay::apply_text(&mut loaded, "overlay.yaml", &text, &|k| {
                (k.len() < 8).then(|| "127.0.0.1:9".to_owned())
            });
            let diags = avctl::cmd::check_loaded(&loaded, None);
            let rendered = diag::render(&diags, &loaded.sources, Format::Text);
            if rendered.len() > MAX_RENDERED_PER_FINDING * (diags.len() + 1) {
                return Err(format!("{} bytes of findings", rendered.len()));
            }
            Ok(())
        },
    );
}

#[test]
fn promql_expressions_never_panic_the_validator() {
    let mini = std::fs::read_to_string(repo().join("avctl/tests/fixtures/mini/spec.yaml")).expect("mini");
    let alert = "    expr: up{job=\"mini\"} == 0\n";
    let panel = "            queries: [{expr: min(up)}]\n";
    assert!(mini.contains(alert) && mini.contains(panel));
    // Every expression of the AutoVoice spec is a seed.
    let loaded = avspec::load_dir(&repo().join("specs"));
    let spec = loaded.spec.expect("spec");
    let mut seeds: Vec<Vec<u8>> = spec.alerts.iter().map(|a| a.expr.value.as_bytes().to_vec()).collect();
    seeds.extend(spec.recording_rules.iter().map(|r| r.expr.value.as_bytes().to_vec()));
    for d in &spec.dashboards {
        for p in d.rows.iter().flat_map(|r| &r.panels) {
            seeds.extend(p.queries.iter().map(|q| q.expr.value.as_bytes().to_vec()));
        }
    }
    const TOKENS: &[&str] = &[
        "$__rate_interval",
        "${src}",
        "[[src]]",
        "$src",
        "sum by (le) ",
        "rate(",
        "[5m]",
        "{job=~\"",
        "\"}",
        " offset 1h",
        " @ 0",
        "[1m:10s]",
        "histogram_quantile(",
        "label_replace(",
        " and on (",
        " or ",
        " unless ",
        " / ignoring(",
        "group_left",
        "(",
        ")",
        "1e308",
        "NaN",
        "-Inf",
        "count_values(\"x\", ",
        "topk(",
        "__name__",
        "le=\"0.1\"",
        "absent(",
        "vector(",
        "time()",
    ];
    fuzz(
        Target {
            name: "promql",
            seeds,
            dictionary: TOKENS,
            default_secs: 4,
            case_limit: Duration::from_secs(10),
        },
        move |input| {
            let expr = String::from_utf8_lossy(input);
            let quoted = serde_json::to_string(&expr).map_err(|e| e.to_string())?;
            let text = mini
                .replace(alert, &format!("    expr: {quoted}\n"))
                .replace(panel, &format!("            queries: [{{expr: {quoted}}}]\n"));
            check_files(&[("spec.yaml".to_owned(), text)])
        },
    );
}

#[test]
fn the_exposition_parser_never_panics_and_its_errors_stay_short() {
    let dir = repo().join("avctl/tests/fixtures/live");
    let seeds = std::fs::read_dir(&dir)
        .expect("live")
        .flatten()
        .map(|e| std::fs::read(e.path()).expect("read"))
        .collect();
    const TOKENS: &[&str] = &[
        "# TYPE x histogram\n",
        "# HELP x a\\nb\n",
        "x_bucket{le=\"+Inf\"} 1\n",
        "{a=\"b\",a=\"c\"}",
        "\"\\\"\"",
        " NaN",
        " +Inf",
        " -Inf",
        " 1e999",
        " 0x1p3",
        " 1 1700000000000\n",
        "\n",
        "{",
        "}",
        "=",
        ",",
        "# EOF\n",
        " # {trace_id=\"a\"} 1",
        "\u{0}",
    ];
    fuzz(
        Target {
            name: "exposition",
            seeds,
            dictionary: TOKENS,
            default_secs: 3,
            case_limit: Duration::from_secs(5),
        },
        |input| match avctl::live::expo::parse(&String::from_utf8_lossy(input)) {
            Ok(families) => {
                let samples: usize = families.values().map(|f| f.samples.len()).sum();
                if samples > input.len() {
                    return Err(format!("{samples} samples from {} bytes", input.len()));
                }
                Ok(())
            }
            Err(e) if e.len() > 512 => Err(format!("a {}-byte error message", e.len())),
            Err(_) => Ok(()),
        },
    );
}
