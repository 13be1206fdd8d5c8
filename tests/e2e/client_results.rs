//! Client results: the server invokes a client method and awaits the client's Completion.

use signalr_runtime::HubOptions;

use crate::support::*;

/// Reads the server's invocation of `Confirm` and returns its invocation id.
async fn confirm_request(ws: &mut Ws, question: &str) -> String {
    let request = recv(ws).await;
    let prefix = "{\"type\":1,\"invocationId\":\"";
    let rest = request
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("not an invocation with an id: {request}"));
    let (id, rest) = rest.split_once('"').unwrap();
    assert!(
        id.starts_with('s'),
        "server invocation ids start with `s`: {id}"
    );
    assert_eq!(
        rest,
        format!(",\"target\":\"Confirm\",\"arguments\":[\"{question}\"]}}\u{1e}")
    );
    id.to_owned()
}

#[tokio::test]
async fn the_clients_answer_becomes_the_methods_result() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"AskCaller\",\"arguments\":[\"ok?\"]}\u{1e}").await;
    let id = confirm_request(&mut ws, "ok?").await;
    send(
        &mut ws,
        &format!("{{\"type\":3,\"invocationId\":\"{id}\",\"result\":true}}\u{1e}"),
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":true}\u{1e}"
    );

    // Ids are not reused.
    send(&mut ws, "{\"type\":1,\"invocationId\":\"2\",\"target\":\"AskCaller\",\"arguments\":[\"again?\"]}\u{1e}").await;
    let second = confirm_request(&mut ws, "again?").await;
    assert_ne!(second, id);
    send(
        &mut ws,
        &format!("{{\"type\":3,\"invocationId\":\"{second}\",\"result\":false}}\u{1e}"),
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"2\",\"result\":false}\u{1e}"
    );
}

#[tokio::test]
async fn the_clients_error_text_is_relayed_verbatim() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"AskCaller\",\"arguments\":[\"ok?\"]}\u{1e}").await;
    let id = confirm_request(&mut ws, "ok?").await;
    send(&mut ws, &format!("{{\"type\":3,\"invocationId\":\"{id}\",\"error\":\"Client didn't provide a result.\"}}\u{1e}")).await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"error\":\"An unexpected error occurred invoking 'AskCaller' on the server. \
         HubException: Client didn't provide a result.\"}\u{1e}"
    );
}

#[tokio::test]
async fn a_result_of_the_wrong_type_is_an_error() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"AskCaller\",\"arguments\":[\"ok?\"]}\u{1e}").await;
    let id = confirm_request(&mut ws, "ok?").await;
    send(
        &mut ws,
        &format!("{{\"type\":3,\"invocationId\":\"{id}\",\"result\":\"yes\"}}\u{1e}"),
    )
    .await;
    let reply = recv(&mut ws).await;
    assert!(
        reply.starts_with(
            "{\"type\":3,\"invocationId\":\"1\",\"error\":\"An unexpected error occurred invoking 'AskCaller' on the server. \
             HubException: Error trying to deserialize result to bool. "
        ),
        "{reply}"
    );
}

#[tokio::test]
async fn only_a_single_client_can_answer() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"AskAll\",\"arguments\":[\"ok?\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"error\":\"An unexpected error occurred invoking 'AskAll' on the server. \
         HubException: Client results need a single client: use `caller()` or `client(id)`.\"}\u{1e}"
    );
}

#[tokio::test]
async fn an_unknown_completion_id_is_ignored() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":3,\"invocationId\":\"s999\",\"result\":1}\u{1e}",
    )
    .await;
    assert_server_healthy(addr).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"still\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"still\"}\u{1e}"
    );
}

#[tokio::test]
async fn a_method_awaits_its_own_caller_with_several_parallel_invocations() {
    let addr = serve(HubOptions::default().maximum_parallel_invocations_per_client(4)).await;
    let mut ws = connect_ready(addr).await;
    // Two calls at once, each waiting for the same client's answer.
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"AskCaller\",\"arguments\":[\"one?\"]}\u{1e}").await;
    send(&mut ws, "{\"type\":1,\"invocationId\":\"2\",\"target\":\"AskCaller\",\"arguments\":[\"two?\"]}\u{1e}").await;
    let mut requests = Vec::new();
    while requests.len() < 2 {
        let text = recv(&mut ws).await;
        requests.extend(text.split_terminator('\u{1e}').map(str::to_owned));
    }
    for request in &requests {
        let id = request
            .split("\"invocationId\":\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let answer = request.contains("one?");
        send(
            &mut ws,
            &format!("{{\"type\":3,\"invocationId\":\"{id}\",\"result\":{answer}}}\u{1e}"),
        )
        .await;
    }
    let mut completions = String::new();
    while completions.matches('\u{1e}').count() < 2 {
        completions.push_str(&recv(&mut ws).await);
    }
    assert!(
        completions.contains("{\"type\":3,\"invocationId\":\"1\",\"result\":true}"),
        "{completions}"
    );
    assert!(
        completions.contains("{\"type\":3,\"invocationId\":\"2\",\"result\":false}"),
        "{completions}"
    );
}

#[tokio::test]
async fn a_client_result_can_time_out_and_a_late_answer_is_ignored() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(&mut ws, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"AskCallerBriefly\",\"arguments\":[\"ok?\"]}\u{1e}").await;
    let id = confirm_request(&mut ws, "ok?").await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"error\":\"An unexpected error occurred invoking 'AskCallerBriefly' on the server. \
         HubException: The client did not answer 'Confirm' within 200ms.\"}\u{1e}"
    );
    send(
        &mut ws,
        &format!("{{\"type\":3,\"invocationId\":\"{id}\",\"result\":true}}\u{1e}"),
    )
    .await;
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
