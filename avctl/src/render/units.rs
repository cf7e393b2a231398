//! Values formatted as Grafana formats them for the units the spec's panels use (Grafana's
//! `valueFormats`: scaled SI and binary prefixes, time units, percent, bool, locale), with its
//! automatic decimals when the panel sets none.

/// Grafana's (10.x) `getDecimalsForValue`: about three significant digits, none for integers.
pub fn auto_decimals(v: f64) -> usize {
    if !v.is_finite() || v == 0.0 || v.fract() == 0.0 {
        return 0;
    }
    let log10 = v.abs().log10().floor();
    let mut dec = 1.0 - log10;
    let magn = 10f64.powf(-dec);
    let norm = v.abs() / magn;
    if norm > 2.25 {
        dec += 1.0;
    }
    dec.clamp(0.0, 20.0) as usize
}

fn fixed(v: f64, decimals: Option<usize>) -> String {
    let d = decimals.unwrap_or_else(|| auto_decimals(v));
    format!("{v:.d$}")
}

/// Scales `v` by powers of `factor` through `suffixes` (the first is unscaled).
fn scaled(v: f64, decimals: Option<usize>, factor: f64, suffixes: &[&str]) -> String {
    let mut x = v;
    let mut i = 0;
    while x.abs() >= factor && i + 1 < suffixes.len() {
        x /= factor;
        i += 1;
    }
    format!("{}{}", fixed(x, decimals), suffixes[i])
}

/// Grafana's `toSeconds`.
fn seconds(v: f64, decimals: Option<usize>) -> String {
    let a = v.abs();
    let (x, unit) = if a == 0.0 {
        (0.0, " s")
    } else if a < 1e-6 {
        (v * 1e9, " ns")
    } else if a < 1e-3 {
        (v * 1e6, " µs")
    } else if a < 1.0 {
        (v * 1e3, " ms")
    } else if a < 60.0 {
        (v, " s")
    } else if a < 3600.0 {
        (v / 60.0, " min")
    } else if a < 86_400.0 {
        (v / 3600.0, " hour")
    } else if a < 604_800.0 {
        (v / 86_400.0, " day")
    } else if a < 31_536_000.0 {
        (v / 604_800.0, " week")
    } else {
        (v / 31_536_000.0, " year")
    };
    format!("{}{unit}", fixed(x, decimals))
}

/// Thousands separators, as `toLocaleString()` writes an en-US number.
fn locale(v: f64, decimals: Option<usize>) -> String {
    let text = fixed(v, decimals.or(Some(if v.fract() == 0.0 { 0 } else { 3 })));
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let frac = frac.map(|f| f.trim_end_matches('0')).filter(|f| !f.is_empty());
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `v` in Grafana unit `unit` with `decimals` (the panel's, or automatic).
pub fn format(v: f64, unit: &str, decimals: Option<usize>) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".to_owned() } else { "-Inf".to_owned() };
    }
    const SI: [&str; 5] = ["", "K", "M", "B", "T"];
    let count = |symbol: &str| {
        let s: Vec<String> = SI.iter().map(|p| format!("{p} {symbol}")).collect();
        let refs: Vec<&str> = s.iter().map(String::as_str).collect();
        scaled(v, decimals, 1000.0, &refs)
    };
    match unit {
        "s" => seconds(v, decimals),
        "ms" => seconds(v / 1000.0, decimals),
        "percent" => format!("{}%", fixed(v, decimals)),
        "percentunit" => format!("{}%", fixed(v * 100.0, decimals)),
        "bytes" => scaled(v, decimals, 1024.0, &[" B", " KiB", " MiB", " GiB", " TiB", " PiB"]),
        "decbytes" => scaled(v, decimals, 1000.0, &[" B", " kB", " MB", " GB", " TB", " PB"]),
        "reqps" => count("req/s"),
        "ops" => count("ops/s"),
        "short" => scaled(v, decimals, 1000.0, &["", " K", " Mil", " Bil", " Tri"]),
        "celsius" => format!("{} °C", fixed(v, decimals)),
        "watt" => scaled(v, decimals, 1000.0, &[" W", " kW", " MW", " GW"]),
        "bool" => if v == 0.0 { "False" } else { "True" }.to_owned(),
        "locale" => locale(v, decimals),
        _ => fixed(v, decimals),
    }
}

#[cfg(test)]
mod tests {
    use super::{auto_decimals, format};

    #[test]
    fn automatic_decimals_follow_grafana() {
        assert_eq!(auto_decimals(42.0), 0);
        assert_eq!(auto_decimals(0.5), 3);
        assert_eq!(auto_decimals(1.5), 2);
        assert_eq!(auto_decimals(3.25), 2);
        assert_eq!(auto_decimals(0.0123), 4);
    }

    #[test]
    fn the_units_the_spec_uses_format_as_in_grafana() {
        let cases = [
            (0.087, "s", None, "87 ms"),
            (0.0873, "s", None, "87.3 ms"),
            (0.0005, "s", None, "500 µs"),
            (2.5, "s", None, "2.50 s"),
            (150.0, "s", None, "2.50 min"),
            (93.2, "percent", None, "93.2%"),
            (0.9713, "percentunit", Some(1), "97.1%"),
            (512.0, "bytes", None, "512 B"),
            (3.5 * 1024.0 * 1024.0 * 1024.0, "bytes", None, "3.50 GiB"),
            (12.0, "reqps", None, "12 req/s"),
            (1500.0, "reqps", None, "1.50K req/s"),
            (0.25, "ops", None, "0.250 ops/s"),
            (1_200_000.0, "short", None, "1.20 Mil"),
            (71.0, "celsius", None, "71 °C"),
            (250.0, "watt", None, "250 W"),
            (1.0, "bool", None, "True"),
            (0.0, "bool", None, "False"),
            (1_234_567.0, "locale", None, "1,234,567"),
            (3.0, "none", None, "3"),
            (f64::NAN, "s", None, "NaN"),
        ];
        for (v, unit, dec, want) in cases {
            assert_eq!(format(v, unit, dec), want, "{v} {unit}");
        }
    }
}
