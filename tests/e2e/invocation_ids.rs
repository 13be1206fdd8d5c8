//! Invocation ids are unique per connection while in use, and nothing a call started outlives
//! its connection.

use std::time::Duration;

use crate::support::*;

/// A stream `x`, then a call that reuses `x` and opens an upload, then the upload's end: the
/// pattern that once completed `x` in place of the stream and left the stream running for ever.
fn reuse_pattern(tag: &str) -> [String; 3] {
    [
        format!("{{\"type\":4,\"invocationId\":\"x\",\"target\":\"Tracked\",\"arguments\":[\"{tag}\"]}}\u{1e}"),
        "{\"type\":1,\"invocationId\":\"x\",\"target\":\"Concat\",\"arguments\":[],\"streamIds\":[\"s\"]}\u{1e}".to_owned(),
        "{\"type\":3,\"invocationId\":\"s\"}\u{1e}".to_owned(),
    ]
}

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

#[tokio::test]
async fn streams_of_connections_that_reused_ids_end_with_their_connections() {
    const CONNECTIONS: usize = 200;
    let addr = serve(Default::default()).await;
    let mut tags = Vec::new();
    for i in 0..CONNECTIONS {
        let mut ws = connect_ready(addr).await;
        let tag = format!("reuse-close-{i}");
        for message in reuse_pattern(&tag) {
            send(&mut ws, &message).await;
        }
        // The answer for `x` shows the server has read all three messages.
        assert!(recv(&mut ws).await.contains("\"invocationId\":\"x\""));
        ws.close(None).await.unwrap();
        tags.push(tag);
    }
    until_gone(&tags).await;
    assert_server_healthy(addr).await;
}
