//! The readiness endpoint.

use super::*;

// g. Readiness.

#[tokio::test]
async fn readiness_turns_503_once_a_shutdown_begins() {
    let (hub, _) = production();
    let signalr = SignalR::new().hub("/prod", hub.into_hub());
    let shutdown = signalr.shutdown_handle();
    let app = signalr.into_router().route("/ready", shutdown.readiness());
    let addr = listen(app).await;
    assert_eq!(
        http(addr, "GET", "/ready").await,
        (200, "Healthy".to_owned())
    );
    // Being in use does not change readiness.
    let mut ws = open(addr, "/prod", &[]).await;
    assert_eq!(
        call(&mut ws, "1", "Echo", "\"x\"").await,
        result("1", "\"x\"")
    );
    assert_eq!(
        http(addr, "GET", "/ready").await,
        (200, "Healthy".to_owned())
    );

    let closing = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { shutdown.close_all(Duration::from_secs(5)).await }
    });
    eventually("the shutdown to begin", || shutdown.is_stopping()).await;
    assert_eq!(
        http(addr, "GET", "/ready").await,
        (503, "Unhealthy".to_owned())
    );
    assert_eq!(
        http(addr, "POST", "/prod/negotiate?negotiateVersion=1")
            .await
            .0,
        503
    );
    // The connection is told to reconnect elsewhere.
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":7,\"allowReconnect\":true}\u{1e}"
    );
    drop(ws);
    tokio::time::timeout(PATIENCE, closing)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        http(addr, "GET", "/ready").await,
        (503, "Unhealthy".to_owned())
    );
}
