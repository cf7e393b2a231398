//! Reuse of the previous output's unit tests: synthesizing them simulates every alert, which
//! costs far more than the rest of `generate`, yet their result depends only on the alerting
//! rules, the metric and label model and the synthesizer's own code.
//!
//! Each test file carries `# avctl-test-inputs: <key> files=<n> body=<sha256>`. When every
//! file in the prior test directory carries the current key, the count matches and each body
//! still hashes to what was recorded (so a hand edit is never carried over), the files are
//! reused byte for byte; otherwise everything is synthesized afresh.

use avspec::Spec;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The synthesizer's sources: a change to any of them invalidates every cached test.
const SYNTH_SOURCES: &[&str] = &[
    include_str!("../promql/binop.rs"),
    include_str!("../promql/eval.rs"),
    include_str!("../promql/value.rs"),
    include_str!("../promtest/alerts.rs"),
    include_str!("../promtest/case.rs"),
    include_str!("../promtest/render.rs"),
    include_str!("../promtest/series.rs"),
    include_str!("../promtest/simulate.rs"),
    include_str!("../promtest/slo_cases.rs"),
    include_str!("promtool_tests.rs"),
    include_str!("promtool_cache.rs"),
];

const MARK: &str = "# avctl-test-inputs: ";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        // Length-prefixed, so moving bytes between parts changes the hash.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex(&h.finalize())
}

/// The key of everything the tests depend on, for a spec already expanded with its SLO rules.
pub fn key(spec: &Spec) -> Result<String, String> {
    let model = serde_json::to_vec(&(
        &spec.project,
        &spec.labels,
        &spec.sources,
        &spec.alerts,
        &spec.recording_rules,
        &spec.slos,
        &spec.prometheus,
    ))
    .map_err(|e| format!("cannot serialize the spec for the test cache: {e}"))?;
    let mut parts: Vec<&[u8]> = vec![env!("CARGO_PKG_VERSION").as_bytes(), &model];
    parts.extend(SYNTH_SOURCES.iter().map(|s| s.as_bytes()));
    Ok(sha(&parts))
}

/// Inserts the cache line after the generated-file header (the first line).
pub fn stamp(contents: &str, key: &str, files: usize) -> String {
    let (header, body) = contents.split_once('\n').unwrap_or((contents, ""));
    let body_sha = sha(&[body.as_bytes()]);
    format!("{header}\n{MARK}{key} files={files} body={body_sha}\n{body}")
}

/// The test files found in `dir` when all of them were generated from `key` and none was
/// edited since; `None` means synthesize.
pub fn reuse(dir: &Path, key: &str) -> Option<Vec<(String, String)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name().to_str()?.to_owned();
        if !name.ends_with(".test.yml") {
            continue;
        }
        let contents = std::fs::read_to_string(entry.path()).ok()?;
        files.push((name, contents));
    }
    if files.is_empty() {
        return None;
    }
    for (_, contents) in &files {
        let mut lines = contents.splitn(3, '\n');
        let (_header, mark, body) = (lines.next()?, lines.next()?, lines.next().unwrap_or(""));
        let rest = mark.strip_prefix(MARK)?;
        let mut fields = rest.split(' ');
        let (k, n, b) = (fields.next()?, fields.next()?, fields.next()?);
        let ok = k == key
            && n.strip_prefix("files=")?.parse::<usize>().ok()? == files.len()
            && b.strip_prefix("body=")? == sha(&[body.as_bytes()]);
        if !ok {
            return None;
        }
    }
    files.sort();
    Some(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).expect("write");
    }

    #[test]
    fn reuses_only_untouched_complete_sets_with_the_same_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = stamp("# header\nrule_files: [a]\n", "k1", 2);
        let b = stamp("# header\nrule_files: [b]\n", "k1", 2);
        write(dir.path(), "a.test.yml", &a);
        write(dir.path(), "b.test.yml", &b);
        let got = reuse(dir.path(), "k1").expect("reused");
        assert_eq!(got, vec![("a.test.yml".to_owned(), a.clone()), ("b.test.yml".to_owned(), b.clone())]);
        // Another key: the inputs changed.
        assert!(reuse(dir.path(), "k2").is_none());
        // A hand edit of a body.
        write(dir.path(), "b.test.yml", &b.replace("[b]", "[c]"));
        assert!(reuse(dir.path(), "k1").is_none());
        // A deleted file: the recorded count no longer matches.
        std::fs::remove_file(dir.path().join("b.test.yml")).expect("rm");
        assert!(reuse(dir.path(), "k1").is_none());
        // No stamp at all.
        write(dir.path(), "a.test.yml", "# header\nrule_files: [a]\n");
        assert!(reuse(dir.path(), "k1").is_none());
        // Nothing there.
        assert!(reuse(&dir.path().join("missing"), "k1").is_none());
    }

    #[test]
    fn stamp_keeps_the_header_first_and_the_body_intact() {
        let s = stamp("# header\nbody: 1\n", "abc", 3);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "# header");
        assert!(lines[1].starts_with("# avctl-test-inputs: abc files=3 body="), "{s}");
        assert_eq!(lines[2], "body: 1");
    }
}
