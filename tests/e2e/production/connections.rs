//! Per-connection items, the remote address, and how soon a Server-Sent Events client that
//! goes away is disconnected.

use tokio_tungstenite::MaybeTlsStream;

use super::*;

// e. Items and the remote address.

#[tokio::test]
async fn items_live_as_long_as_their_connection_and_only_there() {
    let (addr, _) = serve_prod().await;
    let mut first = open(addr, "/prod", &[]).await;
    assert_eq!(call(&mut first, "1", "Count", "").await, result("1", "1"));
    assert_eq!(call(&mut first, "2", "Count", "").await, result("2", "2"));
    let mut second = open(addr, "/prod", &[]).await;
    assert_eq!(call(&mut second, "1", "Count", "").await, result("1", "1"));
    assert_eq!(call(&mut first, "3", "Count", "").await, result("3", "3"));
    assert_eq!(call(&mut second, "2", "Count", "").await, result("2", "2"));
}

/// The local address of a client WebSocket: the server's remote address for it.
fn local_addr(ws: &Ws) -> SocketAddr {
    match ws.get_ref() {
        MaybeTlsStream::Plain(stream) => stream.local_addr().unwrap(),
        _ => panic!("a plain TCP stream"),
    }
}

#[tokio::test]
async fn the_remote_address_is_the_clients_when_the_server_records_it() {
    let (addr, _) = serve_prod().await;
    let mut ws = open(addr, "/prod", &[]).await;
    let client = local_addr(&ws);
    assert_eq!(client.ip(), std::net::Ipv4Addr::LOCALHOST);
    assert_ne!(client.port(), addr.port());
    assert_eq!(
        call(&mut ws, "1", "Remote", "").await,
        result("1", &format!("\"{client}\""))
    );

    // A server started without connect info knows no address.
    let (hub, _) = production();
    let plain = listen_plain(SignalR::new().hub("/prod", hub.into_hub()).into_router()).await;
    let mut ws = open(plain, "/prod", &[]).await;
    assert_eq!(call(&mut ws, "1", "Remote", "").await, result("1", "null"));
}

#[tokio::test]
async fn the_request_keeps_its_headers_but_not_the_websocket_handshakes() {
    let (addr, _) = serve_prod().await;
    let mut ws = open(addr, "/prod", &[("x-tenant", "acme")]).await;
    assert_eq!(
        call(&mut ws, "1", "Header", "\"x-tenant\"").await,
        result("1", "\"acme\"")
    );
    // Sent by every WebSocket client, and of no use once the connection is up.
    for (id, name) in [
        "sec-websocket-key",
        "sec-websocket-version",
        "upgrade",
        "connection",
    ]
    .iter()
    .enumerate()
    {
        let id = (id + 2).to_string();
        assert_eq!(
            call(&mut ws, &id, "Header", &format!("\"{name}\"")).await,
            result(&id, "null"),
            "{name}"
        );
    }
}

// A finding of these tests: how soon the server notices an SSE client has gone.

/// Reads `stream` until `marker` has arrived.
async fn read_until(stream: &mut tokio::net::TcpStream, marker: &str) {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(marker) {
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut buf))
            .await
            .expect("timed out")
            .unwrap();
        assert!(read > 0, "the stream ended before {marker:?}");
        seen.extend_from_slice(&buf[..read]);
    }
}

#[tokio::test]
async fn a_server_sent_events_client_that_goes_away_is_disconnected_promptly() {
    use tokio::io::AsyncWriteExt;
    let (addr, log) = serve_prod().await;
    let token = negotiate_token(addr, "/prod").await;
    let mut events = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /prod?id={token} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    );
    events.write_all(request.as_bytes()).await.unwrap();
    read_until(&mut events, ":\r\n").await;
    let path = format!("/prod?id={token}");
    let handshake = HANDSHAKE.as_bytes();
    assert_eq!(http_with(addr, "POST", &path, &[], handshake).await.0, 200);
    read_until(&mut events, "data: {}\u{1e}\r\n\r\n").await;
    eventually("on_connected", || entries(&log) == ["on_connected"]).await;

    // The client closes its EventSource: the TCP connection of the stream ends.
    let closed = Instant::now();
    drop(events);
    let deadline = closed + Duration::from_secs(30);
    while !entries(&log).contains(&"on_disconnected".to_owned()) {
        assert!(Instant::now() < deadline, "never disconnected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = closed.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "on_disconnected ran {took:?} after the client went away"
    );
}
