//! Raw connections: SignalR's transports without the hub protocol, bytes in and bytes out.
//!
//! Mount a [`ConnectionHandler`] with [`SignalR::connection`](crate::SignalR::connection); it
//! gets every negotiated transport, WebSockets, Server-Sent Events and Long Polling, and sees
//! only the bytes.
//!
//! ```no_run
//! use signalr_runtime::raw::{ConnectionHandler, RawConnection};
//!
//! /// Sends every message back.
//! struct Echo;
//!
//! impl ConnectionHandler for Echo {
//!     async fn on_connected(&self, mut connection: RawConnection) {
//!         while let Some(message) = connection.recv().await {
//!             if connection.send(message).await.is_err() {
//!                 break;
//!             }
//!         }
//!     }
//! }
//!
//! let app = signalr_runtime::SignalR::new().connection("/echo", Echo).into_router();
//! # let _: axum::Router = app;
//! ```

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use tokio::sync::mpsc;

use crate::auth::User;
use crate::connection_id::ConnectionId;
use crate::protocol::TransferFormat;
use crate::request::Request;
use crate::transport::{FrameSink, FrameSource, Transport};

/// Chunks that may wait in each direction before the other side slows down.
const CHANNEL_CAPACITY: usize = 16;

/// How long the transport may take to close after the handler is done.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves raw connections.
pub trait ConnectionHandler: Send + Sync + 'static {
    /// Runs for one connection; the connection closes when this returns.
    fn on_connected(&self, connection: RawConnection) -> impl Future<Output = ()> + Send;
}

/// One raw connection: what the client sends, and a way to send back.
#[derive(Debug)]
pub struct RawConnection {
    id: ConnectionId,
    transport: Transport,
    request: Request,
    incoming: mpsc::Receiver<Bytes>,
    outgoing: mpsc::Sender<(Bytes, Option<TransferFormat>)>,
}

/// The client has gone; nothing more can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disconnected;

impl std::fmt::Display for Disconnected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the connection has ended")
    }
}

impl std::error::Error for Disconnected {}

impl RawConnection {
    /// The connection's id, as negotiate reported it.
    pub fn id(&self) -> &ConnectionId {
        &self.id
    }

    /// The transport carrying the connection.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The user the endpoint's authenticator found for the request that opened the transport.
    pub fn user(&self) -> Option<&User> {
        self.request.user.as_deref()
    }

    /// The URI of the request that opened the transport.
    pub fn uri(&self) -> &axum::http::Uri {
        &self.request.uri
    }

    /// The headers of the request that opened the transport, without those about the HTTP
    /// connection and the WebSocket handshake (as [`HubCx::headers`](crate::HubCx::headers)).
    pub fn headers(&self) -> &axum::http::HeaderMap {
        &self.request.headers
    }

    /// The next chunk from the client, as the transport delivered it; `None` once it has gone.
    pub async fn recv(&mut self) -> Option<Bytes> {
        self.incoming.recv().await
    }

    /// Sends `data` to the client: as a text frame when it is UTF-8, else as binary.
    ///
    /// # Errors
    ///
    /// [`Disconnected`] when the client has gone.
    pub async fn send(&self, data: Bytes) -> Result<(), Disconnected> {
        self.outgoing
            .send((data, None))
            .await
            .map_err(|_| Disconnected)
    }

    /// Sends `data` to the client as a binary frame where the transport has them (WebSockets,
    /// Long Polling), whatever the bytes look like: for binary protocols, whose messages may
    /// happen to be valid UTF-8.
    ///
    /// # Errors
    ///
    /// [`Disconnected`] when the client has gone.
    pub async fn send_binary(&self, data: Bytes) -> Result<(), Disconnected> {
        self.outgoing
            .send((data, Some(TransferFormat::Binary)))
            .await
            .map_err(|_| Disconnected)
    }
}

/// Serves one raw connection: the handler on one side, the transport on the other.
pub(crate) async fn serve<C: ConnectionHandler>(
    handler: &C,
    id: ConnectionId,
    request: Request,
    mut source: impl FrameSource,
    mut sink: impl FrameSink,
) {
    let (incoming_tx, incoming) = mpsc::channel(CHANNEL_CAPACITY);
    let (outgoing, mut outgoing_rx) = mpsc::channel(CHANNEL_CAPACITY);
    let connection = RawConnection {
        id,
        transport: sink.kind(),
        request,
        incoming,
        outgoing,
    };
    let pump_in = async move {
        while let Ok(Some(chunk)) = source.next_chunk().await {
            if incoming_tx.send(chunk).await.is_err() {
                break;
            }
        }
    };
    // Set when the handler panics: the transport then ends as after an unexpected error. The
    // handler's sender is copied so that the outgoing side ends only once that is known.
    let failed = Arc::new(AtomicBool::new(false));
    let keep_open = connection.outgoing.clone();
    let handled = {
        let failed = Arc::clone(&failed);
        async move {
            let outcome = AssertUnwindSafe(handler.on_connected(connection))
                .catch_unwind()
                .await;
            if outcome.is_err() {
                tracing::error!("a connection handler panicked");
                failed.store(true, Ordering::Relaxed);
            }
            drop(keep_open);
        }
    };
    let pump_out = async move {
        while let Some((data, format)) = outgoing_rx.recv().await {
            let format = format.unwrap_or_else(|| match std::str::from_utf8(&data) {
                Ok(_) => TransferFormat::Text,
                Err(_) => TransferFormat::Binary,
            });
            let format = if sink.kind().carries(format) {
                format
            } else {
                TransferFormat::Text
            };
            if sink.send(data, format).await.is_err() {
                break;
            }
        }
        if failed.load(Ordering::Relaxed) {
            sink.fail().await;
        } else {
            sink.close().await;
        }
    };
    // The handler ends when the client has gone (its `recv` yields `None`) or when it decides to;
    // either way its connection drops, the outgoing side drains and the transport closes.
    let served = async move { tokio::join!(handled, pump_out) };
    tokio::pin!(pump_in);
    tokio::pin!(served);
    tokio::select! {
        () = &mut pump_in => {
            served.await;
        }
        _ = &mut served => {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, pump_in).await;
        }
    }
}
