//! Malformed or hostile server output ends the client's connection with an error value, never a
//! panic. The server here is a tiny fake (a WebSocket that follows a script), because a real
//! server does not send such things. The same fake shows the client's keep-alive Pings,
//! that uploads stop once their call has completed, and that dropping a connection closes it.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use signalr_runtime::client::{ClientError, ConnectionState, DefaultRetryPolicy, HubConnection};
use signalr_runtime::protocol::{Protocol, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::fake::{connection, fake};

const WAIT: Duration = Duration::from_secs(10);

/// Answers the handshake with success, then sends `frames` and waits for the client to go.
async fn after_handshake(frames: Vec<Message>) -> String {
    fake(move |mut socket| async move {
        socket.send(Message::text("{}\u{1e}")).await.unwrap();
        for frame in frames {
            let _ = socket.send(frame).await;
        }
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await
}

/// Starts a connection to `url` and returns the error it closed with.
async fn close_reason(url: &str, protocol: Protocol) -> Option<ClientError> {
    let connection = connection(url, protocol);
    connection.start().await.unwrap();
    let reason = tokio::time::timeout(WAIT, connection.closed())
        .await
        .unwrap();
    assert_eq!(connection.state(), ConnectionState::Disconnected);
    reason
}

#[tokio::test]
async fn garbage_is_a_protocol_error() {
    let url = after_handshake(vec![Message::text("garbage\u{1e}")]).await;
    let reason = close_reason(&url, Protocol::Json).await;
    assert!(
        matches!(reason, Some(ClientError::Protocol(_))),
        "{reason:?}"
    );
}

#[tokio::test]
async fn invalid_json_is_a_protocol_error() {
    let url = after_handshake(vec![Message::text("{\"type\":1,\"target\":\u{1e}")]).await;
    let reason = close_reason(&url, Protocol::Json).await;
    assert!(
        matches!(reason, Some(ClientError::Protocol(_))),
        "{reason:?}"
    );
}

#[tokio::test]
async fn a_message_without_required_fields_is_a_protocol_error() {
    let url = after_handshake(vec![Message::text("{\"type\":3}\u{1e}")]).await;
    let reason = close_reason(&url, Protocol::Json).await;
    assert!(
        matches!(&reason, Some(ClientError::Protocol(text)) if text.contains("invocationId")),
        "{reason:?}"
    );
}

#[tokio::test]
async fn bytes_that_are_not_utf8_are_a_protocol_error() {
    let url = after_handshake(vec![Message::binary(vec![0xff, 0xfe, 0x1e])]).await;
    let reason = close_reason(&url, Protocol::Json).await;
    assert!(
        matches!(reason, Some(ClientError::Protocol(_))),
        "{reason:?}"
    );
}

#[tokio::test]
async fn malformed_messagepack_is_a_protocol_error() {
    // A 3-byte record holding a map where an array must be.
    let url = after_handshake(vec![Message::binary(vec![0x03, 0x81, 0x01, 0x02])]).await;
    let reason = close_reason(&url, Protocol::MessagePack).await;
    assert!(
        matches!(reason, Some(ClientError::Protocol(_))),
        "{reason:?}"
    );
}

#[tokio::test]
async fn an_unknown_completion_id_is_a_protocol_error() {
    let url = after_handshake(vec![Message::text(
        "{\"type\":3,\"invocationId\":\"404\",\"result\":1}\u{1e}",
    )])
    .await;
    let reason = close_reason(&url, Protocol::Json).await;
    assert!(
        matches!(&reason, Some(ClientError::Protocol(text)) if text.contains("unknown invocation id '404'")),
        "{reason:?}"
    );
}

#[tokio::test]
async fn an_unknown_stream_item_id_is_a_protocol_error() {
    let url = after_handshake(vec![Message::text(
        "{\"type\":2,\"invocationId\":\"7\",\"item\":1}\u{1e}",
    )])
    .await;
    let reason = close_reason(&url, Protocol::Json).await;
    assert!(
        matches!(reason, Some(ClientError::Protocol(_))),
        "{reason:?}"
    );
}

#[tokio::test]
async fn a_close_with_an_error_is_reported_and_not_retried() {
    let url = after_handshake(vec![Message::text(
        "{\"type\":7,\"error\":\"Server is shutting down badly.\"}\u{1e}",
    )])
    .await;
    // A reconnect policy does not apply: the close does not allow reconnecting.
    let connection = HubConnection::builder(&url)
        .skip_negotiation(true)
        .with_reconnect_policy(DefaultRetryPolicy::new([Duration::ZERO]))
        .build()
        .unwrap();
    connection.start().await.unwrap();
    let reason = tokio::time::timeout(WAIT, connection.closed())
        .await
        .unwrap();
    assert_eq!(
        reason,
        Some(ClientError::ServerClosed(
            "Server is shutting down badly.".to_owned()
        ))
    );
}

#[tokio::test]
async fn a_pending_invocation_fails_with_the_connection_error() {
    let url = fake(|mut socket| async move {
        socket.send(Message::text("{}\u{1e}")).await.unwrap();
        // Wait for the invocation, then answer with garbage.
        let _ = socket.next().await;
        let _ = socket.send(Message::text("{not json}\u{1e}")).await;
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    let connection = connection(&url, Protocol::Json);
    connection.start().await.unwrap();
    let result = connection
        .invoke::<String>("Echo", vec![Value::new("hi")])
        .await;
    assert!(
        matches!(result, Err(ClientError::Protocol(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_result_of_the_wrong_type_is_a_decode_error() {
    let url = fake(|mut socket| async move {
        socket.send(Message::text("{}\u{1e}")).await.unwrap();
        let _ = socket.next().await;
        let _ = socket
            .send(Message::text(
                "{\"type\":3,\"invocationId\":\"0\",\"result\":\"text\"}\u{1e}",
            ))
            .await;
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    let connection = connection(&url, Protocol::Json);
    connection.start().await.unwrap();
    let result = connection.invoke::<u32>("Count", Vec::new()).await;
    assert!(matches!(result, Err(ClientError::Decode(_))), "{result:?}");
    // Only the call failed; the connection goes on.
    assert_eq!(connection.state(), ConnectionState::Connected);
    connection.stop().await;
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let url = fake(|mut socket| async move {
        socket.send(Message::text("{}\u{1e}")).await.unwrap();
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    let connection = HubConnection::builder(&url)
        .skip_negotiation(true)
        .server_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    connection.start().await.unwrap();
    let reason = tokio::time::timeout(WAIT, connection.closed())
        .await
        .unwrap();
    assert_eq!(reason, Some(ClientError::ServerTimeout));
}

#[tokio::test]
async fn a_refused_handshake_fails_start() {
    let url = fake(|mut socket| async move {
        let _ = socket
            .send(Message::text(
                "{\"error\":\"Protocol not supported.\"}\u{1e}",
            ))
            .await;
    })
    .await;
    let result = connection(&url, Protocol::Json).start().await;
    assert_eq!(
        result,
        Err(ClientError::Handshake("Protocol not supported.".to_owned()))
    );
}

#[tokio::test]
async fn a_garbage_handshake_answer_fails_start() {
    let url = fake(|mut socket| async move {
        let _ = socket.send(Message::text("hello\u{1e}")).await;
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    let result = connection(&url, Protocol::Json).start().await;
    assert!(
        matches!(result, Err(ClientError::Handshake(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_oversized_message_is_a_protocol_error() {
    let big = format!("{{\"type\":1,\"target\":\"{}\"}}\u{1e}", "x".repeat(2048));
    let url = after_handshake(vec![Message::text(big)]).await;
    let connection = HubConnection::builder(&url)
        .skip_negotiation(true)
        .max_message_size(1024)
        .build()
        .unwrap();
    connection.start().await.unwrap();
    let reason = tokio::time::timeout(WAIT, connection.closed())
        .await
        .unwrap();
    assert!(
        matches!(reason, Some(ClientError::Protocol(_))),
        "{reason:?}"
    );
}

#[tokio::test]
async fn a_client_result_without_a_handler_is_answered_with_an_error() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let url = fake(|mut socket| async move {
        socket.send(Message::text("{}\u{1e}")).await.unwrap();
        let call =
            "{\"type\":1,\"invocationId\":\"s1\",\"target\":\"Missing\",\"arguments\":[]}\u{1e}";
        socket.send(Message::text(call)).await.unwrap();
        while let Some(Ok(message)) = socket.next().await {
            let text = message.to_text().unwrap_or_default().to_owned();
            if text.contains("\"type\":3") {
                let _ = tx.send(text);
                break;
            }
        }
    })
    .await;
    let connection = connection(&url, Protocol::Json);
    connection.start().await.unwrap();
    let answer = tokio::time::timeout(WAIT, rx).await.unwrap().unwrap();
    assert!(answer.contains("\"invocationId\":\"s1\""), "{answer}");
    assert!(
        answer.contains("Client didn't provide a result."),
        "{answer}"
    );
    connection.stop().await;
}

#[tokio::test]
async fn an_idle_client_sends_pings() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let url = fake(|mut socket| async move {
        socket.send(Message::text("{}\u{1e}")).await.unwrap();
        let started = std::time::Instant::now();
        let mut pings = 0;
        while let Some(Ok(message)) = socket.next().await {
            if message.to_text().unwrap_or_default() == "{\"type\":6}\u{1e}" {
                pings += 1;
                if pings == 3 {
                    let _ = tx.send(started.elapsed());
                    break;
                }
            }
        }
    })
    .await;
    let connection = HubConnection::builder(&url)
        .skip_negotiation(true)
        .keep_alive_interval(Duration::from_millis(100))
        .server_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    connection.start().await.unwrap();
    let elapsed = tokio::time::timeout(WAIT, rx).await.unwrap().unwrap();
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    connection.stop().await;
}

#[tokio::test]
async fn uploads_stop_when_their_call_completes() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use signalr_runtime::client::Upload;
    use signalr_runtime::stream;

    // Answers the first invocation at once, without reading the upload.
    let url = fake(|mut socket| async move {
        socket.send(Message::text("{}\u{1e}")).await.unwrap();
        while let Some(Ok(message)) = socket.next().await {
            let text = message.to_text().unwrap_or_default().to_owned();
            if text.contains("\"type\":1") {
                let done = "{\"type\":3,\"invocationId\":\"0\"}\u{1e}";
                socket.send(Message::text(done)).await.unwrap();
            }
        }
    })
    .await;
    let connection = connection(&url, Protocol::Json);
    connection.start().await.unwrap();
    let produced = Arc::new(AtomicUsize::new(0));
    let counter = produced.clone();
    let endless = stream::unfold(counter, |counter| async move {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let n = counter.fetch_add(1, Ordering::Relaxed);
        Some((n, counter))
    });
    connection
        .invoke_with_uploads::<()>("Consume", Vec::new(), vec![Upload::new(endless)])
        .await
        .unwrap();
    let at_completion = produced.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        produced.load(Ordering::Relaxed) <= at_completion + 1,
        "the upload went on after its call completed"
    );
    connection.stop().await;
}

#[tokio::test]
async fn dropping_the_last_handle_closes_the_connection() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let url = fake(|mut socket| async move {
        socket.send(Message::text("{}\u{1e}")).await.unwrap();
        let mut closed = false;
        while let Some(message) = socket.next().await {
            if matches!(message, Ok(Message::Close(_)) | Err(_)) {
                closed = true;
                break;
            }
        }
        let _ = tx.send(closed || socket.next().await.is_none());
    })
    .await;
    let connection = connection(&url, Protocol::Json);
    connection.start().await.unwrap();
    let clone = connection.clone();
    drop(connection);
    // One handle is left: still connected.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(clone.state(), ConnectionState::Connected);
    drop(clone);
    assert!(tokio::time::timeout(WAIT, rx).await.unwrap().unwrap());
}
