//! AutoVoice observability spec: the model, a loader that keeps source spans, and the semantic
//! checks both `avctl` and the daemon rely on.

pub mod check;
pub mod codes;
pub mod diag;
pub mod duration;
pub mod index;
pub mod load;
pub mod model;
pub mod overlay;
pub mod source;
pub mod span;
pub mod suggest;
pub mod yaml_pos;

pub use diag::{Diagnostic, Format, Severity};
pub use duration::PromDuration;
pub use load::{Loaded, load_dir, load_texts};
pub use model::*;
pub use source::SourceMap;
pub use span::{Loc, Sp};

/// JSON Schema of one spec file, for editors (`# yaml-language-server: $schema=...`).
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(model::SpecFile)).unwrap_or_default()
}

/// Helpers shared by the fixture tests of `avspec` and `avctl`.
pub mod testing {
    /// The `# expect: CODE LINE:COL` lines of a fixture, in order.
    pub fn expectations(text: &str) -> Vec<(String, u32, u32)> {
        text.lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .filter_map(|e| {
                let (code, pos) = e.trim().split_once(' ')?;
                let (line, col) = pos.split_once(':')?;
                Some((code.to_owned(), line.parse().ok()?, col.parse().ok()?))
            })
            .collect()
    }
}
