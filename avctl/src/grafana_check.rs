//! Checks generated dashboards against Grafana's JSON Schemas: the dashboard, each panel by
//! kind, each panel type's options and custom field config, each Prometheus target, and every
//! unit id. `scripts/grafana-schemas.sh` derives them from Grafana's npm packages into
//! `.tools/grafana-schemas/<version>/`, where `avctl` looks by default (`--grafana-schemas` or
//! `AVCTL_GRAFANA_SCHEMAS` point elsewhere, e.g. at grafana-foundation-sdk's `jsonschema/`).

use avspec::Diagnostic;
use avspec::check::code;
use avspec::index::Index;
use jsonschema::Validator;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The Grafana version whose schemas `scripts/grafana-schemas.sh` derives: the one the compose
/// stack runs.
pub const SCHEMA_VERSION: &str = "10.4.2";

/// Where the setup script leaves the schemas for the spec directory `spec`:
/// `<spec>/../.tools/grafana-schemas/<version>`.
pub fn default_dir(spec: &Path) -> std::path::PathBuf {
    let root = spec.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    root.join(".tools/grafana-schemas").join(SCHEMA_VERSION)
}

/// Compiled validators for the parts of a dashboard.
pub struct GrafanaSchemas {
    dashboard: Validator,
    panel: Validator,
    row: Validator,
    target: Validator,
    /// Per panel type: options validator and, where the type has one, custom field config.
    types: BTreeMap<String, (Validator, Option<Validator>)>,
    units: BTreeSet<String>,
}

fn read(dir: &Path, name: &str) -> Result<Value, String> {
    let path = dir.join(name);
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("`{}` is not JSON: {e}", path.display()))
}

/// A validator for one definition of a schema document (its `$ref` pointed at the definition).
fn definition(doc: &Value, def: &str) -> Result<Validator, String> {
    definition_of(doc, &[def])
}

/// A validator for the first of `defs` the document defines (names differ between the
/// foundation SDK's schemas and those derived from `@grafana/schema`).
fn definition_of(doc: &Value, defs: &[&str]) -> Result<Validator, String> {
    let Some(def) = defs.iter().find(|d| doc.pointer(&format!("/definitions/{d}")).is_some()) else {
        return Err(format!("the schema defines none of {}", defs.join(", ")));
    };
    let mut schema = doc.clone();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("$ref".to_owned(), Value::String(format!("#/definitions/{def}")));
    }
    jsonschema::draft7::new(&schema).map_err(|e| format!("schema definition `{def}` does not compile: {e}"))
}

fn collect_consts(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(s)) = m.get("const") {
                out.insert(s.clone());
            }
            if let Some(Value::Array(items)) = m.get("enum") {
                out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_owned)));
            }
            m.values().for_each(|x| collect_consts(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_consts(x, out)),
        _ => {}
    }
}

impl GrafanaSchemas {
    pub fn load(dir: &Path) -> Result<Self, String> {
        let dash = read(dir, "dashboard.jsonschema.json")?;
        let mut types = BTreeMap::new();
        for t in ["timeseries", "stat", "gauge"] {
            let doc = read(dir, &format!("{t}.jsonschema.json"))?;
            let has_fc = doc.pointer("/definitions/FieldConfig").is_some();
            let fc = if has_fc { Some(definition(&doc, "FieldConfig")?) } else { None };
            types.insert(t.to_owned(), (definition(&doc, "Options")?, fc));
        }
        let mut units = BTreeSet::new();
        collect_consts(&read(dir, "units.jsonschema.json")?, &mut units);
        Ok(Self {
            dashboard: definition(&dash, "Dashboard")?,
            panel: definition(&dash, "Panel")?,
            row: definition(&dash, "RowPanel")?,
            target: definition_of(
                &read(dir, "prometheus.jsonschema.json")?,
                &["Dataquery", "PrometheusDataQuery"],
            )
            .map_err(|e| format!("prometheus.jsonschema.json: {e}"))?,
            types,
            units,
        })
    }

    pub fn is_unit(&self, unit: &str) -> bool {
        self.units.contains(unit)
    }

    pub fn units(&self) -> impl Iterator<Item = &str> {
        self.units.iter().map(String::as_str)
    }

    /// Every schema violation in one dashboard, as `file pointer: message` findings.
    pub fn check(&self, file: &str, dash: &Value) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let report = |out: &mut Vec<Diagnostic>, validator: &Validator, v: &Value, at: &str| {
            for e in validator.iter_errors(v) {
                out.push(Diagnostic::error(
                    code::GRAFANA_SCHEMA,
                    avspec::Loc::default(),
                    format!("{file}: {at}{}: {e}", e.instance_path()),
                ));
            }
        };
        report(&mut out, &self.dashboard, dash, "");
        let panels = dash.get("panels").and_then(Value::as_array).cloned().unwrap_or_default();
        for (i, p) in panels.iter().enumerate() {
            let at = format!("/panels/{i}");
            let kind = p.get("type").and_then(Value::as_str).unwrap_or_default();
            if kind == "row" {
                report(&mut out, &self.row, p, &at);
                continue;
            }
            report(&mut out, &self.panel, p, &at);
            match self.types.get(kind) {
                Some((options, custom)) => {
                    report(
                        &mut out,
                        options,
                        p.get("options").unwrap_or(&Value::Null),
                        &format!("{at}/options"),
                    );
                    let c = p.pointer("/fieldConfig/defaults/custom").cloned().unwrap_or(Value::Null);
                    match custom {
                        Some(v) => report(&mut out, v, &c, &format!("{at}/fieldConfig/defaults/custom")),
                        None if c.as_object().is_some_and(|m| !m.is_empty()) => out.push(Diagnostic::error(
                            code::GRAFANA_SCHEMA,
                            avspec::Loc::default(),
                            format!("{file}: {at}/fieldConfig/defaults/custom: `{kind}` panels take no custom field config"),
                        )),
                        None => {}
                    }
                }
                None => out.push(Diagnostic::error(
                    code::GRAFANA_UNKNOWN_PANEL_TYPE,
                    avspec::Loc::default(),
                    format!("{file}: {at}: unknown panel type `{kind}`"),
                )),
            }
            for (j, t) in p.get("targets").and_then(Value::as_array).into_iter().flatten().enumerate() {
                report(&mut out, &self.target, t, &format!("{at}/targets/{j}"));
            }
            if let Some(unit) = p.pointer("/fieldConfig/defaults/unit").and_then(Value::as_str)
                && !self.is_unit(unit)
            {
                out.push(Diagnostic::error(
                    code::GRAFANA_UNKNOWN_UNIT,
                    avspec::Loc::default(),
                    format!("{file}: {at}: unknown unit `{unit}`"),
                ));
            }
        }
        out
    }
}

/// Spec-located unit findings: each panel's `unit:` must be a Grafana unit id.
pub fn check_units(index: &Index<'_>, schemas: &GrafanaSchemas) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (_, p) in index.panels() {
        if let Some(u) = &p.unit
            && !schemas.is_unit(u)
        {
            out.push(
                Diagnostic::error(
                    code::GRAFANA_UNKNOWN_UNIT,
                    u.loc,
                    format!("`{}` is not a Grafana unit id", u.value),
                )
                .with_suggestion(u, schemas.units()),
            );
        }
    }
    out
}
