//! Lifecycle hooks and sending from outside the hub.

use signalr_runtime::HubOptions;

use crate::support::*;

#[tokio::test]
async fn on_connected_can_refuse_a_connection_with_an_error_close() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect(addr, "?reject=yes").await;
    send(&mut ws, HANDSHAKE).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":7,\"error\":\"Connection closed with an error. HubException: not welcome\"}\u{1e}"
    );
    expect_close(&mut ws).await;
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn on_connected_cannot_wait_for_a_client_result() {
    for (options, expected) in [
        (
            HubOptions::default(),
            "{\"type\":7,\"error\":\"Connection closed with an error.\"}\u{1e}",
        ),
        (
            HubOptions::default().detailed_errors(true),
            "{\"type\":7,\"error\":\"Connection closed with an error. InvalidOperationException: \
             Client results inside OnConnectedAsync Hub methods are not allowed.\"}\u{1e}",
        ),
    ] {
        let addr = serve(options).await;
        let mut ws = connect(addr, "?ask=yes").await;
        send(&mut ws, HANDSHAKE).await;
        assert_eq!(recv(&mut ws).await, "{}\u{1e}");
        assert_eq!(recv(&mut ws).await, expected, "at once, not a hang");
        expect_close(&mut ws).await;
    }
}

#[tokio::test]
async fn on_disconnected_runs_when_a_client_leaves() {
    let addr = serve(HubOptions::default()).await;
    let mut staying = connect_ready(addr).await;
    let mut leaving = connect(addr, "?announce=yes").await;
    send(&mut leaving, HANDSHAKE).await;
    assert_eq!(recv(&mut leaving).await, "{}\u{1e}");
    send(&mut leaving, "{\"type\":7}\u{1e}").await;
    let left = recv(&mut staying).await;
    assert!(
        left.starts_with("{\"type\":1,\"target\":\"Left\",\"arguments\":[\""),
        "{left}"
    );
}

#[tokio::test]
async fn the_hub_context_sends_from_an_axum_handler() {
    let addr = serve(HubOptions::default()).await;
    let mut first = connect_ready(addr).await;
    let mut second = connect_ready(addr).await;
    let (status, _) = http_with(addr, "POST", "/broadcast", &[], b"from outside").await;
    assert_eq!(status, 200);
    for ws in [&mut first, &mut second] {
        assert_eq!(
            recv(ws).await,
            "{\"type\":1,\"target\":\"Notified\",\"arguments\":[\"from outside\"]}\u{1e}"
        );
    }
}

#[tokio::test]
async fn a_graceful_shutdown_closes_every_connection_with_allow_reconnect() {
    let signalr = signalr_runtime::SignalR::new().hub("/hub", Tester.into_hub());
    let shutdown = signalr.shutdown_handle();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, signalr.into_router()).await });
    let mut first = connect_ready(addr).await;
    let mut second = connect_ready(addr).await;

    let started = std::time::Instant::now();
    shutdown.close_all(std::time::Duration::from_secs(5)).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "the connections ended at once"
    );
    for ws in [&mut first, &mut second] {
        assert_eq!(recv(ws).await, "{\"type\":7,\"allowReconnect\":true}\u{1e}");
        expect_close(ws).await;
    }
}

#[tokio::test]
async fn a_graceful_shutdown_reaches_long_polling_clients_through_their_next_poll() {
    let signalr = signalr_runtime::SignalR::new().hub("/hub", Tester.into_hub());
    let shutdown = signalr.shutdown_handle();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, signalr.into_router()).await });
    let path = format!("/hub?id={}", long_polling(addr).await);

    let closing =
        tokio::spawn(async move { shutdown.close_all(std::time::Duration::from_secs(3)).await });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        http(addr, "POST", "/hub/negotiate?negotiateVersion=1")
            .await
            .0,
        503,
        "newcomers wait"
    );
    let (status, body) = http(addr, "GET", &path).await;
    assert_eq!(
        (status, body.as_str()),
        (200, "{\"type\":7,\"allowReconnect\":true}\u{1e}")
    );
    closing.await.unwrap();
}
