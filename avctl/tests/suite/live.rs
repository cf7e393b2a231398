//! `avctl check-live`: each fixture under `fixtures/live/` is served over HTTP by a one-shot
//! server and compared with the base spec (`fixtures/vbase/`, plus the metric an
//! `# add-metric:` line declares); findings must be exactly the `# expect:` lines (positions in
//! `vbase/rest.yaml`), the exit code must follow, and the rendered output is snapshot-tested.

use crate::common::*;
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
    insta::glob!("../fixtures", "live/*.prom", |path| {
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

/// `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let o = std::process::Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
    assert!(o.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// In `dir`: CAs `ca` and `other-ca` (`.pem`, `.key`), and `server.pem`/`server.key` for
/// 127.0.0.1 signed by `ca`.
fn certificates(dir: &Path) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    for name in ["ca", "other-ca"] {
        let (key, pem, subj) = (format!("{name}.key"), format!("{name}.pem"), format!("/CN={name}"));
        let mut args = vec!["req", "-x509", "-days", "2", "-subj", &subj, "-keyout", &key, "-out", &pem];
        args.extend(ec);
        openssl(dir, &args);
    }
    let mut args = vec!["req", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"];
    args.extend(ec);
    openssl(dir, &args);
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
        .expect("ext");
    openssl(
        dir,
        &["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"]
            .into_iter()
            .chain(["-days", "2", "-extfile", "ext.cnf", "-out", "server.pem"])
            .collect::<Vec<_>>(),
    );
}

/// A child process killed when the test ends, passing or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The TLS target (fixtures/tls_target.py) serving `exposition` with `dir`'s server
/// certificate and wanting `authorization`: its port, process, and the lines it prints.
fn tls_target(
    dir: &Path,
    exposition: &Path,
    authorization: &str,
) -> (u16, Killed, std::io::Lines<std::io::BufReader<std::process::ChildStdout>>) {
    use std::io::BufRead;
    let mut child = std::process::Command::new("python3")
        .arg(repo().join("avctl/tests/fixtures/tls_target.py"))
        .args([dir.join("server.pem"), dir.join("server.key"), exposition.to_path_buf()])
        .arg(authorization)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let port = lines.next().expect("a line").expect("port").trim().parse().expect("a port");
    (port, Killed(child), lines)
}

#[test]
fn scrapes_over_tls_with_the_jobs_credentials_gzip_and_limits() {
    let tmp = tempdir();
    let d = tmp.path();
    certificates(d);
    std::fs::write(d.join("token"), "t0ken-123\n").expect("token");
    std::fs::write(d.join("wrong-token"), "guess").expect("token");
    let exposition = repo().join("avctl/tests/fixtures/live/clean.prom");
    let (port, _server, mut said) = tls_target(d, &exposition, "Bearer t0ken-123");
    // The base spec whose job scrapes over https with a token and a private CA, at the paths
    // Prometheus would see them.
    let dir = d.join("vbase");
    copy_tree(&repo().join("avctl/tests/fixtures/vbase"), &dir);
    let prom = dir.join("prometheus.yaml");
    let job = "    - {name: web, source: web, targets: [\"web:8080\"], service: web}\n";
    let base = std::fs::read_to_string(&prom).expect("prometheus.yaml");
    assert!(base.contains(job), "the base job line");
    std::fs::write(&prom, base.replace(job, &format!(
        "    - name: web\n      source: web\n      targets: [\"127.0.0.1:{port}\"]\n      service: web\n      access:\n        scheme: https\n        bearer_token_file: /etc/prometheus/secrets/web-token\n        tls: {{ca_file: /etc/prometheus/secrets/ca.pem}}\n"
    )))
    .expect("write");
    let spec = dir.to_str().expect("utf8");
    let v = avctl(&["--spec", spec, "validate"], &dir);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    let target = format!("127.0.0.1:{port}");
    let live = |extra: &[&str]| {
        let mut args = vec!["--spec", spec, "check-live", target.as_str()];
        args.extend_from_slice(extra);
        avctl(&args, &dir)
    };
    let (token, ca, other) = (d.join("token"), d.join("ca.pem"), d.join("other-ca.pem"));
    let (token, ca, other) =
        (token.to_str().expect("u"), ca.to_str().expect("u"), other.to_str().expect("u"));
    // The spec's paths are where Prometheus runs: here they are not, and it says how to go on.
    let o = live(&[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(
            "job `web`'s bearer_token_file `/etc/prometheus/secrets/web-token` cannot be read here"
        ) && text(&o).contains("--bearer-token-file"),
        "{}",
        text(&o)
    );
    // With local copies: https (the job's scheme, as the URL names none), the token, gzip.
    let o = live(&["--bearer-token-file", token, "--ca-file", ca]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains(&format!("https://127.0.0.1:{port}/metrics: 0 errors")), "{}", text(&o));
    assert_eq!(said.next().expect("a line").expect("line"), "gzip", "the answer came compressed");
    // A wrong token is the target's 401.
    let wrong = d.join("wrong-token");
    let o = live(&["--bearer-token-file", wrong.to_str().expect("u"), "--ca-file", ca]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("HTTP 401"), "{}", text(&o));
    // A certificate from a CA the job does not trust is refused, unless verification is off.
    let o = live(&["--bearer-token-file", token, "--ca-file", other]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("invalid peer certificate: UnknownIssuer"), "{}", text(&o));
    let o = live(&["--bearer-token-file", token, "--ca-file", other, "--insecure-skip-verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // An endless body stops at the limit, at once.
    let start = std::time::Instant::now();
    let endless = format!("https://127.0.0.1:{port}/endless");
    let o = avctl(
        &[
            "--spec",
            spec,
            "check-live",
            &endless,
            "--bearer-token-file",
            token,
            "--ca-file",
            ca,
            "--max-bytes",
            "1000000",
        ],
        &dir,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("larger than 1000000 bytes"), "{}", text(&o));
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}
