//! Renders the alert annotation templates Prometheus would: `{{ $labels.x }}`, `{{ $value }}`,
//! and the `printf`, `humanizeDuration` and `humanizePercentage` pipelines, Go formatting included.

use crate::promql::value::Labels;

/// Go's `%.4g`.
pub fn go_g4(v: f64) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN".to_owned()
        } else if v > 0.0 {
            "+Inf".to_owned()
        } else {
            "-Inf".to_owned()
        };
    }
    let sci = format!("{:.3e}", v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..4).contains(&exp) {
        let m = mant.trim_end_matches('0').trim_end_matches('.');
        return format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    let decimals = usize::try_from(3 - exp).unwrap_or(0);
    let s = format!("{:.*}", decimals, v);
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
}

/// Go's `%v` for a float64 (shortest representation, exponent beyond 1e21 or under 1e-4).
pub fn go_v(v: f64) -> String {
    if v != 0.0 && v.is_finite() && (v.abs() < 1e-4 || v.abs() >= 1e21) {
        let s = format!("{v:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".to_owned() } else { "-Inf".to_owned() };
    }
    format!("{v}")
}

/// Prometheus' `humanizeDuration`.
pub fn humanize_duration(v: f64) -> String {
    if !v.is_finite() {
        return go_g4(v);
    }
    if v == 0.0 {
        return "0s".to_owned();
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        let a = v.abs();
        let whole = a as i64;
        let (d, h, m, s) = (whole / 86_400, (whole / 3600) % 24, (whole / 60) % 60, whole % 60);
        return if d != 0 {
            format!("{sign}{d}d {h}h {m}m {s}s")
        } else if h != 0 {
            format!("{sign}{h}h {m}m {s}s")
        } else if m != 0 {
            format!("{sign}{m}m {s}s")
        } else {
            format!("{sign}{}s", go_g4(a))
        };
    }
    let mut x = v;
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if x.abs() >= 1.0 {
            break;
        }
        prefix = p;
        x *= 1000.0;
    }
    format!("{}{prefix}s", go_g4(x))
}

/// Renders one annotation; unsupported template constructs are an error.
pub fn render(template: &str, labels: &Labels, value: f64) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").ok_or("unterminated `{{`")? + start;
        let action = rest[start + 2..end].trim();
        let parts: Vec<&str> = action.split('|').map(str::trim).collect();
        let base = parts[0];
        let mut text = if let Some(name) = base.strip_prefix("$labels.") {
            labels.get(name).cloned().unwrap_or_default()
        } else if base == "$value" {
            match parts.get(1) {
                None => go_v(value),
                Some(p) if *p == "humanizeDuration" => humanize_duration(value),
                Some(p) if *p == "humanizePercentage" => format!("{}%", go_g4(value * 100.0)),
                Some(p) if p.starts_with("printf \"%.") && p.ends_with("f\"") => {
                    let digits: usize = p["printf \"%.".len()..p.len() - 2]
                        .parse()
                        .map_err(|_| format!("unsupported `{p}`"))?;
                    format!("{value:.digits$}")
                }
                Some(p) => return Err(format!("unsupported template function `{p}`")),
            }
        } else {
            return Err(format!("unsupported template action `{action}`"));
        };
        if parts.len() > 2 {
            return Err(format!("unsupported template pipeline `{action}`"));
        }
        out.push_str(&std::mem::take(&mut text));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_formats() {
        assert_eq!(go_g4(5.833333), "5.833");
        assert_eq!(go_g4(250.0), "250");
        assert_eq!(go_g4(12345.0), "1.234e+04");
        assert_eq!(humanize_duration(0.25), "250ms");
        assert_eq!(humanize_duration(5.5), "5.5s");
        assert_eq!(humanize_duration(75.0), "1m 15s");
        assert_eq!(go_v(96.0), "96");
        assert_eq!(go_v(0.00001), "1e-05");
        let l = Labels::from([("instance".to_owned(), "a:1".to_owned())]);
        assert_eq!(
            render("x {{ $labels.instance }} {{ $value | printf \"%.2f\" }}%", &l, 7.456).expect("ok"),
            "x a:1 7.46%"
        );
    }
}
