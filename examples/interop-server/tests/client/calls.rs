//! The Rust client against the interop server's TestHub, through the typed proxy generated
//! from the server's own `#[hub]` trait: every method, on WebSockets and Long Polling with JSON
//! and MessagePack, and on Server-Sent Events with JSON.

use std::time::Duration;

use signalr_runtime::Transport;
use signalr_runtime::client::{ClientError, ConnectionState, HubConnection};
use signalr_runtime::protocol::Protocol;
use signalr_runtime::stream::{self, StreamExt as _};
use tokio::sync::mpsc;

use crate::hub::{TestClient, TestClientHandlers, TestProxy};
use crate::support::{Server, connection, http_get};
use crate::types::{ComplexObject, CustomObject};

/// What the server called on the client, in order.
struct Recorder(mpsc::UnboundedSender<String>);

impl TestClient for Recorder {
    async fn message(&self, message: String) {
        let _ = self.0.send(format!("Message({message})"));
    }

    async fn custom_object(&self, custom_object: CustomObject) {
        let _ = self.0.send(format!(
            "CustomObject({}, {})",
            custom_object.name, custom_object.value
        ));
    }

    async fn stream_canceled(&self) {
        let _ = self.0.send("StreamCanceled()".to_owned());
    }

    async fn result(&self) -> i32 {
        42
    }
}

const WAIT: Duration = Duration::from_secs(10);

async fn next_call(calls: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(WAIT, calls.recv())
        .await
        .expect("the server called the client in time")
        .expect("a call")
}

async fn every_method(transport: Transport, protocol: Protocol) {
    let server = Server::start(0);
    let connection = connection(&server.url("/testhub"), transport, protocol);
    let (tx, mut calls) = mpsc::unbounded_channel();
    TestClientHandlers(Recorder(tx)).register(&connection);
    connection.start().await.expect("connected");
    assert_eq!(connection.state(), ConnectionState::Connected);
    assert_eq!(connection.transport(), Some(transport));
    let proxy = TestProxy::new(&connection);

    assert_eq!(proxy.echo("hello".to_owned()).await.unwrap(), "hello");
    let id = proxy.get_caller_connection_id().await.unwrap();
    assert_eq!(Some(id.clone()), connection.connection_id());
    assert_eq!(
        proxy.get_active_transport_name().await.unwrap(),
        transport.name()
    );

    // A hub error arrives as the server's text.
    match proxy.throw_exception("boom".to_owned()).await {
        Err(ClientError::Hub(text)) => assert!(text.contains("boom"), "{text}"),
        other => panic!("expected a hub error, got {other:?}"),
    }
    // Without the query parameter the method fails (its redirect form is tested below).
    assert!(matches!(
        proxy.get_num_redirects().await,
        Err(ClientError::Hub(_))
    ));

    // Calls from the server, to the registered implementation.
    proxy.invoke_with_string("hi".to_owned()).await.unwrap();
    assert_eq!(next_call(&mut calls).await, "Message(hi)");
    let custom = CustomObject {
        name: "name".to_owned(),
        value: 7,
    };
    proxy.send_custom_object(custom).await.unwrap();
    assert_eq!(next_call(&mut calls).await, "CustomObject(name, 7)");

    // A client result, asked from outside the hub.
    assert_eq!(
        http_get(server.port, &format!("/clientresult/{id}")).await,
        "42"
    );

    // Streams from the server.
    let letters: Vec<String> = proxy
        .letters()
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(letters, ["a", "b", "c"]);
    let empty: Vec<_> = proxy.empty_stream().await.unwrap().collect().await;
    assert!(empty.is_empty());
    let mut failing = proxy
        .stream_throw_exception("no stream".to_owned())
        .await
        .unwrap();
    match failing.next().await {
        Some(Err(ClientError::Hub(text))) => assert!(text.contains("no stream"), "{text}"),
        other => panic!("expected a hub error, got {other:?}"),
    }
    assert!(failing.next().await.is_none());
    // Dropping a stream cancels it on the server, which then calls StreamCanceled.
    let infinite = proxy.infinite_stream().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(infinite);
    assert_eq!(next_call(&mut calls).await, "StreamCanceled()");

    // An upload stream.
    let parts = stream::iter(["a", "b", "c"].map(str::to_owned));
    assert_eq!(proxy.streaming_concat(parts).await.unwrap(), "abc");

    // Objects with byte arrays, GUIDs and dates, in both protocols' forms.
    let sample = ComplexObject::sample();
    assert_eq!(proxy.send_complex_object().await.unwrap(), sample);
    assert_eq!(
        proxy.echo_complex_object(sample.clone()).await.unwrap(),
        sample
    );

    // Request details of the transport request.
    let host = proxy.get_header("host".to_owned()).await.unwrap();
    assert_eq!(host, Some(format!("127.0.0.1:{}", server.port)));
    let configured = proxy.get_header("x-client-test".to_owned()).await.unwrap();
    assert_eq!(configured.as_deref(), Some("rust"));
    assert_eq!(proxy.get_cookie("absent".to_owned()).await.unwrap(), None);
    let content_type = proxy.get_content_type_header().await.unwrap();
    if transport == Transport::WebSockets {
        assert_eq!(content_type, None);
    }

    connection.stop().await;
    assert_eq!(connection.state(), ConnectionState::Disconnected);
    assert_eq!(connection.closed().await, None);
    assert!(matches!(
        proxy.echo("late".to_owned()).await,
        Err(ClientError::NotConnected)
    ));
}

#[tokio::test]
async fn websockets_json() {
    every_method(Transport::WebSockets, Protocol::Json).await;
}

#[tokio::test]
async fn websockets_messagepack() {
    every_method(Transport::WebSockets, Protocol::MessagePack).await;
}

#[tokio::test]
async fn long_polling_json() {
    every_method(Transport::LongPolling, Protocol::Json).await;
}

#[tokio::test]
async fn server_sent_events_json() {
    every_method(Transport::ServerSentEvents, Protocol::Json).await;
}

#[tokio::test]
async fn long_polling_messagepack() {
    every_method(Transport::LongPolling, Protocol::MessagePack).await;
}

#[test]
fn invalid_headers_are_refused_by_build() {
    let built = HubConnection::builder("http://127.0.0.1:1/hub")
        .header("not a name", "x")
        .build();
    assert!(
        matches!(built, Err(ClientError::InvalidHeader(_))),
        "{built:?}"
    );
    let built = HubConnection::builder("http://127.0.0.1:1/hub")
        .header("x-ok", "line\nbreak")
        .build();
    assert!(
        matches!(built, Err(ClientError::InvalidHeader(_))),
        "{built:?}"
    );
}

#[tokio::test]
async fn negotiate_redirects_are_followed() {
    let server = Server::start(0);
    let base = server.url("");
    let url = server.url(&format!("/redirect?baseUrl={base}"));
    let connection = connection(&url, Transport::WebSockets, Protocol::Json);
    connection
        .start()
        .await
        .expect("connected after the redirect");
    let redirects = TestProxy::new(&connection)
        .get_num_redirects()
        .await
        .unwrap();
    assert!(redirects >= 1);
    connection.stop().await;
}

#[tokio::test]
async fn skip_negotiation_connects_a_websocket_directly() {
    let server = Server::start(0);
    let connection = HubConnection::builder(server.url("/testhub"))
        .skip_negotiation(true)
        .build()
        .unwrap();
    connection.start().await.expect("connected");
    assert_eq!(connection.start().await, Err(ClientError::AlreadyStarted));
    assert_eq!(connection.connection_id(), None);
    let proxy = TestProxy::new(&connection);
    assert_eq!(proxy.echo("direct".to_owned()).await.unwrap(), "direct");
    connection.stop().await;
}

#[tokio::test]
async fn without_websockets_the_next_transport_that_fits_the_protocol_is_used() {
    let server = Server::start(0);
    // This path offers Server-Sent Events and Long Polling only; Server-Sent Events carry
    // text, so MessagePack gets Long Polling.
    for (protocol, expected) in [
        (Protocol::Json, Transport::ServerSentEvents),
        (Protocol::MessagePack, Transport::LongPolling),
    ] {
        let connection = HubConnection::builder(server.url("/testhub-nowebsockets"))
            .protocol(protocol)
            .build()
            .unwrap();
        connection.start().await.expect("connected");
        assert_eq!(connection.transport(), Some(expected));
        let name = TestProxy::new(&connection)
            .get_active_transport_name()
            .await
            .unwrap();
        assert_eq!(name, expected.name());
        connection.stop().await;
    }
}

#[tokio::test]
async fn a_refused_negotiate_is_an_http_error() {
    let server = Server::start(0);
    let connection = HubConnection::builder(server.url("/bad-negotiate"))
        .build()
        .unwrap();
    match connection.start().await {
        Err(ClientError::Http { status: 400, body }) => {
            assert_eq!(body, "Some response from server");
        }
        other => panic!("expected a 400, got {other:?}"),
    }
    assert_eq!(connection.state(), ConnectionState::Disconnected);
}

#[tokio::test]
async fn a_hub_that_refuses_the_connection_closes_it_with_the_error() {
    let server = Server::start(0);
    let connection = HubConnection::builder(server.url("/uncreatable"))
        .build()
        .unwrap();
    // The handshake succeeds; the Close with the hub's error follows.
    let started = connection.start().await;
    let error = match started {
        Ok(()) => connection.closed().await,
        Err(error) => Some(error),
    };
    match error {
        Some(ClientError::ServerClosed(text)) => {
            assert!(text.contains("Unable to resolve service"), "{text}");
        }
        other => panic!("expected a close with an error, got {other:?}"),
    }
}

#[tokio::test]
async fn stopping_ends_a_running_stream_with_an_error() {
    let server = Server::start(0);
    let connection = connection(
        &server.url("/testhub"),
        Transport::WebSockets,
        Protocol::Json,
    );
    connection.start().await.unwrap();
    let mut infinite = TestProxy::new(&connection).infinite_stream().await.unwrap();
    connection.stop().await;
    assert_eq!(
        infinite.next().await.map(|item| item.map(|_| ())),
        Some(Err(ClientError::ConnectionClosed))
    );
    assert!(infinite.next().await.is_none());
}

#[tokio::test]
async fn a_panicking_handler_fails_only_its_own_call() {
    let server = Server::start(0);
    let connection = connection(
        &server.url("/testhub"),
        Transport::WebSockets,
        Protocol::MessagePack,
    );
    connection.on("Result", |_| async { panic!("the handler broke") });
    connection.start().await.unwrap();
    let id = connection.connection_id().unwrap();
    let answer = http_get(server.port, &format!("/clientresult/{id}")).await;
    assert!(answer.contains("panicked"), "{answer}");
    // The calls after it still run.
    let (tx, _calls) = mpsc::unbounded_channel();
    TestClientHandlers(Recorder(tx)).register(&connection);
    assert_eq!(
        http_get(server.port, &format!("/clientresult/{id}")).await,
        "42"
    );
    connection.stop().await;
}

/// A value whose serialization always fails.
struct Unserializable;

impl serde::Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "this value refuses to be serialized",
        ))
    }
}

#[tokio::test]
async fn an_argument_that_fails_to_serialize_fails_only_its_call() {
    let server = Server::start(0);
    for protocol in [Protocol::Json, Protocol::MessagePack] {
        let connection = connection(&server.url("/testhub"), Transport::WebSockets, protocol);
        connection.start().await.unwrap();
        let result = connection
            .invoke::<String>(
                "Echo",
                vec![signalr_runtime::protocol::Value::new(Unserializable)],
            )
            .await;
        match result {
            Err(ClientError::Protocol(text)) => assert!(text.contains("refuses"), "{text}"),
            other => panic!("expected the serialization error, got {other:?}"),
        }
        let proxy = TestProxy::new(&connection);
        assert_eq!(
            proxy.echo("still here".to_owned()).await.unwrap(),
            "still here"
        );
        connection.stop().await;
    }
}

#[tokio::test]
async fn the_untyped_api_reaches_the_same_hub() {
    let server = Server::start(0);
    let connection = connection(
        &server.url("/testhub"),
        Transport::LongPolling,
        Protocol::Json,
    );
    let (tx, mut calls) = mpsc::unbounded_channel();
    connection.handle("message", move |(message,): (String,)| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(message);
        }
    });
    connection.handle("Result", |(): ()| async { 7 });
    connection.start().await.unwrap();
    let echoed: String = connection
        .invoke("echo", vec![signalr_runtime::protocol::Value::new("raw")])
        .await
        .unwrap();
    assert_eq!(echoed, "raw");
    connection
        .send(
            "InvokeWithString",
            vec![signalr_runtime::protocol::Value::new("sent")],
        )
        .await
        .unwrap();
    assert_eq!(next_call(&mut calls).await, "sent");
    let letters: Vec<String> = connection
        .stream::<String>("Stream", Vec::new())
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(letters, ["a", "b", "c"]);
    let id = connection.connection_id().unwrap();
    assert_eq!(
        http_get(server.port, &format!("/clientresult/{id}")).await,
        "7"
    );
    connection.stop().await;
}
