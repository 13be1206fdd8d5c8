//! One soak connection on any transport, read all the time by a task of its own: every message
//! the server sends comes through [`Link::down`], which ends when the transport does.

use std::net::SocketAddr;

use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tungstenite::Message;

use crate::client::http::{self, Http};
use crate::client::ws::{self, Rx, Tx};
use crate::client::{Call, Incoming, Proto};

/// A transport and hub protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// WebSockets, JSON.
    WsJson,
    /// WebSockets, MessagePack.
    WsMsgPack,
    /// Server-Sent Events (JSON).
    Sse,
    /// Long Polling (JSON).
    LongPolling,
}

impl Transport {
    /// Every transport, in a fixed order.
    pub(crate) const ALL: [Transport; 4] = [
        Transport::WsJson,
        Transport::WsMsgPack,
        Transport::Sse,
        Transport::LongPolling,
    ];

    /// The `i`-th transport, round-robin.
    pub(crate) fn nth(i: usize) -> Transport {
        match i % 4 {
            0 => Transport::WsJson,
            1 => Transport::WsMsgPack,
            2 => Transport::Sse,
            _ => Transport::LongPolling,
        }
    }

    /// A short name for reports.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Transport::WsJson => "ws/json",
            Transport::WsMsgPack => "ws/messagepack",
            Transport::Sse => "sse/json",
            Transport::LongPolling => "longpolling/json",
        }
    }

    /// The hub protocol it speaks.
    pub(crate) fn proto(self) -> Proto {
        match self {
            Transport::WsMsgPack => Proto::MsgPack,
            _ => Proto::Json,
        }
    }
}

/// One message from the server: its kind as the load client sees it, and its bytes.
pub(crate) type Received = (Incoming, Vec<u8>);

/// An open, handshaken connection.
#[derive(Debug)]
pub(crate) struct Link {
    /// Its transport.
    pub(crate) transport: Transport,
    up: Up,
    buffer: Vec<u8>,
    /// Every message the server sent; ends when the transport ends.
    pub(crate) down: mpsc::UnboundedReceiver<Received>,
    reader: AbortHandle,
}

#[derive(Debug)]
enum Up {
    Ws(Tx),
    /// POSTs on a kept-alive connection to `/bench?id=TOKEN`.
    Http {
        post: Http,
        query: String,
    },
}

impl Drop for Link {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Link {
    /// Connects (negotiating for the HTTP transports) and completes the handshake.
    pub(crate) async fn open(addr: SocketAddr, transport: Transport) -> Result<Link, String> {
        let (sender, down) = mpsc::unbounded_channel();
        let proto = transport.proto();
        let (up, reader) = match transport {
            Transport::WsJson | Transport::WsMsgPack => {
                let (tx, rx) = ws::connect(addr, proto, None).await?;
                let reader = tokio::spawn(read_ws(rx, proto, sender)).abort_handle();
                (Up::Ws(tx), reader)
            }
            Transport::Sse | Transport::LongPolling => {
                let token = http::negotiate(addr).await?;
                let query = format!("?id={token}");
                let reader = if transport == Transport::Sse {
                    let events = Http::connect(addr).await?.events(&token).await?;
                    tokio::spawn(read_events(events, sender))
                } else {
                    let mut poll = Http::connect(addr).await?;
                    // The first poll only starts the connection.
                    let (status, _) = poll.request("GET", &query, "", b"").await?;
                    if status != 200 {
                        return Err(format!("first poll answered {status}"));
                    }
                    tokio::spawn(read_polls(poll, query.clone(), sender))
                };
                let post = Http::connect(addr).await?;
                (Up::Http { post, query }, reader.abort_handle())
            }
        };
        let mut link = Link {
            transport,
            up,
            buffer: Vec::new(),
            down,
            reader,
        };
        if matches!(link.up, Up::Http { .. }) {
            link.send_bytes(Proto::Json.handshake().unwrap_or_default().as_bytes())
                .await?;
            let answer = tokio::time::timeout(crate::soak::PATIENCE, link.down.recv())
                .await
                .map_err(|_| "no handshake answer".to_owned())?
                .ok_or("closed during the handshake")?;
            if answer.1.trim_ascii() != b"{}" {
                return Err(format!(
                    "handshake refused: {}",
                    String::from_utf8_lossy(&answer.1)
                ));
            }
        }
        Ok(link)
    }

    /// Sends one invocation.
    pub(crate) async fn call(&mut self, call: Call<'_>, id: Option<u64>) -> Result<(), String> {
        let mut buffer = std::mem::take(&mut self.buffer);
        self.transport.proto().encode(call, id, &mut buffer);
        let sent = self.send_bytes(&buffer).await;
        self.buffer = buffer;
        sent
    }

    /// Sends a Ping, which keeps an otherwise quiet connection within the client timeout.
    pub(crate) async fn ping(&mut self) -> Result<(), String> {
        let ping: &[u8] = match self.transport.proto() {
            // [6]: a length prefix of 2, a one-element array, the type.
            Proto::MsgPack => &[2, 0x91, 6],
            _ => b"{\"type\":6}\x1e",
        };
        self.send_bytes(ping).await
    }

    /// Ends the connection as a client should: a Close frame, or a `DELETE` for HTTP.
    pub(crate) async fn close(&mut self) -> Result<(), String> {
        match &mut self.up {
            Up::Ws(tx) => tx.send_message(Message::Close(None)).await,
            Up::Http { post, query } => post.request("DELETE", query, "", b"").await.map(drop),
        }
    }

    /// Sends `bytes` as one WebSocket message (binary for MessagePack) or one POST body.
    pub(crate) async fn send_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        match &mut self.up {
            Up::Ws(tx) => {
                let message = if self.transport.proto() == Proto::MsgPack {
                    Message::binary(bytes.to_vec())
                } else {
                    Message::text(String::from_utf8_lossy(bytes).into_owned())
                };
                tx.send_message(message).await
            }
            Up::Http { post, query } => {
                let (status, body) = post
                    .request("POST", query, "Content-Type: text/plain\r\n", bytes)
                    .await?;
                if status != 200 {
                    return Err(format!(
                        "POST answered {status}: {}",
                        String::from_utf8_lossy(&body)
                    ));
                }
                Ok(())
            }
        }
    }
}

/// The hub message type of one message (1 invocation, 3 completion, 6 ping, 7 close).
pub(crate) fn message_type(proto: Proto, message: &[u8]) -> Option<u64> {
    match proto {
        Proto::MsgPack => message.get(1).map(|&b| u64::from(b)),
        _ => crate::client::codec::number_after(message, b"\"type\":"),
    }
}

fn forward(proto: Proto, frame: &[u8], sender: &mpsc::UnboundedSender<Received>) -> bool {
    let mut open = true;
    proto.messages(frame, |kind, bytes| {
        open &= sender.send((kind, bytes.to_vec())).is_ok();
    });
    open
}

async fn read_ws(mut rx: Rx, proto: Proto, sender: mpsc::UnboundedSender<Received>) {
    while let Some(frame) = rx.next_frame().await {
        if !forward(proto, &frame, &sender) {
            return;
        }
    }
}

async fn read_events(mut events: http::EventStream, sender: mpsc::UnboundedSender<Received>) {
    while let Ok(data) = events.next().await {
        if !forward(Proto::Json, &data, &sender) {
            return;
        }
    }
}

async fn read_polls(mut poll: Http, query: String, sender: mpsc::UnboundedSender<Received>) {
    loop {
        match poll.request("GET", &query, "", b"").await {
            Ok((200, body)) => {
                if !forward(Proto::Json, &body, &sender) {
                    return;
                }
            }
            _ => return,
        }
    }
}
