//! Plain HTTP/1.1 for negotiate, Long Polling and Server-Sent Events: just what SignalR's HTTP
//! transports use, over kept-alive TCP connections.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Where the bench hub is served.
const HUB: &str = "/bench";

/// One kept-alive HTTP/1.1 connection.
#[derive(Debug)]
pub(crate) struct Http {
    tcp: TcpStream,
    addr: SocketAddr,
    /// What every request's path starts with: the bench hub's path, or nothing.
    base: &'static str,
    /// Bytes read past the end of the last response (or event).
    buffer: Vec<u8>,
}

/// A response whose body is read as it streams (Server-Sent Events).
#[derive(Debug)]
pub(crate) struct EventStream {
    http: Http,
    /// Bytes of the current chunk still to come; `None` between chunks.
    chunk_left: Option<usize>,
    /// De-chunked body bytes not yet split into events.
    body: Vec<u8>,
}

impl Http {
    /// Connects to `addr`, for requests to the bench hub (their paths follow `/bench`).
    pub(crate) async fn connect(addr: SocketAddr) -> Result<Http, String> {
        Http::connect_at(addr, HUB).await
    }

    /// Connects to `addr`, for requests whose paths follow `base` (`""`: whole paths).
    pub(crate) async fn connect_at(addr: SocketAddr, base: &'static str) -> Result<Http, String> {
        let tcp = crate::client::connect_tcp(addr)
            .await
            .map_err(|e| format!("HTTP connect: {e}"))?;
        Ok(Http {
            tcp,
            addr,
            base,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends a request for the base path + `path` and returns the status and the whole body.
    pub(crate) async fn request(
        &mut self,
        method: &str,
        path: &str,
        extra: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        self.send_head(method, path, extra, body).await?;
        let (status, head) = self.read_head().await?;
        let length = header(&head, "content-length")
            .and_then(|value| value.parse::<usize>().ok())
            .unwrap_or(0);
        if header(&head, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            return Err("a chunked response where a whole one was expected".to_owned());
        }
        while self.buffer.len() < length {
            self.fill().await?;
        }
        let rest = self.buffer.split_off(length);
        let body = std::mem::replace(&mut self.buffer, rest);
        Ok((status, body))
    }

    /// Opens the Server-Sent Events stream of `token`.
    pub(crate) async fn events(mut self, token: &str) -> Result<EventStream, String> {
        let path = format!("?id={token}");
        self.send_head("GET", &path, "Accept: text/event-stream\r\n", b"")
            .await?;
        let (status, head) = self.read_head().await?;
        if status != 200 {
            return Err(format!("event stream refused: {status}"));
        }
        if !header(&head, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            return Err("the event stream is not chunked".to_owned());
        }
        Ok(EventStream {
            http: self,
            chunk_left: None,
            body: Vec::new(),
        })
    }

    async fn send_head(
        &mut self,
        method: &str,
        path: &str,
        extra: &str,
        body: &[u8],
    ) -> Result<(), String> {
        let mut request = format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {}\r\n{extra}Content-Length: {}\r\n\r\n",
            self.base,
            self.addr,
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        self.tcp
            .write_all(&request)
            .await
            .map_err(|e| format!("HTTP write: {e}"))
    }

    /// Reads a response head; returns its status and its header lines.
    async fn read_head(&mut self) -> Result<(u16, String), String> {
        loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(self.buffer.get(..end).unwrap_or_default())
                    .into_owned();
                self.buffer.drain(..end + 4);
                let status = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|code| code.parse().ok())
                    .ok_or_else(|| format!("not an HTTP response: {head}"))?;
                return Ok((status, head));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> Result<(), String> {
        let mut chunk = [0_u8; 8192];
        let read = self
            .tcp
            .read(&mut chunk)
            .await
            .map_err(|e| format!("HTTP read: {e}"))?;
        if read == 0 {
            return Err("the server closed the connection".to_owned());
        }
        self.buffer
            .extend_from_slice(chunk.get(..read).unwrap_or_default());
        Ok(())
    }
}

impl EventStream {
    /// The data of the next event (its `data:` lines joined by newlines).
    pub(crate) async fn next(&mut self) -> Result<Vec<u8>, String> {
        loop {
            if let Some(end) = find(&self.body, b"\r\n\r\n").or_else(|| find(&self.body, b"\n\n")) {
                let event: Vec<u8> = self.body.drain(..end).collect();
                while self
                    .body
                    .first()
                    .is_some_and(|b| *b == b'\r' || *b == b'\n')
                {
                    self.body.remove(0);
                }
                let mut data = Vec::new();
                for line in event.split(|b| *b == b'\n') {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if let Some(value) = line.strip_prefix(b"data:") {
                        if !data.is_empty() {
                            data.push(b'\n');
                        }
                        data.extend_from_slice(value.strip_prefix(b" ").unwrap_or(value));
                    }
                }
                if !data.is_empty() {
                    return Ok(data);
                }
                continue;
            }
            self.dechunk().await?;
        }
    }

    /// Moves the next piece of the chunked body into `body`.
    async fn dechunk(&mut self) -> Result<(), String> {
        let buffer = &mut self.http.buffer;
        match self.chunk_left {
            None => {
                let Some(end) = find(buffer, b"\r\n") else {
                    return self.http.fill().await;
                };
                let line =
                    String::from_utf8_lossy(buffer.get(..end).unwrap_or_default()).into_owned();
                buffer.drain(..end + 2);
                let size = usize::from_str_radix(line.trim(), 16)
                    .map_err(|_| format!("bad chunk size {line:?}"))?;
                if size == 0 {
                    return Err("the event stream ended".to_owned());
                }
                self.chunk_left = Some(size);
            }
            Some(0) => {
                if buffer.len() < 2 {
                    return self.http.fill().await;
                }
                buffer.drain(..2);
                self.chunk_left = None;
            }
            Some(left) => {
                if buffer.is_empty() {
                    return self.http.fill().await;
                }
                let take = left.min(buffer.len());
                self.body.extend(buffer.drain(..take));
                self.chunk_left = Some(left - take);
            }
        }
        Ok(())
    }
}

/// Negotiates a connection at the bench hub and returns its `connectionToken`.
pub(crate) async fn negotiate(addr: SocketAddr) -> Result<String, String> {
    negotiate_with(addr, false).await
}

/// [`negotiate`], asking for stateful reconnect when `stateful` (which the server must grant).
pub(crate) async fn negotiate_with(addr: SocketAddr, stateful: bool) -> Result<String, String> {
    let mut http = Http::connect(addr).await?;
    let path = if stateful {
        "/negotiate?negotiateVersion=1&useStatefulReconnect=true"
    } else {
        "/negotiate?negotiateVersion=1"
    };
    let (status, body) = http.request("POST", path, "", b"").await?;
    let body = String::from_utf8_lossy(&body);
    if status != 200 {
        return Err(format!("negotiate failed: {status} {body}"));
    }
    if stateful && !body.contains("\"useStatefulReconnect\":true") {
        return Err(format!("stateful reconnect not granted: {body}"));
    }
    connection_token(&body)
}

/// The `connectionToken` of a negotiate answer's body.
pub(crate) fn connection_token(body: &str) -> Result<String, String> {
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("negotiate body: {e}: {body}"))?;
    json.get("connectionToken")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("no connectionToken in {body}"))
}

/// The value of header `name` (lower case) in a response head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
