//! The accept loop: HTTP/1 connections (WebSocket upgrades included) over the router, with the
//! limits that keep slow or stuck clients from holding what other clients need. A connection
//! cap bounds descriptors; hyper's header read timeout cuts clients that send headers byte by
//! byte (and idle keep-alive connections); a write that stays blocked because the client reads
//! nothing closes the connection. The body read timeout lives with the body extractor
//! (`api::extract`), where a stalled upload can still be answered 408.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::time::Sleep;

/// What one client may hold, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub write_timeout: Duration,
}

impl Limits {
    pub fn from_config(cfg: &crate::config::Config) -> Self {
        Self {
            max_connections: cfg.max_connections.max(1),
            header_timeout: Duration::from_secs_f64(cfg.header_timeout_secs),
            write_timeout: Duration::from_secs_f64(cfg.write_timeout_secs),
        }
    }
}

/// The answer to a connection over the cap, written without reading its request.
fn over_cap() -> Vec<u8> {
    let body = r#"{"error":{"type":"overloaded","message":"too many open connections; retry in 1 s"}}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and waits for
/// every connection to finish the request it is on (idle keep-alive connections close at once).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let refused = Arc::new(AtomicU64::new(0));
    // Each connection task holds a sender: when the last is dropped, every connection is done.
    let (alive, mut all_done) = mpsc::channel::<()>(1);
    let (stop, stopping) = watch::channel(false);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut shutdown => break,
        };
        let (stream, _peer) = match accepted {
            Ok(a) => a,
            // Out of descriptors or a connection reset before it was accepted: both pass, and
            // a pause keeps an exhausted process from spinning on accept.
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            refuse(stream, &refused, limits.max_connections);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Guarded::new(stream, permit, limits.write_timeout));
        let conn = http.serve_connection(io, TowerToHyperService::new(app.clone())).with_upgrades();
        let (alive, mut stopping) = (alive.clone(), stopping.clone());
        tokio::spawn(async move {
            tokio::pin!(conn);
            let ended = tokio::select! {
                r = conn.as_mut() => r,
                _ = stopping.changed() => {
                    // Finish the request in flight, then close; an idle connection closes now.
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(alive);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    drop(alive);
    let _ = all_done.recv().await;
    Ok(())
}

/// Answers a connection over the cap with 503 and closes it, off the accept loop.
fn refuse(mut stream: TcpStream, refused: &AtomicU64, cap: usize) {
    let n = refused.fetch_add(1, Ordering::Relaxed);
    // One line for the first refusal and then one per thousand: a flood must not flood the log.
    if n.is_multiple_of(1000) {
        tracing::warn!(
            max_connections = cap,
            refused = n + 1,
            "connection cap reached; refusing connections"
        );
    }
    tokio::spawn(async move {
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&over_cap())).await;
        let _ = stream.shutdown().await;
    });
}

/// A client connection that holds one place under the cap for as long as it lives (through
/// a WebSocket upgrade too) and fails a write that stays blocked past `write_timeout`.
struct Guarded {
    stream: TcpStream,
    _place: OwnedSemaphorePermit,
    write_timeout: Duration,
    /// Armed while a write or flush is blocked; cleared by any progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl Guarded {
    fn new(stream: TcpStream, place: OwnedSemaphorePermit, write_timeout: Duration) -> Self {
        Self { stream, _place: place, write_timeout, stalled: None }
    }

    /// `Pending` stays pending until the stall timer fires, then becomes a `TimedOut` error.
    fn stall<T>(&mut self, cx: &mut Context<'_>, polled: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let timeout = self.write_timeout;
        let timer = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        ready!(timer.as_mut().poll(cx));
        self.stalled = None;
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("the client read nothing for {} s", timeout.as_secs_f64()),
        )))
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.stall(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.stall(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_flush(cx);
        self.stall(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
