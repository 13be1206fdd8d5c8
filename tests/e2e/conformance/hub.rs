//! HubProtocol.md, one test per requirement that had none.

use super::*;

/// H5: a first message that is not a HandshakeRequest (here a Ping) closes the connection.
#[tokio::test]
async fn a_hub_message_in_place_of_the_handshake_closes_the_connection() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect(addr, "").await;
    send(&mut ws, "{\"type\":6}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"error\":\"An unexpected error occurred during connection handshake.\"}\u{1e}"
    );
    expect_close(&mut ws).await;
}

/// H16: headers on messages are accepted and disregarded.
#[tokio::test]
async fn messages_with_headers_are_processed_and_the_headers_disregarded() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":1,\"headers\":{\"Foo\":\"Bar\"},\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"h\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"h\"}\u{1e}"
    );
    // An upload whose StreamItems and Completion carry headers too.
    send(
        &mut ws,
        "{\"type\":1,\"headers\":{\"a\":\"b\"},\"invocationId\":\"2\",\"target\":\"Concat\",\"arguments\":[],\"streamIds\":[\"0\"]}\u{1e}\
         {\"type\":2,\"headers\":{\"c\":\"d\"},\"invocationId\":\"0\",\"item\":\"x\"}\u{1e}\
         {\"type\":3,\"headers\":{\"e\":\"f\"},\"invocationId\":\"0\"}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"2\",\"result\":\"x\"}\u{1e}"
    );
    // And a stream cancelled by a CancelInvocation with headers.
    send(
        &mut ws,
        "{\"type\":4,\"headers\":{\"g\":\"h\"},\"invocationId\":\"3\",\"target\":\"Forever\",\"arguments\":[]}\u{1e}\
         {\"type\":5,\"headers\":{\"i\":\"j\"},\"invocationId\":\"3\"}\u{1e}",
    )
    .await;
    let mut got = records(&mut ws, 2).await;
    got.sort();
    assert_eq!(
        got,
        [
            "{\"type\":1,\"target\":\"StreamCanceled\",\"arguments\":[]}",
            "{\"type\":3,\"invocationId\":\"3\"}"
        ]
    );
}

/// H21, H27: after a CancelInvocation the stream's Completion is the last message for its id.
#[tokio::test]
async fn after_a_cancelled_streams_completion_nothing_more_comes_for_its_id() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":4,\"invocationId\":\"1\",\"target\":\"BigItems\",\"arguments\":[1000000,8]}\u{1e}",
    )
    .await;
    let item = "{\"type\":2,\"invocationId\":\"1\",\"item\":\"yyyyyyyy\"}\u{1e}";
    let first = recv(&mut ws).await;
    assert!(first.starts_with(item), "{first}");
    send(&mut ws, "{\"type\":5,\"invocationId\":\"1\"}\u{1e}").await;
    // Items already queued may still come; then the Completion, without error.
    let mut pending = String::new();
    loop {
        pending.push_str(&recv(&mut ws).await);
        let done = pending
            .split_terminator('\u{1e}')
            .any(|record| record.starts_with("{\"type\":3,"));
        if done {
            break;
        }
    }
    let completion = "{\"type\":3,\"invocationId\":\"1\"}\u{1e}";
    assert!(pending.ends_with(completion), "{pending:?}");
    assert!(
        !pending.trim_end_matches(completion).contains("\"type\":3"),
        "{pending:?}"
    );
    assert_silent(&mut ws, Duration::from_millis(300)).await;
}

/// H22: a cancelled non-streaming invocation still gets its Completion.
#[tokio::test]
async fn a_cancelled_plain_invocation_still_gets_its_completion() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"UntilCancelled\",\"arguments\":[]}\u{1e}",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    send(&mut ws, "{\"type\":5,\"invocationId\":\"1\"}\u{1e}").await;
    assert_eq!(
        records(&mut ws, 2).await,
        [
            "{\"type\":1,\"target\":\"StreamCanceled\",\"arguments\":[]}",
            "{\"type\":3,\"invocationId\":\"1\",\"result\":\"stopped\"}"
        ]
    );
}

/// H23: a CancelInvocation naming no running invocation is ignored.
#[tokio::test]
async fn a_cancel_invocation_for_an_unknown_id_is_ignored() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":5,\"invocationId\":\"nope\"}\u{1e}").await;
    // Also one for an invocation that already completed.
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"a\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"a\"}\u{1e}"
    );
    send(&mut ws, "{\"type\":5,\"invocationId\":\"1\"}\u{1e}").await;
    assert_silent(&mut ws, Duration::from_millis(200)).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"2\",\"target\":\"Echo\",\"arguments\":[\"b\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"2\",\"result\":\"b\"}\u{1e}"
    );
}

/// H26: StreamItems and Completions for an upload of an invocation that already completed are
/// ignored.
#[tokio::test]
async fn late_items_of_an_upload_whose_invocation_completed_are_ignored() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    // Completed at once: the method wants two streams and gets one.
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"SumTwo\",\"arguments\":[],\"streamIds\":[\"c\"]}\u{1e}").await;
    assert!(
        recv(&mut ws)
            .await
            .starts_with("{\"type\":3,\"invocationId\":\"1\",\"error\":")
    );
    // Completed normally, then items after the end.
    send(&mut ws, "{\"type\":1,\"invocationId\":\"2\",\"target\":\"Concat\",\"arguments\":[],\"streamIds\":[\"d\"]}\u{1e}").await;
    send(&mut ws, "{\"type\":2,\"invocationId\":\"d\",\"item\":\"x\"}\u{1e}{\"type\":3,\"invocationId\":\"d\"}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"2\",\"result\":\"x\"}\u{1e}"
    );
    send(
        &mut ws,
        "{\"type\":2,\"invocationId\":\"c\",\"item\":1}\u{1e}{\"type\":3,\"invocationId\":\"c\"}\u{1e}\
         {\"type\":2,\"invocationId\":\"d\",\"item\":\"late\"}\u{1e}{\"type\":3,\"invocationId\":\"d\"}\u{1e}",
    )
    .await;
    assert_silent(&mut ws, Duration::from_millis(200)).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"3\",\"target\":\"Echo\",\"arguments\":[\"still\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"3\",\"result\":\"still\"}\u{1e}"
    );
}

/// H38: a Completion with both a result and an error is a protocol error.
#[tokio::test]
async fn a_completion_with_both_result_and_error_closes_the_connection() {
    let addr = serve(HubOptions::default().detailed_errors(true)).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":3,\"invocationId\":\"s1\",\"result\":42,\"error\":\"It didn't work!\"}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":7,\"error\":\"Connection closed with an error. InvalidDataException: \
         The 'error' and 'result' properties are mutually exclusive.\"}\u{1e}"
    );
    expect_close(&mut ws).await;
}

/// H39: an id the server used for its own invocation may be used by the client for one.
#[tokio::test]
async fn the_client_may_use_an_invocation_id_the_server_used() {
    let addr = serve(HubOptions::default().maximum_parallel_invocations_per_client(2)).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"AskCaller\",\"arguments\":[\"ok?\"]}\u{1e}").await;
    let request = recv(&mut ws).await;
    let id = request
        .strip_prefix("{\"type\":1,\"invocationId\":\"")
        .and_then(|rest| rest.split_once('"'))
        .map(|(id, _)| id.to_owned())
        .unwrap_or_else(|| panic!("{request}"));
    send(
        &mut ws,
        &format!(
            "{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Echo\",\"arguments\":[\"mine\"]}}\u{1e}"
        ),
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        format!("{{\"type\":3,\"invocationId\":\"{id}\",\"result\":\"mine\"}}\u{1e}")
    );
    send(
        &mut ws,
        &format!("{{\"type\":3,\"invocationId\":\"{id}\",\"result\":true}}\u{1e}"),
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":true}\u{1e}"
    );
}

/// H50: JSON property names are case-sensitive: `Type` is not `type`.
#[tokio::test]
async fn json_property_names_are_case_sensitive() {
    let addr = serve(HubOptions::default().detailed_errors(true)).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"Type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"x\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":7,\"error\":\"Connection closed with an error. InvalidDataException: \
         Missing required property 'type'.\"}\u{1e}"
    );
    expect_close(&mut ws).await;
}
