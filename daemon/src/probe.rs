//! `autovoiced probe`: one HTTP GET against the daemon's own listen address, for container
//! healthchecks that must not depend on curl or wget being in the image.

use bytes::Bytes;
use http_body_util::Empty;
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Flags of `autovoiced probe`.
#[derive(clap::Args, Debug, Clone)]
pub struct ProbeArgs {
    /// Path to ask for: `/health` (the process serves) or `/ready` (the models are loaded).
    #[arg(long, default_value = "/health")]
    pub path: String,
    /// Seconds before the probe gives up on connecting and answering.
    #[arg(long, default_value_t = 5.0)]
    pub timeout_secs: f64,
}

/// Why a probe did not get a 2xx answer.
#[derive(Debug)]
pub enum ProbeError {
    /// The path is not an absolute request path.
    BadPath(String),
    /// Nothing answered in time.
    TimedOut(Duration),
    /// The connection or the HTTP exchange failed.
    Http(String),
    /// The daemon answered with a non-success status.
    Status(StatusCode),
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadPath(p) => write!(f, "probe path {p:?} must start with '/'"),
            Self::TimedOut(d) => write!(f, "no answer within {:.1} s", d.as_secs_f64()),
            Self::Http(e) => write!(f, "{e}"),
            Self::Status(s) => write!(f, "answered {s}"),
        }
    }
}

/// The address a local client reaches a daemon listening on `listen` at: a daemon bound to
/// every address (`0.0.0.0`, `::`, as in a container) is asked on loopback.
pub fn target(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// Asks `addr` for `args.path` and returns the status when it is a success.
pub async fn probe(addr: SocketAddr, args: &ProbeArgs) -> Result<StatusCode, ProbeError> {
    if !args.path.starts_with('/') {
        return Err(ProbeError::BadPath(args.path.clone()));
    }
    let limit = Duration::from_secs_f64(args.timeout_secs.max(0.001));
    let status = tokio::time::timeout(limit, get(addr, &args.path))
        .await
        .map_err(|_| ProbeError::TimedOut(limit))??;
    if status.is_success() { Ok(status) } else { Err(ProbeError::Status(status)) }
}

async fn get(addr: SocketAddr, path: &str) -> Result<StatusCode, ProbeError> {
    let http = |e: &dyn std::fmt::Display| ProbeError::Http(format!("{addr}: {e}"));
    let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| http(&e))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| http(&e))?;
    // The connection task drives the socket; it ends when the answer has been read.
    tokio::spawn(conn);
    let request = Request::get(path)
        .header(header::HOST, addr.to_string())
        .header(header::USER_AGENT, concat!("autovoiced-probe/", env!("CARGO_PKG_VERSION")))
        .body(Empty::<Bytes>::new())
        .map_err(|e| http(&e))?;
    let answer = sender.send_request(request).await.map_err(|e| http(&e))?;
    Ok(answer.status())
}
