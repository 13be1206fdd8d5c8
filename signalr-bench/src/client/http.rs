//! Plain HTTP/1.1 for negotiate: one request per TCP connection, as small as it can be.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Negotiates a connection at the bench hub and returns its `connectionToken`.
pub(crate) async fn negotiate(addr: SocketAddr) -> Result<String, String> {
    let mut tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("negotiate connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let request = format!(
        "POST /bench/negotiate?negotiateVersion=1 HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(request.as_bytes())
        .await
        .map_err(|e| format!("negotiate write: {e}"))?;
    let mut response = Vec::with_capacity(1024);
    tcp.read_to_end(&mut response)
        .await
        .map_err(|e| format!("negotiate read: {e}"))?;
    let text = String::from_utf8_lossy(&response);
    if !text.starts_with("HTTP/1.1 200") {
        return Err(format!("negotiate failed: {text}"));
    }
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .unwrap_or_default();
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("negotiate body: {e}: {body}"))?;
    json.get("connectionToken")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("no connectionToken in {body}"))
}
