//! Source locations: `Sp<T>` carries a value with the file, line and column it came from.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cell::Cell;
use std::fmt;

/// Index of a loaded file in the [`crate::SourceMap`].
pub type FileId = u32;

thread_local! {
    // serde gives a Deserialize impl no context, so the loader publishes the id of the file being
    // parsed here and every `Sp` picks it up. Only the loader sets it, one file at a time.
    static CURRENT_FILE: Cell<FileId> = const { Cell::new(0) };
}

/// Runs `f` with `file` as the file id recorded by every `Sp` deserialized inside it.
pub(crate) fn with_current_file<R>(file: FileId, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT_FILE.with(|c| c.replace(file));
    let out = f();
    CURRENT_FILE.with(|c| c.set(previous));
    out
}

/// A position in a spec file: 1-based line and column (in characters), and the length of the
/// node in characters (at least 1) for carets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub file: FileId,
    pub line: u32,
    pub column: u32,
    pub len: u32,
}

impl Loc {
    pub const fn new(file: FileId, line: u32, column: u32, len: u32) -> Self {
        Self { file, line, column, len }
    }

    /// True for locations synthesized by code rather than read from a file.
    pub fn is_unknown(&self) -> bool {
        self.line == 0
    }
}

/// A value with the location it was read from. Compares and hashes by value only.
#[derive(Clone, Default)]
pub struct Sp<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Sp<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        Self { value, loc }
    }

    /// A value made by code (overlays, defaults): it points nowhere.
    pub fn synthetic(value: T) -> Self {
        Self { value, loc: Loc::default() }
    }
}

impl<T> std::ops::Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Sp<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: fmt::Display> fmt::Display for Sp<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = serde_saphyr::Spanned::<T>::deserialize(d)?;
        let at = s.referenced;
        let len = at.span().len().max(1);
        let file = CURRENT_FILE.with(Cell::get);
        let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        Ok(Self { value: s.value, loc: Loc::new(file, clamp(at.line()), clamp(at.column()), clamp(len)) })
    }
}

impl<T: Serialize> Serialize for Sp<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}
