//! Negotiate v0 and v1, and how WebSocket requests find (or fail to find) their connection.

use signalr_runtime::HubOptions;

use crate::support::*;

fn field<'a>(body: &'a serde_json::Value, name: &str) -> &'a str {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{name}` in {body}"))
}

#[tokio::test]
async fn version_1_returns_a_secret_token_distinct_from_the_id() {
    let addr = serve(HubOptions::default()).await;
    let (status, body) = http(addr, "POST", "/hub/negotiate?negotiateVersion=1").await;
    assert_eq!(status, 200);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["negotiateVersion"], 1);
    assert_ne!(
        field(&body, "connectionId"),
        field(&body, "connectionToken")
    );
    let transports = body["availableTransports"].as_array().unwrap();
    let names: Vec<_> = transports
        .iter()
        .map(|t| t["transport"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["WebSockets", "ServerSentEvents", "LongPolling"]);
    // Server-Sent Events carry text only; the others whatever the protocols need.
    assert_eq!(
        transports[1]["transferFormats"],
        serde_json::json!(["Text"])
    );
    assert_eq!(
        transports[0]["transferFormats"],
        transports[2]["transferFormats"]
    );
    assert_eq!(
        transports[0]["transferFormats"],
        serde_json::json!(["Text", "Binary"])
    );
    assert!(body.get("useStatefulReconnect").is_none());
}

#[tokio::test]
async fn version_0_has_no_token_and_higher_versions_get_1() {
    let addr = serve(HubOptions::default()).await;
    let (_, body) = http(addr, "POST", "/hub/negotiate").await;
    let v0: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v0["negotiateVersion"], 0);
    assert!(v0.get("connectionToken").is_none());

    let (_, body) = http(addr, "POST", "/hub/negotiate?negotiateversion=5").await;
    let v5: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v5["negotiateVersion"], 1);

    let (status, body) = http(addr, "POST", "/hub/negotiate?negotiateVersion=abc").await;
    assert_eq!(
        (status, body.as_str()),
        (
            200,
            "{\"error\":\"The client requested a non-integer protocol version.\"}"
        )
    );
}

#[tokio::test]
async fn the_token_opens_the_connection_and_the_hub_sees_the_negotiated_id() {
    let addr = serve(HubOptions::default()).await;
    let (_, body) = http(addr, "POST", "/hub/negotiate?negotiateVersion=1").await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = field(&body, "connectionToken");

    // The public id is not a credential.
    let refused = tokio_tungstenite::connect_async(format!(
        "ws://{addr}/hub?id={}",
        field(&body, "connectionId")
    ))
    .await;
    assert!(
        refused.is_err(),
        "the connection id must not open the connection"
    );

    let mut ws = connect(addr, &format!("?id={token}")).await;
    send(&mut ws, HANDSHAKE).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");

    // A second transport for the same connection is a conflict.
    let conflict = tokio_tungstenite::connect_async(format!("ws://{addr}/hub?id={token}")).await;
    match conflict {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 409)
        }
        other => panic!("expected 409, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_id_is_404() {
    let addr = serve(HubOptions::default()).await;
    match tokio_tungstenite::connect_async(format!("ws://{addr}/hub?id=nonsense")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 404)
        }
        other => panic!("expected 404, got {other:?}"),
    }
}

#[tokio::test]
async fn negotiate_only_answers_post() {
    let addr = serve(HubOptions::default()).await;
    let (status, _) = http(addr, "GET", "/hub/negotiate").await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn a_token_unused_for_the_disconnect_timeout_expires() {
    let addr =
        serve(HubOptions::default().disconnect_timeout(std::time::Duration::from_millis(100)))
            .await;
    let (_, body) = http(addr, "POST", "/hub/negotiate?negotiateVersion=1").await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    match tokio_tungstenite::connect_async(format!(
        "ws://{addr}/hub?id={}",
        field(&body, "connectionToken")
    ))
    .await
    {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 404)
        }
        other => panic!("expected 404, got {other:?}"),
    }
}

#[tokio::test]
async fn an_upgrade_without_a_key_is_refused_not_taken_for_a_poll() {
    let addr = serve(HubOptions::default()).await;
    let (_, body) = http(addr, "POST", "/hub/negotiate?negotiateVersion=1").await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = field(&body, "connectionToken");
    let upgrade = [("Upgrade", "websocket"), ("Connection", "Upgrade")];
    let (status, text) = http_with(addr, "GET", &format!("/hub?id={token}"), &upgrade, b"").await;
    assert_eq!(
        (status, text.as_str()),
        (400, "Missing Sec-WebSocket-Key header")
    );
    // The token was not bound to Long Polling by it: a WebSocket may still take it.
    let mut ws = connect(addr, &format!("?id={token}")).await;
    send(&mut ws, HANDSHAKE).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");
}
