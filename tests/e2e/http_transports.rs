//! Server-Sent Events and Long Polling, spoken over raw HTTP.

use std::net::SocketAddr;
use std::time::Duration;

use signalr_runtime::HubOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

#[tokio::test]
async fn long_polling_round_trip_then_delete() {
    let addr = serve(HubOptions::default()).await;
    let token = long_polling(addr).await;
    let invoke =
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"lp\"]}\u{1e}";
    assert_eq!(post(addr, &token, invoke).await, 200);
    assert_eq!(
        poll(addr, &token).await,
        (
            200,
            "{\"type\":3,\"invocationId\":\"1\",\"result\":\"lp\"}\u{1e}".to_owned()
        )
    );

    assert_eq!(
        http(addr, "DELETE", &format!("/hub?id={token}")).await.0,
        202
    );
    // The server's Close, if the poll catches it, and then 204: the client stops polling.
    let mut last = poll(addr, &token).await;
    if last == (200, "{\"type\":7}\u{1e}".to_owned()) {
        last = poll(addr, &token).await;
    }
    assert!(last.0 == 204 || last.0 == 404, "after DELETE: {last:?}");
}

#[tokio::test]
async fn a_poll_with_nothing_to_say_returns_empty_after_the_poll_timeout_and_long_polling_never_pings()
 {
    let options = HubOptions::default()
        .keep_alive_interval(Duration::from_millis(50))
        .long_poll_timeout(Duration::from_millis(300));
    let addr = serve(options).await;
    let token = long_polling(addr).await;
    let started = std::time::Instant::now();
    assert_eq!(poll(addr, &token).await, (200, String::new()));
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn a_newer_poll_ends_the_waiting_one_with_204() {
    let addr = serve(HubOptions::default()).await;
    let token = long_polling(addr).await;
    let waiting = tokio::spawn({
        let token = token.clone();
        async move { poll(addr, &token).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let newer = tokio::spawn({
        let token = token.clone();
        async move { poll(addr, &token).await }
    });
    assert_eq!(waiting.await.unwrap().0, 204);
    let invoke =
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"x\"]}\u{1e}";
    assert_eq!(post(addr, &token, invoke).await, 200);
    assert_eq!(
        newer.await.unwrap(),
        (
            200,
            "{\"type\":3,\"invocationId\":\"1\",\"result\":\"x\"}\u{1e}".to_owned()
        )
    );
}

#[tokio::test]
async fn a_client_that_stops_polling_is_disconnected() {
    let addr = serve(HubOptions::default().disconnect_timeout(Duration::from_millis(200))).await;
    let token = long_polling(addr).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (status, body) = poll(addr, &token).await;
    assert!(
        status == 404 || status == 204 || body == "{\"type\":7}\u{1e}",
        "a reaped connection is gone: {status} {body:?}"
    );
}

/// Opens an SSE stream and returns it after the response headers and the opening comment.
async fn event_stream(addr: SocketAddr, token: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /hub?id={token} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = read_until(&mut stream, ":\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );
    stream
}

/// Reads until `marker` has arrived; returns everything read.
async fn read_until(stream: &mut TcpStream, marker: &str) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(marker) {
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut buf))
            .await
            .expect("timed out")
            .unwrap();
        assert!(
            read > 0,
            "stream ended before {marker:?}: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..read]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test]
async fn server_sent_events_round_trip() {
    let addr = serve(HubOptions::default()).await;
    let token = negotiate_token(addr, "/hub").await;
    let mut events = event_stream(addr, &token).await;
    assert_eq!(post(addr, &token, HANDSHAKE).await, 200);
    read_until(&mut events, "data: {}\u{1e}\r\n\r\n").await;
    let invoke =
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"sse\"]}\u{1e}";
    assert_eq!(post(addr, &token, invoke).await, 200);
    read_until(
        &mut events,
        "data: {\"type\":3,\"invocationId\":\"1\",\"result\":\"sse\"}\u{1e}\r\n\r\n",
    )
    .await;

    // One stream per connection, and no switching to another transport.
    let second = http_with(
        addr,
        "GET",
        &format!("/hub?id={token}"),
        &[("Accept", "text/event-stream")],
        b"",
    )
    .await;
    assert_eq!(second.0, 409);
    assert_eq!(poll(addr, &token).await.0, 400);
    assert_eq!(
        http(addr, "DELETE", &format!("/hub?id={token}")).await.0,
        400
    );
}

#[tokio::test]
async fn delete_ends_the_poll_being_held_with_204() {
    let addr = serve(HubOptions::default()).await;
    let token = long_polling(addr).await;
    let held = tokio::spawn({
        let token = token.clone();
        async move { poll(addr, &token).await }
    });
    // Let the poll reach the server and wait there.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !held.is_finished(),
        "the poll is held while nothing is sent"
    );
    assert_eq!(
        http(addr, "DELETE", &format!("/hub?id={token}")).await.0,
        202
    );
    let answer = tokio::time::timeout(PATIENCE, held).await.unwrap().unwrap();
    assert_eq!(answer, (204, String::new()), "TransportProtocols.md: 204");
}

#[tokio::test]
async fn requests_that_name_no_usable_connection() {
    let addr = serve(HubOptions::default()).await;
    assert_eq!(http(addr, "GET", "/hub").await.0, 400, "no id");
    assert_eq!(http(addr, "POST", "/hub").await.0, 400, "no id");
    assert_eq!(http(addr, "DELETE", "/hub").await.0, 400, "no id");
    for method in ["GET", "POST", "DELETE"] {
        let (status, body) = http(addr, method, "/hub?id=").await;
        assert_eq!(
            (status, body.as_str()),
            (400, "Connection ID required"),
            "{method} with an empty id"
        );
    }
    assert_eq!(poll(addr, "nonsense").await.0, 404);
    assert_eq!(post(addr, "nonsense", HANDSHAKE).await, 404);
    assert_eq!(http(addr, "DELETE", "/hub?id=nonsense").await.0, 404);

    // POST to a WebSocket connection.
    let token = negotiate_token(addr, "/hub").await;
    let mut ws = connect(addr, &format!("?id={token}")).await;
    send(&mut ws, HANDSHAKE).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");
    assert_eq!(post(addr, &token, HANDSHAKE).await, 405);
    assert_eq!(poll(addr, &token).await.0, 400, "cannot change transports");
}

#[tokio::test]
async fn messages_posted_before_the_first_poll_are_kept_in_order() {
    let addr = serve(HubOptions::default()).await;
    let token = negotiate_token(addr, "/hub").await;
    // Some clients (Python's signalrcore) send their handshake before they start polling.
    assert_eq!(post(addr, &token, HANDSHAKE).await, 200);
    let invoke =
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"early\"]}\u{1e}";
    assert_eq!(post(addr, &token, invoke).await, 200);
    assert_eq!(
        poll(addr, &token).await,
        (200, String::new()),
        "the first poll returns at once"
    );
    let mut received = String::new();
    while received.matches('\u{1e}').count() < 2 {
        let (status, body) = poll(addr, &token).await;
        assert_eq!(status, 200);
        received.push_str(&body);
    }
    assert_eq!(
        received,
        "{}\u{1e}{\"type\":3,\"invocationId\":\"1\",\"result\":\"early\"}\u{1e}"
    );
}

#[tokio::test]
async fn message_pack_over_server_sent_events_is_refused_at_the_handshake() {
    let addr = serve(HubOptions::default()).await;
    let token = negotiate_token(addr, "/hub").await;
    let mut events = event_stream(addr, &token).await;
    assert_eq!(
        post(
            addr,
            &token,
            "{\"protocol\":\"messagepack\",\"version\":1}\u{1e}"
        )
        .await,
        200
    );
    read_until(
        &mut events,
        "data: {\"error\":\"Cannot use the 'messagepack' protocol on the current transport. \
         The transport does not support 'Binary' transfer format.\"}\u{1e}\r\n\r\n",
    )
    .await;
}

#[tokio::test]
async fn messages_posted_before_the_first_poll_are_bounded() {
    let addr = serve(HubOptions::default()).await;
    let token = negotiate_token(addr, "/hub").await;
    let big = "x".repeat(40 * 1024);
    assert_eq!(post(addr, &token, &big).await, 200);
    assert_eq!(
        post(addr, &token, &big).await,
        409,
        "64 KiB at most wait for the transport"
    );
    let huge = "y".repeat(2 << 20);
    assert_eq!(
        post(addr, &token, &huge).await,
        413,
        "a POST body is at most 1 MiB"
    );
}

#[tokio::test]
async fn a_handshake_refused_before_the_first_poll_reaches_the_next_poll() {
    let addr = serve(HubOptions::default()).await;
    let token = negotiate_token(addr, "/hub").await;
    // signalrcore posts its handshake first; the refusal is written while nobody polls.
    let unknown = "{\"protocol\":\"nope\",\"version\":1}\u{1e}";
    assert_eq!(post(addr, &token, unknown).await, 200);
    assert_eq!(poll(addr, &token).await, (200, String::new()));
    let (status, body) = poll(addr, &token).await;
    assert_eq!(status, 200, "the refusal waits for the poll: {body:?}");
    assert!(
        body.starts_with("{\"error\":\"The protocol 'nope' is not supported.\"}\u{1e}"),
        "{body:?}"
    );
    assert_eq!(poll(addr, &token).await.0, 204, "then the client stops");
    assert_eq!(poll(addr, &token).await.0, 404, "and the token is gone");
}

#[tokio::test]
async fn delete_is_not_held_up_by_a_post_waiting_for_a_hub_that_stopped_reading() {
    let addr = serve(HubOptions::default()).await;
    let token = long_polling(addr).await;
    let invoke = |id: usize, target: &str| {
        format!(
            "{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"{target}\",\"arguments\":[\"x\"]}}\u{1e}"
        )
    };
    // The first call waits for a client result that never comes; with one call at a time the
    // reader then waits with the second, and POSTed bodies pile up until a POST must wait.
    assert_eq!(post(addr, &token, &invoke(1, "AskCaller")).await, 200);
    assert_eq!(post(addr, &token, &invoke(2, "Echo")).await, 200);
    let mut waiting = None;
    for id in 3..40 {
        let body = invoke(id, "Echo");
        let token = token.clone();
        let mut request = tokio::spawn(async move { post(addr, &token, &body).await });
        if tokio::time::timeout(Duration::from_millis(300), &mut request)
            .await
            .is_err()
        {
            waiting = Some(request);
            break;
        }
    }
    let waiting = waiting.expect("a POST waits once the connection's buffer is full");

    let deleted = tokio::time::timeout(
        Duration::from_secs(2),
        http(addr, "DELETE", &format!("/hub?id={token}")),
    )
    .await
    .expect("DELETE answers while a POST waits");
    assert_eq!(deleted.0, 202);
    let refused = tokio::time::timeout(Duration::from_secs(2), waiting)
        .await
        .expect("the waiting POST ends with the connection")
        .unwrap();
    assert_eq!(refused, 404);
}
