//! The subcommands. Exit codes: 0 success, 1 findings or drift, 2 could not run.

pub mod test;

use crate::emit::{self, GenOptions};
use crate::grafana_check::{self, GrafanaSchemas};
use crate::output::{self, DriftKind};
use avspec::index::Index;
use avspec::{Diagnostic, Format, Severity};
use std::path::{Path, PathBuf};

pub const OK: u8 = 0;
pub const FINDINGS: u8 = 1;
pub const CANNOT_RUN: u8 = 2;

/// Options every subcommand shares.
#[derive(Debug)]
pub struct Ctx {
    pub spec: PathBuf,
    pub grafana_schemas: Option<PathBuf>,
    /// Overlays applied in order after loading.
    pub overlays: Vec<PathBuf>,
}

/// Loads the spec and runs every check; with Grafana schemas, also checks the dashboards the
/// spec generates. Returns the loaded spec and all findings.
pub fn load_and_check(ctx: &Ctx) -> (avspec::Loaded, Vec<Diagnostic>) {
    let mut loaded = avspec::load_dir(&ctx.spec);
    avspec::overlay::apply_files(&mut loaded, &ctx.overlays);
    let diags = check_loaded(&loaded, ctx.grafana_schemas.as_deref());
    (loaded, diags)
}

/// Every finding for a loaded spec: load errors, spec checks, PromQL checks and lints, and
/// (with a schema directory) Grafana schema checks. Sorted.
pub fn check_loaded(loaded: &avspec::Loaded, grafana_schemas: Option<&Path>) -> Vec<Diagnostic> {
    let mut diags = loaded.diagnostics.clone();
    if let Some(spec) = &loaded.spec {
        // Checks run on the spec as generated: with the SLO rules, alerts and dashboard row.
        let spec = &crate::slo::expand(spec);
        let index = Index::new(spec);
        diags.extend(avspec::check::check(spec));
        diags.extend(crate::validate::validate(&index, &loaded.sources));
        if let Some(dir) = grafana_schemas {
            diags.extend(grafana_findings(&index, dir));
        }
    }
    avspec::diag::sort(&mut diags);
    diags
}

fn grafana_findings(index: &Index<'_>, dir: &Path) -> Vec<Diagnostic> {
    let schemas = match GrafanaSchemas::load(dir) {
        Ok(s) => s,
        Err(e) => return vec![Diagnostic::error("spec/io", avspec::Loc::default(), e)],
    };
    let mut out = grafana_check::check_units(index, &schemas);
    for d in &index.spec.dashboards {
        let json = serde_json::to_value(emit::grafana::dashboard(index, d)).unwrap_or_default();
        // Units are reported once, at the spec (check_units), rather than again in the JSON.
        let found = schemas.check(&format!("{}.json", d.uid.value), &json);
        out.extend(found.into_iter().filter(|f| f.code != "grafana/unknown-unit"));
    }
    out
}

pub fn validate(ctx: &Ctx, format: Format, deny_warnings: bool) -> u8 {
    let (loaded, diags) = load_and_check(ctx);
    print!("{}", avspec::diag::render(&diags, &loaded.sources, format));
    let (errors, warnings, infos) = avspec::diag::counts(&diags);
    let suppressed = diags.iter().filter(|d| d.suppressed.is_some()).count();
    if format == Format::Text {
        if let Some(spec) = &loaded.spec {
            eprintln!("{}", summary(&Index::new(spec)));
        }
        eprintln!("{errors} errors, {warnings} warnings, {infos} notes, {suppressed} suppressed");
    }
    if diags.iter().any(|d| d.code == "spec/io") {
        return CANNOT_RUN;
    }
    if errors > 0 || (deny_warnings && warnings > 0) { FINDINGS } else { OK }
}

/// One line describing what the spec holds.
pub fn summary(index: &Index<'_>) -> String {
    let spec = index.spec;
    let app = index.app_metrics().count();
    let all = index.metrics.len();
    let panels = index.panels().count();
    let jobs = spec.prometheus.jobs.iter().filter(|j| j.enabled.value).count();
    format!(
        "spec `{}`: {app} application metrics, {} external, {} labels, {} scrape jobs ({jobs} enabled), \
         {} alerts, {} recording rules, {} SLOs, {} dashboards with {panels} panels, {} services",
        spec.project.name.value,
        all - app,
        spec.labels.len(),
        spec.prometheus.jobs.len(),
        spec.alerts.len(),
        spec.recording_rules.len(),
        spec.slos.len(),
        spec.dashboards.len(),
        spec.stack.services.len(),
    )
}

pub fn explain(code: &str) -> u8 {
    match avspec::check::explain(code) {
        Some(info) => {
            println!("{}\n\n{}\n\nWhy: {}", info.code, info.summary, info.why);
            OK
        }
        None => {
            let known = avspec::check::CODES.iter().map(|c| c.code);
            let hint = avspec::suggest::closest(code, known)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            eprintln!("error: unknown diagnostic code `{code}`{hint}");
            CANNOT_RUN
        }
    }
}

pub fn generate(ctx: &Ctx, out: &Path, check: bool, quiet: bool, opts: &GenOptions) -> u8 {
    let (loaded, diags) = load_and_check(ctx);
    let Some(spec) = loaded
        .spec
        .as_ref()
        .filter(|_| !diags.iter().any(|d| d.severity == Severity::Error && d.suppressed.is_none()))
    else {
        eprint!("{}", avspec::diag::render(&diags, &loaded.sources, Format::Text));
        eprintln!("error: the spec has errors; nothing was generated");
        return CANNOT_RUN;
    };
    let expanded = crate::slo::expand(spec);
    let index = Index::new(&expanded);
    let files = match emit::generate_all(&index, opts) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}; nothing was generated");
            return CANNOT_RUN;
        }
    };
    if check {
        let drift = output::check(out, &files);
        for d in &drift {
            match &d.kind {
                DriftKind::Missing => {
                    eprintln!("missing: {} (not generated yet)", d.path.display())
                }
                DriftKind::Stale => {
                    eprintln!("stale:   {} (the spec no longer produces it)", d.path.display())
                }
                DriftKind::Changed { diff } => eprintln!("differs: {}\n{diff}", d.path.display()),
            }
        }
        if drift.is_empty() {
            if !quiet {
                println!("{} files are current", files.len());
            }
            return OK;
        }
        eprintln!("{} of {} files differ from the spec; run `avctl generate`", drift.len(), files.len());
        return FINDINGS;
    }
    match output::write(out, &files) {
        Ok(r) => {
            if !quiet {
                for p in &r.written {
                    println!("wrote   {}", p.display());
                }
                for p in &r.removed {
                    println!("removed {}", p.display());
                }
                println!(
                    "{} files: {} written, {} unchanged, {} removed",
                    files.len(),
                    r.written.len(),
                    r.unchanged,
                    r.removed.len()
                );
            }
            OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            CANNOT_RUN
        }
    }
}

pub fn schema() -> u8 {
    match emit::to_json(&avspec::json_schema()) {
        Ok(s) => {
            print!("{s}");
            OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            CANNOT_RUN
        }
    }
}
