//! Slow and stuck clients against the real accept loop: headers sent byte by byte, uploads that
//! stop half way and clients that never read must not take the places of other clients, and
//! each is cut after its documented limit.

use crate::common::*;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A daemon without models whose client limits are short enough to watch.
async fn daemon(max_connections: usize) -> SocketAddr {
    serve(state_with(
        |c| {
            c.max_connections = max_connections;
            c.header_timeout_secs = 1.0;
            c.body_timeout_secs = 1.0;
            c.write_timeout_secs = 1.0;
        },
        None,
        false,
    ))
    .await
}

/// One `GET /health` on a fresh connection: its status line and how long it took.
async fn health(addr: SocketAddr) -> (String, Duration) {
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out);
    (text.lines().next().unwrap_or_default().to_owned(), start.elapsed())
}

/// Reads until the server closes the connection (or 10 s pass); what it sent and when it closed.
async fn until_closed(s: &mut TcpStream, start: Instant) -> (String, Option<Duration>) {
    let mut out = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    (String::from_utf8_lossy(&out).into_owned(), closed.ok().map(|()| start.elapsed()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_sent_byte_by_byte_and_stalled_uploads_are_cut_while_others_are_served() {
    let addr = daemon(64).await;
    let start = Instant::now();
    // 30 clients dribble a request line one byte every 100 ms and never finish it.
    let dribblers: Vec<_> = (0..30)
        .map(|_| {
            tokio::spawn(async move {
                let mut s = TcpStream::connect(addr).await.expect("connect");
                let reader = async {
                    for b in b"GET /health HTTP/1.1\r\nHost: slow-client-with-a-very-long-name" {
                        if s.write_all(&[*b]).await.is_err() {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                };
                reader.await;
                until_closed(&mut s, start).await
            })
        })
        .collect();
    // 10 clients announce 10,000 bytes of body, send 10 and stop.
    let stallers: Vec<_> = (0..10)
        .map(|_| {
            tokio::spawn(async move {
                let mut s = TcpStream::connect(addr).await.expect("connect");
                s.write_all(b"POST /convert?speaker_id=alto HTTP/1.1\r\nHost: t\r\nContent-Type: audio/wav\r\nContent-Length: 10000\r\n\r\nRIFF\0\0\0\0WA")
                    .await
                    .expect("write");
                until_closed(&mut s, Instant::now()).await
            })
        })
        .collect();
    // Meanwhile every other client is answered at once.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..20 {
        let (status, took) = health(addr).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(took < Duration::from_millis(500), "a normal request waited {took:?}");
    }
    for d in dribblers {
        let (sent, closed) = d.await.expect("join");
        let closed = closed.expect("a client dribbling its headers is disconnected");
        // The header timeout is 1 s; the request line alone would take 6 s at this pace.
        assert!(closed < Duration::from_secs(3), "closed after {closed:?}");
        assert!(!sent.contains("200 OK"), "an unfinished request was answered: {sent}");
    }
    for s in stallers {
        let (sent, closed) = s.await.expect("join");
        assert!(sent.starts_with("HTTP/1.1 408"), "a stalled upload is answered 408: {sent}");
        assert!(sent.contains("\"type\":\"timeout\"") && sent.contains("stalled"), "{sent}");
        assert!(closed.expect("closed") < Duration::from_secs(3));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_cut_and_over_the_cap_others_get_503_until_then() {
    let addr = daemon(1).await;
    // A receive window of a few kilobytes and thousands of pipelined requests whose answers it
    // never reads: the daemon's writes block once the socket buffers are full.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("buffer");
    let mut stuck = socket.connect(addr).await.expect("connect");
    let requests = b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n".repeat(100_000);
    let writer = tokio::spawn(async move {
        let _ = stuck.write_all(&requests).await;
        stuck
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The one place is taken: a new client is told so at once instead of waiting.
    let (status, took) = health(addr).await;
    assert_eq!(status, "HTTP/1.1 503 Service Unavailable", "over the cap");
    assert!(took < Duration::from_millis(500), "refused in {took:?}");
    // Within the 1 s write timeout (plus slack) the stuck client is cut and its place freed.
    let start = Instant::now();
    loop {
        let (status, _) = health(addr).await;
        if status == "HTTP/1.1 200 OK" {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(4), "the stuck client still holds the place: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut stuck =
        tokio::time::timeout(Duration::from_secs(10), writer).await.expect("writer ends").expect("join");
    let (_, closed) = until_closed(&mut stuck, Instant::now()).await;
    assert!(closed.is_some(), "the server closed the stuck connection");
}

#[tokio::test]
async fn limits_must_be_positive_finite_seconds() {
    use autovoice_daemon::config::Config;
    use clap::Parser;
    for bad in ["0", "-1", "nan", "inf", "soon"] {
        for flag in
            ["--header-timeout-secs", "--body-timeout-secs", "--write-timeout-secs", "--deadline-secs"]
        {
            let e = Config::try_parse_from(["autovoiced", &format!("{flag}={bad}")]).expect_err("refused");
            assert!(e.to_string().contains("seconds"), "{flag} {bad}: {e}");
        }
    }
    let ok = Config::try_parse_from(["autovoiced", "--header-timeout-secs", "2.5"]).expect("accepted");
    assert!((ok.header_timeout_secs - 2.5).abs() < f64::EPSILON);
}
