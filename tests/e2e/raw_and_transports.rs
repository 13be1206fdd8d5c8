//! The raw connection endpoint, transports per endpoint, and which transport the hub sees.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_runtime::HubOptions;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::*;

#[tokio::test]
async fn raw_echo_over_a_plain_websocket_closes_cleanly_with_1000() {
    let addr = serve(HubOptions::default()).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/echo"))
        .await
        .unwrap();
    ws.send(Message::text("message")).await.unwrap();
    assert_eq!(recv(&mut ws).await, "message");
    ws.send(Message::binary(vec![0xff, 0x00, 0x80]))
        .await
        .unwrap();
    let echoed = tokio::time::timeout(PATIENCE, ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        echoed,
        Message::binary(vec![0xff, 0x00, 0x80]),
        "bytes that are not UTF-8 come back binary"
    );
    // A browser's `close()` sends no status; ASP.NET Core answers with 1000, and so must we.
    ws.close(None).await.unwrap();
    loop {
        match tokio::time::timeout(PATIENCE, ws.next()).await.unwrap() {
            Some(Ok(Message::Close(frame))) => {
                assert_eq!(frame.map(|f| f.code), Some(CloseCode::Normal));
                break;
            }
            Some(Ok(_)) => {}
            other => panic!("expected the server's close frame, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn raw_echo_over_long_polling() {
    let addr = serve(HubOptions::default()).await;
    let (_, body) = http(addr, "POST", "/echo/negotiate?negotiateVersion=1").await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = body["connectionToken"].as_str().unwrap();
    assert_eq!(
        http(addr, "GET", &format!("/echo?id={token}")).await,
        (200, String::new())
    );
    let posted = http_with(
        addr,
        "POST",
        &format!("/echo?id={token}"),
        &[],
        b"Hello World!",
    )
    .await;
    assert_eq!(posted.0, 200);
    assert_eq!(
        http(addr, "GET", &format!("/echo?id={token}")).await,
        (200, "Hello World!".to_owned())
    );
    assert_eq!(
        http(addr, "DELETE", &format!("/echo?id={token}")).await.0,
        202
    );
}

#[tokio::test]
async fn an_endpoint_offers_only_its_transports() {
    let addr = serve(HubOptions::default()).await;
    let (_, body) = http(addr, "POST", "/hub-nows/negotiate?negotiateVersion=1").await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    let names: Vec<_> = body["availableTransports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|transport| transport["transport"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["ServerSentEvents", "LongPolling"]);
    match tokio_tungstenite::connect_async(format!("ws://{addr}/hub-nows")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 404);
            let text = String::from_utf8(response.body().clone().unwrap_or_default()).unwrap();
            assert_eq!(
                text,
                "WebSockets transport not supported by this end point type"
            );
        }
        other => panic!("expected 404, got {other:?}"),
    }
}

#[tokio::test]
async fn the_hub_knows_its_transport() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"TransportName\",\"arguments\":[]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"WebSockets\"}\u{1e}"
    );

    let (_, body) = http(addr, "POST", "/hub-nows/negotiate?negotiateVersion=1").await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = body["connectionToken"].as_str().unwrap();
    let path = format!("/hub-nows?id={token}");
    assert_eq!(http(addr, "GET", &path).await.0, 200);
    let call = format!(
        "{HANDSHAKE}{{\"type\":1,\"invocationId\":\"1\",\"target\":\"TransportName\",\"arguments\":[]}}\u{1e}"
    );
    assert_eq!(
        http_with(addr, "POST", &path, &[], call.as_bytes()).await.0,
        200
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (status, body) = http(addr, "GET", &path).await;
    assert_eq!(
        (status, body.as_str()),
        (
            200,
            "{}\u{1e}{\"type\":3,\"invocationId\":\"1\",\"result\":\"LongPolling\"}\u{1e}"
        )
    );
}
