//! A minimal blocking HTTP/1.1 client over `std::net` (plain `http://` only): enough to scrape a
//! `/metrics` endpoint and to drive local APIs in tests, without an async runtime or TLS stack.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

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

/// `(host:port, path)` of an `http://` URL.
pub fn split_url(url: &str) -> Result<(String, String), String> {
    if url.starts_with("https://") {
        return Err(format!("`{url}`: https is not supported; scrape a plain-HTTP endpoint"));
    }
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    let host = if host.contains(':') { host.to_owned() } else { format!("{host}:80") };
    Ok((host, path.to_owned()))
}

/// Sends one request and reads the whole response (`Connection: close`).
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<Response, String> {
    let (host, path) = split_url(url)?;
    let addr = host
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{host}`: {e}"))?
        .next()
        .ok_or_else(|| format!("`{host}` resolves to no address"))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("cannot connect to {host}: {e}"))?;
    let io = |e: std::io::Error| format!("{method} {url}: {e}");
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(body).map_err(io)?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).map_err(io)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{method} {url}: not an HTTP response: {:?}", status_line.trim()))?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(io)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let chunked = headers.iter().any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).map_err(io)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| format!("{method} {url}: bad chunk size {:?}", size.trim()))?;
            if n == 0 {
                break;
            }
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).map_err(io)?;
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        reader.read_to_end(&mut body).map_err(io)?;
    }
    Ok(Response { status, headers, body })
}

pub fn get(url: &str, timeout: Duration) -> Result<Response, String> {
    request("GET", url, &[], &[], timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:5000/metrics"),
            Ok(("127.0.0.1:5000".into(), "/metrics".into()))
        );
        assert_eq!(split_url("localhost:9090"), Ok(("localhost:9090".into(), "/".into())));
        assert_eq!(split_url("http://example/x?y=1"), Ok(("example:80".into(), "/x?y=1".into())));
        assert!(split_url("https://x/metrics").is_err_and(|e| e.contains("https is not supported")));
        assert!(split_url("http:///metrics").is_err());
    }

    #[test]
    fn reads_plain_and_chunked_bodies() {
        for (reply, want) in [
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "hello"),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n",
                "hello",
            ),
        ] {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let port = listener.local_addr().expect("addr").port();
            let server = std::thread::spawn(move || {
                let (mut s, _) = listener.accept().expect("accept");
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).expect("read");
                s.write_all(reply.as_bytes()).expect("write");
            });
            let r = get(&format!("http://127.0.0.1:{port}/metrics"), Duration::from_secs(5)).expect("get");
            server.join().expect("server");
            assert_eq!((r.status, r.text().as_str()), (200, want));
        }
    }
}
