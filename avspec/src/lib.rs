//! AutoVoice observability spec: the model, a loader that keeps source spans, and the semantic
//! checks both `avctl` and the daemon rely on.

pub mod check;
pub mod diag;
pub mod duration;
pub mod index;
pub mod load;
pub mod model;
pub mod source;
pub mod span;
pub mod suggest;

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
