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

/// The status line and headers of a raw HTTP request's response, lower-cased.
async fn response_head(addr: std::net::SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut response))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&response).to_ascii_lowercase();
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn pages_of_allowed_origins_may_call_across_origins_with_credentials() {
    let app = signalr_runtime::SignalR::new()
        .hub("/hub", Tester.into_hub())
        .into_router()
        .layer(signalr_runtime::cors(["http://allowed.example"]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let preflight = |origin: &str| {
        format!(
            "OPTIONS /hub/negotiate?negotiateVersion=1 HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-requested-with,x-signalr-user-agent\r\n\
             Connection: close\r\n\r\n"
        )
    };
    let allowed = response_head(addr, &preflight("http://allowed.example")).await;
    assert!(allowed.starts_with("http/1.1 200"), "{allowed}");
    assert!(
        allowed.contains("access-control-allow-origin: http://allowed.example"),
        "{allowed}"
    );
    assert!(
        allowed.contains("access-control-allow-credentials: true"),
        "{allowed}"
    );
    assert!(allowed.contains("x-signalr-user-agent"), "{allowed}");

    let negotiate = format!(
        "POST /hub/negotiate?negotiateVersion=1 HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://allowed.example\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let answered = response_head(addr, &negotiate).await;
    assert!(answered.starts_with("http/1.1 200"), "{answered}");
    assert!(
        answered.contains("access-control-allow-origin: http://allowed.example"),
        "{answered}"
    );

    let refused = response_head(addr, &preflight("http://evil.example")).await;
    assert!(
        !refused.contains("access-control-allow-origin"),
        "{refused}"
    );
}
