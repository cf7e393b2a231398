//! Builds the test cases of each alert: hand-written alerts here, SLO burn-rate alerts in
//! `slo_cases`; the rules are simulated to know what promtool must see.

use super::case::MINUTE;
use super::case::{AlertTests, Case, Check};
use super::series;
use super::series::Notation;
use super::simulate::{active, expected, records, simulate, with_runbook};
use crate::promql;
use crate::promql::eval::Db;
use avspec::Alert;
use avspec::index::Index;
use promql_parser::parser::Expr;

/// Minutes of quiet input before a firing case switches to its firing level.
const WARMUP: usize = 10;

/// Tests of a hand-written alert: find the knob value where it starts firing, then a case just
/// above (fires after exactly `for`, with a counter reset inside the window) and just below.
fn hand_written(index: &Index<'_>, alert: &Alert, e: &Expr, url: &str) -> Result<Vec<Case>, String> {
    let fams = series::families(index, e)?;
    let for_ms = alert.for_.as_ref().map_or(0, |f| i64::try_from(f.millis()).unwrap_or(i64::MAX));
    let minutes = usize::try_from((for_ms / MINUTE).max(0)).unwrap_or(0) + 30;
    let recs = records(&index.spec.recording_rules);
    let threshold = match e {
        Expr::Binary(b) if b.op.is_comparison_operator() => match (b.lhs.as_ref(), b.rhs.as_ref()) {
            (_, Expr::NumberLiteral(n)) | (Expr::NumberLiteral(n), _) => Some(n.val),
            _ => None,
        },
        _ => None,
    };
    let sets = series::all_label_sets(index, &fams);
    let db_for = |phases: &[(u32, usize)], reset: Option<usize>, notation| Db {
        series: series::build(&fams, &sets, phases, reset, threshold, notation),
        records: recs.clone(),
    };
    let end = (minutes as i64 - 1) * MINUTE;
    // Where the alert flips between quiet and firing as the input level rises: bisection when
    // the ends differ (the usual monotone case), else a scan of every level.
    // Each probe builds every series (without their notation) and evaluates once; a level the
    // search asks for again is answered from `probed`.
    let probed = std::cell::RefCell::new(std::collections::BTreeMap::new());
    let fires = |k: u32| -> Result<bool, String> {
        if let Some(&f) = probed.borrow().get(&k) {
            return Ok(f);
        }
        let f = !active(&db_for(&[(k, minutes)], None, Notation::Skip), e, end)?.is_empty();
        probed.borrow_mut().insert(k, f);
        Ok(f)
    };
    let (lo_state, hi_state) = (fires(0)?, fires(100)?);
    let flip = if lo_state != hi_state {
        let (mut lo, mut hi) = (0u32, 100u32);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if fires(mid)? == lo_state { lo = mid } else { hi = mid }
        }
        lo as usize
    } else {
        let mut states = Vec::new();
        for k in 0..=100u32 {
            states.push(fires(k)?);
        }
        (0..100usize)
            .find(|&k| states[k] != states[k + 1])
            .ok_or("no input level makes it both fire and stay quiet")?
    };
    let k = u32::try_from(flip).unwrap_or(0);
    let (fire, quiet) = if fires(k + 1)? { (k + 1, k) } else { (k, k + 1) };
    // The firing input starts at the quiet level and switches after WARMUP minutes, so when it
    // fires depends on the windows; a counter resets two minutes after the switch.
    let fire_db = db_for(&[(quiet, WARMUP), (fire, minutes)], Some(WARMUP + 2), Notation::Write);
    let end = (minutes + WARMUP - 1) as i64 * MINUTE;
    let (t_fire, out) = simulate(&fire_db, e, for_ms, MINUTE, end)?
        .ok_or("the firing input never fires within the simulated window")?;
    let alerts = with_runbook(expected(alert, &out)?, url);
    let name = alert.name.value.clone();
    let mut checks = Vec::new();
    if for_ms > 0 {
        checks.push(Check { eval_ms: t_fire - MINUTE, alertname: name.clone(), alerts: vec![] });
    }
    checks.push(Check { eval_ms: t_fire, alertname: name.clone(), alerts });
    let quiet_db = db_for(&[(quiet, minutes + WARMUP)], None, Notation::Write);
    if simulate(&quiet_db, e, for_ms, MINUTE, end)?.is_some() {
        return Err("the quiet input fires too; cannot separate the cases".to_owned());
    }
    Ok(vec![
        Case {
            name: format!(
                "{name} fires {}m after its condition holds (input level {fire}%)",
                for_ms / MINUTE
            ),
            interval_ms: MINUTE,
            series: fire_db.series,
            checks,
        },
        Case {
            name: format!("{name} stays quiet just under its threshold (input level {quiet}%)"),
            interval_ms: MINUTE,
            series: quiet_db.series,
            checks: vec![Check { eval_ms: end, alertname: name, alerts: vec![] }],
        },
    ])
}

/// Tests for every alert of the spec (expanded with SLO rules), in the spec's order. Alerts are
/// independent, so they are simulated on every core.
pub fn tests_for(index: &Index<'_>) -> Vec<AlertTests> {
    crate::par::map_in_order(&index.spec.alerts, |alert| alert_tests(index, alert))
}

fn alert_tests(index: &Index<'_>, alert: &Alert) -> AlertTests {
    let url = crate::emit::rules::runbook_url(index, alert);
    let slo = index.spec.slos.iter().find(|s| super::slo_cases::is_slo_alert(s, alert));
    let result = promql::parse(&alert.expr).and_then(|e| match slo {
        Some(s) => super::slo_cases::cases(index, s, alert, &e, &url),
        None => hand_written(index, alert, &e, &url),
    });
    let (cases, unsupported) = match result {
        Ok(cases) => (cases, None),
        Err(why) => (vec![], Some(why)),
    };
    AlertTests {
        alert: alert.name.value.clone(),
        group: alert.group.value.clone(),
        eval_interval_ms: slo.map_or(MINUTE, |s| super::slo_cases::eval_step(s, alert)),
        cases,
        unsupported,
    }
}
