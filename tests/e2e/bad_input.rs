//! Bad input closes the offending connection with ASP.NET Core's texts; the server carries on.

use std::time::Duration;

use signalr_runtime::HubOptions;

use crate::support::*;

#[tokio::test]
async fn garbage_instead_of_a_handshake() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect(addr, "").await;
    send(&mut ws, "GET / HTTP/1.1 \u{0}\u{1}\u{2}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"error\":\"An unexpected error occurred during connection handshake.\"}\u{1e}"
    );
    expect_close(&mut ws).await;
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn garbage_handshake_with_detailed_errors_names_the_problem() {
    let addr = serve(HubOptions::default().detailed_errors(true)).await;
    let mut ws = connect(addr, "").await;
    send(&mut ws, "{\"protocol\":\"json\"}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"error\":\"An unexpected error occurred during connection handshake. \
         InvalidDataException: Missing required property 'version'.\"}\u{1e}"
    );
    expect_close(&mut ws).await;
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn unsupported_protocol() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect(addr, "").await;
    send(&mut ws, "{\"protocol\":\"xyz\",\"version\":1}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"error\":\"The protocol 'xyz' is not supported.\"}\u{1e}"
    );
    expect_close(&mut ws).await;
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn unsupported_version() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect(addr, "").await;
    send(&mut ws, "{\"protocol\":\"json\",\"version\":3}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"error\":\"The server does not support version 3 of the 'json' protocol.\"}\u{1e}"
    );
    expect_close(&mut ws).await;
}

#[tokio::test]
async fn handshake_split_across_frames_and_followed_by_a_message_in_the_same_frame() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect(addr, "").await;
    send(&mut ws, "{\"protocol\":\"js").await;
    send(
        &mut ws,
        "on\",\"version\":1}\u{1e}{\"type\":1,\"invocationId\":\"7\",\"target\":\"Echo\",\"arguments\":[\"x\"]}\u{1e}",
    )
    .await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"7\",\"result\":\"x\"}\u{1e}"
    );
}

#[tokio::test]
async fn invalid_json_after_the_handshake() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":1,\"target\":\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":7,\"error\":\"Connection closed with an error.\"}\u{1e}"
    );
    expect_close(&mut ws).await;
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn invalid_json_with_detailed_errors() {
    let addr = serve(HubOptions::default().detailed_errors(true)).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":1,\"arguments\":[]}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":7,\"error\":\"Connection closed with an error. \
         InvalidDataException: Missing required property 'target'.\"}\u{1e}"
    );
    expect_close(&mut ws).await;
}

#[tokio::test]
async fn missing_handshake_is_closed_after_the_timeout() {
    let options = HubOptions::default().handshake_timeout(Duration::from_millis(200));
    let addr = serve(options).await;
    let mut ws = connect(addr, "").await;
    let started = std::time::Instant::now();
    assert_eq!(
        recv(&mut ws).await,
        "{\"error\":\"Handshake was canceled.\"}\u{1e}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "closed too early"
    );
    expect_close(&mut ws).await;
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn oversized_handshake_is_canceled() {
    let addr = serve(HubOptions::default().maximum_receive_message_size(64)).await;
    let mut ws = connect(addr, "").await;
    send(
        &mut ws,
        &format!(
            "{{\"protocol\":\"json\",\"version\":1,\"pad\":\"{}\"}}",
            "x".repeat(100)
        ),
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"error\":\"Handshake was canceled.\"}\u{1e}"
    );
    expect_close(&mut ws).await;
}

#[tokio::test]
async fn oversized_message_closes_with_an_error() {
    let addr = serve(
        HubOptions::default()
            .maximum_receive_message_size(128)
            .detailed_errors(true),
    )
    .await;
    let mut ws = connect_ready(addr).await;
    let big = format!(
        "{{\"type\":1,\"target\":\"Echo\",\"arguments\":[\"{}\"]}}\u{1e}",
        "y".repeat(200)
    );
    send(&mut ws, &big).await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":7,\"error\":\"Connection closed with an error. InvalidDataException: \
         The maximum message size of 128B was exceeded. The message size can be configured in AddHubOptions.\"}\u{1e}"
    );
    expect_close(&mut ws).await;
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn a_vanished_client_does_not_disturb_others() {
    let addr = serve(HubOptions::default()).await;
    let mut other = connect_ready(addr).await;
    let ws = connect_ready(addr).await;
    drop(ws);
    send(&mut other, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"still here\"]}\u{1e}").await;
    assert_eq!(
        recv(&mut other).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"still here\"}\u{1e}"
    );
}

#[tokio::test]
async fn a_panicking_hub_method_answers_with_an_error_and_the_connection_goes_on() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Boom\",\"arguments\":[]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"error\":\"An unexpected error occurred invoking 'Boom' on the server.\"}\u{1e}"
    );
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"2\",\"target\":\"Echo\",\"arguments\":[\"after\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"2\",\"result\":\"after\"}\u{1e}"
    );
}

#[tokio::test]
async fn a_websocket_message_over_the_transport_limit_closes_with_the_size_error() {
    let addr = serve(HubOptions::default().detailed_errors(true)).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, &"z".repeat(2 << 20)).await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":7,\"error\":\"Connection closed with an error. InvalidDataException: \
         The maximum message size of 1048576B was exceeded. The message size can be configured in AddHubOptions.\"}\u{1e}"
    );
    assert_server_healthy(addr).await;
}
