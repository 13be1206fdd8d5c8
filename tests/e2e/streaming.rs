//! Streams both ways, and cancellation.

use signalr_runtime::HubOptions;

use crate::support::*;

/// Receives until `count` records have arrived; returns them in order.
async fn records(ws: &mut Ws, count: usize) -> Vec<String> {
    let mut text = String::new();
    while text.matches('\u{1e}').count() < count {
        text.push_str(&recv(ws).await);
    }
    text.split_terminator('\u{1e}').map(str::to_owned).collect()
}

#[tokio::test]
async fn a_stream_sends_each_item_then_a_completion() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":4,\"invocationId\":\"1\",\"target\":\"Counter\",\"arguments\":[3]}\u{1e}",
    )
    .await;
    assert_eq!(
        records(&mut ws, 4).await,
        [
            "{\"type\":2,\"invocationId\":\"1\",\"item\":1}",
            "{\"type\":2,\"invocationId\":\"1\",\"item\":2}",
            "{\"type\":2,\"invocationId\":\"1\",\"item\":3}",
            "{\"type\":3,\"invocationId\":\"1\"}",
        ]
    );
}

#[tokio::test]
async fn streaming_and_plain_methods_refuse_the_other_kind_of_call() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Counter\",\"arguments\":[3]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"error\":\"The client attempted to invoke the streaming 'Counter' \
         method with a non-streaming invocation.\"}\u{1e}"
    );
    send(
        &mut ws,
        "{\"type\":4,\"invocationId\":\"2\",\"target\":\"Nope\",\"arguments\":[]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"2\",\"error\":\"Failed to invoke 'Nope' due to an error on the server. \
         HubException: Method does not exist.\"}\u{1e}"
    );
}

#[tokio::test]
async fn errors_before_and_during_a_stream() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":4,\"invocationId\":\"1\",\"target\":\"Refuse\",\"arguments\":[\"An error occurred.\"]}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"error\":\"An unexpected error occurred invoking 'Refuse' on the server. \
         HubException: An error occurred.\"}\u{1e}"
    );
    send(
        &mut ws,
        "{\"type\":4,\"invocationId\":\"2\",\"target\":\"FailMidway\",\"arguments\":[]}\u{1e}",
    )
    .await;
    assert_eq!(
        records(&mut ws, 2).await,
        [
            "{\"type\":2,\"invocationId\":\"2\",\"item\":1}",
            "{\"type\":3,\"invocationId\":\"2\",\"error\":\"An error occurred on the server while streaming results. \
             HubException: broke\"}",
        ]
    );
}

#[tokio::test]
async fn cancel_invocation_stops_a_stream_without_error_and_fires_its_token() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":4,\"invocationId\":\"1\",\"target\":\"Forever\",\"arguments\":[]}\u{1e}",
    )
    .await;
    send(
        &mut ws,
        "{\"type\":4,\"invocationId\":\"1\",\"target\":\"Counter\",\"arguments\":[1]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"error\":\"Invocation ID '1' is already in use.\"}\u{1e}"
    );
    send(&mut ws, "{\"type\":5,\"invocationId\":\"1\"}\u{1e}").await;
    let mut got = records(&mut ws, 2).await;
    got.sort();
    assert_eq!(
        got,
        [
            "{\"type\":1,\"target\":\"StreamCanceled\",\"arguments\":[]}",
            "{\"type\":3,\"invocationId\":\"1\"}"
        ]
    );
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn cancel_invocation_reaches_a_plain_method_that_is_still_running() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"UntilCancelled\",\"arguments\":[]}\u{1e}",
    )
    .await;
    send(&mut ws, "{\"type\":5,\"invocationId\":\"1\"}\u{1e}").await;
    // One call at a time: the Echo runs only once the cancelled call has returned.
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"2\",\"target\":\"Echo\",\"arguments\":[\"after\"]}\u{1e}",
    )
    .await;
    let echoed = "{\"type\":3,\"invocationId\":\"2\",\"result\":\"after\"}";
    let mut seen = Vec::new();
    while !seen.iter().any(|record| record == echoed) {
        seen.extend(records(&mut ws, 1).await);
    }
    assert!(
        seen.contains(&"{\"type\":1,\"target\":\"StreamCanceled\",\"arguments\":[]}".to_owned()),
        "the method saw its cancellation: {seen:?}"
    );
}

#[tokio::test]
async fn an_upload_stream_reaches_the_method_in_order() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Concat\",\"arguments\":[],\"streamIds\":[\"0\"]}\u{1e}").await;
    for part in ["Hello ", "world", "!"] {
        send(
            &mut ws,
            &format!("{{\"type\":2,\"invocationId\":\"0\",\"item\":\"{part}\"}}\u{1e}"),
        )
        .await;
    }
    send(&mut ws, "{\"type\":3,\"invocationId\":\"0\"}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"Hello world!\"}\u{1e}"
    );
}

#[tokio::test]
async fn an_upload_ended_with_an_error_fails_the_call_with_that_error() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Concat\",\"arguments\":[],\"streamIds\":[\"0\"]}\u{1e}").await;
    send(&mut ws, "{\"type\":2,\"invocationId\":\"0\",\"item\":\"a\"}\u{1e}{\"type\":3,\"invocationId\":\"0\",\"error\":\"Something bad\"}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"error\":\"An unexpected error occurred invoking 'Concat' on the server. \
         HubException: Something bad\"}\u{1e}"
    );
}

/// One WebSocket message: a Concat call, `count` upload items (`0`, `1`, ...), and the upload's
/// `end` (a Completion's fields after its invocation id).
fn concat_upload(count: usize, end: &str) -> String {
    let mut message = "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Concat\",\"arguments\":[],\"streamIds\":[\"0\"]}\u{1e}".to_owned();
    for item in 0..count {
        message.push_str(&format!(
            "{{\"type\":2,\"invocationId\":\"0\",\"item\":\"{item},\"}}\u{1e}"
        ));
    }
    message.push_str(&format!("{{\"type\":3,\"invocationId\":\"0\"{end}}}\u{1e}"));
    message
}

/// With a buffer of one item, every item after the first finds the method's buffer full (the
/// reader handles a whole WebSocket message before the method runs again), and so does the
/// upload's end: the reader waits for room each time, and nothing is lost or reordered.
#[tokio::test]
async fn an_upload_larger_than_its_buffer_arrives_whole_and_in_order() {
    let addr = serve(HubOptions::default().stream_buffer_capacity(1)).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, &concat_upload(100, "")).await;
    let expected: String = (0..100).map(|item| format!("{item},")).collect();
    assert_eq!(
        recv(&mut ws).await,
        format!("{{\"type\":3,\"invocationId\":\"1\",\"result\":\"{expected}\"}}\u{1e}")
    );
    // Its error, too, waits for room rather than being dropped.
    send(&mut ws, &concat_upload(100, ",\"error\":\"Something bad\"")).await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"error\":\"An unexpected error occurred invoking 'Concat' on the server. \
         HubException: Something bad\"}\u{1e}"
    );
}

#[tokio::test]
async fn several_upload_streams_in_one_call_and_the_stream_count_is_checked() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"SumTwo\",\"arguments\":[],\"streamIds\":[\"a\",\"b\"]}\u{1e}").await;
    send(
        &mut ws,
        "{\"type\":2,\"invocationId\":\"a\",\"item\":1}\u{1e}{\"type\":2,\"invocationId\":\"b\",\"item\":10}\u{1e}\
         {\"type\":2,\"invocationId\":\"a\",\"item\":100}\u{1e}{\"type\":3,\"invocationId\":\"b\"}\u{1e}\
         {\"type\":3,\"invocationId\":\"a\"}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":111}\u{1e}"
    );

    send(&mut ws, "{\"type\":1,\"invocationId\":\"2\",\"target\":\"SumTwo\",\"arguments\":[],\"streamIds\":[\"c\"]}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"2\",\"error\":\"An unexpected error occurred invoking 'SumTwo' on the server. \
         HubException: Client sent 1 stream(s), Hub method expects 2.\"}\u{1e}"
    );
}
