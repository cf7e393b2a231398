//! Unit tests of the daemon state (`daemon/src/state/mod.rs`), kept in the one test binary.

use autovoice_daemon::config::Config;
use autovoice_daemon::state::*;

#[test]
fn request_ids_are_unique_within_and_across_processes() {
    let a = AppState::new(Config::for_tests(), autovoice_daemon::speakers::builtin(), None).expect("state");
    let b = AppState::new(Config::for_tests(), autovoice_daemon::speakers::builtin(), None).expect("state");
    let (a1, a2, b1) = (a.next_request_id(), a.next_request_id(), b.next_request_id());
    assert_ne!(a1, a2);
    assert_ne!(a1, b1, "two daemons (replicas) must not hand out the same first id");
    let tag = |id: &str| id.rsplit_once('-').map(|(t, _)| t.to_owned());
    assert_eq!(tag(&a1), tag(&a2), "one process keeps one tag");
    assert!(a1.len() <= 64 && a1.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'), "{a1}");
}
