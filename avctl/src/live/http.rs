//! HTTP and HTTPS for `check-live`, `render --prometheus` and the tests, over ureq: TLS by
//! rustls (Mozilla's roots, or the CA file a scrape job names), client certificates, bearer
//! and basic credentials, gzip, one overall timeout and a limit on the (decompressed) body.
//! Any status comes back as a response; only transport failures are errors.

use std::sync::Arc;
use std::time::Duration;
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

/// Largest body read when the caller sets no limit: far above any exposition or API answer
/// this tool reads, far below what would hurt the machine.
pub const DEFAULT_BODY_LIMIT: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Credentials and TLS material, already read from their files.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub bearer_token: Option<String>,
    /// User name and password.
    pub basic: Option<(String, String)>,
    /// PEM certificates to trust instead of Mozilla's roots.
    pub ca_pem: Option<Vec<u8>>,
    /// A client certificate chain and its private key, both PEM.
    pub client_pem: Option<(Vec<u8>, Vec<u8>)>,
    pub insecure_skip_verify: bool,
}

/// A configured client: reuse it for several requests to the same place.
pub struct Client {
    agent: ureq::Agent,
    authorization: Option<String>,
    limit: u64,
}

fn certificates(pem: &[u8], what: &str) -> Result<Vec<Certificate<'static>>, String> {
    let mut out = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        if let PemItem::Certificate(c) = item.map_err(|e| format!("{what}: not PEM ({e})"))? {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err(format!("{what} holds no PEM certificate"));
    }
    Ok(out)
}

impl Client {
    pub fn new(access: &Access, timeout: Duration, limit: u64) -> Result<Self, String> {
        let mut tls = TlsConfig::builder().disable_verification(access.insecure_skip_verify);
        if let Some(pem) = &access.ca_pem {
            tls = tls.root_certs(RootCerts::Specific(Arc::new(certificates(pem, "the CA file")?)));
        }
        if let Some((cert, key)) = &access.client_pem {
            let chain = certificates(cert, "the client certificate file")?;
            let key = PrivateKey::from_pem(key).map_err(|e| format!("the client key file: {e}"))?;
            tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .user_agent(concat!("avctl/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build();
        let authorization = match (&access.bearer_token, &access.basic) {
            (Some(t), _) => Some(format!("Bearer {t}")),
            (None, Some((user, pass))) => {
                Some(format!("Basic {}", base64(format!("{user}:{pass}").as_bytes())))
            }
            (None, None) => None,
        };
        Ok(Self { agent: ureq::Agent::new_with_config(config), authorization, limit })
    }

    /// Sends one request and reads the whole answer, at most the client's limit.
    pub fn request(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, String> {
        let mut req = ureq::http::Request::builder().method(method).uri(url);
        if let Some(a) = &self.authorization {
            req = req.header("authorization", a);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(body).map_err(|e| format!("{method} {url}: {e}"))?;
        let mut resp = self.agent.run(req).map_err(|e| explain(method, url, &e, self.limit))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned())
            })
            .collect();
        let body = resp
            .body_mut()
            .with_config()
            .limit(self.limit)
            .read_to_vec()
            .map_err(|e| explain(method, url, &e, self.limit))?;
        Ok(Response { status, headers, body })
    }
}

/// A transport failure in words: what, where, and for a limit or timeout which one.
fn explain(method: &str, url: &str, e: &ureq::Error, limit: u64) -> String {
    let host = || split_url(url).map_or_else(|_| url.to_owned(), |(h, _)| h);
    match e {
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("cannot connect to {}: {io}", host())
        }
        ureq::Error::ConnectionFailed => format!("cannot connect to {}", host()),
        ureq::Error::HostNotFound => format!("cannot resolve `{}`", host()),
        ureq::Error::Rustls(tls) => format!("{method} {url}: TLS: {tls}"),
        ureq::Error::BodyExceedsLimit(_) => {
            format!("{method} {url}: the answer is larger than {limit} bytes")
        }
        ureq::Error::Timeout(t) => format!("{method} {url}: timed out ({t})"),
        other => format!("{method} {url}: {other}"),
    }
}

/// Standard base64 with padding (RFC 4648), for basic credentials.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `(host:port, path)` of an `http://` or `https://` URL (ports 80 and 443 by default; a URL
/// without a scheme is http).
pub fn split_url(url: &str) -> Result<(String, String), String> {
    let (rest, port) = match url.split_once("://") {
        Some(("http", rest)) => (rest, 80),
        Some(("https", rest)) => (rest, 443),
        Some((scheme, _)) => return Err(format!("`{url}`: scheme `{scheme}` is not http or https")),
        None => (url, 80),
    };
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    let host = if host.contains(':') { host.to_owned() } else { format!("{host}:{port}") };
    Ok((host, path.to_owned()))
}

/// `url` with `http://` when it names no scheme.
pub fn with_scheme(url: &str) -> String {
    if url.contains("://") { url.to_owned() } else { format!("http://{url}") }
}

/// One request without credentials, at most `DEFAULT_BODY_LIMIT` bytes of answer.
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<Response, String> {
    Client::new(&Access::default(), timeout, DEFAULT_BODY_LIMIT)?.request(
        method,
        &with_scheme(url),
        headers,
        body,
    )
}

pub fn get(url: &str, timeout: Duration) -> Result<Response, String> {
    request("GET", url, &[], &[], timeout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn urls_split_into_host_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:5000/metrics"),
            Ok(("127.0.0.1:5000".into(), "/metrics".into()))
        );
        assert_eq!(split_url("localhost:9090"), Ok(("localhost:9090".into(), "/".into())));
        assert_eq!(split_url("http://example/x?y=1"), Ok(("example:80".into(), "/x?y=1".into())));
        assert_eq!(split_url("https://example/metrics"), Ok(("example:443".into(), "/metrics".into())));
        assert!(split_url("ftp://x/metrics").is_err_and(|e| e.contains("not http or https")));
        assert!(split_url("http:///metrics").is_err());
    }

    #[test]
    fn basic_credentials_are_base64() {
        assert_eq!(base64(b"Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b""), "");
    }

    /// Serves `reply` once on a loopback port; returns the port and the request it got.
    fn once(reply: Vec<u8>) -> (u16, std::thread::JoinHandle<String>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).expect("read");
            let _ = s.write_all(&reply);
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        (port, server)
    }

    #[test]
    fn reads_plain_and_chunked_bodies_and_any_status() {
        for (reply, want) in [
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", (200, "hello")),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n",
                (200, "hello"),
            ),
            ("HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy", (503, "busy")),
        ] {
            let (port, server) = once(reply.as_bytes().to_vec());
            let r = get(&format!("http://127.0.0.1:{port}/metrics"), Duration::from_secs(5)).expect("get");
            server.join().expect("server");
            assert_eq!((r.status, r.text().as_str()), want);
        }
    }

    #[test]
    fn sends_credentials_and_refuses_a_body_over_the_limit() {
        let (port, server) = once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".iter().chain(&[b'x'; 100]).copied().collect(),
        );
        let access = Access { basic: Some(("prom".into(), "s3cret".into())), ..Access::default() };
        let client = Client::new(&access, Duration::from_secs(5), 10).expect("client");
        let e =
            client.request("GET", &format!("http://127.0.0.1:{port}/metrics"), &[], &[]).expect_err("over");
        let request = server.join().expect("server");
        assert!(request.contains("authorization: Basic cHJvbTpzM2NyZXQ="), "{request}");
        assert!(e.contains("larger than 10 bytes"), "{e}");
    }

    #[test]
    fn a_target_that_never_answers_times_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let start = std::time::Instant::now();
        let e = get(&format!("http://127.0.0.1:{port}/metrics"), Duration::from_millis(300))
            .expect_err("timeout");
        assert!(e.contains("timed out"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(3));
        drop(listener);
    }
}
