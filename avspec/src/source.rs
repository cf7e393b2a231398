//! The loaded spec files, kept so diagnostics can quote the lines they point at.

use crate::span::{FileId, Loc};

/// One loaded file: its display path (relative to where the user pointed us) and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// Every file the loader read, indexed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: String, text: String) -> FileId {
        self.files.push(SourceFile { path, text });
        FileId::try_from(self.files.len() - 1).unwrap_or(FileId::MAX)
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id as usize)
    }

    pub fn path(&self, id: FileId) -> &str {
        self.get(id).map_or("<unknown>", |f| f.path.as_str())
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId::try_from(i).unwrap_or(FileId::MAX), f))
    }

    /// The text of the 1-based line `loc.line`, when the location points into a file.
    pub fn line_text(&self, loc: Loc) -> Option<&str> {
        if loc.is_unknown() {
            return None;
        }
        self.get(loc.file)?.text.lines().nth(loc.line as usize - 1)
    }

    /// The location of the first occurrence of `needle` inside the node at `loc` (for pointing
    /// inside a scalar, such as a label name inside a PromQL expression). Falls back to `loc`.
    pub fn find_in_node(&self, loc: Loc, needle: &str) -> Loc {
        let Some(file) = self.get(loc.file) else {
            return loc;
        };
        if loc.is_unknown() || needle.is_empty() {
            return loc;
        }
        let mut col_start = loc.column as usize;
        let lines = file.text.lines().skip(loc.line as usize - 1).take(64);
        for (line_no, line) in (loc.line..).zip(lines) {
            let chars: Vec<char> = line.chars().collect();
            let hay: String = chars.iter().skip(col_start.saturating_sub(1)).collect();
            if let Some(byte) = hay.find(needle) {
                let col = col_start + hay[..byte].chars().count();
                let len = u32::try_from(needle.chars().count()).unwrap_or(1);
                return Loc::new(loc.file, line_no, u32::try_from(col).unwrap_or(1), len);
            }
            col_start = 1;
        }
        loc
    }
}
