//! Invocation ids are unique per connection while in use, and nothing a call started outlives
//! its connection.

use std::time::Duration;

use crate::support::*;

/// Waits until no stream with one of `tags` exists on the server.
async fn until_gone(tags: &[String]) {
    let gone = async {
        loop {
            let live = live_streams().lock().unwrap().clone();
            if tags.iter().all(|tag| !live.contains(tag)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(PATIENCE, gone)
        .await
        .expect("the streams ended with their connections");
}

#[tokio::test]
async fn a_call_reusing_the_id_of_a_running_stream_is_refused_and_the_stream_stays_cancellable() {
    let addr = serve(Default::default()).await;
    let mut ws = connect_ready(addr).await;
    let tag = "reuse-cancel".to_owned();
    for message in reuse_pattern(&tag) {
        send(&mut ws, &message).await;
    }
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"x\",\"error\":\"Invocation ID 'x' is already in use.\"}\u{1e}"
    );
    assert!(live_streams().lock().unwrap().contains(&tag));
    // The stream still owns `x`: cancelling `x` ends it.
    send(&mut ws, "{\"type\":5,\"invocationId\":\"x\"}\u{1e}").await;
    until_gone(std::slice::from_ref(&tag)).await;
    assert_server_healthy(addr).await;
}
