//! Parser for the Prometheus text exposition format (0.0.4): families with HELP, TYPE and
//! samples; a malformed line is an error naming its line number.

use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series name (`foo_bucket` for a histogram family `foo`).
    pub name: String,
    pub labels: Labels,
    pub value: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Family {
    pub help: Option<String>,
    /// `counter`, `gauge`, `histogram`, `summary` or `untyped`; `None` without a TYPE line.
    pub kind: Option<String>,
    pub samples: Vec<Sample>,
}

/// Families by name. Samples go to the family whose TYPE line declared them (histogram and
/// summary suffixes included), else to a family of their own name.
pub fn parse(text: &str) -> Result<BTreeMap<String, Family>, String> {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    // Where each family's HELP and TYPE were: a second one is the target contradicting itself,
    // and which one Prometheus keeps is not for check-live to guess.
    let mut declared: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let at = |msg: String| format!("line {}: {}: {}", i + 1, excerpt(&msg, false), excerpt(raw, true));
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            let rest = rest.trim_start();
            if let Some(h) = rest.strip_prefix("HELP ") {
                let (name, help) = h.split_once(' ').unwrap_or((h, ""));
                if let Some(first) = declared.insert(("HELP", name), i + 1) {
                    return Err(at(format!(
                        "a second HELP line for `{name}` (the first is on line {first})"
                    )));
                }
                families.entry(name.to_owned()).or_default().help = Some(unescape_help(help));
            } else if let Some(t) = rest.strip_prefix("TYPE ") {
                let (name, kind) = t.split_once(' ').ok_or_else(|| at("TYPE without a type".into()))?;
                if let Some(first) = declared.insert(("TYPE", name), i + 1) {
                    return Err(at(format!(
                        "a second TYPE line for `{name}` (the first is on line {first})"
                    )));
                }
                let kind = kind.trim();
                if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                    return Err(at(format!("unknown type `{kind}`")));
                }
                families.entry(name.to_owned()).or_default().kind = Some(kind.to_owned());
            }
            continue;
        }
        let sample = parse_sample(line).map_err(at)?;
        let family = family_of(&families, &sample.name);
        families.entry(family).or_default().samples.push(sample);
    }
    Ok(families)
}

/// A quoted piece of a target's line for an error: a hostile target's 1 MB line must not become
/// a 1 MB message.
fn excerpt(s: &str, quoted: bool) -> String {
    const MAX: usize = 120;
    let (shown, rest) = match s.char_indices().nth(MAX) {
        None => (s, String::new()),
        Some((cut, _)) => (&s[..cut], format!("… ({} more bytes)", s.len() - cut)),
    };
    if quoted { format!("{shown:?}{rest}") } else { format!("{shown}{rest}") }
}

fn family_of(families: &BTreeMap<String, Family>, series: &str) -> String {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = series.strip_suffix(suffix)
            && families
                .get(base)
                .and_then(|f| f.kind.as_deref())
                .is_some_and(|k| k == "histogram" || k == "summary")
        {
            return base.to_owned();
        }
    }
    series.to_owned()
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace()).ok_or("a sample needs a value")?;
    let name = &line[..name_end];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
        return Err(format!("invalid metric name `{name}`"));
    }
    let mut rest = &line[name_end..];
    let mut labels = Labels::new();
    if let Some(body) = rest.strip_prefix('{') {
        let (parsed, after) = parse_labels(body)?;
        labels = parsed;
        rest = after;
    }
    let mut fields = rest.split_whitespace();
    let value = fields.next().ok_or("a sample needs a value")?;
    let value = match value {
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().map_err(|_| format!("invalid value `{v}`"))?,
    };
    Ok(Sample { name: name.to_owned(), labels, value })
}

/// Parses `a="x",b="y"}` and returns the labels and the text after the `}`.
fn parse_labels(mut s: &str) -> Result<(Labels, &str), String> {
    let mut labels = Labels::new();
    loop {
        s = s.trim_start();
        if let Some(after) = s.strip_prefix('}') {
            return Ok((labels, after));
        }
        let eq = s.find('=').ok_or("a label needs `=`")?;
        let name = s[..eq].trim();
        let mut chars = s[eq + 1..].trim_start().char_indices();
        let quoted = &s[eq + 1..].trim_start();
        if !matches!(chars.next(), Some((_, '"'))) {
            return Err(format!("label `{name}`: value must be quoted"));
        }
        let mut value = String::new();
        let mut end = None;
        let mut escaped = false;
        for (i, c) in chars {
            match (escaped, c) {
                (true, 'n') => (value.push('\n'), escaped = false).1,
                (true, c) => (value.push(c), escaped = false).1,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    end = Some(i);
                    break;
                }
                (false, c) => value.push(c),
            }
        }
        let end = end.ok_or_else(|| format!("label `{name}`: unterminated value"))?;
        if labels.insert(name.to_owned(), value).is_some() {
            return Err(format!("label `{name}` appears twice"));
        }
        s = quoted[end + 1..].trim_start();
        s = match s.strip_prefix(',') {
            Some(after) => after,
            None if s.starts_with('}') => s,
            None => return Err(format!("expected `,` or `}}` after label `{name}`")),
        };
    }
}

fn unescape_help(s: &str) -> String {
    s.replace("\\n", "\n").replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_families_with_suffixes_escapes_and_special_values() {
        let text = "# HELP req_total Requests, with a \\\\ backslash.\n# TYPE req_total counter\n\
            req_total{route=\"/a\",msg=\"say \\\"hi\\\"\\n\"} 3\n\
            # TYPE lat_seconds histogram\nlat_seconds_bucket{le=\"0.1\"} 1\nlat_seconds_bucket{le=\"+Inf\"} 2\n\
            lat_seconds_sum 0.3\nlat_seconds_count 2\nlonely NaN 1700000000\n";
        let f = parse(text).expect("parse");
        assert_eq!(f["req_total"].help.as_deref(), Some("Requests, with a \\ backslash."));
        assert_eq!(f["req_total"].samples[0].labels["msg"], "say \"hi\"\n");
        assert_eq!(f["lat_seconds"].samples.len(), 4);
        assert_eq!(f["lat_seconds"].kind.as_deref(), Some("histogram"));
        assert!(f["lonely"].samples[0].value.is_nan() && f["lonely"].kind.is_none());
    }

    #[test]
    fn malformed_lines_name_their_line() {
        for (text, want) in [
            ("ok 1\nbad{a=\"x\" 1\n", "line 2: expected `,` or `}` after label `a`"),
            ("bad{a=\"x} 1\n", "line 1: label `a`: unterminated value"),
            ("x{a=b} 1\n", "line 1: label `a`: value must be quoted"),
            ("x 1\n# TYPE x countr\n", "line 2: unknown type `countr`"),
            ("x{a=\"1\",a=\"2\"} 1\n", "line 1: label `a` appears twice"),
            ("x abc\n", "line 1: invalid value `abc`"),
            (
                "# TYPE x counter\n# TYPE x gauge\nx 1\n",
                "line 2: a second TYPE line for `x` (the first is on line 1)",
            ),
            ("# HELP x a\nx 1\n# HELP x b\n", "line 3: a second HELP line for `x` (the first is on line 1)"),
        ] {
            let e = parse(text).expect_err(text);
            assert!(e.starts_with(want), "{e}");
        }
    }
}
