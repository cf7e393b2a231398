//! The daemon's binary as a process (`autovoiced`, which cargo builds for this test): shutdown,
//! the healthcheck probe, the backend choice and kill -9 durability. Everything else is tested
//! in the package daemon-tests/, which compiles at a lower opt-level; this binary stays small
//! because it drives the process over sockets instead of calling the library.

mod backend;
mod durability;
// The same real Redis the suite's cache tests use (they use all of it; this binary does not).
#[allow(dead_code)]
#[path = "../../../daemon-tests/tests/suite/common/redis_server.rs"]
mod redis_server;
mod server;

/// espeak-ng (the speech front end) must be installed for the tests that synthesize.
fn require_espeak() {
    let ok = std::process::Command::new("espeak-ng").arg("--version").output().is_ok();
    assert!(ok, "espeak-ng is not installed: run scripts/setup.sh");
}
