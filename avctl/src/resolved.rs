//! The one stage every command starts from: load the spec, apply overlays, expand the SLOs
//! into their rules, alerts and dashboard row (`Resolved`), then index it once and collect
//! every finding (`Checked`), with one gate that decides whether the spec may be used.

use crate::emit;
use crate::grafana_check::{self, GrafanaSchemas};
use avspec::check::code;
use avspec::index::Index;
use avspec::{Diagnostic, Format, Severity, SourceMap, Spec};
use std::path::{Path, PathBuf};

/// Options every subcommand shares.
#[derive(Debug)]
pub struct Ctx {
    pub spec: PathBuf,
    pub grafana_schemas: Option<PathBuf>,
    /// Overlays applied in order after loading.
    pub overlays: Vec<PathBuf>,
}

/// The spec loaded, overlaid and expanded, with the findings of loading.
#[derive(Debug)]
pub struct Resolved {
    pub sources: SourceMap,
    /// The spec as written (overlays applied), for summaries.
    pub written: Option<Spec>,
    /// The spec as generated: with what the SLOs expand to. Checks and generators use this.
    pub spec: Option<Spec>,
    /// Findings of loading and overlaying.
    pub load_findings: Vec<Diagnostic>,
}

impl Resolved {
    pub fn load(ctx: &Ctx) -> Self {
        let mut loaded = avspec::load_dir(&ctx.spec);
        avspec::overlay::apply_files(&mut loaded, &ctx.overlays);
        Self::from_loaded(loaded)
    }

    pub fn from_loaded(loaded: avspec::Loaded) -> Self {
        let spec = loaded.spec.as_ref().map(crate::slo::expand);
        Self { sources: loaded.sources, written: loaded.spec, spec, load_findings: loaded.diagnostics }
    }

    /// [`Resolved::check`] with the command's schemas; when there are none, a warning says
    /// the dashboards went unchecked and how to get the schemas.
    pub fn check_for(&self, ctx: &Ctx) -> Checked<'_> {
        let mut checked = self.check(ctx.grafana_schemas.as_deref());
        if ctx.grafana_schemas.is_none() && self.spec.is_some() {
            let looked = grafana_check::default_dir(&ctx.spec);
            checked.findings.push(
                Diagnostic::warning(
                    code::GRAFANA_SCHEMAS_MISSING,
                    avspec::Loc::default(),
                    format!(
                        "dashboards were not checked against Grafana's JSON Schemas: none at `{}`",
                        looked.display()
                    ),
                )
                .with_help(
                    "run `bash scripts/setup.sh` (derives them from npm @grafana/schema), or pass \
                     --grafana-schemas DIR / set AVCTL_GRAFANA_SCHEMAS",
                ),
            );
        }
        checked
    }

    /// Indexes the expanded spec once and runs every check on it; with Grafana schemas, also
    /// checks the dashboards it generates.
    pub fn check(&self, grafana_schemas: Option<&Path>) -> Checked<'_> {
        let mut findings = self.load_findings.clone();
        let index = self.spec.as_ref().map(Index::new);
        if let Some(index) = &index {
            findings.extend(avspec::check::check(index));
            let records = crate::validate::record_labels(index, &self.sources);
            findings.extend(crate::validate::validate_with(index, &self.sources, &records));
            findings.extend(crate::routing::lints(index, &self.sources, &records));
            if let Some(dir) = grafana_schemas {
                findings.extend(grafana_findings(index, dir));
            }
        }
        avspec::diag::sort(&mut findings);
        Checked { resolved: self, index, findings }
    }
}

/// A resolved spec, indexed, with all its findings (sorted).
#[derive(Debug)]
pub struct Checked<'a> {
    pub resolved: &'a Resolved,
    pub index: Option<Index<'a>>,
    pub findings: Vec<Diagnostic>,
}

impl Checked<'_> {
    /// Findings that forbid using the spec: errors the spec does not suppress.
    pub fn blocking(&self) -> impl Iterator<Item = &Diagnostic> {
        self.findings.iter().filter(|d| d.severity == Severity::Error && d.suppressed.is_none())
    }

    /// The index, when the spec loaded and nothing blocks it; otherwise prints the findings
    /// and `error: the spec has errors; {consequence}` and returns `None`.
    pub fn usable(&self, consequence: &str) -> Option<&Index<'_>> {
        match &self.index {
            Some(index) if self.blocking().next().is_none() => Some(index),
            _ => {
                eprint!("{}", avspec::diag::render(&self.findings, &self.resolved.sources, Format::Text));
                eprintln!("error: the spec has errors; {consequence}");
                None
            }
        }
    }
}

fn grafana_findings(index: &Index<'_>, dir: &Path) -> Vec<Diagnostic> {
    let schemas = match GrafanaSchemas::load(dir) {
        Ok(s) => s,
        Err(e) => return vec![Diagnostic::error(code::SPEC_IO, avspec::Loc::default(), e)],
    };
    let mut out = grafana_check::check_units(index, &schemas);
    for d in &index.spec.dashboards {
        let json = serde_json::to_value(emit::grafana::dashboard(index, d)).unwrap_or_default();
        // Units are reported once, at the spec (check_units), rather than again in the JSON.
        let found = schemas.check(&format!("{}.json", d.uid.value), &json);
        out.extend(found.into_iter().filter(|f| f.code != code::GRAFANA_UNKNOWN_UNIT));
    }
    out
}
