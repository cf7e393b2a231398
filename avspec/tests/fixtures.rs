//! Malformed-spec fixtures: each file under `fixtures/spec/` is loaded on top of a small valid
//! base spec and must report exactly the codes and positions its `# expect:` lines list; the
//! rendered diagnostics are snapshot-tested.

use avspec::{Format, check, diag, load_texts};
use std::path::Path;

const SINGLETONS: [&str; 3] = ["project", "prometheus", "stack"];

fn base_files(fixture: &str) -> Vec<(String, String)> {
    let keep_all = fixture.lines().any(|l| l.trim() == "# keep-base");
    if fixture.lines().any(|l| l.trim() == "# no-base") {
        return Vec::new();
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/base");
    let mut out = Vec::new();
    for name in ["project", "prometheus", "stack", "rest"] {
        let replaced =
            SINGLETONS.contains(&name) && fixture.lines().any(|l| l.starts_with(&format!("{name}:")));
        if keep_all || !replaced {
            let text = std::fs::read_to_string(dir.join(format!("{name}.yaml"))).expect("base file");
            out.push((format!("base/{name}.yaml"), text));
        }
    }
    out
}

use avspec::testing::expectations;

/// Loads a fixture and returns its findings, rendered, and as (code, line, col) in the fixture.
pub fn run(path: &Path) -> (String, Vec<(String, u32, u32)>) {
    let text = std::fs::read_to_string(path).expect("fixture");
    let name = format!("fixtures/{}", path.file_name().expect("name").to_string_lossy());
    let mut files = base_files(&text);
    files.push((name.clone(), text));
    let loaded = load_texts(&files);
    let mut diags = loaded.diagnostics.clone();
    if let Some(spec) = &loaded.spec {
        diags.extend(check::check(&avspec::index::Index::new(spec)));
    }
    diag::sort(&mut diags);
    let got = diags
        .iter()
        .map(|d| {
            let in_fixture = loaded.sources.path(d.loc.file) == name;
            let code =
                if d.suppressed.is_some() { format!("{}(suppressed)", d.code) } else { d.code.to_string() };
            if in_fixture { (code, d.loc.line, d.loc.column) } else { (code, 0, 0) }
        })
        .collect();
    (diag::render(&diags, &loaded.sources, Format::Text), got)
}

#[test]
fn every_fixture_reports_exactly_its_expected_findings() {
    insta::glob!("fixtures/spec/*.yaml", |path| {
        let text = std::fs::read_to_string(path).expect("fixture");
        let expected = expectations(&text);
        assert!(!expected.is_empty(), "{} has no `# expect:` line", path.display());
        let (rendered, got) = run(path);
        assert_eq!(got, expected, "{}:\n{rendered}", path.display());
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn the_autovoice_spec_is_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let loaded = avspec::load_dir(&dir);
    let spec = loaded.spec.as_ref().expect("spec loads");
    let diags = check::check(&avspec::index::Index::new(spec));
    assert!(diags.is_empty(), "{}", diag::render(&diags, &loaded.sources, Format::Text));
}

#[test]
fn a_missing_directory_is_an_io_error() {
    let loaded = avspec::load_dir(Path::new("/nonexistent/specs"));
    assert_eq!(loaded.diagnostics.len(), 1);
    assert_eq!(loaded.diagnostics[0].code, "spec/io");
    assert!(loaded.spec.is_none());
}

#[test]
fn every_spec_code_has_a_fixture_and_an_explanation() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec");
    let mut covered = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("fixtures") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("fixture");
        covered.extend(expectations(&text).into_iter().map(|(c, _, _)| c.replace("(suppressed)", "")));
    }
    // spec/io needs a filesystem failure; it is covered by `a_missing_directory_is_an_io_error`.
    let exempt = ["spec/io"];
    for info in avspec::check::CODES {
        assert!(!info.summary.is_empty() && !info.why.is_empty(), "{} has no explanation", info.code);
        if info.code.starts_with("spec/") || info.code.starts_with("naming/") || info.code.starts_with("ref/")
        {
            assert!(
                covered.contains(info.code.as_str()) || exempt.contains(&info.code.as_str()),
                "no fixture reports {}",
                info.code
            );
        }
    }
}

/// Prints every fixture's findings; run with `--ignored --nocapture` when writing a fixture.
#[test]
#[ignore = "helper for writing fixtures"]
fn show_fixture_findings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec");
    let mut paths: Vec<_> = std::fs::read_dir(dir).expect("dir").map(|e| e.expect("e").path()).collect();
    paths.sort();
    for p in paths {
        let (rendered, got) = run(&p);
        println!("=== {}\n{got:?}\n{rendered}", p.display());
    }
}
