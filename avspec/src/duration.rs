//! Prometheus durations (`30s`, `5m`, `1h30m`, `30d`) as typed values.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A Prometheus duration, kept in milliseconds and printed back in canonical form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PromDuration(pub u64);

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 86_400_000),
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

impl PromDuration {
    pub const fn from_secs(s: u64) -> Self {
        Self(s * 1000)
    }

    pub fn millis(self) -> u64 {
        self.0
    }

    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Parses the Prometheus syntax: one or more `<int><unit>` parts, units largest first.
    pub fn parse(s: &str) -> Result<Self, String> {
        let expected = "a duration such as `30s`, `5m`, `1h30m` or `30d` (units y w d h m s ms)";
        if s.is_empty() {
            return Err(format!("empty duration, expected {expected}"));
        }
        let mut rest = s;
        let mut total: u64 = 0;
        let mut last_rank = usize::MAX;
        while !rest.is_empty() {
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            if digits == 0 {
                return Err(format!("invalid duration `{s}`, expected {expected}"));
            }
            let n: u64 = rest[..digits].parse().map_err(|_| format!("duration `{s}` is too large"))?;
            rest = &rest[digits..];
            // `ms` must be tried before `m`.
            let (rank, unit, mult) = UNITS
                .iter()
                .enumerate()
                .filter(|(_, (u, _))| rest.starts_with(u) && !(*u == "m" && rest.starts_with("ms")))
                .map(|(i, (u, m))| (i, *u, *m))
                .next()
                .ok_or_else(|| {
                    format!("invalid duration `{s}`: missing or unknown unit, expected {expected}")
                })?;
            if last_rank != usize::MAX && rank <= last_rank {
                return Err(format!(
                    "invalid duration `{s}`: units must go from largest to smallest, each once"
                ));
            }
            last_rank = rank;
            rest = &rest[unit.len()..];
            total = n
                .checked_mul(mult)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| format!("duration `{s}` is too large"))?;
        }
        Ok(Self(total))
    }
}

impl fmt::Display for PromDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.0;
        for (unit, mult) in UNITS {
            // Prometheus prints weeks and years only when exact; keep days for readability.
            if unit == "y" || unit == "w" {
                continue;
            }
            if rest >= mult {
                write!(f, "{}{unit}", rest / mult)?;
                rest %= mult;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for PromDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for PromDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl JsonSchema for PromDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PromDuration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^([0-9]+(y|w|d|h|m|s|ms))+$",
            "description": "Prometheus duration, e.g. 30s, 5m, 1h30m, 30d"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_canonically() {
        for (s, ms, back) in [
            ("10s", 10_000, "10s"),
            ("5m", 300_000, "5m"),
            ("1h30m", 5_400_000, "1h30m"),
            ("30d", 2_592_000_000, "30d"),
            ("1w", 604_800_000, "7d"),
            ("500ms", 500, "500ms"),
            ("90s", 90_000, "1m30s"),
        ] {
            let d = PromDuration::parse(s).expect(s);
            assert_eq!(d.millis(), ms, "{s}");
            assert_eq!(d.to_string(), back, "{s}");
        }
        for bad in ["", "10", "s", "5m1h", "1x", "-5m", "5m5m"] {
            assert!(PromDuration::parse(bad).is_err(), "{bad} should fail");
        }
    }
}
