//! The WebSockets transport over axum's WebSocket upgrade.

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};

use super::http::{no_id, refusal};
use super::negotiate::{Binding, Negotiated};
use super::{FrameSink, FrameSource, Transport, TransportClosed};
use crate::connection::{ConnectionId, Request};
use crate::endpoint::Endpoint;
use crate::error::ProtocolError;
use crate::protocol::TransferFormat;

/// Upgrades the request and serves the connection named by `token`, or a new one when the
/// client skipped negotiation (no `id` in the query).
pub(crate) fn accept<E: Endpoint>(
    endpoint: Arc<E>,
    negotiated: Arc<Negotiated>,
    token: Option<String>,
    request: Request,
    upgrade: WebSocketUpgrade,
) -> Response {
    let claimed = match &token {
        None => ConnectionId::generate().ok_or_else(no_id),
        Some(token) => {
            let expiry = endpoint.options().disconnect_timeout;
            match negotiated.claim(token, expiry, |_| Binding::WebSocket) {
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
    // One WebSocket message may carry several hub messages, but never needs to be unbounded.
    let frame_limit = endpoint
        .options()
        .maximum_receive_message_size
        .saturating_mul(4)
        .max(1 << 20);
    upgrade
        .max_message_size(frame_limit)
        .max_frame_size(frame_limit)
        .on_upgrade(move |socket| async move {
            let (sink, source) = socket.split();
            let source = WsSource {
                stream: source,
                limit: frame_limit,
            };
            endpoint.serve(id, request, source, WsSink(sink)).await;
            drop(release);
        })
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
    stream: SplitStream<WebSocket>,
    /// tungstenite's limit on one WebSocket message, reported when a client exceeds it.
    limit: usize,
}

impl FrameSource for WsSource {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        loop {
            // Text and binary frames are both just bytes of the stream: a message may span frames.
            match self.stream.next().await {
                Some(Ok(Message::Text(text))) => return Ok(Some(Bytes::from(text))),
                Some(Ok(Message::Binary(bytes))) => return Ok(Some(bytes)),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Err(error)) if is_capacity(&error) => {
                    return Err(ProtocolError::MessageTooLarge {
                        max_size: self.limit,
                    });
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return Ok(None),
            }
        }
    }
}

/// Whether tungstenite refused a message for its size.
fn is_capacity(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(tungstenite::Error::Capacity(_)) = current.downcast_ref::<tungstenite::Error>()
        {
            return true;
        }
        source = current.source();
    }
    false
}

struct WsSink(SplitSink<WebSocket, Message>);

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
        self.0.send(message).await.map_err(|_| TransportClosed)
    }

    async fn close(&mut self) {
        let frame = CloseFrame {
            code: close_code::NORMAL,
            reason: Utf8Bytes::from_static(""),
        };
        // A peer that already went away cannot hear the close; nothing else is left to do.
        let _ = self.0.send(Message::Close(Some(frame))).await;
        let _ = self.0.close().await;
    }
}
