//! PromQL helpers: Grafana variable substitution, parsing, and walking the syntax tree.

pub mod binop;
pub mod eval;
pub mod value;

#[cfg(test)]
mod eval_tests;

use promql_parser::parser::{Expr, VectorSelector};
use std::collections::BTreeMap;

/// Values used for Grafana's built-in interval variables when checking a panel query: they
/// must be valid durations, and `$__rate_interval` is at least four scrape intervals.
pub const BUILTINS: [(&str, &str); 6] = [
    ("__rate_interval", "1m"),
    ("__interval_ms", "30000"),
    ("__interval", "30s"),
    ("__range_s", "21600"),
    ("__range_ms", "21600000"),
    ("__range", "6h"),
];

/// Replaces `$var`, `${var}` and `[[var]]` with the given values (built-ins included).
pub fn substitute(expr: &str, vars: &BTreeMap<String, String>) -> String {
    let lookup = |name: &str| -> Option<String> {
        BUILTINS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
            .or_else(|| vars.get(name).cloned())
    };
    let mut out = String::with_capacity(expr.len());
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < expr.len() {
        let rest = &expr[i..];
        let (name, consumed) = if let Some(r) = rest.strip_prefix("${") {
            match r.find('}') {
                Some(end) => (Some(&r[..end]), end + 3),
                None => (None, 0),
            }
        } else if let Some(r) = rest.strip_prefix("[[") {
            match r.find("]]") {
                Some(end) => (Some(&r[..end]), end + 4),
                None => (None, 0),
            }
        } else if bytes[i] == b'$' {
            let len = rest[1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').count();
            if len > 0 && !rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
                (Some(&rest[1..=len]), len + 1)
            } else {
                (None, 0)
            }
        } else {
            (None, 0)
        };
        match name.and_then(lookup) {
            Some(v) => {
                out.push_str(&v);
                i += consumed;
            }
            None => {
                let ch = rest.chars().next().unwrap_or_default();
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// Calls `f` on every node of the tree, parents before children.
pub fn walk<'a>(e: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    f(e);
    match e {
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                walk(p, f);
            }
            walk(&a.expr, f);
        }
        Expr::Unary(u) => walk(&u.expr, f),
        Expr::Binary(b) => {
            walk(&b.lhs, f);
            walk(&b.rhs, f);
        }
        Expr::Paren(p) => walk(&p.expr, f),
        Expr::Subquery(s) => walk(&s.expr, f),
        Expr::Call(c) => {
            for a in &c.args.args {
                walk(a, f);
            }
        }
        // Leaves; a matrix selector's vector selector is reached through the matrix node.
        Expr::NumberLiteral(_)
        | Expr::StringLiteral(_)
        | Expr::VectorSelector(_)
        | Expr::MatrixSelector(_)
        | Expr::Extension(_) => {}
    }
}

/// Every vector selector in the tree (including those inside range selectors).
pub fn selectors(e: &Expr) -> Vec<&VectorSelector> {
    let mut out = Vec::new();
    walk(e, &mut |n| match n {
        Expr::VectorSelector(vs) => out.push(vs),
        Expr::MatrixSelector(m) => out.push(&m.vs),
        _ => {}
    });
    out
}

/// The metric name a selector picks, from its name or a `__name__="..."` matcher.
pub fn selector_name(vs: &VectorSelector) -> Option<&str> {
    vs.name.as_deref().or_else(|| {
        vs.matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__" && matches!(m.op, promql_parser::label::MatchOp::Equal))
            .map(|m| m.value.as_str())
    })
}

/// Parses an expression; the error text is promql-parser's. Results are memoized per thread:
/// validation, usage tracking, docs and test synthesis each parse the same expressions, and
/// parsing (with its regex compilation) otherwise dominates a whole `generate`.
pub fn parse(expr: &str) -> Result<Expr, String> {
    thread_local! {
        static PARSED: std::cell::RefCell<std::collections::HashMap<String, Result<Expr, String>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    if let Some(hit) = PARSED.with(|m| m.borrow().get(expr).cloned()) {
        return hit;
    }
    let parsed = promql_parser::parser::parse(expr);
    PARSED.with(|m| m.borrow_mut().insert(expr.to_owned(), parsed.clone()));
    parsed
}

/// Metric names an expression selects (sorted, deduplicated); empty when it does not parse.
pub fn metric_names(expr: &str, vars: &BTreeMap<String, String>) -> Vec<String> {
    let Ok(e) = parse(&substitute(expr, vars)) else {
        return Vec::new();
    };
    let mut names: Vec<String> =
        selectors(&e).into_iter().filter_map(selector_name).map(str::to_owned).collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_grafana_variables() {
        let vars = BTreeMap::from([("gpu_source".to_owned(), "autovoice".to_owned())]);
        assert_eq!(
            substitute(
                r#"rate(x{job=~"$gpu_source"}[$__rate_interval]) and ${gpu_source} [[gpu_source]] $1 $unknown"#,
                &vars
            ),
            r#"rate(x{job=~"autovoice"}[1m]) and autovoice autovoice $1 $unknown"#
        );
    }

    #[test]
    fn finds_selectors_everywhere() {
        let names = metric_names(
            "histogram_quantile(0.9, sum by (le) (rate(a_bucket[5m]))) / on() group_left b or label_replace(c, \"x\", \"$1\", \"y\", \"(.*)\")",
            &BTreeMap::new(),
        );
        assert_eq!(names, ["a_bucket", "b", "c"]);
    }
}
