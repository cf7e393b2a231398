//! The end-to-end test's alert-routing checks: notifications that reach the receivers the
//! spec names (with labels and annotations), a warning muted by the critical alert of the same
//! incident, resolved notifications; and avctl's inhibition model against a real Alertmanager,
//! alert set by alert set.

use autovoice_e2e::alerting::{Alertmanager, Webhook};
use autovoice_e2e::{Procs, wait_for};
use avctl::routing::config::AmConfig;
use avctl::routing::matcher::LabelMap;
use avctl::routing::model::Inhibitor;
use avctl::routing::tests::RoutingTests;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

type R<T = ()> = Result<T, String>;

/// Starts Alertmanager 0.25 on `port` with the generated configuration; waits until ready.
pub fn start(procs: &mut Procs, dir: &Path, name: &str, port: u16) -> R<Alertmanager> {
    let mut cmd = Command::new("prometheus-alertmanager");
    cmd.arg(format!("--config.file={}", dir.join("generated/alertmanager/alertmanager.yml").display()))
        .arg(format!("--storage.path={}", dir.join(format!("{name}-data")).display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        // A single instance: no gossip port to collide with other runs.
        .arg("--cluster.listen-address=")
        .arg("--log.level=warn");
    procs.spawn(name, cmd, &dir.join(format!("{name}.log")))?;
    let am = Alertmanager { base: format!("http://127.0.0.1:{port}") };
    wait_for(&format!("{name} ready"), Duration::from_secs(30), || {
        Ok(avctl::live::http::get(&format!("{}/-/ready", am.base), Duration::from_secs(2))
            .ok()
            .filter(|r| r.status == 200)
            .map(|_| ()))
    })?;
    Ok(am)
}

/// Waits for `alertname` with `status` at `receiver`; returns its labels and annotations.
pub fn notified(hook: &Webhook, receiver: &str, alertname: &str, status: &str) -> R<(Value, Value)> {
    let start = Instant::now();
    let found = wait_for(&format!("{alertname} ({status}) at {receiver}"), Duration::from_secs(60), || {
        Ok(hook.find(receiver, alertname, status))
    })?;
    eprintln!("e2e: {alertname} {status} reached {receiver} after {:.1}s", start.elapsed().as_secs_f64());
    Ok(found)
}

/// HighErrorRate paged and filed a ticket, with its labels and annotations (runbook link).
pub fn high_error_rate_delivered(hook: &Webhook, runbook: &str) -> R {
    for receiver in ["oncall-pager", "team-tickets"] {
        let (labels, ann) = notified(hook, receiver, "HighErrorRate", "firing")?;
        let url = ann["runbook_url"].as_str().unwrap_or("");
        if labels["severity"] != "critical"
            || url != format!("{runbook}#higherrorrate")
            || ann["summary"].as_str().is_none_or(str::is_empty)
            || !ann["description"].as_str().is_some_and(|d| d.contains("error rate"))
        {
            return Err(format!("HighErrorRate at {receiver}: labels {labels}, annotations {ann}"));
        }
    }
    Ok(())
}

/// `alertname` fires (Prometheus sent it) and Alertmanager holds it inhibited; no receiver has
/// been told about it.
pub fn muted(am: &Alertmanager, hook: &Webhook, alertname: &str) -> R {
    let start = Instant::now();
    wait_for(&format!("{alertname} inhibited at Alertmanager"), Duration::from_secs(60), || {
        let all = am.alerts()?;
        let mine: Vec<_> =
            all.iter().filter(|(l, _)| l.get("alertname").is_some_and(|n| n == alertname)).collect();
        Ok((!mine.is_empty() && mine.iter().all(|(_, inhibited)| *inhibited)).then_some(()))
    })?;
    // Several group intervals (1 s) for a notification that must not come.
    std::thread::sleep(Duration::from_secs(3));
    let told = hook.receivers_of(alertname);
    if !told.is_empty() {
        return Err(format!("{alertname} is inhibited, yet reached {told:?}"));
    }
    eprintln!(
        "e2e: {alertname} is muted by the critical alert of its incident ({:.1}s)",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Posts each alert set to a fresh Alertmanager and compares, alert by alert, what it reports
/// inhibited with what avctl's model predicts over the same configuration file. The sets:
/// every alert of the spec at once; two SLOs' page and ticket (not muted); one SLO's page and
/// ticket (muted); and a page and a warning of different instances (not muted).
pub fn model_agrees(am: &Alertmanager, dir: &Path) -> R {
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).map_err(|e| format!("{p}: {e}"));
    let cfg: AmConfig = serde_saphyr::from_str(&read("generated/alertmanager/alertmanager.yml")?)
        .map_err(|e| e.to_string())?;
    let tests: RoutingTests = serde_saphyr::from_str(&read("generated/alertmanager/tests/routing.test.yml")?)
        .map_err(|e| e.to_string())?;
    let model = Inhibitor::new(&cfg.inhibit_rules)?;
    let get = |l: &LabelMap, k: &str| l.get(k).cloned().unwrap_or_default();
    let pair = |f: &dyn Fn(&avctl::routing::tests::InhibitionTest) -> bool| {
        tests.inhibitions.iter().find(|t| f(t)).map(|t| vec![t.source.clone(), t.target.clone()])
    };
    let sets = [
        ("every alert", Some(tests.routes.iter().map(|r| r.labels.clone()).collect())),
        (
            "two SLOs",
            pair(&|t| {
                !t.muted
                    && !get(&t.source, "slo").is_empty()
                    && get(&t.target, "slo") != get(&t.source, "slo")
                    && !get(&t.target, "slo").is_empty()
            }),
        ),
        (
            "one SLO",
            pair(&|t| {
                t.muted && !get(&t.source, "slo").is_empty() && get(&t.target, "slo") == get(&t.source, "slo")
            }),
        ),
        ("two instances", pair(&|t| !t.muted && get(&t.target, "instance").ends_with("-other"))),
    ];
    for (what, set) in sets {
        let set: Vec<LabelMap> = set.ok_or(format!("the routing tests have no `{what}` case"))?;
        let expected: Vec<(LabelMap, bool)> =
            set.iter().map(|l| (l.clone(), model.muted_by(l, &set).is_some())).collect();
        am.post(&set, false)?;
        let mismatches = || -> R<Vec<String>> {
            let got = am.alerts()?;
            Ok(expected
                .iter()
                .filter_map(|(l, want)| match got.iter().find(|(g, _)| g == l) {
                    Some((_, inhibited)) if inhibited == want => None,
                    Some((_, inhibited)) => {
                        Some(format!("{}: model {want}, Alertmanager {inhibited}", get(l, "alertname")))
                    }
                    None => Some(format!("{}: not at Alertmanager", get(l, "alertname"))),
                })
                .collect())
        };
        wait_for(&format!("Alertmanager agrees with the model on {what}"), Duration::from_secs(20), || {
            Ok(mismatches()?.is_empty().then_some(()))
        })
        .map_err(|e| format!("{e}: {:?}", mismatches().unwrap_or_default()))?;
        // The inhibitor's view of sources is updated asynchronously: agreement must hold on.
        std::thread::sleep(Duration::from_secs(2));
        let late = mismatches()?;
        if !late.is_empty() {
            return Err(format!("{what}: Alertmanager changed its mind: {late:?}"));
        }
        let muted = expected.iter().filter(|(_, m)| *m).count();
        eprintln!("e2e: inhibition model = Alertmanager on {what}: {} alerts, {muted} muted", set.len());
        am.post(&set, true)?;
        wait_for("the alert set resolved", Duration::from_secs(20), || {
            Ok(am.alerts()?.is_empty().then_some(()))
        })?;
    }
    Ok(())
}
