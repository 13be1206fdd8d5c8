//! The WebSockets transport: the upgrade, then tungstenite over the upgraded connection.

mod normal_close;
mod reattach;
mod upgrade;

pub(crate) use reattach::Reattach;

pub(crate) use upgrade::{UpgradeRequest, supported_version};

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use axum::response::Response;
use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tungstenite::{Message, Utf8Bytes};

use super::Endpoint;
use super::http::{no_id, refusal};
use super::negotiate::{Binding, ClaimError, Negotiated};
use super::{FrameSink, FrameSource, Transport, TransportClosed};
use crate::connection_id::ConnectionId;
use crate::error::ProtocolError;
use crate::protocol::TransferFormat;
use crate::request::Request;
use normal_close::NormalClose;

type Socket = WebSocketStream<NormalClose<TokioIo<hyper::upgrade::Upgraded>>>;

/// Answers the upgrade and serves the connection named by `token`, or a new one when the client
/// skipped negotiation (no `id` in the query). A connection with stateful reconnect on takes
/// the WebSocket in place of the one it lost.
pub(crate) fn accept<E: Endpoint>(
    endpoint: Arc<E>,
    negotiated: Arc<Negotiated>,
    token: Option<String>,
    request: Request,
    upgrade: &UpgradeRequest,
    on_upgrade: hyper::upgrade::OnUpgrade,
) -> Response {
    let limit = message_limit(endpoint.options());
    let expiry = endpoint.options().disconnect_timeout;
    let claimed = match &token {
        None => ConnectionId::generate()
            .map(|id| (id, None))
            .ok_or_else(no_id),
        Some(token) => {
            let binding = |_: &ConnectionId, _, stateful: bool| {
                Binding::WebSocket(stateful.then(|| Arc::new(Reattach::new(expiry))))
            };
            match negotiated.claim(token, expiry, binding) {
                Ok((id, Binding::WebSocket(reattach))) => Ok((id, reattach)),
                Ok((_, other)) => Err(refusal(&ClaimError::Bound(other), Transport::WebSockets)),
                Err(ClaimError::Bound(Binding::WebSocket(Some(reattach))))
                    if reattach.enabled() =>
                {
                    tokio::spawn(async move {
                        if let Some(socket) = open(on_upgrade, limit).await {
                            let (read, write) = halves(socket);
                            reattach.offer(read, write);
                        }
                    });
                    return upgrade.accept();
                }
                Err(error) => Err(refusal(&error, Transport::WebSockets)),
            }
        }
    };
    let (id, reattach) = match claimed {
        Ok(claimed) => claimed,
        Err(response) => return response,
    };
    let release = Release { negotiated, token };
    // What the task needs later is boxed (as `detach` returns the request) or made later: an
    // async block keeps what it captures for its whole life, beside what it awaits, and this
    // one lives as long as the connection.
    let request = super::detach::detach(request);
    tokio::spawn(async move {
        let _release = release;
        let Some(socket) = open(on_upgrade, limit).await else {
            return;
        };
        let ((stream, close_code), (sink, sink_close_code)) = halves(socket);
        let source = WsSource {
            stream,
            limit,
            close_code,
            reattach: reattach.clone(),
            replaced: false,
        };
        let sink = WsSink {
            sink,
            close_code: sink_close_code,
            reattach,
        };
        endpoint.serve(id, request, source, sink).await;
    });
    upgrade.accept()
}

/// One WebSocket message may carry several hub messages, but never needs to be unbounded.
fn message_limit(options: &crate::HubOptions) -> usize {
    options
        .maximum_receive_message_size
        .saturating_mul(4)
        .max(1 << 20)
}

/// The WebSocket, once the upgrade has completed.
async fn open(on_upgrade: hyper::upgrade::OnUpgrade, limit: usize) -> Option<Socket> {
    let upgraded = match on_upgrade.await {
        Ok(upgraded) => upgraded,
        Err(error) => {
            tracing::debug!(%error, "the WebSocket upgrade did not complete");
            return None;
        }
    };
    let io = NormalClose::new(TokioIo::new(upgraded));
    let config = Some(socket_config(limit));
    Some(WebSocketStream::from_raw_socket(io, Role::Server, config).await)
}

/// The socket's reading and writing halves, sharing the close code the reading half chooses.
fn halves(socket: Socket) -> (reattach::ReadHalf, reattach::WriteHalf) {
    let (sink, stream) = socket.split();
    let close_code = Arc::new(AtomicU16::new(CloseCode::Normal.into()));
    ((stream, Arc::clone(&close_code)), (sink, close_code))
}

/// tungstenite's read buffer. It is allocated (and zeroed) for every connection up front: the
/// default 128 KiB was most of an idle connection's memory. tungstenite reads at most this much
/// at a time, but it reads from [`NormalClose`], which takes up to 8 KiB from the socket per
/// system call, so a small buffer here costs memory copies, not system calls.
const READ_BUFFER: usize = 256;

/// Frames are buffered up to this size before tungstenite writes them; the writer flushes after
/// each (already coalesced) frame anyway, so this only bounds one write.
const WRITE_BUFFER: usize = 16 * 1024;

/// The WebSocket settings of every connection, with `limit` on one message or frame.
fn socket_config(limit: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(usize::MAX)
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit))
}

/// Forgets the negotiated token when the transport ends, however it ends (including a failed
/// upgrade, which drops the callback holding this).
struct Release {
    negotiated: Arc<Negotiated>,
    token: Option<String>,
}

impl Drop for Release {
    fn drop(&mut self) {
        if let Some(token) = &self.token {
            self.negotiated.release(token);
        }
    }
}

struct WsSource {
    stream: SplitStream<Socket>,
    /// tungstenite's limit on one WebSocket message, reported when a client exceeds it.
    limit: usize,
    /// The close code the sink sends at the end: set here when the client broke the protocol.
    close_code: Arc<AtomicU16>,
    /// Where the client's next WebSocket arrives, for a connection that negotiated stateful
    /// reconnect.
    reattach: Option<Arc<Reattach>>,
    /// Set when the next WebSocket took this one's place (see [`FrameSource::take_replaced`]).
    replaced: bool,
}

impl FrameSource for WsSource {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        loop {
            let reattach = self
                .reattach
                .as_ref()
                .filter(|slot| slot.enabled())
                .cloned();
            // The stateful waits are boxed: an idle connection's reader waits here for its whole
            // life, and most connections should not carry their state.
            let next = match &reattach {
                None => self.stream.next().await,
                Some(slot) => match Box::pin(self.next_or_replaced(slot)).await {
                    Some(next) => next,
                    None => continue,
                },
            };
            // Text and binary frames are both just bytes of the stream: a message may span frames.
            let ended = match next {
                Some(Ok(Message::Text(text))) => return Ok(Some(Bytes::from(text))),
                Some(Ok(Message::Binary(bytes))) => return Ok(Some(bytes)),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                // A close frame ends the connection, stateful or not.
                Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Err(error)) => self.failed(&error),
                None => Ok(None),
            };
            // Dropped without a close frame: a connection with stateful reconnect waits for the
            // client's next WebSocket.
            match (ended, reattach) {
                (Ok(None), Some(slot)) => {
                    let next = Box::pin(tokio::time::timeout(slot.within, slot.next_read()));
                    match next.await {
                        Ok(read) => self.take_place_of(read),
                        Err(_) => return Ok(None),
                    }
                }
                (ended, _) => return ended,
            }
        }
    }

    fn take_replaced(&mut self) -> bool {
        std::mem::take(&mut self.replaced)
    }
}

impl WsSource {
    /// The next message of this WebSocket, or `None` once the client's next WebSocket took its
    /// place (the client may open it before this one is seen to end).
    async fn next_or_replaced(
        &mut self,
        slot: &Reattach,
    ) -> Option<Option<Result<Message, tungstenite::Error>>> {
        tokio::select! {
            biased;
            read = slot.next_read() => {
                self.take_place_of(read);
                None
            }
            next = self.stream.next() => Some(next),
        }
    }

    /// Reads from the client's next WebSocket from now on.
    fn take_place_of(&mut self, (stream, close_code): reattach::ReadHalf) {
        self.stream = stream;
        self.close_code = close_code;
        self.replaced = true;
    }

    /// Ends the stream after a read error, choosing the close code RFC 6455 §7.4.1 gives it.
    fn failed(&self, error: &tungstenite::Error) -> Result<Option<Bytes>, ProtocolError> {
        let (code, outcome) = match error {
            tungstenite::Error::Capacity(_) => (
                CloseCode::Size,
                Err(ProtocolError::MessageTooLarge {
                    max_size: self.limit,
                }),
            ),
            // The client went without a close frame: gone, not a protocol violation (and with
            // stateful reconnect, the client's next WebSocket takes this one's place).
            tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
            ) => (CloseCode::Normal, Ok(None)),
            tungstenite::Error::Protocol(violation) => (
                CloseCode::Protocol,
                Err(ProtocolError::WebSocket(violation.to_string())),
            ),
            tungstenite::Error::Utf8(detail) => (
                CloseCode::Invalid,
                Err(ProtocolError::WebSocket(format!(
                    "a text frame is not UTF-8 ({detail})"
                ))),
            ),
            // The connection itself failed or closed: nobody is left to tell.
            _ => (CloseCode::Normal, Ok(None)),
        };
        self.close_code.store(code.into(), Ordering::Relaxed);
        outcome
    }
}

struct WsSink {
    sink: SplitSink<Socket, Message>,
    /// The close code to end with (see [`WsSource::failed`]).
    close_code: Arc<AtomicU16>,
    /// See [`WsSource::reattach`].
    reattach: Option<Arc<Reattach>>,
}

impl FrameSink for WsSink {
    fn kind(&self) -> Transport {
        Transport::WebSockets
    }

    fn enable_reattach(&mut self) -> bool {
        if let Some(slot) = &self.reattach {
            slot.enable();
        }
        self.reattach.is_some()
    }

    async fn replaced(&mut self) {
        match &self.reattach {
            Some(slot) if slot.enabled() => {
                let (sink, close_code) = slot.next_write().await;
                self.sink = sink;
                self.close_code = close_code;
            }
            _ => std::future::pending().await,
        }
    }

    async fn send(&mut self, frame: Bytes, format: TransferFormat) -> Result<(), TransportClosed> {
        let message = match format {
            TransferFormat::Text => match Utf8Bytes::try_from(frame) {
                Ok(text) => Message::Text(text),
                Err(_) => return Err(TransportClosed),
            },
            TransferFormat::Binary => Message::Binary(frame),
        };
        self.sink.send(message).await.map_err(|_| TransportClosed)
    }

    async fn fail(&mut self) {
        self.close_code
            .store(CloseCode::Error.into(), Ordering::Relaxed);
        self.close().await;
    }

    async fn close(&mut self) {
        let frame = CloseFrame {
            code: CloseCode::from(self.close_code.load(Ordering::Relaxed)),
            reason: Utf8Bytes::from_static(""),
        };
        // A peer that already went away cannot hear the close; nothing else is left to do.
        let _ = self.sink.send(Message::Close(Some(frame))).await;
        let _ = self.sink.close().await;
    }
}
