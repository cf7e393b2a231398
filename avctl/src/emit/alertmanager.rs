//! `generated/alertmanager/`: Alertmanager's configuration and the routing tests generated
//! from the same spec (written only when the spec has an `alertmanager:` section).

use super::{GENERATED, OutFile, to_yaml};
use crate::routing::{Plan, tests};
use std::path::PathBuf;

/// Where the routing tests live, relative to the output root.
pub const TESTS: &str = "generated/alertmanager/tests/routing.test.yml";

pub fn files(plan: Option<&Plan<'_>>) -> Result<Vec<OutFile>, String> {
    let Some(plan) = plan else { return Ok(Vec::new()) };
    let tests = tests::build(plan.spec, &plan.cfg, &plan.instances)?;
    let dir = PathBuf::from(GENERATED).join("alertmanager");
    Ok(vec![
        OutFile { path: dir.join("alertmanager.yml"), contents: to_yaml(&plan.cfg)? },
        OutFile { path: PathBuf::from(TESTS), contents: to_yaml(&tests)? },
    ])
}
