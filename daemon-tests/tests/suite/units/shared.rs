//! Unit tests of the shared Redis store (`daemon/src/shared/mod.rs`), kept in the one test binary.

use autovoice_daemon::shared::redact;

#[test]
fn passwords_never_reach_the_logs() {
    assert_eq!(redact("redis://:hunter2@cache:6379/0"), "redis://***@cache:6379/0");
    assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
}
