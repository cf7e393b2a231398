//! Where streamed synthesis cuts a text: after each sentence and clause, and a clause longer
//! than a bound at its last word boundary within it, so the first piece is short (time to first
//! audio) and every piece can be spoken on its own.

use std::ops::Range;

/// The longest piece, in characters, before a clause is cut at a word boundary.
pub const MAX_PIECE_CHARS: usize = 120;
/// The longest first piece: speech starts after the first few words are ready, not the whole
/// first clause (on the CPU a 21-character sentence takes about 150 ms, three words about 70).
pub const MAX_FIRST_PIECE_CHARS: usize = 16;

/// How a piece ends, which decides whether the pause after it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// `.`, `!`, `?` or `…`: the front end's sentence pause is kept.
    Sentence,
    /// `,`, `;` or `:`: the front end's clause pause is kept.
    Clause,
    /// Cut inside a clause: the front end pauses there as if a sentence ended, which the text
    /// does not, so that pause is trimmed.
    Cut,
    /// The end of the text.
    Last,
}

/// One piece of a text and how it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece<'a> {
    pub text: &'a str,
    pub end: End,
}

fn ending(c: char) -> Option<End> {
    match c {
        '.' | '!' | '?' | '…' => Some(End::Sentence),
        ',' | ';' | ':' => Some(End::Clause),
        _ => None,
    }
}

/// Splits `text` into pieces of at most `max` characters (the first at most `first`) where a
/// clause allows it. A boundary is punctuation followed by whitespace or the end (so `3.5`
/// stays whole). A piece with no letter or digit (a stray `--`) joins its neighbour.
pub fn split(text: &str, first: usize, max: usize) -> Vec<Piece<'_>> {
    let bounds = Bounds { first: first.max(1), rest: max.max(1) };
    let mut ranges: Vec<(Range<usize>, End)> = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let Some(end) = ending(c) else { continue };
        if chars.peek().is_none_or(|(_, n)| n.is_whitespace()) {
            let stop = i + c.len_utf8();
            bounded(text, start..stop, end, bounds, &mut ranges);
            start = stop;
        }
    }
    bounded(text, start..text.len(), End::Last, bounds, &mut ranges);
    if let Some((_, end)) = ranges.last_mut() {
        *end = End::Last;
    }
    ranges.into_iter().map(|(r, end)| Piece { text: &text[r], end }).collect()
}

#[derive(Clone, Copy)]
struct Bounds {
    first: usize,
    rest: usize,
}

/// Adds clause `r` of `text` (ending as `end`), trimmed and cut at word boundaries into pieces
/// within the bounds; a word longer than its bound is a piece of its own.
fn bounded(text: &str, r: Range<usize>, end: End, bounds: Bounds, out: &mut Vec<(Range<usize>, End)>) {
    let mut r = trimmed(text, r);
    loop {
        let max = if out.is_empty() { bounds.first } else { bounds.rest };
        if text[r.clone()].chars().count() <= max {
            break;
        }
        let rest = &text[r.clone()];
        // The last whitespace that leaves at most `max` characters before it, else the first
        // one after (a word longer than `max`), else the whole rest.
        let cut = rest
            .char_indices()
            .take(max + 1)
            .filter(|(i, c)| *i > 0 && c.is_whitespace())
            .map(|(i, _)| i)
            .last()
            .or_else(|| rest.char_indices().skip(max).find(|(_, c)| c.is_whitespace()).map(|(i, _)| i))
            .unwrap_or(rest.len());
        let head = trimmed(text, r.start..r.start + cut);
        let tail = trimmed(text, r.start + cut..r.end);
        add(text, head, if tail.is_empty() { end } else { End::Cut }, out);
        r = tail;
    }
    add(text, r, end, out);
}

/// `r` without leading and trailing whitespace.
fn trimmed(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let body = s.trim().len();
    r.start + lead..r.start + lead + body
}

fn add(text: &str, r: Range<usize>, end: End, out: &mut Vec<(Range<usize>, End)>) {
    if r.is_empty() {
        return;
    }
    let speakable = |r: &Range<usize>| text[r.clone()].chars().any(char::is_alphanumeric);
    match out.last_mut() {
        // Punctuation alone is not spoken: it joins its neighbour (the previous piece, or the
        // next one at the start of the text).
        Some((prev, prev_end)) if !speakable(&r) || !speakable(prev) => {
            prev.end = r.end;
            *prev_end = end;
        }
        _ => out.push((r, end)),
    }
}
