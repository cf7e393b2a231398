//! The loaded spec files, kept so diagnostics can quote the lines they point at.

use crate::span::{FileId, Loc};

/// One loaded file: its display path (relative to where the user pointed us) and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
    /// Byte offset of each line's start, so quoting a line is not a scan of the file.
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: String, text: String) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Self { path, text, line_starts }
    }

    /// The 1-based line `n` without its line terminator.
    pub fn line(&self, n: u32) -> Option<&str> {
        let i = (n as usize).checked_sub(1)?;
        let start = *self.line_starts.get(i)?;
        let end = self.line_starts.get(i + 1).map_or(self.text.len(), |e| e - 1);
        (start <= end).then(|| self.text[start..end].trim_end_matches('\r'))
    }
}

/// Every file the loader read, indexed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: String, text: String) -> FileId {
        self.files.push(SourceFile::new(path, text));
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
        self.get(loc.file)?.line(loc.line)
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
        for line_no in loc.line..loc.line.saturating_add(64) {
            let Some(line) = file.line(line_no) else { break };
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
