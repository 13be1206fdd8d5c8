//! Keep-alive Pings from the server, and the client timeout.

use std::time::{Duration, Instant};

use signalr_runtime::HubOptions;

use crate::support::*;

#[tokio::test]
async fn an_idle_connection_receives_a_ping_within_the_interval() {
    let addr = serve(HubOptions::default().keep_alive_interval(Duration::from_millis(200))).await;
    let mut ws = connect_ready(addr).await;
    let started = Instant::now();
    assert_eq!(recv(&mut ws).await, "{\"type\":6}\u{1e}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(150),
        "pinged after {waited:?}, before the interval"
    );
    assert!(
        waited < Duration::from_secs(2),
        "pinged only after {waited:?}"
    );
    // And again, for as long as the connection stays idle.
    assert_eq!(recv(&mut ws).await, "{\"type\":6}\u{1e}");
}

#[tokio::test]
async fn no_ping_while_messages_flow() {
    let addr = serve(HubOptions::default().keep_alive_interval(Duration::from_millis(400))).await;
    let mut ws = connect_ready(addr).await;
    for round in 0..6 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        send(&mut ws, &format!("{{\"type\":1,\"invocationId\":\"{round}\",\"target\":\"Echo\",\"arguments\":[\"\"]}}\u{1e}")).await;
        let reply = recv(&mut ws).await;
        assert_eq!(
            reply,
            format!("{{\"type\":3,\"invocationId\":\"{round}\",\"result\":\"\"}}\u{1e}")
        );
    }
}

#[tokio::test]
async fn a_client_that_pinged_and_went_quiet_is_closed_with_allow_reconnect() {
    let options = HubOptions::default().client_timeout_interval(Duration::from_millis(300));
    let addr = serve(options).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":6}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":7,\"allowReconnect\":true}\u{1e}"
    );
    expect_close(&mut ws).await;
}

#[tokio::test]
async fn a_client_that_never_pings_is_not_timed_out() {
    let options = HubOptions::default().client_timeout_interval(Duration::from_millis(200));
    let addr = serve(options).await;
    let mut ws = connect_ready(addr).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"alive\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"alive\"}\u{1e}"
    );
}
