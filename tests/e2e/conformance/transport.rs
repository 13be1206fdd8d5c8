//! TransportProtocols.md, one test per requirement that had none.

use super::*;

/// T2: Long Polling and its POSTs carry arbitrary bytes, not only UTF-8.
#[tokio::test]
async fn long_polling_carries_arbitrary_bytes_both_ways() {
    let addr = serve(HubOptions::default()).await;
    let token = negotiate_token(addr, "/echo").await;
    let path = format!("/echo?id={token}");
    assert_eq!(raw_http(addr, "GET", &path, &[], b"").await.0, 200);
    let bytes: Vec<u8> = (0..=255u8).rev().collect();
    assert_eq!(raw_http(addr, "POST", &path, &[], &bytes).await.0, 200);
    let (status, _, body) = raw_http(addr, "GET", &path, &[], b"").await;
    assert_eq!(status, 200);
    assert_eq!(body, bytes);
}

/// T3: text keeps its lines over Server-Sent Events (CRLF may become LF).
#[tokio::test]
async fn server_sent_events_keep_crlf_and_lf_line_endings_of_text() {
    assert_eq!(
        echoed_over_server_sent_events("one\r\ntwo\nthree").await,
        "one\ntwo\nthree"
    );
}

/// T3: a lone CR is a line ending too (the SSE format itself treats it as one).
#[tokio::test]
async fn server_sent_events_keep_a_lone_cr_line_ending_of_text() {
    assert_eq!(
        echoed_over_server_sent_events("four\rfive").await,
        "four\nfive"
    );
}

/// T7, T31: an unexpected error in the application ends a WebSocket with a close code other
/// than 1000.
#[tokio::test]
async fn an_unexpected_application_error_closes_the_websocket_with_a_code_other_than_1000() {
    let addr = serve_faulty().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/faulty"))
        .await
        .unwrap();
    send(&mut ws, "boom").await;
    loop {
        let next = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("the server ends the connection");
        match next {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_ne!(frame.code, CloseCode::Normal);
                return;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a close frame with an error code, got {other:?}"),
        }
    }
}

/// T7: an unexpected error in the application is a 500 over HTTP (here, the next poll).
#[tokio::test]
async fn an_unexpected_application_error_is_a_500_for_long_polling() {
    let addr = serve_faulty().await;
    let token = negotiate_token(addr, "/faulty").await;
    let path = format!("/faulty?id={token}");
    assert_eq!(http(addr, "GET", &path).await.0, 200);
    assert_eq!(http_with(addr, "POST", &path, &[], b"boom").await.0, 200);
    assert_eq!(http(addr, "GET", &path).await.0, 500);
}

/// T14: negotiate answers are `application/json`, errors included; T10: a version below the
/// server's minimum (0) is an error answer; H44-H49: stateful reconnect is never offered.
#[tokio::test]
async fn negotiate_answers_are_json_and_refuse_versions_below_the_minimum() {
    let addr = serve(HubOptions::default()).await;
    let paths = [
        "/hub/negotiate?negotiateVersion=1",
        "/hub/negotiate?negotiateVersion=1&useStatefulReconnect=true",
        "/hub/negotiate?negotiateVersion=-1",
    ];
    let mut bodies = Vec::new();
    for path in paths {
        let (status, head, body) = raw_http(addr, "POST", path, &[], b"").await;
        assert_eq!(status, 200, "{path}");
        assert!(
            head.contains("\r\ncontent-type: application/json"),
            "{path}: {head}"
        );
        bodies.push(serde_json::from_slice::<serde_json::Value>(&body).unwrap());
    }
    assert!(bodies[0]["connectionToken"].is_string());
    assert!(
        bodies[1].get("useStatefulReconnect").is_none(),
        "{}",
        bodies[1]
    );
    assert_eq!(
        bodies[2],
        serde_json::json!({
            "error": "The client requested version '-1', but the server does not support this version."
        })
    );
}

/// T19: with negotiate version 0 the connection id is what later requests name.
#[tokio::test]
async fn with_version_0_the_connection_id_names_the_connection() {
    let addr = serve(HubOptions::default()).await;
    let v0 = || async {
        let (_, body) = http(addr, "POST", "/hub/negotiate").await;
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(body.get("connectionToken").is_none());
        body["connectionId"].as_str().unwrap().to_owned()
    };

    let id = v0().await;
    let mut ws = connect(addr, &format!("?id={id}")).await;
    send(&mut ws, HANDSHAKE).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");

    let id = v0().await;
    let path = format!("/hub?id={id}");
    assert_eq!(http(addr, "GET", &path).await, (200, String::new()));
    assert_eq!(
        http_with(addr, "POST", &path, &[], HANDSHAKE.as_bytes())
            .await
            .0,
        200
    );
    assert_eq!(http(addr, "GET", &path).await, (200, "{}\u{1e}".to_owned()));
}

/// T22: a text protocol (JSON) goes out in WebSocket Text frames.
#[tokio::test]
async fn json_goes_out_in_text_frames() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect(addr, "").await;
    send(&mut ws, HANDSHAKE).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"t\"]}\u{1e}",
    )
    .await;
    let mut frames = Vec::new();
    while frames.len() < 2 {
        let next = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("timed out")
            .expect("connection ended")
            .unwrap();
        match next {
            Message::Ping(_) | Message::Pong(_) => {}
            other => frames.push(other),
        }
    }
    assert_eq!(
        frames,
        [
            Message::text("{}\u{1e}"),
            Message::text("{\"type\":3,\"invocationId\":\"1\",\"result\":\"t\"}\u{1e}")
        ]
    );
}

/// T35: a second POST while one is outstanding is refused with 409.
#[tokio::test]
#[ignore = "GAP T35: concurrent POSTs are served one after the other (as ASP.NET Core does), never 409"]
async fn a_post_while_another_is_outstanding_is_409() {
    let addr = serve(HubOptions::default()).await;
    let token = negotiate_token(addr, "/hub").await;
    let path = format!("/hub?id={token}");
    assert_eq!(http(addr, "GET", &path).await.0, 200);
    assert_eq!(
        http_with(addr, "POST", &path, &[], HANDSHAKE.as_bytes())
            .await
            .0,
        200
    );
    // The first POST announces ten Pings and sends five: it is outstanding.
    let ping = "{\"type\":6}\u{1e}";
    let mut first = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        ping.len() * 10
    );
    first.write_all(head.as_bytes()).await.unwrap();
    first.write_all(ping.repeat(5).as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = http_with(addr, "POST", &path, &[], ping.as_bytes()).await;
    first.write_all(ping.repeat(5).as_bytes()).await.unwrap();
    assert_eq!(second.0, 409);
}

/// T39: an event stream request names its connection: 400 without `id`, 404 for an unknown one.
#[tokio::test]
async fn an_event_stream_without_a_usable_id_is_400_or_404() {
    let addr = serve(HubOptions::default()).await;
    let accept = [("Accept", "text/event-stream")];
    let (status, body) = http_with(addr, "GET", "/hub", &accept, b"").await;
    assert_eq!((status, body.as_str()), (400, "Connection ID required"));
    let (status, body) = http_with(addr, "GET", "/hub?id=nonsense", &accept, b"").await;
    assert_eq!((status, body.as_str()), (404, "No Connection with that ID"));
}

/// T44: a client that drops its event stream is disconnected and its resources freed.
#[tokio::test]
async fn dropping_the_event_stream_ends_the_connection() {
    let addr = serve(HubOptions::default().keep_alive_interval(Duration::from_millis(100))).await;
    let mut staying = connect_ready(addr).await;
    let token = negotiate_token(addr, "/hub").await;
    let mut events = open_event_stream(addr, &format!("/hub?id={token}&announce=yes")).await;
    let path = format!("/hub?id={token}");
    assert_eq!(
        http_with(addr, "POST", &path, &[], HANDSHAKE.as_bytes())
            .await
            .0,
        200
    );
    assert_eq!(read_events(&mut events, 1).await, ["{}\u{1e}"]);
    drop(events);
    // The hub's on_disconnected tells the others (between keep-alive Pings).
    let mut left = recv(&mut staying).await;
    while left == "{\"type\":6}\u{1e}" {
        left = recv(&mut staying).await;
    }
    assert!(
        left.starts_with("{\"type\":1,\"target\":\"Left\",\"arguments\":[\""),
        "{left}"
    );
    // And the connection is disposed: POSTs naming it are 404 (within a few seconds: until
    // then they are still accepted).
    let gone = async {
        loop {
            let post = http_with(addr, "POST", &path, &[], b"{\"type\":6}\x1e");
            if let Ok((404, _)) = tokio::time::timeout(Duration::from_secs(1), post).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), gone)
        .await
        .expect("POSTs to a dropped event stream's connection end in 404");
}

/// T50: a poll that times out with nothing to send is 200 with `Content-Length: 0`.
#[tokio::test]
async fn a_poll_that_times_out_is_200_with_content_length_0() {
    let addr = serve(HubOptions::default().long_poll_timeout(Duration::from_millis(200))).await;
    let token = long_polling(addr).await;
    let path = format!("/hub?id={token}");
    let (status, head, body) = raw_http(addr, "GET", &path, &[], b"").await;
    assert_eq!(status, 200);
    assert!(head.contains("\r\ncontent-length: 0"), "{head}");
    assert!(body.is_empty());
}

// ---------------------------------------------------------------------------------------------
// HubProtocol.md
// ---------------------------------------------------------------------------------------------
