//! Finds where a YAML mapping starts from a position inside it, so a missing key is reported at
//! the mapping it belongs to rather than at whichever key the parser read last.

/// The 1-based (line, column) of the first key of the mapping whose key sits at `line:column`.
///
/// The YAML parser notices a missing key only when the mapping ends, and reports the last key it
/// read (for a service, often `gpu:` thirty lines below the `- name:` the user would look at).
/// Block mappings are walked upward over keys at the same indentation, through deeper nested
/// content, up to a `- ` item marker or the parent key; flow mappings (`{a: 1, b: 2}`) back to
/// their opening brace. Positions that are not a key in a mapping come back unchanged.
pub fn mapping_start(text: &str, line: u32, column: u32) -> (u32, u32) {
    let lines: Vec<&str> = text.lines().collect();
    let Some(here) = lines.get((line as usize).wrapping_sub(1)) else { return (line, column) };
    let col = column as usize;
    if let Some(open) = flow_open(here, col) {
        return (line, open);
    }
    let mut start = (line, column);
    for (i, text) in lines[..line as usize - 1].iter().enumerate().rev() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = text.chars().count() - trimmed.chars().count() + 1;
        if indent > col {
            continue; // nested content of an earlier key of this mapping
        }
        if indent == col {
            if trimmed.starts_with("- ") {
                continue; // a compact sequence (`key:` then `- x` at its column) of a key here
            }
            start = (n, column);
            continue;
        }
        // Less indented: either the `- ` that opens this mapping as a sequence item, or the
        // parent key; the mapping starts at the item's first key, else where we stopped.
        if item_key_column(text) == Some(col) {
            start = (n, column);
        }
        break;
    }
    start
}

/// The column of the key after a line's `- ` item markers, as in `    - name: x`.
fn item_key_column(text: &str) -> Option<usize> {
    let mut rest = text.trim_start();
    let mut col = text.chars().count() - rest.chars().count() + 1;
    if !rest.starts_with("- ") {
        return None;
    }
    while let Some(after) = rest.strip_prefix('-') {
        let body = after.trim_start_matches(' ');
        if after.len() == body.len() {
            break;
        }
        col += 1 + after.chars().count() - body.chars().count();
        rest = body;
    }
    Some(col)
}

/// The column just after the unclosed `{` left of `column` on this line, if the key is inside a
/// flow mapping.
fn flow_open(text: &str, column: usize) -> Option<u32> {
    let before: Vec<char> = text.chars().take(column.saturating_sub(1)).collect();
    let mut depth = 0i32;
    for (i, c) in before.iter().enumerate().rev() {
        match c {
            '}' => depth += 1,
            '{' if depth == 0 => {
                let skip = before[i + 1..].iter().take_while(|c| **c == ' ').count();
                return u32::try_from(i + 2 + skip).ok();
            }
            '{' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::mapping_start;

    const STACK: &str = "\
stack:
  services:
    - name: app
      role: app
      healthcheck:
        test: [CMD, x]
        interval: 30s

      # comment at the mapping's column
      gpu: true
    - name: redis
      ports:
        - {host: 5000, bind: 127.0.0.1}
      volumes:
      - {source: a, target: /a}
      gpu: false
";

    #[test]
    fn block_mapping_in_a_sequence_starts_at_the_item_key() {
        assert_eq!(mapping_start(STACK, 10, 7), (3, 7));
    }

    #[test]
    fn nested_block_mapping_starts_at_its_first_key() {
        assert_eq!(mapping_start(STACK, 7, 9), (6, 9));
    }

    #[test]
    fn a_sibling_item_is_not_crossed() {
        assert_eq!(mapping_start(STACK, 12, 7), (11, 7));
    }

    #[test]
    fn a_compact_sequence_of_an_earlier_key_is_nested_content() {
        assert_eq!(mapping_start(STACK, 16, 7), (11, 7));
    }

    #[test]
    fn top_level_mapping_under_a_parent_key() {
        assert_eq!(mapping_start(STACK, 2, 3), (2, 3));
    }

    #[test]
    fn flow_mapping_starts_after_its_brace() {
        assert_eq!(mapping_start(STACK, 13, 24), (13, 12));
    }

    #[test]
    fn positions_outside_the_text_are_kept() {
        assert_eq!(mapping_start(STACK, 99, 4), (99, 4));
        assert_eq!(mapping_start("", 0, 0), (0, 0));
    }
}
