//! Reads spec files, turns YAML and shape errors into located diagnostics, and merges the files
//! into one [`Spec`].

use crate::check::code;
use crate::diag::Diagnostic;
use crate::model::{Spec, SpecFile};
use crate::source::SourceMap;
use crate::span::{FileId, Loc, with_current_file};
use std::path::{Path, PathBuf};

/// The outcome of loading: the merged spec (when every file parsed), the sources for rendering,
/// and every finding met on the way.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub spec: Option<Spec>,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// Spec files under `dir`, recursively, sorted; `overlays/` holds overlays, not spec files.
pub fn spec_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "overlays") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Loads every spec file under `dir`. A missing or unreadable directory is a diagnostic too.
pub fn load_dir(dir: &Path) -> Loaded {
    let mut loaded = Loaded::default();
    let files = match spec_files(dir) {
        Ok(f) if f.is_empty() => {
            loaded.diagnostics.push(
                Diagnostic::error(
                    code::SPEC_IO,
                    Loc::default(),
                    format!("no spec files (*.yaml) found in `{}`", dir.display()),
                )
                .with_help("pass the spec directory with --spec DIR"),
            );
            return loaded;
        }
        Ok(f) => f,
        Err(e) => {
            loaded.diagnostics.push(Diagnostic::error(
                code::SPEC_IO,
                Loc::default(),
                format!("cannot read spec directory `{}`: {e}", dir.display()),
            ));
            return loaded;
        }
    };
    let mut parsed = Vec::new();
    for path in files {
        let shown = display_path(dir, &path);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let id = loaded.sources.add(shown, text);
                let text = loaded.sources.get(id).map(|f| f.text.clone()).unwrap_or_default();
                match parse_file(id, &text) {
                    Ok(f) => parsed.push((id, f)),
                    Err(d) => loaded.diagnostics.push(d),
                }
            }
            Err(e) => loaded.diagnostics.push(Diagnostic::error(
                code::SPEC_IO,
                Loc::default(),
                format!("cannot read `{shown}`: {e}"),
            )),
        }
    }
    if loaded.diagnostics.is_empty() {
        let (spec, diags) = merge(parsed);
        loaded.diagnostics.extend(diags);
        loaded.spec = spec;
    }
    loaded
}

/// Loads a spec given as in-memory files `(name, text)`: for tests and the synthetic benchmark.
pub fn load_texts(files: &[(String, String)]) -> Loaded {
    let mut loaded = Loaded::default();
    let mut parsed = Vec::new();
    for (name, text) in files {
        let id = loaded.sources.add(name.clone(), text.clone());
        match parse_file(id, text) {
            Ok(f) => parsed.push((id, f)),
            Err(d) => loaded.diagnostics.push(d),
        }
    }
    if loaded.diagnostics.is_empty() {
        let (spec, diags) = merge(parsed);
        loaded.diagnostics.extend(diags);
        loaded.spec = spec;
    }
    loaded
}

fn display_path(dir: &Path, path: &Path) -> String {
    let base = dir.parent().unwrap_or(dir);
    path.strip_prefix(base).unwrap_or(path).display().to_string()
}

/// Parses one file. Duplicate keys and unknown fields are errors; the error is located.
pub fn parse_file(id: FileId, text: &str) -> Result<SpecFile, Diagnostic> {
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        with_snippet: false,
    };
    // An empty file (or one holding only comments) is an empty spec file, not an error.
    if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        return Ok(SpecFile::default());
    }
    with_current_file(id, || serde_saphyr::from_str_with_options::<SpecFile>(text, options))
        .map_err(|e| yaml_error(id, text, &e))
}

pub(crate) fn yaml_error(id: FileId, text: &str, e: &serde_saphyr::Error) -> Diagnostic {
    let mut loc = e.location().map_or(Loc::new(id, 1, 1, 1), |l| {
        let c = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        Loc::new(id, c(l.line()), c(l.column()), c(l.span().len().max(1)))
    });
    let msg = strip_prefix(&e.to_string());
    if msg.starts_with("missing field `") {
        // The parser reports the mapping's last key; the user looks for the mapping itself.
        let (line, column) = crate::yaml_pos::mapping_start(text, loc.line, loc.column);
        let len = text.lines().nth((line as usize).saturating_sub(1)).map_or(1, |l| key_len(l, column));
        loc = Loc::new(id, line, column, len);
    }
    classify(loc, &msg)
}

/// The length of the key starting at 1-based `column`, for the caret under it.
fn key_len(line: &str, column: u32) -> u32 {
    let key =
        line.chars().skip((column as usize).saturating_sub(1)).take_while(|c| !matches!(c, ':' | ',' | '}'));
    u32::try_from(key.count()).unwrap_or(1).max(1)
}

/// serde-saphyr prefixes messages with "error: line L column C: "; the location is ours to show.
fn strip_prefix(msg: &str) -> String {
    let m = msg.trim().strip_prefix("error: ").unwrap_or(msg.trim());
    let m = match m.strip_prefix("line ") {
        Some(rest) => rest.split_once(": ").map_or(m, |(_, r)| r),
        None => m,
    };
    let m = m.lines().next().unwrap_or(m);
    // Some messages repeat the position at the end ("... at line 4, column 27").
    let m = match m.rfind(" at line ") {
        Some(i) if m[i..].contains(", column ") => &m[..i],
        _ => m,
    };
    m.to_owned()
}

fn classify(loc: Loc, msg: &str) -> Diagnostic {
    if let Some((found, expected)) = parse_unknown(msg, "unknown field `") {
        let list = expected.join(", ");
        return Diagnostic::error(code::SPEC_UNKNOWN_FIELD, loc, format!("unknown key `{found}`"))
            .with_help(suggest_or_list(&found, &expected, &list));
    }
    if let Some((found, expected)) = parse_unknown(msg, "unknown variant `") {
        let list = expected.join(", ");
        return Diagnostic::error(code::SPEC_INVALID_VALUE, loc, format!("unknown value `{found}`"))
            .with_help(suggest_or_list(&found, &expected, &list));
    }
    if msg.starts_with("expected end of mapping after enum variant") {
        return Diagnostic::error(code::SPEC_INVALID_VALUE, loc, "only one choice may be given here")
            .with_help("this key takes exactly one of its options (for a domain: `values`, `max`, `scrape_jobs` or `unbounded`)");
    }
    if let Some(rest) = msg.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return Diagnostic::error(code::SPEC_DUPLICATE_KEY, loc, format!("duplicate key `{key}`"))
            .with_help("each key may appear once in a mapping; remove or merge the repeated entry");
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return Diagnostic::error(
            code::SPEC_MISSING_FIELD,
            loc,
            format!("missing required key `{field}` in the mapping that starts here"),
        )
        .with_help(format!("add `{field}:` to this mapping"));
    }
    if msg.contains("duration") {
        return Diagnostic::error(code::SPEC_INVALID_DURATION, loc, msg.to_owned());
    }
    if msg.starts_with("invalid type")
        || msg.starts_with("invalid value")
        || msg.starts_with("invalid floating")
        || msg.starts_with("invalid integer")
        || msg.starts_with("invalid length")
        || msg.starts_with("expected")
    {
        return Diagnostic::error(code::SPEC_INVALID_TYPE, loc, msg.to_owned());
    }
    Diagnostic::error(code::SPEC_YAML_SYNTAX, loc, msg.to_owned())
        .with_help("the file is not valid YAML at this point")
}

fn suggest_or_list(found: &str, expected: &[String], list: &str) -> String {
    match crate::suggest::closest(found, expected.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`? expected one of: {list}"),
        None => format!("expected one of: {list}"),
    }
}

/// Splits serde's "unknown field `x`, expected one of `a`, `b`" into (x, [a, b]).
fn parse_unknown(msg: &str, prefix: &str) -> Option<(String, Vec<String>)> {
    let rest = msg.strip_prefix(prefix)?;
    let (found, tail) = rest.split_once('`')?;
    let list = tail
        .trim_start_matches(',')
        .trim()
        .trim_start_matches("expected one of")
        .trim_start_matches("expected")
        .trim_start_matches("there are no fields");
    let expected =
        list.split(',').map(|s| s.trim().trim_matches('`').to_owned()).filter(|s| !s.is_empty()).collect();
    Some((found.to_owned(), expected))
}

fn merge(files: Vec<(FileId, SpecFile)>) -> (Option<Spec>, Vec<Diagnostic>) {
    let mut spec = Spec::default();
    let mut diags = Vec::new();
    let mut project_seen = None;
    let mut prom_seen = None;
    let mut stack_seen = None;
    let mut alerting_seen = None;
    let mut kubernetes_seen = None;
    for (id, f) in files {
        if let Some(p) = f.project {
            singleton("project", &mut project_seen, p.name.loc, &mut diags);
            spec.project = p;
        }
        if let Some(p) = f.prometheus {
            singleton("prometheus", &mut prom_seen, p.scrape_interval.loc, &mut diags);
            spec.prometheus = p;
        }
        if let Some(s) = f.stack {
            singleton("stack", &mut stack_seen, s.network.loc, &mut diags);
            spec.stack = Some(s);
        }
        if let Some(a) = f.alertmanager {
            let at = a.receivers.first().map_or(Loc::default(), |r| r.name.loc);
            singleton("alertmanager", &mut alerting_seen, at, &mut diags);
            spec.alertmanager = Some(a);
        }
        if let Some(k) = f.kubernetes {
            singleton("kubernetes", &mut kubernetes_seen, k.namespace.loc, &mut diags);
            spec.kubernetes = Some(k);
        }
        spec.labels.extend(f.labels);
        spec.sources.extend(f.sources);
        spec.alerts.extend(f.alerts);
        spec.recording_rules.extend(f.recording_rules);
        spec.slos.extend(f.slos);
        spec.datasources.extend(f.datasources);
        spec.dashboards.extend(f.dashboards);
        let _ = id;
    }
    // Deployment targets (`stack:` for compose, `kubernetes:`) are optional: a spec may declare
    // either, both, or neither (rules and dashboards only).
    let missing = [("project", project_seen), ("prometheus", prom_seen)];
    for (name, seen) in missing {
        if seen.is_none() {
            diags.push(
                Diagnostic::error(
                    code::SPEC_MISSING_SECTION,
                    Loc::default(),
                    format!("no file defines `{name}:`"),
                )
                .with_help(format!("add a `{name}:` section to one spec file")),
            );
        }
    }
    if diags.is_empty() { (Some(spec), diags) } else { (None, diags) }
}

fn singleton(name: &str, seen: &mut Option<Loc>, loc: Loc, diags: &mut Vec<Diagnostic>) {
    if let Some(first) = seen {
        diags.push(
            Diagnostic::error(
                code::SPEC_DUPLICATE_SECTION,
                loc,
                format!("`{name}:` is defined in more than one file"),
            )
            .with_help(format!("first defined at line {} of another file; keep one", first.line)),
        );
    } else {
        *seen = Some(loc);
    }
}
