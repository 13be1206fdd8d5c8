//! Invocations over a raw WebSocket: framing, results, errors, server-to-client calls, close.

use signalr_runtime::HubOptions;

use crate::support::*;

#[tokio::test]
async fn a_message_split_across_frames() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    let message =
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"héllo\"]}\u{1e}";
    let (first, rest) = message.split_at(20);
    let (second, third) = rest.split_at(25);
    for part in [first, second, third] {
        send(&mut ws, part).await;
    }
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"héllo\"}\u{1e}"
    );
}

#[tokio::test]
async fn messages_packed_into_one_frame() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":6}\u{1e}\
         {\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"a\"]}\u{1e}\
         {\"type\":1,\"invocationId\":\"2\",\"target\":\"Echo\",\"arguments\":[\"b\"]}\u{1e}",
    )
    .await;
    // The two completions may arrive in one frame or two.
    let mut received = String::new();
    while received.matches('\u{1e}').count() < 2 {
        received.push_str(&recv(&mut ws).await);
    }
    assert_eq!(
        received,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"a\"}\u{1e}{\"type\":3,\"invocationId\":\"2\",\"result\":\"b\"}\u{1e}"
    );
}

#[tokio::test]
async fn a_non_blocking_invocation_gets_no_completion_even_when_it_fails() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":1,\"target\":\"Fail\",\"arguments\":[\"boom\"]}\u{1e}",
    )
    .await;
    send(
        &mut ws,
        "{\"type\":1,\"target\":\"Nope\",\"arguments\":[]}\u{1e}",
    )
    .await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"9\",\"target\":\"Echo\",\"arguments\":[\"next\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"9\",\"result\":\"next\"}\u{1e}"
    );
}

#[tokio::test]
async fn error_completions_carry_asp_net_core_texts() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    let cases = [
        (
            "{\"type\":1,\"invocationId\":\"1\",\"target\":\"nope\",\"arguments\":[]}",
            "Failed to invoke 'nope' due to an error on the server. HubException: Method does not exist.",
        ),
        (
            "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[]}",
            "Failed to invoke 'Echo' due to an error on the server.",
        ),
        (
            "{\"type\":1,\"invocationId\":\"1\",\"target\":\"echo\",\"arguments\":[5]}",
            "Failed to invoke 'echo' due to an error on the server.",
        ),
        (
            "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Fail\",\"arguments\":[\"why\"]}",
            "An unexpected error occurred invoking 'Fail' on the server. HubException: why",
        ),
        (
            "{\"type\":4,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"x\"]}",
            "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.",
        ),
        (
            "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"x\"],\"streamIds\":[\"0\"]}",
            "An unexpected error occurred invoking 'Echo' on the server. \
             HubException: Client sent 1 stream(s), Hub method expects 0.",
        ),
    ];
    for (request, error) in cases {
        send(&mut ws, &format!("{request}\u{1e}")).await;
        assert_eq!(
            recv(&mut ws).await,
            format!("{{\"type\":3,\"invocationId\":\"1\",\"error\":\"{error}\"}}\u{1e}")
        );
    }
}

#[tokio::test]
async fn the_caller_receives_a_server_to_client_call_before_the_completion() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"NotifyCaller\",\"arguments\":[\"hey\"]}\u{1e}").await;
    let mut received = String::new();
    while received.matches('\u{1e}').count() < 2 {
        received.push_str(&recv(&mut ws).await);
    }
    assert_eq!(
        received,
        "{\"type\":1,\"target\":\"Notified\",\"arguments\":[\"hey\"]}\u{1e}{\"type\":3,\"invocationId\":\"1\"}\u{1e}"
    );
}

#[tokio::test]
async fn a_close_message_from_the_client_ends_the_connection_cleanly() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":7}\u{1e}").await;
    assert_eq!(recv(&mut ws).await, "{\"type\":7}\u{1e}");
    expect_close(&mut ws).await;
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn unknown_message_types_are_ignored() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":42,\"whatever\":true}\u{1e}{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"ok\"]}\u{1e}").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"ok\"}\u{1e}"
    );
}

#[tokio::test]
async fn the_hub_sees_the_query_cookies_and_headers_of_the_transport_request() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let addr = serve(HubOptions::default()).await;
    let mut request = format!("ws://{addr}/hub?Flavour=caf%C3%A9&other=1")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("cookie", "a=1; flavour=choc; b=2".parse().unwrap());
    request
        .headers_mut()
        .insert("flavour", "vanilla".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    send(&mut ws, HANDSHAKE).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"RequestInfo\",\"arguments\":[\"flavour\"]}\u{1e}").await;
    // Query names ignore case; cookie names do not (`Flavour` would find nothing).
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":[\"café\",\"choc\",\"vanilla\"]}\u{1e}"
    );
}

#[tokio::test]
async fn a_send_followed_at_once_by_close_still_runs() {
    let addr = serve(HubOptions::default()).await;
    let mut listener = connect_ready(addr).await;
    let mut sender = connect_ready(addr).await;
    send(
        &mut sender,
        "{\"type\":1,\"target\":\"Shout\",\"arguments\":[\"bye\"]}\u{1e}{\"type\":7}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut listener).await,
        "{\"type\":1,\"target\":\"Notified\",\"arguments\":[\"bye\"]}\u{1e}"
    );
}
