//! Stateful reconnect on the wire (PROTOCOL.md §14): negotiate, handshake version 2, Acks, and a
//! dropped WebSocket replaced by the client's next one, with Sequence and replay both ways.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use signalr_runtime::HubOptions;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

const HANDSHAKE_V2: &str = "{\"protocol\":\"json\",\"version\":2}\u{1e}";

fn stateful() -> HubOptions {
    HubOptions::default().allow_stateful_reconnects(true)
}

/// Negotiates with `useStatefulReconnect=true`; the body.
async fn negotiate_stateful(addr: SocketAddr) -> serde_json::Value {
    let path = "/hub/negotiate?negotiateVersion=1&useStatefulReconnect=true";
    let (status, body) = http(addr, "POST", path).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The connection token of a new stateful-reconnect connection.
async fn stateful_token(addr: SocketAddr) -> String {
    negotiate_stateful(addr).await["connectionToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A WebSocket to the stateful connection of `token`, past its version 2 handshake.
async fn open(addr: SocketAddr, token: &str) -> Ws {
    let mut ws = connect(addr, &format!("?id={token}")).await;
    send(&mut ws, HANDSHAKE_V2).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");
    ws
}

/// Reads records (Pings left out) until `done` says the ones read so far are enough.
async fn read_until(ws: &mut Ws, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let mut seen = Vec::new();
    while !done(&seen) {
        let frame = recv(ws).await;
        seen.extend(records(&frame).map(str::to_owned));
    }
    seen
}

/// The status a WebSocket upgrade to `token`'s connection gets.
async fn upgrade_status(addr: SocketAddr, token: &str) -> u16 {
    match tokio_tungstenite::connect_async(format!("ws://{addr}/hub?id={token}")).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn negotiate_offers_stateful_reconnect_only_when_both_sides_want_it() {
    let plain = serve(HubOptions::default()).await;
    assert!(
        negotiate_stateful(plain)
            .await
            .get("useStatefulReconnect")
            .is_none()
    );
    let allowing = serve(stateful()).await;
    let (_, body) = http(allowing, "POST", "/hub/negotiate?negotiateVersion=1").await;
    assert!(!body.contains("useStatefulReconnect"), "{body}");
    let (_, body) = http(
        allowing,
        "POST",
        "/hub/negotiate?negotiateVersion=1&useStatefulReconnect=true",
    )
    .await;
    // First, as ASP.NET Core writes it.
    assert!(
        body.starts_with("{\"useStatefulReconnect\":true,\"negotiateVersion\":1,"),
        "{body}"
    );
}

#[tokio::test]
async fn the_server_acknowledges_what_the_client_sent() {
    let addr = serve(stateful()).await;
    let token = stateful_token(addr).await;
    let mut ws = open(addr, &token).await;
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"a\"]}\u{1e}{\"type\":1,\"invocationId\":\"2\",\"target\":\"Echo\",\"arguments\":[\"b\"]}\u{1e}").await;
    let seen = read_until(&mut ws, |seen| {
        seen.iter().any(|r| r == "{\"type\":8,\"sequenceId\":2}")
    })
    .await;
    assert!(seen.contains(&"{\"type\":3,\"invocationId\":\"2\",\"result\":\"b\"}".to_owned()));
}

#[tokio::test]
async fn a_dropped_websocket_is_replaced_and_both_sides_replay_what_the_other_has_not_acknowledged()
{
    let addr = serve(stateful()).await;
    let token = stateful_token(addr).await;
    let mut ws = open(addr, &token).await;
    let mut other = connect_ready(addr).await;
    // Trackable messages 1 and 2 from the client: a group join and a call.
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"j\",\"target\":\"Join\",\"arguments\":[\"room\"]}\u{1e}",
    )
    .await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"one\"]}\u{1e}",
    )
    .await;
    read_until(&mut ws, |seen| {
        seen.iter().any(|r| r.contains("\"invocationId\":\"1\""))
    })
    .await;

    // The WebSocket drops without a close frame; meanwhile the room hears something.
    drop(ws);
    tokio::time::sleep(Duration::from_millis(100)).await;
    send(&mut other, "{\"type\":1,\"invocationId\":\"s\",\"target\":\"SendTo\",\"arguments\":[\"group\",[\"room\"],\"while away\"]}\u{1e}").await;
    assert_eq!(
        recv(&mut other).await,
        "{\"type\":3,\"invocationId\":\"s\"}\u{1e}"
    );

    // The next WebSocket: no handshake; the server starts with the Sequence of the first
    // message the client did not acknowledge (it acknowledged none), then replays them all.
    let mut ws = connect(addr, &format!("?id={token}")).await;
    let seen = read_until(&mut ws, |seen| {
        seen.iter().any(|r| r.contains("while away"))
    })
    .await;
    assert_eq!(
        seen.first().map(String::as_str),
        Some("{\"type\":9,\"sequenceId\":1}")
    );
    let replayed: Vec<&str> = seen.iter().skip(1).map(String::as_str).collect();
    assert_eq!(
        replayed,
        [
            "{\"type\":3,\"invocationId\":\"j\"}",
            "{\"type\":3,\"invocationId\":\"1\",\"result\":\"one\"}",
            "{\"type\":1,\"target\":\"Notified\",\"arguments\":[\"while away\"]}",
        ]
    );

    // The client's side: it had no Ack for its call, so it sends it again after its Sequence;
    // the server drops the duplicate and answers only the new call.
    send(&mut ws, "{\"type\":9,\"sequenceId\":2}\u{1e}{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"one\"]}\u{1e}{\"type\":1,\"invocationId\":\"2\",\"target\":\"Echo\",\"arguments\":[\"two\"]}\u{1e}").await;
    let seen = read_until(&mut ws, |seen| {
        seen.iter().any(|r| r.contains("\"invocationId\":\"2\""))
    })
    .await;
    assert!(
        !seen.iter().any(|r| r.contains("\"invocationId\":\"1\"")),
        "the duplicate was answered: {seen:?}"
    );
    // Still in its group, on the same connection.
    send(&mut other, "{\"type\":1,\"invocationId\":\"t\",\"target\":\"SendTo\",\"arguments\":[\"group\",[\"room\"],\"back\"]}\u{1e}").await;
    read_until(&mut ws, |seen| seen.iter().any(|r| r.contains("\"back\""))).await;
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn a_sequence_ahead_of_what_the_client_sent_closes_the_connection() {
    let addr = serve(stateful()).await;
    let token = stateful_token(addr).await;
    let mut ws = open(addr, &token).await;
    send(&mut ws, "{\"type\":9,\"sequenceId\":5}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":7,\"error\":\"Connection closed with an error.\"}\u{1e}"
    );
}

#[tokio::test]
async fn a_close_frame_ends_a_stateful_connection_at_once() {
    let addr = serve(stateful()).await;
    let token = stateful_token(addr).await;
    let mut ws = open(addr, &token).await;
    ws.close(None).await.unwrap();
    while let Some(Ok(message)) = ws.next().await {
        assert!(
            !matches!(message, Message::Text(_))
                || message.to_text().unwrap().contains("\"type\":7")
        );
    }
    assert_eq!(upgrade_status(addr, &token).await, 404);
}

#[tokio::test]
async fn a_client_that_does_not_come_back_within_the_disconnect_timeout_is_gone() {
    let options = stateful().disconnect_timeout(Duration::from_millis(300));
    let addr = serve(options).await;
    let token = stateful_token(addr).await;
    drop(open(addr, &token).await);
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(upgrade_status(addr, &token).await, 404);
}

#[tokio::test]
async fn a_client_whose_handshake_is_version_1_gets_no_reattachment() {
    let addr = serve(stateful()).await;
    let token = stateful_token(addr).await;
    let mut ws = connect(addr, &format!("?id={token}")).await;
    send(&mut ws, HANDSHAKE).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");
    // A second WebSocket for the same connection is refused as ever.
    assert_eq!(upgrade_status(addr, &token).await, 409);
}

#[tokio::test]
async fn unacknowledged_messages_hold_back_only_their_own_connection() {
    const SHOUTS: usize = 200;
    // Room for about 20 Notified messages until the client acknowledges.
    let addr = serve(stateful().stateful_reconnect_buffer_size(1200)).await;
    let token = stateful_token(addr).await;
    let mut silent = open(addr, &token).await;
    let mut reader = connect_ready(addr).await;
    let mut sender = connect_ready(addr).await;
    for i in 0..SHOUTS {
        send(
            &mut sender,
            &format!("{{\"type\":1,\"target\":\"Shout\",\"arguments\":[\"m{i:03}\"]}}\u{1e}"),
        )
        .await;
    }
    // Everyone else gets everything, at once.
    let last = format!("\"m{:03}\"", SHOUTS - 1);
    read_until(&mut reader, |seen| seen.iter().any(|r| r.contains(&last))).await;

    // The client that acknowledges nothing gets what fits its replay buffer, then nothing more.
    let notified = |records: &[String]| records.iter().filter(|r| r.contains("Notified")).count();
    let mut seen = Vec::new();
    while let Ok(frame) = tokio::time::timeout(Duration::from_millis(500), recv(&mut silent)).await
    {
        seen.extend(records(&frame).map(str::to_owned));
    }
    let before_ack = notified(&seen);
    assert!(
        (15..SHOUTS).contains(&before_ack),
        "{before_ack} messages before an Ack"
    );
    // Its Ack lets the rest through, in order.
    send(
        &mut silent,
        &format!("{{\"type\":8,\"sequenceId\":{before_ack}}}\u{1e}"),
    )
    .await;
    let mut acked = before_ack;
    while notified(&seen) < SHOUTS {
        let frame = recv(&mut silent).await;
        seen.extend(records(&frame).map(str::to_owned));
        let now = notified(&seen);
        if now > acked {
            send(
                &mut silent,
                &format!("{{\"type\":8,\"sequenceId\":{now}}}\u{1e}"),
            )
            .await;
            acked = now;
        }
    }
    let texts: Vec<String> = seen
        .iter()
        .filter(|r| r.contains("Notified"))
        .map(|r| r.split('"').nth(9).unwrap_or_default().to_owned())
        .collect();
    let expected: Vec<String> = (0..SHOUTS).map(|i| format!("m{i:03}")).collect();
    assert_eq!(texts, expected);
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn acks_are_read_while_the_reader_waits_for_room_for_its_answers() {
    // A small queue and replay buffer: the writer soon waits for the client's Ack, its queue
    // fills, and the client's next call finds no room for its answer. The reader must still
    // read the Ack behind that call, or nobody moves again.
    let options = stateful()
        .stateful_reconnect_buffer_size(600)
        .transport_max_buffer_size(1500);
    let addr = serve(options).await;
    let token = stateful_token(addr).await;
    let mut client = open(addr, &token).await;
    let mut sender = connect_ready(addr).await;
    for i in 0..100 {
        send(
            &mut sender,
            &format!("{{\"type\":1,\"target\":\"Shout\",\"arguments\":[\"m{i:03}\"]}}\u{1e}"),
        )
        .await;
    }
    // Give the writer time to fill its buffer and the slow-client wait to pass.
    tokio::time::sleep(Duration::from_millis(800)).await;
    send(
        &mut client,
        "{\"type\":1,\"invocationId\":\"e\",\"target\":\"Echo\",\"arguments\":[\"after\"]}\u{1e}",
    )
    .await;
    // Whatever arrived so far is acknowledged now, and then as it comes.
    let mut seen: Vec<String> = Vec::new();
    let mut acked = 0;
    loop {
        let trackable = seen
            .iter()
            .filter(|r| !r.starts_with("{\"type\":8"))
            .count();
        if trackable > acked {
            acked = trackable;
            send(
                &mut client,
                &format!("{{\"type\":8,\"sequenceId\":{acked}}}\u{1e}"),
            )
            .await;
        }
        if seen.iter().any(|r| r.contains("\"invocationId\":\"e\"")) {
            break;
        }
        let frame = recv(&mut client).await;
        seen.extend(records(&frame).map(str::to_owned));
    }
    assert!(
        seen.iter()
            .any(|r| r == "{\"type\":3,\"invocationId\":\"e\",\"result\":\"after\"}")
    );
    assert_server_healthy(addr).await;
}
