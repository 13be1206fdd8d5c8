//! The WebSockets transport: the upgrade, then tungstenite over the upgraded connection.

mod normal_close;
mod upgrade;

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
use super::negotiate::{Binding, Negotiated};
use super::{FrameSink, FrameSource, Transport, TransportClosed};
use crate::connection_id::ConnectionId;
use crate::error::ProtocolError;
use crate::protocol::TransferFormat;
use crate::request::Request;
use normal_close::NormalClose;

type Socket = WebSocketStream<NormalClose<TokioIo<hyper::upgrade::Upgraded>>>;

/// Answers the upgrade and serves the connection named by `token`, or a new one when the client
/// skipped negotiation (no `id` in the query).
pub(crate) fn accept<E: Endpoint>(
    endpoint: Arc<E>,
    negotiated: Arc<Negotiated>,
    token: Option<String>,
    request: Request,
    upgrade: &UpgradeRequest,
    on_upgrade: hyper::upgrade::OnUpgrade,
) -> Response {
    let claimed = match &token {
        None => ConnectionId::generate().ok_or_else(no_id),
        Some(token) => {
            let expiry = endpoint.options().disconnect_timeout;
            match negotiated.claim(token, expiry, |_, _| Binding::WebSocket) {
                Ok((id, _)) => Ok(id),
                Err(error) => Err(refusal(&error, Transport::WebSockets)),
            }
        }
    };
    let id = match claimed {
        Ok(id) => id,
        Err(response) => return response,
    };
    let release = Release { negotiated, token };
    let request = super::detach::detach(request);
    // One WebSocket message may carry several hub messages, but never needs to be unbounded.
    let limit = endpoint
        .options()
        .maximum_receive_message_size
        .saturating_mul(4)
        .max(1 << 20);
    // What the task needs later is boxed or made later: an async block keeps what it captures
    // for its whole life, beside what it awaits, and this one lives as long as the connection.
    let request = Box::new(request);
    tokio::spawn(async move {
        let _release = release;
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => {
                tracing::debug!(%error, "the WebSocket upgrade did not complete");
                return;
            }
        };
        let io = NormalClose::new(TokioIo::new(upgraded));
        let config = Some(socket_config(limit));
        let socket: Socket = WebSocketStream::from_raw_socket(io, Role::Server, config).await;
        let (sink, stream) = socket.split();
        let close_code = Arc::new(AtomicU16::new(CloseCode::Normal.into()));
        let source = WsSource {
            stream,
            limit,
            close_code: Arc::clone(&close_code),
        };
        let sink = WsSink { sink, close_code };
        endpoint.serve(id, *request, source, sink).await;
    });
    upgrade.accept()
}

/// tungstenite's read buffer. It is allocated (and zeroed) for every connection up front: the
/// default 128 KiB was most of an idle connection's memory. tungstenite reads at most this much
/// at a time, but it reads from [`NormalClose`], which takes up to 8 KiB from the socket per
/// system call, so a small buffer here costs memory copies, not system calls.
const READ_BUFFER: usize = 1024;

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
}

impl FrameSource for WsSource {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        loop {
            // Text and binary frames are both just bytes of the stream: a message may span frames.
            match self.stream.next().await {
                Some(Ok(Message::Text(text))) => return Ok(Some(Bytes::from(text))),
                Some(Ok(Message::Binary(bytes))) => return Ok(Some(bytes)),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Err(error)) => return self.failed(&error),
                Some(Ok(Message::Close(_))) | None => return Ok(None),
            }
        }
    }
}

impl WsSource {
    /// Ends the stream after a read error, choosing the close code RFC 6455 §7.4.1 gives it.
    fn failed(&self, error: &tungstenite::Error) -> Result<Option<Bytes>, ProtocolError> {
        let (code, outcome) = match error {
            tungstenite::Error::Capacity(_) => (
                CloseCode::Size,
                Err(ProtocolError::MessageTooLarge {
                    max_size: self.limit,
                }),
            ),
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
}

impl FrameSink for WsSink {
    fn kind(&self) -> Transport {
        Transport::WebSockets
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
