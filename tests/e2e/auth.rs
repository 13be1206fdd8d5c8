//! Authentication, per-method authorization, and the Origin check on WebSocket upgrades.

use signalr_runtime::HubOptions;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::*;

/// The status of a WebSocket upgrade to `url` with extra headers.
async fn upgrade_status(url: &str, headers: &[(&'static str, &str)]) -> u16 {
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected error {other}"),
    }
}

#[tokio::test]
async fn a_hub_that_requires_authentication_answers_401_without_a_token() {
    let addr = serve(HubOptions::default()).await;
    assert_eq!(
        http(addr, "POST", "/secure/negotiate?negotiateVersion=1")
            .await
            .0,
        401
    );
    let bearer = [("Authorization", "Bearer token-ada")];
    assert_eq!(
        http_with(
            addr,
            "POST",
            "/secure/negotiate?negotiateVersion=1",
            &bearer,
            b""
        )
        .await
        .0,
        200
    );
    assert_eq!(
        http(
            addr,
            "POST",
            "/secure/negotiate?negotiateVersion=1&access_token=token-ada"
        )
        .await
        .0,
        200
    );
    assert_eq!(
        http(addr, "POST", "/secure/negotiate?access_token=wrong")
            .await
            .0,
        401
    );
    assert_eq!(
        upgrade_status(&format!("ws://{addr}/secure"), &[]).await,
        401
    );
    assert_eq!(
        upgrade_status(&format!("ws://{addr}/secure?access_token=token-ada"), &[]).await,
        101
    );
    // Long Polling's polls and POSTs need the token too.
    assert_eq!(http(addr, "POST", "/secure?id=whatever").await.0, 401);
    assert_eq!(http(addr, "GET", "/secure?id=whatever").await.0, 401);
}

#[tokio::test]
async fn the_hub_sees_the_authenticated_user() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect(addr, "?access_token=token-ada").await;
    send(&mut ws, HANDSHAKE).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"WhoAmI\",\"arguments\":[]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"ada\"}\u{1e}"
    );
}

#[tokio::test]
async fn methods_refuse_callers_their_authorization_does_not_allow() {
    let addr = serve(HubOptions::default()).await;
    let unauthorized = |target: &str| {
        format!(
            "{{\"type\":3,\"invocationId\":\"1\",\"error\":\"Failed to invoke '{target}' because user is unauthorized\"}}\u{1e}"
        )
    };
    let call = |target: &str| {
        format!(
            "{{\"type\":1,\"invocationId\":\"1\",\"target\":\"{target}\",\"arguments\":[]}}\u{1e}"
        )
    };

    let mut anonymous = connect_ready(addr).await;
    send(&mut anonymous, &call("MembersOnly")).await;
    assert_eq!(recv(&mut anonymous).await, unauthorized("MembersOnly"));

    let mut ada = connect(addr, "?access_token=token-ada").await;
    send(&mut ada, HANDSHAKE).await;
    assert_eq!(recv(&mut ada).await, "{}\u{1e}");
    send(&mut ada, &call("MembersOnly")).await;
    assert_eq!(
        recv(&mut ada).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"welcome\"}\u{1e}"
    );
    send(&mut ada, &call("AdminOnly")).await;
    assert_eq!(recv(&mut ada).await, unauthorized("AdminOnly"));

    let mut root = connect(addr, "?access_token=token-root-admin").await;
    send(&mut root, HANDSHAKE).await;
    assert_eq!(recv(&mut root).await, "{}\u{1e}");
    send(&mut root, &call("AdminOnly")).await;
    assert_eq!(
        recv(&mut root).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"root\"}\u{1e}"
    );
}

#[tokio::test]
async fn websocket_upgrades_from_other_origins_are_refused() {
    let addr = serve(HubOptions::default()).await;
    let url = format!("ws://{addr}/secure?access_token=token-ada");
    assert_eq!(
        upgrade_status(&url, &[("Origin", "http://evil.example")]).await,
        403
    );
    assert_eq!(
        upgrade_status(&url, &[("Origin", "http://allowed.example")]).await,
        101
    );
    assert_eq!(
        upgrade_status(&url, &[]).await,
        101,
        "requests from outside browsers have no Origin"
    );
}
