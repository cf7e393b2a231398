//! Binary operators with Prometheus' vector matching: arithmetic, comparison filters and
//! `bool`, and the set operators `and`, `or`, `unless` (with `on` / `ignoring`).

use super::value::{Labels, Value};
use promql_parser::parser::{BinModifier, LabelModifier};

fn arith(op: &str, a: f64, b: f64) -> Option<f64> {
    Some(match op {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" => a / b,
        "%" => a % b,
        "^" => a.powf(b),
        _ => return None,
    })
}

fn compare(op: &str, a: f64, b: f64) -> Option<bool> {
    Some(match op {
        "==" => a == b,
        "!=" => a != b,
        ">" => a > b,
        "<" => a < b,
        ">=" => a >= b,
        "<=" => a <= b,
        _ => return None,
    })
}

/// The matching signature of a series under `on` / `ignoring`.
fn signature(l: &Labels, m: Option<&LabelModifier>) -> Labels {
    match m {
        Some(LabelModifier::Include(ls)) => {
            ls.labels.iter().filter_map(|n| l.get(n).map(|v| (n.clone(), v.clone()))).collect()
        }
        Some(LabelModifier::Exclude(ls)) => l
            .iter()
            .filter(|(k, _)| *k != "__name__" && !ls.labels.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        None => l.iter().filter(|(k, _)| *k != "__name__").map(|(k, v)| (k.clone(), v.clone())).collect(),
    }
}

fn drop_name(mut l: Labels) -> Labels {
    l.remove("__name__");
    l
}

enum Kind {
    Vector,
    Scalar,
}

pub fn apply(op: &str, l: Value, r: Value, modifier: Option<&BinModifier>) -> Result<Value, String> {
    let return_bool = modifier.is_some_and(|m| m.return_bool);
    let matching = modifier.and_then(|m| m.matching.as_ref());
    let cmp = compare(op, 0.0, 0.0).is_some();
    let scalar_op = |a: f64, b: f64| -> Option<f64> {
        if cmp {
            let c = compare(op, a, b)?;
            if return_bool {
                Some(if c { 1.0 } else { 0.0 })
            } else if c {
                Some(a)
            } else {
                None
            }
        } else {
            arith(op, a, b)
        }
    };
    let l_kind = if matches!(l, Value::Vector(_)) { Kind::Vector } else { Kind::Scalar };
    match (l, r) {
        (Value::Scalar(a), Value::Scalar(b)) => {
            if cmp && !return_bool {
                return Err("comparison between scalars needs `bool`".to_owned());
            }
            scalar_op(a, b).map(Value::Scalar).ok_or_else(|| format!("unsupported operator {op}"))
        }
        // Vector and scalar in either order: apply per sample, the vector's side kept in place.
        (Value::Vector(v), Value::Scalar(s)) | (Value::Scalar(s), Value::Vector(v)) => {
            let vector_left = matches!(l_kind, Kind::Vector);
            Ok(Value::Vector(
                v.into_iter()
                    .filter_map(|(lab, x)| {
                        let (a, b) = if vector_left { (x, s) } else { (s, x) };
                        let y = scalar_op(a, b)?;
                        // A comparison filter keeps the sample and its name; `bool` and
                        // arithmetic give a new value without the name.
                        if cmp && !return_bool { Some((lab, x)) } else { Some((drop_name(lab), y)) }
                    })
                    .collect(),
            ))
        }
        (Value::Vector(lv), Value::Vector(rv)) => {
            let rsig: Vec<Labels> = rv.iter().map(|(l, _)| signature(l, matching)).collect();
            match op {
                "and" => Ok(Value::Vector(
                    lv.into_iter().filter(|(l, _)| rsig.contains(&signature(l, matching))).collect(),
                )),
                "unless" => Ok(Value::Vector(
                    lv.into_iter().filter(|(l, _)| !rsig.contains(&signature(l, matching))).collect(),
                )),
                "or" => {
                    let lsig: Vec<Labels> = lv.iter().map(|(l, _)| signature(l, matching)).collect();
                    let mut out = lv;
                    out.extend(rv.into_iter().filter(|(l, _)| !lsig.contains(&signature(l, matching))));
                    Ok(Value::Vector(out))
                }
                _ => {
                    let mut out = Vec::new();
                    for (ll, a) in lv {
                        let sig = signature(&ll, matching);
                        let Some((_, b)) = rv.iter().zip(&rsig).find(|(_, s)| **s == sig).map(|(x, _)| x)
                        else {
                            continue;
                        };
                        if let Some(x) = scalar_op(a, *b) {
                            let lab = if cmp && !return_bool {
                                ll
                            } else {
                                // One-to-one matching keeps the `on` labels / drops the `ignoring` ones.
                                let mut l = drop_name(ll);
                                match matching {
                                    Some(LabelModifier::Include(ls)) => {
                                        l.retain(|k, _| ls.labels.contains(k))
                                    }
                                    Some(LabelModifier::Exclude(ls)) => {
                                        l.retain(|k, _| !ls.labels.contains(k))
                                    }
                                    None => {}
                                }
                                l
                            };
                            out.push((lab, if cmp && !return_bool { a } else { x }));
                        }
                    }
                    Ok(Value::Vector(out))
                }
            }
        }
    }
}
