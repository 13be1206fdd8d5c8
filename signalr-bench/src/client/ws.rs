//! One load-client WebSocket connection: connect, handshake, send calls, read messages.

use std::net::SocketAddr;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tungstenite::Message;

use super::codec::{Call, Incoming, Proto};

type Ws = WebSocketStream<TcpStream>;

/// The writing half of a connection.
#[derive(Debug)]
pub(crate) struct Tx {
    sink: SplitSink<Ws, Message>,
    proto: Proto,
    buffer: Vec<u8>,
}

/// The reading half of a connection.
#[derive(Debug)]
pub(crate) struct Rx {
    stream: SplitStream<Ws>,
    proto: Proto,
}

/// Connects to the server at `addr` and completes the SignalR handshake (none for raw).
/// `token` is the negotiated connection token, if the client negotiated.
pub(crate) async fn connect(
    addr: SocketAddr,
    proto: Proto,
    token: Option<&str>,
) -> Result<(Tx, Rx), String> {
    open(addr, proto, token, 1).await
}

/// Negotiates with stateful reconnect and connects with the version 2 handshake (JSON).
pub(crate) async fn connect_stateful(addr: SocketAddr) -> Result<(Tx, Rx), String> {
    let token = super::http::negotiate_with(addr, true).await?;
    open(addr, Proto::Json, Some(&token), 2).await
}

async fn open(
    addr: SocketAddr,
    proto: Proto,
    token: Option<&str>,
    version: u32,
) -> Result<(Tx, Rx), String> {
    let target = match (proto, token) {
        (Proto::Raw, _) => "/".to_owned(),
        (_, None) => "/bench".to_owned(),
        (_, Some(token)) => format!("/bench?id={token}"),
    };
    open_at(addr, &target, proto, version).await
}

/// Connects to `target` (path and query) at `addr` and completes the handshake of `version`
/// (none for raw).
pub(crate) async fn open_at(
    addr: SocketAddr,
    target: &str,
    proto: Proto,
    version: u32,
) -> Result<(Tx, Rx), String> {
    let tcp = crate::client::connect_tcp(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let url = format!("ws://{addr}{target}");
    let config = crate::ws_config::config();
    let (socket, _) = tokio_tungstenite::client_async_with_config(url, tcp, Some(config))
        .await
        .map_err(|e| format!("WebSocket upgrade: {e}"))?;
    let (sink, stream) = socket.split();
    let mut tx = Tx {
        sink,
        proto,
        buffer: Vec::new(),
    };
    let mut rx = Rx { stream, proto };
    if let Some(handshake) = proto.handshake_version(version) {
        tx.sink
            .send(Message::text(handshake))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let answer = rx.next_frame().await.ok_or("closed during the handshake")?;
        if !answer.starts_with(b"{}\x1e") {
            return Err(format!(
                "handshake refused: {}",
                String::from_utf8_lossy(&answer)
            ));
        }
    }
    Ok((tx, rx))
}

impl Tx {
    /// Sends one call (and flushes it).
    pub(crate) async fn call(&mut self, call: Call<'_>, id: Option<u64>) -> Result<(), String> {
        let message = self.message(call, id)?;
        self.sink
            .send(message)
            .await
            .map_err(|e| format!("send: {e}"))
    }

    /// Queues one call without flushing, for pipelining.
    pub(crate) async fn feed(&mut self, call: Call<'_>, id: Option<u64>) -> Result<(), String> {
        let message = self.message(call, id)?;
        self.sink
            .feed(message)
            .await
            .map_err(|e| format!("send: {e}"))
    }

    /// Writes out what [`Tx::feed`] queued.
    pub(crate) async fn flush(&mut self) -> Result<(), String> {
        self.sink.flush().await.map_err(|e| format!("flush: {e}"))
    }

    /// Sends one WebSocket message as it is (the soak test's bursts and bad input).
    pub(crate) async fn send_message(&mut self, message: Message) -> Result<(), String> {
        self.sink
            .send(message)
            .await
            .map_err(|e| format!("send: {e}"))
    }

    fn message(&mut self, call: Call<'_>, id: Option<u64>) -> Result<Message, String> {
        self.proto.encode(call, id, &mut self.buffer);
        let bytes = Bytes::copy_from_slice(&self.buffer);
        if self.proto.binary() {
            Ok(Message::Binary(bytes))
        } else {
            tungstenite::Utf8Bytes::try_from(bytes)
                .map(Message::Text)
                .map_err(|_| "a text frame that is not UTF-8".to_owned())
        }
    }
}

impl Rx {
    /// Waits for the next data frame and reports each message in it; `false` once closed.
    pub(crate) async fn recv(&mut self, each: impl FnMut(Incoming)) -> bool {
        match self.next_frame().await {
            Some(frame) => {
                self.proto.scan(&frame, each);
                true
            }
            None => false,
        }
    }

    /// Waits for the next data frame; `None` once closed.
    pub(crate) async fn next_frame(&mut self) -> Option<Bytes> {
        loop {
            match self.stream.next().await? {
                Ok(Message::Text(text)) => return Some(Bytes::from(text)),
                Ok(Message::Binary(bytes)) => return Some(bytes),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }
}
