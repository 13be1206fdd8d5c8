//! A fake server for one WebSocket connection that follows a script: for what a real server
//! never does (malformed output, bad timing). Clients reach it without negotiation.

use std::future::Future;

use futures_util::{SinkExt as _, StreamExt as _};
use signalr_runtime::client::HubConnection;
use signalr_runtime::protocol::Protocol;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

pub(crate) type Socket = WebSocketStream<TcpStream>;

/// Accepts the WebSocket, reads the handshake (leaving it unanswered), then runs `script`.
/// Returns the URL to connect to.
pub(crate) async fn fake<F, Fut>(script: F) -> String
where
    F: FnOnce(Socket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut socket = tokio_tungstenite::accept_async(stream).await.unwrap();
        let handshake = socket.next().await.unwrap().unwrap();
        assert!(handshake.to_text().unwrap().contains("\"version\":1"));
        script(socket).await;
    });
    format!("http://127.0.0.1:{port}/hub")
}

/// As [`fake`], with the handshake answered before `script` runs.
pub(crate) async fn answered<F, Fut>(script: F) -> String
where
    F: FnOnce(Socket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    fake(|mut socket| async move {
        socket.send(Message::text("{}\u{1e}")).await.unwrap();
        script(socket).await;
    })
    .await
}

/// A connection to a fake server at `url`.
pub(crate) fn connection(url: &str, protocol: Protocol) -> HubConnection {
    HubConnection::builder(url)
        .skip_negotiation(true)
        .protocol(protocol)
        .build()
        .unwrap()
}
