//! Writing generated files atomically, and `--check`: compare without writing, with diffs.

use crate::emit::compose::COMPOSE_FILE;
use crate::emit::{GENERATED, OutFile, yaml_header};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What `write` did, for the summary line.
#[derive(Debug, Default)]
pub struct WriteReport {
    pub written: Vec<PathBuf>,
    pub unchanged: usize,
    pub removed: Vec<PathBuf>,
}

/// Files under `root/generated` that the new output no longer contains, and a generated
/// `docker-compose.yml` once the spec has no `stack:` (a hand-written one is never touched).
fn stale(root: &Path, files: &[OutFile]) -> Vec<PathBuf> {
    let keep: BTreeSet<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    let mut out = Vec::new();
    let compose = Path::new(COMPOSE_FILE);
    if !keep.contains(compose)
        && std::fs::read_to_string(root.join(compose)).is_ok_and(|t| t.starts_with(&yaml_header()))
    {
        out.push(compose.to_path_buf());
    }
    let mut stack = vec![root.join(GENERATED)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(root)
                && !keep.contains(rel)
            {
                out.push(rel.to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Writes every file: all contents go to a staging directory first, then each file is renamed
/// into place, so a failure while staging leaves the previous output untouched and no reader
/// ever sees a half-written file. Files in `generated/` the spec no longer produces are removed.
pub fn write(root: &Path, files: &[OutFile]) -> Result<WriteReport, String> {
    let staging = root.join(format!(".avctl-staging-{}", std::process::id()));
    let result = stage_and_commit(root, &staging, files);
    let _ = std::fs::remove_dir_all(&staging);
    result
}

fn stage_and_commit(root: &Path, staging: &Path, files: &[OutFile]) -> Result<WriteReport, String> {
    let err = |p: &Path, e: std::io::Error| format!("cannot write `{}`: {e}", p.display());
    let mut report = WriteReport::default();
    let mut changed = Vec::new();
    for f in files {
        let target = root.join(&f.path);
        if std::fs::read_to_string(&target).is_ok_and(|old| old == f.contents) {
            report.unchanged += 1;
            continue;
        }
        let tmp = staging.join(&f.path);
        if let Some(parent) = tmp.parent() {
            std::fs::create_dir_all(parent).map_err(|e| err(parent, e))?;
        }
        std::fs::write(&tmp, &f.contents).map_err(|e| err(&tmp, e))?;
        changed.push((tmp, target, f.path.clone()));
    }
    for (tmp, target, rel) in changed {
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| err(parent, e))?;
        }
        std::fs::rename(&tmp, &target).map_err(|e| err(&target, e))?;
        report.written.push(rel);
    }
    for rel in stale(root, files) {
        std::fs::remove_file(root.join(&rel)).map_err(|e| err(&rel, e))?;
        report.removed.push(rel);
    }
    Ok(report)
}

/// One file that differs from what the spec generates.
#[derive(Debug)]
pub struct Drift {
    pub path: PathBuf,
    pub kind: DriftKind,
}

#[derive(Debug)]
pub enum DriftKind {
    Missing,
    Stale,
    Changed { diff: String },
}

/// Compares the output with what is on disk; writes nothing.
pub fn check(root: &Path, files: &[OutFile]) -> Vec<Drift> {
    let mut out = Vec::new();
    for f in files {
        match std::fs::read_to_string(root.join(&f.path)) {
            Err(_) => out.push(Drift { path: f.path.clone(), kind: DriftKind::Missing }),
            Ok(old) if old != f.contents => {
                out.push(Drift {
                    path: f.path.clone(),
                    kind: DriftKind::Changed { diff: short_diff(&old, &f.contents) },
                });
            }
            Ok(_) => {}
        }
    }
    out.extend(stale(root, files).into_iter().map(|path| Drift { path, kind: DriftKind::Stale }));
    out
}

/// A unified diff limited to 40 lines so CI logs stay readable.
fn short_diff(old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff.unified_diff().context_radius(2).header("on disk", "generated").to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > 40 {
        format!("{}\n... ({} more diff lines)\n", lines[..40].join("\n"), lines.len() - 40)
    } else {
        text
    }
}
