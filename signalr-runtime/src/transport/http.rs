//! What Server-Sent Events and Long Polling share: the state their requests find by token, the
//! POST that carries the client's messages, and the answers to requests that cannot be served.

use std::sync::Arc;
use std::sync::Mutex as StdMutex;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::sync::{Mutex, Notify, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::negotiate::{Binding, ClaimError, EARLY_BODIES, Negotiated};
use super::{FrameSource, Transport};
use crate::error::ProtocolError;

/// POST bodies waiting for the connection to read them. Small: a client that posts faster
/// than its hub reads waits, as ASP.NET Core's pipe makes it.
const INBOUND_CAPACITY: usize = EARLY_BODIES;

/// One connection's state across the HTTP requests of Server-Sent Events or Long Polling.
#[derive(Debug)]
pub(crate) struct HttpConnection {
    pub(crate) kind: Transport,
    /// Where POST bodies go; `None` once the connection is disposed. Locked for a whole POST,
    /// so concurrent POSTs are delivered one after the other.
    inbound: Mutex<Option<mpsc::Sender<Bytes>>>,
    /// Cancelled when the connection is disposed: a POST waiting for room gives up then, so
    /// that disposing never waits behind a hub that stopped reading.
    disposed: CancellationToken,
    /// Long Polling's state; `None` for Server-Sent Events.
    pub(crate) poll: Option<LongPoll>,
}

/// What the polls of one Long Polling connection share.
#[derive(Debug)]
pub(crate) struct LongPoll {
    /// Frames waiting for a poll. Locked by the poll in progress.
    pub(crate) outbound: Mutex<mpsc::Receiver<Bytes>>,
    /// Ends the waiting poll with 204: a newer poll replaces it, or DELETE ended the connection.
    pub(crate) superseded: Notify,
    /// When the last poll ended, for reaping clients that stopped polling.
    pub(crate) last_poll: StdMutex<Instant>,
    /// Signalled when a poll found the connection ended and told the client so (204): until
    /// then the token stays known, so the frames written last (a refused handshake, a Close)
    /// reach a client that was not polling when they were written.
    pub(crate) end_seen: Notify,
    /// Set when the connection ended with an unexpected server error: its last poll is a 500.
    pub(crate) failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl HttpConnection {
    /// A connection of `kind`, and the source its hub connection reads POST bodies from.
    pub(crate) fn new(kind: Transport, poll: Option<LongPoll>) -> (HttpConnection, ChannelSource) {
        let (inbound, inbound_rx) = mpsc::channel(INBOUND_CAPACITY);
        let connection = HttpConnection {
            kind,
            inbound: Mutex::new(Some(inbound)),
            disposed: CancellationToken::new(),
            poll,
        };
        (connection, ChannelSource(inbound_rx))
    }

    /// Queues the bodies POSTed before the transport started, ahead of everything else.
    pub(crate) fn preload(&self, early: Vec<Bytes>) {
        let Ok(inbound) = self.inbound.try_lock() else {
            return;
        };
        if let Some(sender) = inbound.as_ref() {
            for body in early {
                // The channel is new and holds EARLY_BODIES at least: this cannot be full.
                let _ = sender.try_send(body);
            }
        }
    }

    /// Delivers a POST body; `false` when the connection has ended.
    pub(crate) async fn deliver(&self, body: Bytes) -> bool {
        let inbound = tokio::select! {
            inbound = self.inbound.lock() => inbound,
            () = self.disposed.cancelled() => return false,
        };
        let Some(sender) = inbound.as_ref() else {
            return false;
        };
        tokio::select! {
            sent = sender.send(body) => sent.is_ok(),
            () = self.disposed.cancelled() => false,
        }
    }

    /// Ends the client's side: the connection reads the end of its input and closes.
    pub(crate) async fn dispose(&self) {
        self.disposed.cancel();
        // A POST holding the lock lets go at once now that `disposed` is cancelled.
        self.inbound.lock().await.take();
    }

    /// Disposes the connection from code that cannot wait (a response body being dropped):
    /// at once when no POST holds the inbound channel, else on a task of its own.
    pub(crate) fn abandon(self: &Arc<Self>) {
        self.disposed.cancel();
        if let Ok(mut inbound) = self.inbound.try_lock() {
            inbound.take();
        } else if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let connection = Arc::clone(self);
            runtime.spawn(async move { connection.dispose().await });
        }
    }

    /// Whether the connection was disposed.
    pub(crate) fn is_disposed(&self) -> bool {
        self.disposed.is_cancelled()
    }
}

/// The client's messages as POSTed, one body per chunk.
pub(crate) struct ChannelSource(mpsc::Receiver<Bytes>);

impl FrameSource for ChannelSource {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        Ok(self.0.recv().await)
    }
}

/// `POST P?id=`: the client's messages for an SSE or Long Polling connection (kept for the
/// transport when it has not started yet).
pub(crate) async fn post(
    negotiated: &Negotiated,
    token: &str,
    body: Bytes,
    expiry: Duration,
) -> Response {
    let binding = match negotiated.binding(token) {
        Err(_) => return not_found(),
        Ok(Some(binding)) => binding,
        Ok(None) => match negotiated.stash(token, body.clone(), expiry) {
            Ok(()) => return (StatusCode::OK, "").into_response(),
            Err(Some(binding)) => binding,
            Err(None) => {
                return (
                    StatusCode::CONFLICT,
                    "Too many messages before the transport started.",
                )
                    .into_response();
            }
        },
    };
    match binding {
        Binding::WebSocket(_) => (
            StatusCode::METHOD_NOT_ALLOWED,
            "POST requests are not allowed for WebSocket connections.",
        )
            .into_response(),
        Binding::Http(connection) => {
            if connection.deliver(body).await {
                (StatusCode::OK, "").into_response()
            } else {
                not_found()
            }
        }
    }
}

/// `DELETE P?id=`: a Long Polling client stops.
pub(crate) async fn delete(binding: Result<Option<Binding>, ClaimError>) -> Response {
    match binding {
        Err(_) => not_found(),
        Ok(Some(Binding::Http(connection))) if connection.kind == Transport::LongPolling => {
            connection.dispose().await;
            // The poll held now answers 204 at once (TransportProtocols.md): the client stops,
            // without waiting for, or reading, the Close the ended connection still queues.
            if let Some(poll) = &connection.poll {
                poll.superseded.notify_waiters();
            }
            StatusCode::ACCEPTED.into_response()
        }
        Ok(_) => (
            StatusCode::BAD_REQUEST,
            "Cannot terminate this connection using the DELETE endpoint.",
        )
            .into_response(),
    }
}

/// 404 for a token that names no connection.
pub(crate) fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "No Connection with that ID").into_response()
}

/// 404 for a transport the endpoint does not offer.
pub(crate) fn not_supported(transport: Transport) -> Response {
    let text = format!(
        "{} transport not supported by this end point type",
        transport.name()
    );
    (StatusCode::NOT_FOUND, text).into_response()
}

/// 400 for a request without `id`.
pub(crate) fn id_required() -> Response {
    (StatusCode::BAD_REQUEST, "Connection ID required").into_response()
}

/// 500 when no random id could be made.
pub(crate) fn no_id() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "No connection id could be created.",
    )
        .into_response()
}

/// The answer to a `requested` transport request that could not claim its token.
pub(crate) fn refusal(error: &ClaimError, requested: Transport) -> Response {
    match error {
        ClaimError::Unknown => not_found(),
        ClaimError::Bound(bound) if bound.kind() == requested => (
            StatusCode::CONFLICT,
            "Connection already has an active transport",
        )
            .into_response(),
        ClaimError::Bound(_) => (
            StatusCode::BAD_REQUEST,
            "Cannot change transports mid-connection",
        )
            .into_response(),
    }
}
