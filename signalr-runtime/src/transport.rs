//! Transports: negotiate, and turning a WebSocket into the byte stream a connection reads.
//!
//! Every transport hands the connection layer the same two halves: a [`FrameSource`] of byte
//! chunks as the client sent them, and a [`FrameSink`] that carries frames to the client.

pub(crate) mod detach;
pub(crate) mod http;
pub(crate) mod long_polling;
pub(crate) mod negotiate;
pub(crate) mod query;
pub(crate) mod sse;
pub(crate) mod websocket;

use std::future::Future;

use bytes::Bytes;

use crate::HubOptions;
use crate::connection_id::ConnectionId;
use crate::error::ProtocolError;
use crate::protocol::TransferFormat;
use crate::request::Request;

/// What serves a connection once a transport has it: a hub, or a raw connection handler.
pub(crate) trait Endpoint: Send + Sync + 'static {
    /// The endpoint's settings (transports, timeouts).
    fn options(&self) -> &HubOptions;

    /// Whether `user` may connect at all, before any transport starts: a hub whose every method
    /// requires an authenticated user or a role answers 401 to anonymous requests and 403 to
    /// users without the role, as ASP.NET Core's `[Authorize]` on a hub class does.
    fn admits(&self, user: Option<&crate::auth::User>) -> Result<(), axum::http::StatusCode> {
        let _ = user;
        Ok(())
    }

    /// Serves one connection until it ends.
    fn serve(
        self: std::sync::Arc<Self>,
        id: ConnectionId,
        request: Box<Request>,
        source: impl FrameSource,
        sink: impl FrameSink,
    ) -> impl Future<Output = ()> + Send;
}

/// Bytes from the client, in whatever pieces the transport delivers them.
pub(crate) trait FrameSource: Send + 'static {
    /// The next chunk, or `None` once the client has gone (closed or vanished).
    ///
    /// # Errors
    ///
    /// [`ProtocolError::MessageTooLarge`] when the client sent more in one transport message
    /// than the transport accepts; the connection cannot continue.
    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<Bytes>, ProtocolError>> + Send;

    /// Whether the client's next transport replaced this one since the last call (stateful
    /// reconnect): what was read before came from the old one, and a message it left
    /// incomplete will not be completed (the client sends it again, whole).
    fn take_replaced(&mut self) -> bool {
        false
    }
}

/// Frames to the client.
pub(crate) trait FrameSink: Send + 'static {
    /// The transport this sink writes to.
    fn kind(&self) -> Transport;

    /// Sends one frame. An error means the client can no longer be reached.
    fn send(
        &mut self,
        frame: Bytes,
        format: TransferFormat,
    ) -> impl Future<Output = Result<(), TransportClosed>> + Send;

    /// Ends the transport gracefully (a WebSocket close frame with status 1000).
    fn close(&mut self) -> impl Future<Output = ()> + Send;

    /// Ends the transport after an unexpected server error, so that the client can tell it
    /// from a clean end (TransportProtocols.md): a WebSocket closes with 1011, Long Polling's
    /// next poll answers 500; a Server-Sent Events response, already 200, just ends.
    fn fail(&mut self) -> impl Future<Output = ()> + Send;

    /// Stateful reconnect: from now on, a transport that drops without closing is replaced by
    /// the client's next one instead of ending the connection. Whether this transport can be (a
    /// WebSocket whose connection negotiated stateful reconnect).
    fn enable_reattach(&mut self) -> bool {
        false
    }

    /// Completes once the client's next transport has replaced this one; never for a transport
    /// that cannot be replaced.
    fn replaced(&mut self) -> impl Future<Output = ()> + Send {
        std::future::pending()
    }
}

/// The client can no longer be reached over this transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TransportClosed;

/// A SignalR transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// One WebSocket carries both directions.
    WebSockets,
    /// A long-lived GET response carries server-to-client frames; the client POSTs.
    ServerSentEvents,
    /// Each GET returns what the server has for the client; the client POSTs.
    LongPolling,
}

impl Transport {
    /// Every transport, in the order negotiate offers them (clients take the first they can).
    pub const ALL: [Transport; 3] = [
        Transport::WebSockets,
        Transport::ServerSentEvents,
        Transport::LongPolling,
    ];

    /// The transport's name, as negotiate lists it.
    pub fn name(self) -> &'static str {
        match self {
            Transport::WebSockets => "WebSockets",
            Transport::ServerSentEvents => "ServerSentEvents",
            Transport::LongPolling => "LongPolling",
        }
    }

    /// Whether the transport can carry `format`: Server-Sent Events are text only.
    pub(crate) fn carries(self, format: TransferFormat) -> bool {
        self != Transport::ServerSentEvents || format == TransferFormat::Text
    }

    /// Whether the server sends keep-alive Pings: Long Polling's polls keep it alive already.
    pub(crate) fn sends_pings(self) -> bool {
        self != Transport::LongPolling
    }
}
