//! Unit tests of the container healthcheck probe (`daemon/src/probe.rs`), kept in the one test binary.

use autovoice_daemon::probe::*;
use std::net::SocketAddr;

#[test]
fn every_address_is_probed_on_loopback_and_a_specific_one_as_is() {
    let cases = [
        ("0.0.0.0:5000", "127.0.0.1:5000"),
        ("[::]:5000", "[::1]:5000"),
        ("10.1.2.3:7000", "10.1.2.3:7000"),
        ("127.0.0.1:5000", "127.0.0.1:5000"),
    ];
    for (listen, want) in cases {
        let got = target(listen.parse().expect("addr"));
        assert_eq!(got, want.parse::<SocketAddr>().expect("addr"), "{listen}");
    }
}

#[tokio::test]
async fn a_relative_path_is_refused_before_connecting() {
    let args = ProbeArgs { path: "health".into(), timeout_secs: 1.0 };
    let err = probe("127.0.0.1:9".parse().expect("addr"), &args).await.expect_err("refused");
    assert_eq!(err.to_string(), "probe path \"health\" must start with '/'");
}
