//! Bad input on every transport: garbage handshakes, malformed frames, invalid JSON and
//! MessagePack, oversized messages, garbage HTTP. The server must refuse each (an error
//! status, a Close, or the connection ended) within a few seconds and go on.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tungstenite::Message;

use super::link::{Link, Transport};
use crate::client::http::{self, Http};

/// How long the server may take to refuse.
const PATIENCE: Duration = Duration::from_secs(5);

/// The cases, by name.
pub(crate) const CASES: [&str; 12] = [
    "ws: handshake with an unknown protocol",
    "ws: handshake that is not JSON",
    "ws/json: invalid JSON after the handshake",
    "ws/json: message of an unknown type (ignored, as ASP.NET Core does)",
    "ws/messagepack: bytes that are not MessagePack",
    "ws/json: message over the 32 KiB limit",
    "ws: malformed WebSocket frame (unmasked, reserved opcode)",
    "http: garbage request line",
    "http: 64 KiB header",
    "negotiate: bad version",
    "sse: invalid JSON in a POST",
    "longpolling: 2 MiB POST body",
];

/// What the server did with one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Refused as it should (the text says how).
    Refused(String),
    /// Took it without complaint (the text says what it answered).
    Accepted(String),
}

/// Runs case `index` of [`CASES`] once.
pub(crate) async fn run(addr: SocketAddr, index: usize) -> Result<Verdict, String> {
    match timeout(PATIENCE * 2, case(addr, index)).await {
        Ok(verdict) => verdict,
        Err(_) => Err(format!("no answer in {:?}", PATIENCE * 2)),
    }
}

async fn case(addr: SocketAddr, index: usize) -> Result<Verdict, String> {
    match index {
        0 => ws_text(addr, "{\"protocol\":\"nope\",\"version\":1}\x1e").await,
        1 => ws_text(addr, "\u{1}\u{2}garbage\x1e").await,
        2 => after_handshake(addr, Transport::WsJson, b"{\"type\":1,\"target\x1e").await,
        3 => after_handshake(addr, Transport::WsJson, b"{\"type\":99}\x1e").await,
        4 => {
            after_handshake(
                addr,
                Transport::WsMsgPack,
                &[5, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1],
            )
            .await
        }
        5 => {
            let big = format!(
                "{{\"type\":1,\"target\":\"Echo\",\"arguments\":[\"{}\"]}}\x1e",
                "x".repeat(40 * 1024)
            );
            after_handshake(addr, Transport::WsJson, big.as_bytes()).await
        }
        6 => {
            let upgrade = format!(
                "GET /bench HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            );
            let mut bytes = upgrade.into_bytes();
            // FIN + reserved opcode 3, unmasked, 4 bytes of payload.
            bytes.extend_from_slice(&[0x83, 0x04, b'b', b'a', b'd', b'!']);
            tcp(addr, &bytes).await
        }
        7 => tcp(addr, b"GARBAGE \x00\x01 NOPE\r\n\r\n").await,
        8 => {
            let header = format!(
                "GET /bench/negotiate HTTP/1.1\r\nHost: {addr}\r\nX-Big: {}\r\n\r\n",
                "y".repeat(64 * 1024)
            );
            tcp(addr, header.as_bytes()).await
        }
        9 => {
            let mut http = Http::connect(addr).await?;
            let (status, body) = http
                .request("POST", "/negotiate?negotiateVersion=banana", "", b"")
                .await?;
            // ASP.NET Core answers 200 with an `error` in the body.
            let body = String::from_utf8_lossy(&body);
            if body.contains("\"error\"") {
                return Ok(Verdict::Refused(format!("HTTP {status}: {body}")));
            }
            Ok(status_verdict(status))
        }
        10 => after_handshake(addr, Transport::Sse, b"{\"type\":1,\x1e").await,
        _ => {
            let token = http::negotiate(addr).await?;
            let mut http = Http::connect(addr).await?;
            let body = vec![b'z'; 2 * 1024 * 1024];
            match http
                .request("POST", &format!("?id={token}"), "", &body)
                .await
            {
                Ok((status, _)) => Ok(status_verdict(status)),
                Err(error) => Ok(Verdict::Refused(error)),
            }
        }
    }
}

fn status_verdict(status: u16) -> Verdict {
    if status >= 400 {
        Verdict::Refused(format!("HTTP {status}"))
    } else {
        Verdict::Accepted(format!("HTTP {status}"))
    }
}

/// A WebSocket to the hub whose first message is `text`.
async fn ws_text(addr: SocketAddr, text: &str) -> Result<Verdict, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut socket, _) = tokio_tungstenite::client_async(format!("ws://{addr}/bench"), stream)
        .await
        .map_err(|e| format!("upgrade: {e}"))?;
    socket
        .send(Message::text(text))
        .await
        .map_err(|e| format!("send: {e}"))?;
    let mut said = String::new();
    loop {
        match timeout(PATIENCE, socket.next()).await {
            Err(_) => return Ok(Verdict::Accepted(format!("still open; said {said:?}"))),
            Ok(Some(Ok(Message::Text(text)))) => said.push_str(&text),
            Ok(Some(Ok(Message::Close(_))) | None | Some(Err(_))) => {
                return Ok(Verdict::Refused(format!("closed; said {said:?}")));
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// A connection past its handshake, then `bytes` as one message or POST body: the server must
/// end the connection.
async fn after_handshake(
    addr: SocketAddr,
    transport: Transport,
    bytes: &[u8],
) -> Result<Verdict, String> {
    let mut link = Link::open(addr, transport).await?;
    if let Err(error) = link.send_bytes(bytes).await {
        return Ok(Verdict::Refused(error));
    }
    // Broadcasts of the bystanders keep arriving at an open connection: it is given PATIENCE.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, link.down.recv()).await {
            Err(_) => return Ok(Verdict::Accepted("still open".to_owned())),
            Ok(None) => return Ok(Verdict::Refused("transport ended".to_owned())),
            Ok(Some((_, message))) => {
                let text = String::from_utf8_lossy(&message);
                if text.contains("\"type\":7") || message.get(1) == Some(&7) {
                    return Ok(Verdict::Refused(format!("Close: {text}")));
                }
            }
        }
    }
}

/// Raw bytes on a fresh TCP connection; refused when the server answers 4xx or ends it.
async fn tcp(addr: SocketAddr, bytes: &[u8]) -> Result<Verdict, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    if let Err(error) = stream.write_all(bytes).await {
        return Ok(Verdict::Refused(format!("write: {error}")));
    }
    let mut answer = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        match timeout(PATIENCE, stream.read(&mut chunk)).await {
            Err(_) => break,
            Ok(Ok(0) | Err(_)) => {
                return Ok(Verdict::Refused(format!("ended; said {}", head(&answer))));
            }
            Ok(Ok(read)) => answer.extend_from_slice(chunk.get(..read).unwrap_or_default()),
        }
    }
    let said = head(&answer);
    if said.starts_with("HTTP/1.1 4") || said.starts_with("HTTP/1.0 4") {
        Ok(Verdict::Refused(said))
    } else {
        Ok(Verdict::Accepted(format!("still open; said {said}")))
    }
}

/// The first line of what the server said.
fn head(answer: &[u8]) -> String {
    let text = String::from_utf8_lossy(answer);
    text.lines().next().unwrap_or_default().to_owned()
}
