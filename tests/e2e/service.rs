//! An application server behind a service: a scripted service on a loopback port speaks the
//! Azure SignalR Service protocol to the runtime's `service` feature, byte for byte.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use signalr_runtime::SignalR;
use signalr_runtime::service::protocol::{
    self, Ack, AckStatus, ConnectionData, HandshakeResponse, OpenConnection, ServiceMessage,
};
use signalr_runtime::service::{AccessKey, ROLE_CLAIM, Service, ServiceOptions, USER_ID_CLAIM};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{WebSocketStream, accept_hdr_async};

use crate::support::*;

const KEY: &str = "service-test-key";

/// The service's side of one server connection.
struct ServerConnection {
    ws: WebSocketStream<TcpStream>,
    buffer: BytesMut,
}

impl ServerConnection {
    /// Accepts the application server's next connection: checks its URL and token, and
    /// answers its handshake.
    // The upgrade callback's error type is tungstenite's, an HTTP response.
    #[allow(clippy::result_large_err)]
    async fn accept(listener: &TcpListener) -> ServerConnection {
        let (tcp, _) = tokio::time::timeout(PATIENCE, listener.accept())
            .await
            .expect("no server connection")
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let check = move |request: &Request, response: Response| {
            assert_eq!(request.uri().path(), "/server/");
            assert_eq!(request.uri().query(), Some("hub=hub"));
            let token = request.headers()["authorization"]
                .to_str()
                .unwrap()
                .strip_prefix("Bearer ")
                .unwrap();
            let audience = format!("http://127.0.0.1:{port}/server/?hub=hub");
            assert!(AccessKey::new(KEY).verify(token, &audience).is_ok());
            Ok(response)
        };
        let ws = accept_hdr_async(tcp, check).await.unwrap();
        let mut connection = ServerConnection {
            ws,
            buffer: BytesMut::new(),
        };
        match connection.next().await {
            ServiceMessage::HandshakeRequest(request) => assert_eq!(request.version, 1),
            other => panic!("expected a handshake request, got {other:?}"),
        }
        connection
            .send(ServiceMessage::HandshakeResponse(HandshakeResponse {
                error_message: None,
                connection_id: None,
            }))
            .await;
        connection
    }

    async fn send(&mut self, message: ServiceMessage) {
        self.ws
            .send(Message::binary(message.to_bytes()))
            .await
            .unwrap();
    }

    /// The next message that is not a Ping.
    async fn next(&mut self) -> ServiceMessage {
        loop {
            if let Some(message) = protocol::parse(&mut self.buffer, 1 << 20).unwrap() {
                if !matches!(message, ServiceMessage::Ping(_)) {
                    return message;
                }
                continue;
            }
            let frame = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("timed out waiting for a service message")
                .expect("connection ended")
                .unwrap();
            if let Message::Binary(data) = frame {
                self.buffer.extend_from_slice(&data);
            }
        }
    }

    /// Sends client `id`'s bytes.
    async fn client_sends(&mut self, id: &str, text: &str) {
        self.send(ServiceMessage::ConnectionData(ConnectionData {
            connection_id: id.to_owned(),
            payload: Bytes::from(text.to_owned()),
        }))
        .await;
    }

    /// The next bytes the server sends to client `id`, as text.
    async fn sent_to(&mut self, id: &str) -> String {
        match self.next().await {
            ServiceMessage::ConnectionData(data) => {
                assert_eq!(data.connection_id, id);
                String::from_utf8(data.payload.to_vec()).unwrap()
            }
            other => panic!("expected data for {id}, got {other:?}"),
        }
    }
}

fn invocation(id: &str, target: &str, arguments: &str) -> String {
    format!(
        "{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"{target}\",\"arguments\":{arguments}}}\u{1e}"
    )
}

/// An application server serving `/hub` through the service listening on `service`, over one
/// server connection.
async fn application_server(service: &TcpListener) -> SocketAddr {
    application_server_with(service, 1).await
}

/// An application server serving `/hub` over `connections` server connections.
async fn application_server_with(service: &TcpListener, connections: usize) -> SocketAddr {
    let port = service.local_addr().unwrap().port();
    let options = ServiceOptions::from_connection_string(&format!(
        "Endpoint=http://127.0.0.1:{port};AccessKey={KEY};Version=1.0;"
    ))
    .unwrap()
    .connection_count(connections)
    .reconnect_delay(Duration::from_millis(50));
    let app = SignalR::new()
        .service(Service::new(options).unwrap())
        .hub("/hub", Tester.into_hub())
        .into_router();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn negotiate_redirects_to_the_service_with_the_users_claims() {
    let service = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = service.local_addr().unwrap().port();
    let app = application_server(&service).await;
    let (status, body) = http(app, "POST", "/hub/negotiate?negotiateVersion=1").await;
    assert_eq!(status, 200);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["url"],
        format!("http://127.0.0.1:{port}/client/?hub=hub")
    );
    let token = body["accessToken"].as_str().unwrap();
    let audience = format!("http://127.0.0.1:{port}/client/?hub=hub");
    assert_eq!(AccessKey::new(KEY).verify(token, &audience), Ok(Vec::new()));
    assert!(
        AccessKey::new("another key")
            .verify(token, &audience)
            .is_err()
    );
    // Transports are the service's business: the application server has none.
    assert_eq!(http(app, "GET", "/hub?id=x").await.0, 404);
}

#[tokio::test]
async fn clients_the_service_opens_are_ordinary_hub_connections() {
    let service = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let _app = application_server(&service).await;
    let mut server = ServerConnection::accept(&service).await;
    server
        .send(ServiceMessage::OpenConnection(OpenConnection {
            connection_id: "c1".into(),
            claims: vec![
                (USER_ID_CLAIM.into(), "ada".into()),
                (ROLE_CLAIM.into(), "admin".into()),
            ],
            headers: Vec::new(),
            query: None,
        }))
        .await;
    server.client_sends("c1", HANDSHAKE).await;
    assert_eq!(server.sent_to("c1").await, "{}\u{1e}");

    // The user and role travelled in the claims.
    server
        .client_sends("c1", &invocation("1", "AdminOnly", "[]"))
        .await;
    assert_eq!(
        server.sent_to("c1").await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"root\"}\u{1e}"
    );

    // A group change waits for the service's acknowledgement.
    server
        .client_sends("c1", &invocation("2", "Join", "[\"g\"]"))
        .await;
    let ack_id = match server.next().await {
        ServiceMessage::JoinGroupWithAck(change) => {
            assert_eq!(
                (change.connection_id.as_str(), change.group.as_str()),
                ("c1", "g")
            );
            change.ack_id
        }
        other => panic!("expected JoinGroupWithAck, got {other:?}"),
    };
    server
        .send(ServiceMessage::Ack(Ack {
            ack_id,
            status: AckStatus::Ok,
            message: None,
        }))
        .await;
    assert_eq!(
        server.sent_to("c1").await,
        "{\"type\":3,\"invocationId\":\"2\"}\u{1e}"
    );

    // A broadcast goes to the service once, in both protocols, before the call's result.
    server
        .client_sends("c1", &invocation("3", "Shout", "[\"hi\"]"))
        .await;
    match server.next().await {
        ServiceMessage::BroadcastData(data) => {
            assert!(data.excluded.is_empty());
            let json = b"{\"type\":1,\"target\":\"Notified\",\"arguments\":[\"hi\"]}\x1e";
            let msgpack = b"\x12\x96\x01\x80\xc0\xa8Notified\x91\xa2hi\x90";
            assert_eq!(
                data.payloads,
                vec![
                    ("json".to_owned(), Bytes::from_static(json)),
                    ("messagepack".to_owned(), Bytes::from_static(msgpack)),
                ]
            );
        }
        other => panic!("expected BroadcastData, got {other:?}"),
    }
    assert_eq!(
        server.sent_to("c1").await,
        "{\"type\":3,\"invocationId\":\"3\"}\u{1e}"
    );

    // To the caller: through its own queue, before the call's result (one frame or two).
    server
        .client_sends("c1", &invocation("4", "NotifyCaller", "[\"x\"]"))
        .await;
    let mut received = server.sent_to("c1").await;
    if !received.contains("\"type\":3") {
        received += &server.sent_to("c1").await;
    }
    assert_eq!(
        received,
        "{\"type\":1,\"target\":\"Notified\",\"arguments\":[\"x\"]}\u{1e}{\"type\":3,\"invocationId\":\"4\"}\u{1e}"
    );

    // The client leaves.
    server
        .send(ServiceMessage::CloseConnection(
            signalr_runtime::service::protocol::CloseConnection {
                connection_id: "c1".into(),
                error_message: None,
                headers: Vec::new(),
            },
        ))
        .await;
    // The connection ends: its Close record (which the service drops: the client is gone),
    // then the end of the connection.
    assert_eq!(server.sent_to("c1").await, "{\"type\":7}\u{1e}");
    match server.next().await {
        ServiceMessage::CloseConnection(close) => assert_eq!(close.connection_id, "c1"),
        other => panic!("expected the server to let c1 go, got {other:?}"),
    }
}

#[tokio::test]
async fn a_service_that_breaks_the_protocol_is_closed_and_connected_again() {
    let service = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let _app = application_server(&service).await;
    let mut server = ServerConnection::accept(&service).await;
    // A length prefix promising more than the limit, then nonsense.
    server
        .ws
        .send(Message::binary(vec![0xff, 0xff, 0xff, 0xff, 0x7f, 0x01]))
        .await
        .unwrap();
    let close = loop {
        match tokio::time::timeout(PATIENCE, server.ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    let close = close.expect("a close frame with a reason");
    assert_eq!(close.code, CloseCode::Protocol);
    assert!(close.reason.contains("service message"), "{}", close.reason);
    // The application server comes back by itself.
    let mut again = ServerConnection::accept(&service).await;
    again
        .send(ServiceMessage::OpenConnection(OpenConnection {
            connection_id: "c2".into(),
            claims: Vec::new(),
            headers: Vec::new(),
            query: Some("hub=hub&x=1".into()),
        }))
        .await;
    again.client_sends("c2", HANDSHAKE).await;
    assert_eq!(again.sent_to("c2").await, "{}\u{1e}");
    again
        .client_sends("c2", &invocation("1", "RequestInfo", "[\"x\"]"))
        .await;
    assert_eq!(
        again.sent_to("c2").await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":[\"1\",null,null]}\u{1e}"
    );
}

/// Opens client `id` on `server` and completes its handshake.
async fn open_client(server: &mut ServerConnection, id: &str) {
    server
        .send(ServiceMessage::OpenConnection(OpenConnection {
            connection_id: id.into(),
            claims: Vec::new(),
            headers: Vec::new(),
            query: None,
        }))
        .await;
    server.client_sends(id, HANDSHAKE).await;
    assert_eq!(server.sent_to(id).await, "{}\u{1e}");
}

/// Client `id` on `server` still gets its calls answered.
async fn assert_served(server: &mut ServerConnection, id: &str, text: &str) {
    server
        .client_sends(id, &invocation("e", "Echo", &format!("[\"{text}\"]")))
        .await;
    assert_eq!(
        server.sent_to(id).await,
        format!("{{\"type\":3,\"invocationId\":\"e\",\"result\":\"{text}\"}}\u{1e}")
    );
}

#[tokio::test]
async fn a_dropped_server_connection_comes_back_and_the_others_carry_on() {
    let service = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let _app = application_server_with(&service, 2).await;
    let mut first = ServerConnection::accept(&service).await;
    let mut second = ServerConnection::accept(&service).await;
    open_client(&mut first, "on-first").await;
    open_client(&mut second, "on-second").await;

    // The first server connection drops, as when a service instance goes away.
    drop(first);
    // It is re-established, and serves new clients.
    let mut again = ServerConnection::accept(&service).await;
    open_client(&mut again, "on-first-again").await;
    assert_served(&mut again, "on-first-again", "back").await;
    // The other server connection's client noticed nothing.
    assert_served(&mut second, "on-second", "still here").await;
    // The dropped connection's client is gone from the server: nothing reaches it any more
    // (the service closes such clients with a Close that allows reconnecting).
    again
        .client_sends("on-first", &invocation("x", "Echo", "[\"lost\"]"))
        .await;
    assert_served(&mut again, "on-first-again", "only me").await;
}

#[tokio::test]
async fn a_reused_id_or_a_migrated_client_is_refused_with_a_reason() {
    let service = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let _app = application_server(&service).await;
    let mut server = ServerConnection::accept(&service).await;
    open_client(&mut server, "taken").await;
    let refused = |connection_id: &str, headers: Vec<(String, Vec<String>)>| {
        ServiceMessage::OpenConnection(OpenConnection {
            connection_id: connection_id.into(),
            claims: Vec::new(),
            headers,
            query: None,
        })
    };
    let cases = [
        (
            refused("taken", Vec::new()),
            "A connection with this id is open already.",
        ),
        (
            refused(
                "moved",
                vec![("Asrs-Migrated-From".into(), vec!["other".into()])],
            ),
            "This server does not take connections migrated from another server.",
        ),
    ];
    for (open, reason) in cases {
        let ServiceMessage::OpenConnection(sent) = &open else {
            unreachable!()
        };
        let id = sent.connection_id.clone();
        server.send(open).await;
        match server.next().await {
            ServiceMessage::CloseConnection(close) => {
                assert_eq!(close.connection_id, id);
                assert_eq!(close.error_message.as_deref(), Some(reason));
            }
            other => panic!("expected {id} refused, got {other:?}"),
        }
    }
    // The first connection under the reused id is untouched.
    assert_served(&mut server, "taken", "still mine").await;
}
