//! `avctl test`: generates the rules and unit tests for the spec into a scratch directory, runs
//! `promtool test rules` on every test file and, when the spec routes alerts, the routing and
//! inhibition tests against the generated Alertmanager configuration; reports per alert.

use super::{CANNOT_RUN, Ctx, FINDINGS, OK};
use crate::emit::{self, GenOptions};
use crate::resolved::Resolved;
use crate::routing::tests::{CaseResult, RoutingTests};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// One test file's name, whether promtool passed it, and promtool's output.
type Outcome = (String, bool, String);

/// Runs promtool on the test files under `root/generated/prometheus/tests`; returns, per file,
/// whether it passed and promtool's output.
pub fn run_promtool(promtool: &Path, root: &Path) -> Result<Vec<Outcome>, String> {
    let dir = root.join(emit::GENERATED).join("prometheus/tests");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.yml"))
        .collect();
    files.sort();
    // Each file is an independent promtool run (the SLO files evaluate days of series).
    let out = crate::par::map_in_order(&files, |f| -> Result<Outcome, String> {
        let o = Command::new(promtool).args(["test", "rules"]).arg(f).output().map_err(|e| {
            format!("cannot run `{}`: {e} (install it with scripts/setup.sh)", promtool.display())
        })?;
        let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok((name, o.status.success(), text))
    })
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

pub fn test(ctx: &Ctx, promtool: &Path, amtool: &Path, quiet: bool) -> u8 {
    let resolved = Resolved::load(ctx);
    let checked = resolved.check_for(ctx);
    let Some(index) = checked.usable("nothing to test") else {
        return CANNOT_RUN;
    };
    let scratch = match tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return CANNOT_RUN;
        }
    };
    let written = emit::generate_all(index, &GenOptions::default())
        .and_then(|files| crate::output::write(&scratch, &files).map(|_| ()));
    let (_, outcomes) = match written.and_then(|()| emit::promtool_tests::test_files(index)) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            let _ = std::fs::remove_dir_all(&scratch);
            return CANNOT_RUN;
        }
    };
    let results = run_promtool(promtool, &scratch);
    let routing = index.spec.alertmanager.is_some().then(|| run_routing(amtool, &scratch));
    let _ = std::fs::remove_dir_all(&scratch);
    let results = match results {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return CANNOT_RUN;
        }
    };
    let passed =
        |group: &str| results.iter().find(|(f, _, _)| *f == format!("{group}.test.yml")).map(|r| r.1);
    let mut failures = 0;
    for a in &outcomes {
        let status = match (&a.unsupported, passed(&a.group)) {
            (Some(why), _) => {
                failures += 1;
                format!("NO TESTS ({why})")
            }
            (None, Some(true)) => "ok".to_owned(),
            (None, _) => {
                failures += 1;
                "FAILED".to_owned()
            }
        };
        if !quiet || status != "ok" {
            println!("{:<40} {:>2} cases  {status}", a.alert, a.cases.len());
        }
    }
    for (file, ok, text) in &results {
        if !ok {
            eprintln!("promtool test rules {file}:\n{text}");
        }
    }
    let covered = outcomes.iter().filter(|a| a.unsupported.is_none()).count();
    println!(
        "{} alerts, {covered} with generated tests ({:.0}% coverage), {} test files, {failures} failing",
        outcomes.len(),
        if outcomes.is_empty() { 100.0 } else { covered as f64 * 100.0 / outcomes.len() as f64 },
        results.len()
    );
    match routing {
        None => {}
        Some(Err(e)) => {
            eprintln!("error: routing tests: {e}");
            return CANNOT_RUN;
        }
        Some(Ok(cases)) => failures += report_routing(&cases, quiet),
    }
    if failures == 0 { OK } else { FINDINGS }
}

/// Runs the generated routing tests in `root` against the generated Alertmanager config.
pub fn run_routing(amtool: &Path, root: &Path) -> Result<Vec<CaseResult>, String> {
    let path = root.join(emit::alertmanager::TESTS);
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let tests: RoutingTests =
        serde_saphyr::from_str(&text).map_err(|e| format!("cannot parse `{}`: {e}", path.display()))?;
    let config = path.parent().unwrap_or(root).join(&tests.config);
    crate::routing::tests::run(amtool, &config, &tests)
}

/// Prints one line per alert (route and inhibition cases) and every failure; returns how many
/// alerts failed.
fn report_routing(cases: &[CaseResult], quiet: bool) -> usize {
    let mut by_alert: BTreeMap<&str, (usize, usize, Vec<&CaseResult>)> = BTreeMap::new();
    for c in cases {
        let name = c.alert.split('{').next().unwrap_or(&c.alert);
        let e = by_alert.entry(name).or_default();
        if c.kind == "route" {
            e.0 += 1
        } else {
            e.1 += 1
        }
        if !c.passed {
            e.2.push(c);
        }
    }
    let mut failed = 0;
    for (alert, (routes, inhibitions, bad)) in &by_alert {
        let status = if bad.is_empty() { "ok" } else { "FAILED" };
        if !quiet || !bad.is_empty() {
            println!("{alert:<40} {routes:>2} routes {inhibitions:>3} inhibitions  {status}");
        }
        for c in bad {
            eprintln!("  {} {}: {}", c.kind, c.alert, c.detail);
        }
        failed += usize::from(!bad.is_empty());
    }
    println!(
        "routing: {} route cases (amtool), {} inhibition cases, {failed} alerts failing",
        cases.iter().filter(|c| c.kind == "route").count(),
        cases.iter().filter(|c| c.kind != "route").count()
    );
    failed
}

fn tempdir() -> Result<std::path::PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("avctl-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    Ok(dir)
}
