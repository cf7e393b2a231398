//! Alertmanager label matchers (`name="value"`, `!=`, `=~`, `!~`), parsed and evaluated as
//! Alertmanager 0.25 does: a missing label is the empty string, regexes are anchored.

use regex::Regex;
use std::collections::BTreeMap;
use std::fmt;

/// An alert's labels, as Alertmanager sees them.
pub type LabelMap = BTreeMap<String, String>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Re,
    NotRe,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Re => "=~",
            Self::NotRe => "!~",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Matcher {
    pub name: String,
    pub op: Op,
    pub value: String,
    regex: Option<Regex>,
}

/// Why a matcher does not parse, and at which character of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatcherError {
    pub offset: usize,
    pub message: String,
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

impl Matcher {
    pub fn new(name: &str, op: Op, value: &str) -> Result<Self, String> {
        let regex = match op {
            Op::Re | Op::NotRe => Some(
                Regex::new(&format!("^(?:{value})$")).map_err(|e| format!("invalid regex `{value}`: {e}"))?,
            ),
            Op::Eq | Op::Ne => None,
        };
        Ok(Self { name: name.to_owned(), op, value: value.to_owned(), regex })
    }

    /// Parses `name op value`, the value quoted (`"..."` with `\"`, `\\`, `\n`) or bare.
    pub fn parse(text: &str) -> Result<Self, MatcherError> {
        let err = |offset: usize, message: String| MatcherError { offset, message };
        let start = text.len() - text.trim_start().len();
        let rest = &text[start..];
        let name_len = rest
            .char_indices()
            .find(|&(i, c)| !(if i == 0 { is_name_start(c) } else { is_name_start(c) || c.is_ascii_digit() }))
            .map_or(rest.len(), |(i, _)| i);
        if name_len == 0 {
            return Err(err(start, "expected a label name".to_owned()));
        }
        let name = &rest[..name_len];
        let after = &rest[name_len..];
        let op_at = start + name_len + (after.len() - after.trim_start().len());
        let after = after.trim_start();
        let (op, len) = [("=~", Op::Re), ("!~", Op::NotRe), ("!=", Op::Ne), ("=", Op::Eq)]
            .into_iter()
            .find(|(s, _)| after.starts_with(s))
            .map(|(s, op)| (op, s.len()))
            .ok_or_else(|| err(op_at, format!("expected `=`, `!=`, `=~` or `!~` after `{name}`")))?;
        let raw = &after[len..];
        let value_at = op_at + len + (raw.len() - raw.trim_start().len());
        let value_text = raw.trim();
        let value = if let Some(quoted) = value_text.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.chars();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some('n') => out.push('\n'),
                        Some(e @ ('"' | '\\')) => out.push(e),
                        other => {
                            return Err(err(
                                value_at,
                                format!("unknown escape `\\{}`", other.unwrap_or(' ')),
                            ));
                        }
                    },
                    c => out.push(c),
                }
            }
            if !closed {
                return Err(err(value_at, "unterminated quoted value".to_owned()));
            }
            if !chars.as_str().trim().is_empty() {
                return Err(err(value_at, format!("unexpected `{}` after the value", chars.as_str().trim())));
            }
            out
        } else {
            if value_text.contains('"') {
                return Err(err(value_at, "a value with `\"` must be quoted".to_owned()));
            }
            value_text.to_owned()
        };
        Self::new(name, op, &value).map_err(|m| err(value_at, m))
    }

    /// Whether an alert with these labels matches (a missing label is `""`).
    pub fn matches(&self, labels: &LabelMap) -> bool {
        self.matches_value(labels.get(&self.name).map_or("", String::as_str))
    }

    pub fn matches_value(&self, v: &str) -> bool {
        match (self.op, &self.regex) {
            (Op::Eq, _) => v == self.value,
            (Op::Ne, _) => v != self.value,
            (Op::Re, Some(r)) => r.is_match(v),
            (Op::NotRe, Some(r)) => !r.is_match(v),
            (Op::Re | Op::NotRe, None) => false,
        }
    }
}

impl fmt::Display for Matcher {
    /// The canonical form Alertmanager parses back: the value always quoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}\"{}\"", self.name, self.op.as_str(), quote(&self.value))
    }
}

/// Escapes a value for a double-quoted matcher or amtool label argument.
pub fn quote(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// All of `matchers` match.
pub fn all_match(matchers: &[Matcher], labels: &LabelMap) -> bool {
    matchers.iter().all(|m| m.matches(labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelMap {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn parses_every_operator_quoted_or_bare() {
        let m = Matcher::parse(r#"severity="critical""#).expect("parse");
        assert_eq!((m.name.as_str(), m.op, m.value.as_str()), ("severity", Op::Eq, "critical"));
        let m = Matcher::parse("slo =~ tts-.*").expect("parse");
        assert_eq!((m.op, m.value.as_str()), (Op::Re, "tts-.*"));
        assert_eq!(Matcher::parse(r#"a!="x\"y""#).expect("parse").value, "x\"y");
        assert_eq!(Matcher::parse("a!~b").expect("parse").op, Op::NotRe);
        assert_eq!(Matcher::parse(r#"a="x\"y""#).expect("parse").to_string(), r#"a="x\"y""#);
    }

    #[test]
    fn reports_where_a_matcher_is_broken() {
        assert_eq!(Matcher::parse("=x").expect_err("no name").offset, 0);
        let e = Matcher::parse("severity critical").expect_err("no op");
        assert_eq!(e.offset, 9);
        assert!(e.message.contains("expected `=`"), "{}", e.message);
        assert!(Matcher::parse(r#"a="open"#).expect_err("open").message.contains("unterminated"));
        assert!(Matcher::parse("a=~(").expect_err("regex").message.contains("invalid regex"));
    }

    #[test]
    fn matches_like_alertmanager() {
        let l = labels(&[("severity", "critical"), ("slo", "tts-latency")]);
        assert!(Matcher::parse(r#"severity="critical""#).expect("p").matches(&l));
        // Anchored: `tts` alone does not match `tts-latency`.
        assert!(!Matcher::parse("slo=~tts").expect("p").matches(&l));
        assert!(Matcher::parse("slo=~tts.*").expect("p").matches(&l));
        // A missing label is the empty string.
        assert!(Matcher::parse(r#"team="""#).expect("p").matches(&l));
        assert!(Matcher::parse(r#"team!="core""#).expect("p").matches(&l));
        assert!(!Matcher::parse("team=~.+").expect("p").matches(&l));
    }
}
