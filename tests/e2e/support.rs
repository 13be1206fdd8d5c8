//! A test hub, a server on a free port, and small raw clients.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_runtime::hub::{Arguments, Hub, HubCx, Method, MethodFuture};
use signalr_runtime::protocol::Value;
use signalr_runtime::{HubError, HubOptions, SignalR};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for something the server should send promptly.
pub(crate) const PATIENCE: Duration = Duration::from_secs(5);

pub(crate) const HANDSHAKE: &str = "{\"protocol\":\"json\",\"version\":1}\u{1e}";

/// A hub with one method of each kind the tests need.
pub(crate) struct TestHub;

impl Hub for TestHub {
    fn methods() -> Vec<Method<Self>> {
        vec![
            Method::new("Echo", echo),
            Method::new("Fail", fail),
            Method::new("NotifyCaller", notify_caller),
        ]
    }
}

fn echo<'a>(_hub: &'a TestHub, _cx: &'a HubCx, args: Arguments) -> MethodFuture<'a> {
    Box::pin(async move {
        args.expect_count(1)?;
        Ok(Some(Value::new(args.decode::<String>(0)?)))
    })
}

fn fail<'a>(_hub: &'a TestHub, _cx: &'a HubCx, args: Arguments) -> MethodFuture<'a> {
    Box::pin(async move {
        let text: String = args.decode(0)?;
        Err(HubError::new(text).into())
    })
}

fn notify_caller<'a>(_hub: &'a TestHub, cx: &'a HubCx, args: Arguments) -> MethodFuture<'a> {
    Box::pin(async move {
        let text: String = args.decode(0)?;
        cx.clients()
            .caller()
            .send("Notified", vec![Value::new(text)])
            .await?;
        Ok(None)
    })
}

/// Serves [`TestHub`] at `/hub` on a free loopback port for the rest of the test.
pub(crate) async fn serve(options: HubOptions) -> SocketAddr {
    let app = SignalR::new()
        .hub_with_options("/hub", TestHub, options)
        .into_router();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Opens a WebSocket to `/hub` with `query` (empty for no negotiation).
pub(crate) async fn connect(addr: SocketAddr, query: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/hub{query}"))
        .await
        .unwrap();
    ws
}

/// Connects without negotiation and completes the JSON handshake.
pub(crate) async fn connect_ready(addr: SocketAddr) -> Ws {
    let mut ws = connect(addr, "").await;
    send(&mut ws, HANDSHAKE).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");
    ws
}

pub(crate) async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// The next data frame, as text; fails on close or after [`PATIENCE`].
pub(crate) async fn recv(ws: &mut Ws) -> String {
    loop {
        let next = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("timed out waiting for a frame");
        match next.expect("connection ended").expect("transport error") {
            Message::Text(text) => return text.to_string(),
            Message::Binary(bytes) => return String::from_utf8(bytes.to_vec()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected a data frame, got {other:?}"),
        }
    }
}

/// Waits for the server's close frame and asserts it is a normal closure.
pub(crate) async fn expect_close(ws: &mut Ws) {
    loop {
        let next = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("timed out waiting for close");
        match next {
            Some(Ok(Message::Close(frame))) => {
                assert_eq!(frame.map(|f| f.code), Some(CloseCode::Normal));
                return;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(other)) => panic!("expected close, got {other:?}"),
            Some(Err(error)) => panic!("expected close, got error {error}"),
            None => panic!("connection ended without a close frame"),
        }
    }
}

/// A new client can still handshake and invoke: the server survived whatever came before.
pub(crate) async fn assert_server_healthy(addr: SocketAddr) {
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"ok\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"ok\"}\u{1e}"
    );
}

/// A minimal HTTP/1.1 request; returns the status code and the body.
pub(crate) async fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}
