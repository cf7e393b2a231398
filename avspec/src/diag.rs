//! Findings as data: every check returns `Diagnostic`s; this file renders them (text, JSON,
//! GitHub annotations) in one place.

use crate::codes::Code;
use crate::source::SourceMap;
use crate::span::Loc;
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// One finding: a stable kebab-case `code`, where it is, what was found and what to do.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub loc: Loc,
    pub message: String,
    pub help: Option<String>,
    /// Set when the spec silences this finding; holds the written reason.
    pub suppressed: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, loc: Loc, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, loc, message)
    }

    pub fn warning(code: Code, loc: Loc, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, loc, message)
    }

    pub fn new(severity: Severity, code: Code, loc: Loc, message: impl Into<String>) -> Self {
        Self { severity, code, loc, message: message.into(), help: None, suppressed: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds "did you mean" help when a close candidate exists.
    pub fn with_suggestion<'a>(mut self, found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        if let Some(s) = crate::suggest::closest(found, candidates) {
            self.help = Some(format!("did you mean `{s}`?"));
        }
        self
    }
}

/// Sorts findings by file, position and code so output is stable whatever order checks ran in.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.loc.file, a.loc.line, a.loc.column, a.code, &a.message).cmp(&(
            b.loc.file,
            b.loc.line,
            b.loc.column,
            b.code,
            &b.message,
        ))
    });
}

/// Output formats for findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Github,
}

pub fn render(diags: &[Diagnostic], sources: &SourceMap, format: Format) -> String {
    let mut out = String::new();
    for d in diags {
        match format {
            Format::Text => render_text(&mut out, d, sources),
            Format::Json => {
                out.push_str(&render_json(d, sources));
                out.push('\n');
            }
            Format::Github => render_github(&mut out, d, sources),
        }
    }
    out
}

/// The most characters of a message, help or quoted spec line shown: hostile or generated
/// input (a 100,000-character line, a huge expression) must not flood a terminal or a CI log.
const MAX_TEXT: usize = 600;
/// Characters of a long spec line shown around the finding's column.
const SNIPPET_WINDOW: usize = 120;

/// `s`, cut after [`MAX_TEXT`] characters with a note of how much was left out.
fn bounded(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_TEXT) {
        None => s.into(),
        Some((cut, _)) => format!("{}… ({} more characters)", &s[..cut], s[cut..].chars().count()).into(),
    }
}

/// The part of `line` shown for a finding at 1-based `column`, and the column inside it.
fn window(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= SNIPPET_WINDOW {
        return (line.to_owned(), column);
    }
    let at = column.saturating_sub(1).min(chars.len());
    let start = at.saturating_sub(SNIPPET_WINDOW / 2);
    let end = (start + SNIPPET_WINDOW).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    let mut col = at - start + 1;
    if start > 0 {
        shown.insert(0, '…');
        col += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, col)
}

fn render_text(out: &mut String, d: &Diagnostic, sources: &SourceMap) {
    let sev = if d.suppressed.is_some() { "suppressed" } else { d.severity.as_str() };
    let _ = writeln!(out, "{sev}[{}]: {}", d.code, bounded(&d.message));
    if !d.loc.is_unknown() {
        let gutter = d.loc.line.to_string().len();
        let pad = " ".repeat(gutter);
        let path = sources.path(d.loc.file);
        let _ = writeln!(out, "{pad}--> {path}:{}:{}", d.loc.line, d.loc.column);
        if let Some(line) = sources.line_text(d.loc) {
            let (line, column) = window(line, d.loc.column as usize);
            let width = line.chars().count().saturating_sub(column.saturating_sub(1)).max(1);
            let carets = "^".repeat((d.loc.len as usize).clamp(1, width));
            let indent = " ".repeat(column.saturating_sub(1).min(line.chars().count()));
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{} | {line}", d.loc.line);
            let _ = writeln!(out, "{pad} | {indent}{carets}");
        }
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "  = help: {}", bounded(help));
    }
    if let Some(reason) = &d.suppressed {
        let _ = writeln!(out, "  = suppressed: {}", bounded(reason));
    }
    out.push('\n');
}

/// One JSON object per finding (JSON Lines), stable key order.
pub fn render_json(d: &Diagnostic, sources: &SourceMap) -> String {
    let value = serde_json::json!({
        "severity": d.severity,
        "code": d.code,
        "file": if d.loc.is_unknown() { None } else { Some(sources.path(d.loc.file)) },
        "line": d.loc.line,
        "column": d.loc.column,
        "message": bounded(&d.message),
        "help": d.help.as_deref().map(bounded),
        "suppressed": d.suppressed.as_deref().map(bounded),
    });
    value.to_string()
}

fn render_github(out: &mut String, d: &Diagnostic, sources: &SourceMap) {
    let level = match (d.suppressed.is_some(), d.severity) {
        (true, _) | (false, Severity::Info) => "notice",
        (false, Severity::Warning) => "warning",
        (false, Severity::Error) => "error",
    };
    // Workflow commands need %, CR and LF escaped in the message; properties also need : and ,.
    let esc = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let prop = |s: &str| esc(s).replace(':', "%3A").replace(',', "%2C");
    let mut msg = bounded(&d.message).into_owned();
    if let Some(help) = &d.help {
        msg.push_str("\nhelp: ");
        msg.push_str(&bounded(help));
    }
    if d.loc.is_unknown() {
        let _ = writeln!(out, "::{level} title={}::{}", prop(d.code.as_str()), esc(&msg));
    } else {
        let _ = writeln!(
            out,
            "::{level} file={},line={},col={},title={}::{}",
            prop(sources.path(d.loc.file)),
            d.loc.line,
            d.loc.column,
            prop(d.code.as_str()),
            esc(&msg)
        );
    }
}

/// Counts of unsuppressed findings per severity.
pub fn counts(diags: &[Diagnostic]) -> (usize, usize, usize) {
    let live = || diags.iter().filter(|d| d.suppressed.is_none());
    (
        live().filter(|d| d.severity == Severity::Error).count(),
        live().filter(|d| d.severity == Severity::Warning).count(),
        live().filter(|d| d.severity == Severity::Info).count(),
    )
}

#[cfg(test)]
mod tests {
    use super::{MAX_TEXT, SNIPPET_WINDOW, bounded, window};

    #[test]
    fn long_text_is_cut_with_a_count_of_what_was_left_out() {
        assert_eq!(bounded("short"), "short");
        let long = "é".repeat(MAX_TEXT + 25);
        let cut = bounded(&long);
        assert!(cut.starts_with(&"é".repeat(MAX_TEXT)) && cut.ends_with("… (25 more characters)"), "{cut}");
    }

    #[test]
    fn a_long_line_is_shown_around_the_column_with_the_caret_still_under_it() {
        let line = format!("{}X{}", "a".repeat(5000), "b".repeat(5000));
        let (shown, col) = window(&line, 5001);
        assert!(shown.chars().count() <= SNIPPET_WINDOW + 2, "{}", shown.len());
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(shown.chars().nth(col - 1), Some('X'));
        // Short lines and columns past the end are kept as they are.
        assert_eq!(window("abc", 2), ("abc".to_owned(), 2));
        let (shown, col) = window(&line, 20_000);
        assert!(col <= shown.chars().count() + 1);
    }
}
