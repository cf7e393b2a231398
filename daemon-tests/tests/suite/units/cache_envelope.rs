//! Unit tests of the Redis entry envelope (`daemon/src/cache/envelope.rs`), kept in the one test binary.

use autovoice_daemon::cache::envelope::*;

#[test]
fn round_trips_and_refuses_damage() {
    let sealed = seal(b"hello audio");
    assert_eq!(open(&sealed), Ok(&b"hello audio"[..]));
    let e = open(&sealed[..sealed.len() - 1]).err().unwrap_or_default();
    assert!(e.contains("checksum mismatch"), "{e}");
    let mut flipped = sealed.clone();
    flipped[HEADER + 2] ^= 1;
    assert!(open(&flipped).is_err());
    assert!(open(b"AVC1").err().unwrap_or_default().contains("shorter"));
    let mut other = sealed;
    other[0] = b'X';
    assert!(open(&other).err().unwrap_or_default().contains("magic"));
}
