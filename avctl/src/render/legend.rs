//! Series names as Grafana shows them: the query's legend template with `{{label}}` replaced
//! by the series' values, or, without a template, the series' label set.

use crate::promql::value::Labels;

/// The legend of one series: `template` with `{{ label }}` placeholders filled (a label the
/// series lacks becomes empty, as in Grafana); without a template (or `__auto`), `{a="b"}`, or
/// the expression when the series has no labels.
pub fn name(template: Option<&str>, labels: &Labels, expr: &str) -> String {
    match template.filter(|t| *t != "__auto") {
        Some(t) => fill(t, labels),
        None if labels.is_empty() => expr.trim().to_owned(),
        None => {
            let inner: Vec<String> = labels
                .iter()
                .filter(|(k, _)| *k != "__name__")
                .map(|(k, v)| format!("{k}=\"{v}\""))
                .collect();
            let metric = labels.get("__name__").map_or("", String::as_str);
            format!("{metric}{{{}}}", inner.join(", "))
        }
    }
}

fn fill(template: &str, labels: &Labels) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let key = after[..end].trim();
                out.push_str(labels.get(key).map_or("", String::as_str));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::name;
    use crate::promql::value::Labels;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn templates_take_the_series_labels() {
        let l = labels(&[("endpoint", "/synthesize"), ("status", "200")]);
        assert_eq!(name(Some("{{endpoint}} {{status}}"), &l, "x"), "/synthesize 200");
        assert_eq!(name(Some("GPU {{ gpu }}"), &l, "x"), "GPU ");
        assert_eq!(name(Some("p95"), &l, "x"), "p95");
        assert_eq!(name(Some("{{endpoint"), &l, "x"), "{{endpoint");
    }

    #[test]
    fn without_a_template_the_labels_or_the_expression_name_the_series() {
        let l = labels(&[("__name__", "up"), ("job", "a")]);
        assert_eq!(name(None, &l, "up"), "up{job=\"a\"}");
        assert_eq!(name(Some("__auto"), &Labels::new(), " sum(up) "), "sum(up)");
    }
}
