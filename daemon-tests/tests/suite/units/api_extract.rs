//! Unit tests of query extraction (`daemon/src/api/extract.rs`), kept in the one test binary.

use autovoice_daemon::api::extract::*;

#[test]
fn query_pairs_keep_order_and_bare_keys() {
    let pairs = query_pairs("id=a&&flag&base_voice=en-gb+f3");
    let want = [("id", "a"), ("flag", ""), ("base_voice", "en-gb+f3")];
    assert_eq!(pairs, want.map(|(k, v)| (k.to_owned(), v.to_owned())));
}
