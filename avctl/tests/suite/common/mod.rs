//! Helpers shared by the avctl integration tests: run the binary, copy trees, temp dirs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repo root")
}

/// Grafana's JSON Schemas: `AVCTL_GRAFANA_SCHEMAS`, else where scripts/setup.sh derives them
/// from the npm registry (`.tools/grafana-schemas/<version>`).
pub fn grafana_schemas() -> PathBuf {
    std::env::var_os("AVCTL_GRAFANA_SCHEMAS")
        .map_or_else(|| avctl::grafana_check::default_dir(&repo().join("specs")), PathBuf::from)
}

pub fn avctl(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_avctl"))
        .args(args)
        .current_dir(cwd)
        .env_remove("AVCTL_SPEC")
        .env_remove("AVCTL_GRAFANA_SCHEMAS")
        .output()
        .expect("run avctl")
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("avctl-test-").tempdir().expect("tempdir")
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// Every file under `dir` with its contents, keyed by relative path.
pub fn snapshot_tree(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("rel").display().to_string();
                out.insert(rel, std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    out
}

/// A real tool must be installed (scripts/setup.sh does it); set AVCTL_SKIP_TOOLS=1 to skip
/// the tests that need them on a machine without them.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.is_file()))
        .or_else(|| Some(repo().join(".tools/venv/bin").join(name)).filter(|p| p.is_file()));
    if found.is_none() {
        assert!(
            std::env::var_os("AVCTL_SKIP_TOOLS").is_some(),
            "`{name}` is not installed: run scripts/setup.sh (or set AVCTL_SKIP_TOOLS=1)"
        );
    }
    found
}
