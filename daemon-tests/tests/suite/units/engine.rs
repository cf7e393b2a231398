//! Unit tests of the engine (`daemon/src/engine/mod.rs`), kept in the one test binary.

use autovoice_daemon::engine::*;
use autovoice_daemon::metrics::label::Backend;
use autovoice_daemon::models::crepe::Capacity;
use std::path::Path;

#[test]
fn the_cpu_selection_builds_a_cpu_engine_without_models() {
    let engine = Engine::build(&Selection::cpu_for_tests());
    assert_eq!(engine.backend(), Backend::Cpu);
    assert!(!engine.has_quality());
    let missing = engine.load_quality(Path::new("/nonexistent"), Capacity::Tiny);
    assert!(missing.crepe.is_some() && missing.encoder.is_some());
    assert!(!engine.has_quality(), "a failed load leaves the models absent");
}
