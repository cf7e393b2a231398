//! `avctl check-live`: each fixture under `fixtures/live/` is served over HTTP by a one-shot
//! server and compared with the base spec (`fixtures/vbase/`, plus the metric an
//! `# add-metric:` line declares); findings must be exactly the `# expect:` lines (positions in
//! `vbase/rest.yaml`), the exit code must follow, and the rendered output is snapshot-tested.

mod common;
use common::*;
use std::io::{Read, Write};
use std::path::Path;

/// Serves `body` as /metrics to `n` requests on a free port.
fn serve(body: String, n: usize) -> (u16, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        for _ in 0..n {
            let (mut s, _) = listener.accept().expect("accept");
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).expect("read");
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            s.write_all(reply.as_bytes()).expect("write");
        }
    });
    (port, handle)
}

/// The base spec in a temp dir, with the fixture's extra metric appended to the `web` source.
/// Lives at `<tmp>/vbase` so rendered paths read `vbase/rest.yaml` in every run.
fn spec_for(fixture: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempdir();
    let dir = tmp.path().join("vbase");
    copy_tree(&repo().join("avctl/tests/fixtures/vbase"), &dir);
    if let Some(m) = fixture.lines().find_map(|l| l.strip_prefix("# add-metric: ")) {
        let rest = dir.join("rest.yaml");
        let text = std::fs::read_to_string(&rest).expect("rest");
        let anchor = "  - name: scrape\n";
        let text = text.replacen(anchor, &format!("      - {m}\n{anchor}"), 1);
        std::fs::write(&rest, text).expect("write");
    }
    (tmp, dir)
}

fn check(fixture: &Path, format: &str) -> (std::process::Output, String) {
    let body = std::fs::read_to_string(fixture).expect("fixture");
    let (_tmp, spec) = spec_for(&body);
    let (port, server) = serve(body, 1);
    let url = format!("http://127.0.0.1:{port}");
    let o = avctl(&["--spec", spec.to_str().expect("utf8"), "check-live", &url, "--format", format], &spec);
    server.join().expect("server");
    let shown = text(&o).replace(&url, "http://TARGET");
    (o, shown)
}

#[test]
fn every_live_fixture_reports_exactly_its_expected_findings() {
    insta::glob!("fixtures/live/*.prom", |path| {
        let expected = avspec::testing::expectations(&std::fs::read_to_string(path).expect("fixture"));
        let (o, shown) = check(path, "json");
        let got: Vec<(String, u32, u32)> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json line"))
            .map(|v| {
                let at = v["file"].as_str().is_some_and(|f| f.ends_with("rest.yaml"));
                let n = |k: &str| if at { v[k].as_u64().unwrap_or(0) as u32 } else { 0 };
                (v["code"].as_str().unwrap_or("").to_owned(), n("line"), n("column"))
            })
            .collect();
        assert_eq!(got, expected, "{shown}");
        let errors = expected.iter().any(|(c, _, _)| {
            !matches!(c.as_str(), "live/absent-requirement" | "live/help-drift" | "live/cardinality-exceeded")
        });
        assert_eq!(o.status.code(), Some(if errors { 1 } else { 0 }), "{shown}");
        let (_, rendered) = check(path, "text");
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn unreachable_and_malformed_targets_cannot_run() {
    let spec = repo().join("avctl/tests/fixtures/vbase");
    let spec = spec.to_str().expect("utf8");
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("a").port();
    let o = avctl(&["--spec", spec, "check-live", &format!("http://127.0.0.1:{closed}")], &repo());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot connect to 127.0.0.1"), "{}", text(&o));
    // Not the exposition format.
    let (port, server) = serve("web_requests_total{route=\"/a\" 1\n".to_owned(), 1);
    let o = avctl(&["--spec", spec, "check-live", &format!("http://127.0.0.1:{port}/metrics")], &repo());
    server.join().expect("server");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("/metrics: line 1: expected `,` or `}` after label `route`"), "{}", text(&o));
    // An unknown job.
    let o = avctl(&["--spec", spec, "check-live", "http://127.0.0.1:1", "--job", "wbe"], &repo());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no scrape job `wbe` (did you mean `web`?)"), "{}", text(&o));
}

#[test]
fn a_suppressed_error_does_not_block_check_live_as_it_does_not_block_generate() {
    let tmp = tempdir();
    let dir = tmp.path().join("vbase");
    copy_tree(&repo().join("avctl/tests/fixtures/vbase"), &dir);
    let rest = dir.join("rest.yaml");
    let text_before = std::fs::read_to_string(&rest).expect("rest");
    let suppressed = text_before.replace(
        "    runbook: {meaning: Prometheus cannot scrape web.}\n",
        "    allow: [{code: lint/alert-missing-runbook, reason: the web team's wiki holds it}]\n",
    );
    assert_ne!(suppressed, text_before, "the fixture still has WebDown's runbook line");
    std::fs::write(&rest, suppressed).expect("write");
    let spec = dir.to_str().expect("utf8");
    let v = avctl(&["--spec", spec, "validate"], &dir);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(text(&v).contains("1 suppressed"), "{}", text(&v));
    let g = avctl(&["--spec", spec, "generate", "--out", tmp.path().to_str().expect("utf8")], &dir);
    assert_eq!(g.status.code(), Some(0), "{}", text(&g));
    let body = std::fs::read_to_string(repo().join("avctl/tests/fixtures/live/clean.prom")).expect("fixture");
    let (port, server) = serve(body, 1);
    let o = avctl(&["--spec", spec, "check-live", &format!("http://127.0.0.1:{port}")], &dir);
    server.join().expect("server");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}
