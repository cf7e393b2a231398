//! The subcommands. Exit codes: 0 success, 1 findings or drift, 2 could not run.

use avspec::check::code;
pub mod render;
pub mod test;

use crate::emit::{self, GenOptions};
use crate::output::{self, DriftKind};
pub use crate::resolved::Ctx;
use crate::resolved::Resolved;
use avspec::{Diagnostic, Format, Severity, Spec};
use std::path::Path;

pub const OK: u8 = 0;
pub const FINDINGS: u8 = 1;
pub const CANNOT_RUN: u8 = 2;

/// Every finding for a loaded spec, as `validate` reports them (for tests and tools that
/// load specs from memory).
pub fn check_loaded(loaded: &avspec::Loaded, grafana_schemas: Option<&Path>) -> Vec<Diagnostic> {
    Resolved::from_loaded(loaded.clone()).check(grafana_schemas).findings
}

/// `avctl validate`. In text, notes (severity info) are counted on one line unless `notes`
/// asks for them; machine formats always carry every finding.
pub fn validate(ctx: &Ctx, format: Format, deny_warnings: bool, notes: bool) -> u8 {
    let resolved = Resolved::load(ctx);
    let checked = resolved.check_for(ctx);
    let diags = &checked.findings;
    let shown: Vec<Diagnostic> = if format == Format::Text && !notes {
        diags.iter().filter(|d| d.severity != Severity::Info || d.suppressed.is_some()).cloned().collect()
    } else {
        diags.clone()
    };
    print!("{}", avspec::diag::render(&shown, &resolved.sources, format));
    let (errors, warnings, infos) = avspec::diag::counts(diags);
    let suppressed = diags.iter().filter(|d| d.suppressed.is_some()).count();
    if format == Format::Text {
        if let Some(spec) = &resolved.written {
            eprintln!("{}", summary(spec));
        }
        let hint = if infos > 0 && !notes { " (--notes lists them)" } else { "" };
        eprintln!("{errors} errors, {warnings} warnings, {infos} notes{hint}, {suppressed} suppressed");
    }
    if diags.iter().any(|d| d.code == code::SPEC_IO) {
        return CANNOT_RUN;
    }
    if errors > 0 || (deny_warnings && warnings > 0) { FINDINGS } else { OK }
}

/// One line describing what the spec holds, as written (before the SLOs are expanded).
pub fn summary(spec: &Spec) -> String {
    let metrics = |kind: Option<avspec::SourceKind>| -> usize {
        let mut names: Vec<&str> = spec
            .sources
            .iter()
            .filter(|s| kind.is_none_or(|k| s.kind.value == k))
            .flat_map(|s| s.metrics.iter().map(|m| m.name.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    };
    let app = metrics(Some(avspec::SourceKind::Application));
    let all = metrics(None);
    let panels: usize = spec.dashboards.iter().flat_map(|d| &d.rows).map(|r| r.panels.len()).sum();
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
        spec.services().len(),
    )
}

pub fn explain(code: &str) -> u8 {
    match avspec::check::explain(code) {
        Some(info) => {
            println!("{}\n\n{}\n\nWhy: {}", info.code, info.summary, info.why);
            OK
        }
        None => {
            let known = avspec::check::CODES.iter().map(|c| c.code.as_str());
            let hint = avspec::suggest::closest(code, known)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            eprintln!("error: unknown diagnostic code `{code}`{hint}");
            CANNOT_RUN
        }
    }
}

pub fn generate(ctx: &Ctx, out: &Path, check: bool, quiet: bool, opts: &GenOptions) -> u8 {
    let resolved = Resolved::load(ctx);
    let checked = resolved.check_for(ctx);
    let Some(index) = checked.usable("nothing was generated") else {
        return CANNOT_RUN;
    };
    let files = match emit::generate_all(index, opts) {
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
