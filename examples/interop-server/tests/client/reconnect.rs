//! Automatic reconnect: the interop server is killed and started again on the same port; the
//! client reconnects, reports it, and calls work again.

use std::time::Duration;

use signalr_runtime::Transport;
use signalr_runtime::client::{ClientError, ConnectionState, HubConnection};
use signalr_runtime::protocol::Protocol;
use tokio::sync::mpsc;

use crate::hub::TestProxy;
use crate::support::{Server, quick_retries};

const WAIT: Duration = Duration::from_secs(20);

async fn reconnects_after_a_restart(transport: Transport, protocol: Protocol) {
    let server = Server::start(0);
    let port = server.port;
    let connection = HubConnection::builder(server.url("/testhub"))
        .transports([transport])
        .protocol(protocol)
        .with_reconnect_policy(quick_retries())
        .build()
        .unwrap();
    let (events, mut seen) = mpsc::unbounded_channel();
    let reconnecting = events.clone();
    connection.on_reconnecting(move |error| {
        let _ = reconnecting.send(format!("reconnecting: {error}"));
    });
    let reconnected = events.clone();
    connection.on_reconnected(move |id| {
        let _ = reconnected.send(format!("reconnected: {}", id.is_some()));
    });
    connection.on_closed(move |error| {
        let _ = events.send(format!("closed: {error:?}"));
    });
    connection.start().await.unwrap();
    let proxy = TestProxy::new(&connection);
    let first_id = proxy.get_caller_connection_id().await.unwrap();

    server.kill();
    let event = tokio::time::timeout(WAIT, seen.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(event.starts_with("reconnecting: "), "{event}");
    assert_eq!(connection.state(), ConnectionState::Reconnecting);
    assert!(matches!(
        proxy.echo("meanwhile".to_owned()).await,
        Err(ClientError::NotConnected)
    ));

    let _restarted = Server::start(port);
    let event = tokio::time::timeout(WAIT, seen.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event, "reconnected: true");
    assert_eq!(connection.state(), ConnectionState::Connected);
    assert_eq!(proxy.echo("again".to_owned()).await.unwrap(), "again");
    let second_id = proxy.get_caller_connection_id().await.unwrap();
    assert_ne!(first_id, second_id);
    assert_eq!(connection.connection_id(), Some(second_id));

    connection.stop().await;
    let event = tokio::time::timeout(WAIT, seen.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event, "closed: None");
}

#[tokio::test]
async fn websockets_json() {
    reconnects_after_a_restart(Transport::WebSockets, Protocol::Json).await;
}

#[tokio::test]
async fn websockets_messagepack() {
    reconnects_after_a_restart(Transport::WebSockets, Protocol::MessagePack).await;
}

#[tokio::test]
async fn long_polling_json() {
    reconnects_after_a_restart(Transport::LongPolling, Protocol::Json).await;
}

#[tokio::test]
async fn server_sent_events_json() {
    reconnects_after_a_restart(Transport::ServerSentEvents, Protocol::Json).await;
}

#[tokio::test]
async fn long_polling_messagepack() {
    reconnects_after_a_restart(Transport::LongPolling, Protocol::MessagePack).await;
}

#[tokio::test]
async fn without_a_policy_a_lost_connection_closes_with_the_error() {
    let server = Server::start(0);
    let connection = HubConnection::builder(server.url("/testhub"))
        .build()
        .unwrap();
    connection.start().await.unwrap();
    server.kill();
    let error = tokio::time::timeout(WAIT, connection.closed())
        .await
        .unwrap();
    assert!(
        matches!(error, Some(ClientError::Transport(_))),
        "{error:?}"
    );
    assert_eq!(connection.state(), ConnectionState::Disconnected);
}

#[tokio::test]
async fn giving_up_closes_the_connection() {
    let server = Server::start(0);
    let connection = HubConnection::builder(server.url("/testhub"))
        .with_reconnect_policy(signalr_runtime::client::DefaultRetryPolicy::new([
            Duration::from_millis(10),
            Duration::from_millis(10),
        ]))
        .build()
        .unwrap();
    connection.start().await.unwrap();
    server.kill();
    // Both attempts fail (nothing listens), so the connection closes with the last reason.
    let error = tokio::time::timeout(WAIT, connection.closed())
        .await
        .unwrap();
    assert!(
        matches!(error, Some(ClientError::Transport(_))),
        "{error:?}"
    );
}

/// A server that closes its first connection with `allowReconnect` (as a server shutting down
/// gracefully does) and answers one `Echo` on the second.
async fn closes_then_serves() -> String {
    use futures_util::{SinkExt as _, StreamExt as _};
    use tokio_tungstenite::tungstenite::Message;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        for round in 0..2 {
            let (stream, _) = listener.accept().await.unwrap();
            let mut socket = tokio_tungstenite::accept_async(stream).await.unwrap();
            let _handshake = socket.next().await;
            socket.send(Message::text("{}\u{1e}")).await.unwrap();
            if round == 0 {
                let close = "{\"type\":7,\"error\":\"restarting\",\"allowReconnect\":true}\u{1e}";
                socket.send(Message::text(close)).await.unwrap();
                continue;
            }
            while let Some(Ok(message)) = socket.next().await {
                let text = message.to_text().unwrap_or_default().to_owned();
                if text.contains("\"Echo\"") {
                    let id = text.split("\"invocationId\":\"").nth(1).unwrap();
                    let id = &id[..id.find('"').unwrap()];
                    let reply = format!(
                        "{{\"type\":3,\"invocationId\":\"{id}\",\"result\":\"echoed\"}}\u{1e}"
                    );
                    socket.send(Message::text(reply)).await.unwrap();
                }
            }
        }
    });
    format!("http://127.0.0.1:{port}/hub")
}

#[tokio::test]
async fn a_close_that_allows_reconnecting_is_followed_by_a_reconnect() {
    let url = closes_then_serves().await;
    let connection = HubConnection::builder(url)
        .skip_negotiation(true)
        .with_reconnect_policy(signalr_runtime::client::DefaultRetryPolicy::new([
            Duration::ZERO,
        ]))
        .build()
        .unwrap();
    let (events, mut seen) = mpsc::unbounded_channel();
    let reconnecting = events.clone();
    connection.on_reconnecting(move |error| {
        let _ = reconnecting.send(format!("reconnecting: {error:?}"));
    });
    connection.on_reconnected(move |_| {
        let _ = events.send("reconnected".to_owned());
    });
    connection.start().await.unwrap();
    let event = tokio::time::timeout(WAIT, seen.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event, "reconnecting: ServerClosed(\"restarting\")");
    let event = tokio::time::timeout(WAIT, seen.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event, "reconnected");
    let echoed: String = connection
        .invoke("Echo", vec![signalr_runtime::protocol::Value::new("x")])
        .await
        .unwrap();
    assert_eq!(echoed, "echoed");
    connection.stop().await;
}
