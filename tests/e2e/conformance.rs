//! Requirements of TransportProtocols.md (T…) and HubProtocol.md (H…) that no other test
//! covered; the ids are the rows of CONFORMANCE.md.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use signalr_runtime::HubOptions;
use signalr_runtime::raw::{ConnectionHandler, RawConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::*;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Opens an event stream at `path_and_query`; returns it after the opening comment.
async fn open_event_stream(addr: SocketAddr, path_and_query: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    while !seen.ends_with(b":\r\n") {
        let mut byte = [0u8; 1];
        tokio::time::timeout(PATIENCE, stream.read_exact(&mut byte))
            .await
            .expect("timed out waiting for the event stream")
            .unwrap();
        seen.push(byte[0]);
    }
    assert!(
        seen.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&seen)
    );
    stream
}

/// The `data` of every complete event in `text`, parsed as the WHATWG HTML standard (the
/// EventSource a browser has) parses an event stream: lines end with CRLF, LF or CR alone.
fn sse_events(text: &str) -> Vec<String> {
    let mut events = Vec::new();
    let mut data = String::new();
    let mut rest = text;
    while let Some(end) = rest.find(['\r', '\n']) {
        let line = &rest[..end];
        let skip = if rest[end..].starts_with("\r\n") {
            2
        } else {
            1
        };
        rest = &rest[end + skip..];
        if line.is_empty() {
            if !data.is_empty() {
                data.pop();
                events.push(std::mem::take(&mut data));
            }
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        if field == "data" {
            data.push_str(value);
            data.push('\n');
        }
    }
    events
}

/// Reads the event stream until `count` events have arrived; returns their data.
async fn read_events(stream: &mut TcpStream, count: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let events = sse_events(&String::from_utf8_lossy(&seen));
        if events.len() >= count {
            return events;
        }
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("timed out; events so far: {events:?}"))
            .unwrap();
        assert!(
            read > 0,
            "the event stream ended; events so far: {events:?}"
        );
        seen.extend_from_slice(&buf[..read]);
    }
}

/// The raw echo's answer over Server-Sent Events to a POST of `text`.
async fn echoed_over_server_sent_events(text: &str) -> String {
    let addr = serve(HubOptions::default()).await;
    let token = negotiate_token(addr, "/echo").await;
    let mut events = open_event_stream(addr, &format!("/echo?id={token}")).await;
    let posted = raw_http(
        addr,
        "POST",
        &format!("/echo?id={token}"),
        &[],
        text.as_bytes(),
    )
    .await;
    assert_eq!(posted.0, 200);
    read_events(&mut events, 1).await.remove(0)
}

/// Receives until `count` records have arrived; returns them in order.
async fn records(ws: &mut Ws, count: usize) -> Vec<String> {
    let mut text = String::new();
    while text.matches('\u{1e}').count() < count {
        text.push_str(&recv(ws).await);
    }
    text.split_terminator('\u{1e}').map(str::to_owned).collect()
}

/// Nothing arrives on `ws` for `quiet`.
async fn assert_silent(ws: &mut Ws, quiet: Duration) {
    if let Ok(next) = tokio::time::timeout(quiet, ws.next()).await {
        panic!("expected nothing, got {next:?}");
    }
}

/// A raw connection whose application code fails (panics) at the first message it reads.
struct Faulty;

impl ConnectionHandler for Faulty {
    async fn on_connected(&self, mut connection: RawConnection) {
        if connection.recv().await.is_some() {
            panic!("an unexpected error in the application");
        }
    }
}

/// Serves [`Faulty`] at `/faulty`.
async fn serve_faulty() -> SocketAddr {
    let app = signalr_runtime::SignalR::new()
        .connection("/faulty", Faulty)
        .into_router();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

// ---------------------------------------------------------------------------------------------
// TransportProtocols.md
// ---------------------------------------------------------------------------------------------

mod hub;
mod transport;
