//! `generated/alertmanager/`: Alertmanager's configuration and the routing tests generated
//! from the same spec (written only when the spec has an `alertmanager:` section).

use super::{GENERATED, OutFile, to_yaml};
use crate::routing;
use avspec::SourceMap;
use avspec::index::Index;
use std::path::PathBuf;

/// Where the routing tests live, relative to the output root.
pub const TESTS: &str = "generated/alertmanager/tests/routing.test.yml";

pub fn files(index: &Index<'_>) -> Result<Vec<OutFile>, String> {
    let Some(am) = &index.spec.alertmanager else { return Ok(Vec::new()) };
    let cfg = routing::am_config(am);
    // Locations only matter for findings, which validation reports; none are made here.
    let sources = SourceMap::default();
    let instances = routing::alerts::instances(index, &sources, &routing::alerts::looked_at(&cfg));
    let tests = routing::tests::build(am, &cfg, &instances)?;
    let dir = PathBuf::from(GENERATED).join("alertmanager");
    Ok(vec![
        OutFile { path: dir.join("alertmanager.yml"), contents: to_yaml(&cfg)? },
        OutFile { path: PathBuf::from(TESTS), contents: to_yaml(&tests)? },
    ])
}
