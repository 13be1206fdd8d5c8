//! One connection's life: handshake, reading and dispatching messages, keep-alive, close.
//!
//! Each connection is one task reading from the transport and a writer task draining a bounded
//! queue. Invocations run as child tasks of the reader, at most
//! `maximum_parallel_invocations_per_client` at a time; they are dropped when the connection ends.

mod handshake;
mod id;
mod writer;

pub use id::ConnectionId;
pub(crate) use id::random_token;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, Uri};
use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

use crate::endpoint::HubEndpoint;
use crate::error::{HubError, ProtocolError, with_detail};
use crate::hub::dispatch::{self, CallKind};
use crate::hub::{Clients, ConnectionInfo, Hub, HubCx};
use crate::lifetime::{ConnectionHandle, PendingResults};
use crate::protocol::{Close, Completion, HubMessage, Invocation, Outcome, Protocol};
use crate::transport::{FrameSink, FrameSource};
use writer::Writer;

/// How long the writer may take to deliver the Close message before the transport is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Asks a connection to end with `close`; the first request wins.
pub(crate) fn request_close(closing: &watch::Sender<Option<Close>>, close: Close) {
    closing.send_if_modified(|current| {
        let first = current.is_none();
        if first {
            *current = Some(close);
        }
        first
    });
}

/// Serializes one message; failures are logged and yield an empty frame, which the writer
/// skips.
pub(crate) fn encode(protocol: Protocol, message: &HubMessage) -> Bytes {
    protocol.encode(message).unwrap_or_else(|error| {
        tracing::error!(%error, "a message could not be serialized");
        Bytes::new()
    })
}

/// The HTTP request that opened the transport, as the hub may see it.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
}

/// Serves one connection over an established transport until it ends.
pub(crate) async fn serve<H: Hub>(
    endpoint: Arc<HubEndpoint<H>>,
    id: ConnectionId,
    request: Request,
    source: impl FrameSource,
    sink: impl FrameSink,
) {
    let span = tracing::debug_span!("connection", id = %id);
    run(endpoint, id, request, source, sink)
        .instrument(span)
        .await;
}

async fn run<H: Hub>(
    endpoint: Arc<HubEndpoint<H>>,
    id: ConnectionId,
    request: Request,
    mut source: impl FrameSource,
    mut sink: impl FrameSink,
) {
    let options = &endpoint.options;
    let mut buffer = BytesMut::new();
    let Some(protocol) = handshake::perform(options, &mut source, &mut sink, &mut buffer).await
    else {
        sink.close().await;
        return;
    };
    tracing::debug!(protocol = protocol.name(), "connected");

    // Long Polling needs no Pings: every poll shows the server is alive.
    let keep_alive = if sink.kind().sends_pings() {
        options.keep_alive_interval
    } else {
        Duration::MAX
    };
    let (closing, closed) = watch::channel(None);
    let (queue, queue_rx) = mpsc::channel(options.outbound_queue_capacity);
    let info = Arc::new(ConnectionInfo {
        id: id.clone(),
        uri: request.uri,
        headers: request.headers,
        transport: sink.kind(),
        closing: closing.clone(),
    });
    let cx = HubCx::new(
        info,
        Clients::new(Arc::clone(&endpoint.registry), id.clone()),
    );
    let pending = Arc::new(PendingResults::default());
    let handle = ConnectionHandle {
        protocol,
        outbound: queue.clone(),
        closing: closing.clone(),
        pending: Arc::clone(&pending),
    };
    endpoint.registry.add(id.clone(), handle);
    let mut writer = tokio::spawn(
        Writer {
            sink,
            queue: queue_rx,
            closing: closing.clone(),
            closed: closed.clone(),
            protocol,
            keep_alive,
        }
        .run()
        .in_current_span(),
    );

    let connected = AssertUnwindSafe(endpoint.hub.on_connected(&cx))
        .catch_unwind()
        .await;
    let ending = match connected {
        Ok(Ok(())) => {
            let reader = Reader {
                endpoint: Arc::clone(&endpoint),
                cx: cx.clone(),
                protocol,
                queue,
                buffer,
                scanned: 0,
                closed,
                pending: Arc::clone(&pending),
                tasks: JoinSet::new(),
                permits: Arc::new(Semaphore::new(
                    options.maximum_parallel_invocations_per_client,
                )),
            };
            reader.run(&mut source).await
        }
        Ok(Err(error)) => Ending::Rejected(error),
        Err(_panic) => {
            tracing::error!("on_connected panicked");
            Ending::Rejected(HubError::panicked())
        }
    };

    let rejected = matches!(ending, Ending::Rejected(_));
    let transport_open = !matches!(ending, Ending::TransportEnded);
    let (close, error) = ending.into_close(options.detailed_errors);
    tracing::debug!(reason = ?close, "disconnecting");
    // The close is requested before the registry lets go of the queue, so the writer always
    // sends this Close and not a plain one.
    request_close(&closing, close);
    endpoint.registry.remove(&id);
    pending.fail_all();
    if tokio::time::timeout(CLOSE_TIMEOUT, &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
    if transport_open {
        // Read until the client's close frame, so that closing does not reset the connection
        // under data still in flight.
        let drained = async { while let Ok(Some(_)) = source.next_chunk().await {} };
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, drained).await;
    }
    // ASP.NET Core does not run OnDisconnected for a connection its OnConnected refused.
    if !rejected {
        let disconnected = endpoint.hub.on_disconnected(&cx, error.as_deref());
        if AssertUnwindSafe(disconnected).catch_unwind().await.is_err() {
            tracing::error!("on_disconnected panicked");
        }
    }
}

/// Why the read loop stopped.
#[derive(Debug)]
enum Ending {
    /// The client sent a Close message, with its error if it had one.
    ClientClosed(Option<String>),
    /// The transport ended without a Close message.
    TransportEnded,
    /// The client sent bytes that are not the protocol.
    Protocol(ProtocolError),
    /// The client stopped sending, not even Pings, for the client timeout.
    TimedOut,
    /// The hub refused the connection in `on_connected`.
    Rejected(HubError),
    /// Something else asked the connection to close (the hub, or a full queue).
    Aborted,
}

impl Ending {
    /// The Close message to send, and the error reported to `on_disconnected`.
    fn into_close(self, detailed_errors: bool) -> (Close, Option<String>) {
        let failed = "Connection closed with an error.";
        match self {
            Ending::ClientClosed(error) => (Close::default(), error),
            Ending::TransportEnded | Ending::Aborted => (Close::default(), None),
            Ending::TimedOut => (
                Close {
                    error: None,
                    allow_reconnect: true,
                },
                None,
            ),
            Ending::Protocol(error) => {
                let detail =
                    detailed_errors.then(|| format!("{}: {error}", ProtocolError::TYPE_NAME));
                let close = Close {
                    error: Some(with_detail(failed, detail)),
                    allow_reconnect: false,
                };
                (close, Some(error.to_string()))
            }
            Ending::Rejected(error) => {
                let close = Close {
                    error: Some(with_detail(failed, error.detail(detailed_errors))),
                    allow_reconnect: false,
                };
                (close, Some(error.message().to_owned()))
            }
        }
    }
}

/// The reading half of a connection.
struct Reader<H> {
    endpoint: Arc<HubEndpoint<H>>,
    cx: HubCx,
    protocol: Protocol,
    queue: mpsc::Sender<Bytes>,
    buffer: BytesMut,
    /// How much of `buffer` is known to hold no complete message.
    scanned: usize,
    closed: watch::Receiver<Option<Close>>,
    pending: Arc<PendingResults>,
    tasks: JoinSet<()>,
    permits: Arc<Semaphore>,
}

impl<H: Hub> Reader<H> {
    async fn run(mut self, source: &mut impl FrameSource) -> Ending {
        let ending = self.read(source).await;
        // Invocations already started run to the end, as in ASP.NET Core (a `send` followed
        // at once by `stop()` still happens); what they send to this connection is dropped.
        self.tasks.detach_all();
        ending
    }

    async fn read(&mut self, source: &mut impl FrameSource) -> Ending {
        let options = &self.endpoint.options;
        let (max_size, client_timeout) = (
            options.maximum_receive_message_size,
            options.client_timeout_interval,
        );
        let mut last_received = Instant::now();
        // ASP.NET Core only times out clients that have shown they ping.
        let mut client_pings = false;
        loop {
            if self.closed.borrow_and_update().is_some() {
                return Ending::Aborted;
            }
            loop {
                match self
                    .protocol
                    .parse_scanned(&mut self.buffer, max_size, &mut self.scanned)
                {
                    Ok(Some(message)) => {
                        client_pings |= matches!(message, HubMessage::Ping);
                        if let Some(ending) = self.handle(message).await {
                            return ending;
                        }
                    }
                    Ok(None) => break,
                    Err(error) => return Ending::Protocol(error),
                }
            }
            while self.tasks.try_join_next().is_some() {}
            let deadline = last_received.checked_add(client_timeout);
            tokio::select! {
                biased;
                _ = self.closed.changed() => return Ending::Aborted,
                chunk = source.next_chunk() => match chunk {
                    Ok(Some(bytes)) => {
                        self.buffer.extend_from_slice(&bytes);
                        last_received = Instant::now();
                    }
                    Ok(None) if self.buffer.is_empty() => return Ending::TransportEnded,
                    Ok(None) => return Ending::Protocol(ProtocolError::Truncated),
                    Err(error) => return Ending::Protocol(error),
                },
                () = tokio::time::sleep_until(deadline.unwrap_or(last_received)), if client_pings && deadline.is_some() => {
                    return Ending::TimedOut;
                }
            }
        }
    }

    /// Acts on one message; `Some` ends the connection.
    async fn handle(&mut self, message: HubMessage) -> Option<Ending> {
        match message {
            HubMessage::Invocation(call) => self.start(call, CallKind::Invocation).await,
            HubMessage::StreamInvocation(call) => self.start(call, CallKind::Stream).await,
            HubMessage::Close(close) => Some(Ending::ClientClosed(close.error)),
            HubMessage::Ping => None,
            HubMessage::Completion(completion) => {
                if !self.pending.complete(completion) {
                    tracing::debug!("completion for an unknown invocation id ignored");
                }
                None
            }
            other => {
                tracing::trace!(message = ?other, "message type not handled yet; ignored");
                None
            }
        }
    }

    /// Starts an invocation once a parallel-invocation permit is free.
    async fn start(&mut self, call: Invocation, kind: CallKind) -> Option<Ending> {
        let permit = tokio::select! {
            biased;
            _ = self.closed.changed() => return Some(Ending::Aborted),
            permit = Arc::clone(&self.permits).acquire_owned() => permit.ok()?,
        };
        let endpoint = Arc::clone(&self.endpoint);
        let cx = self.cx.clone();
        let queue = self.queue.clone();
        let protocol = self.protocol;
        self.tasks.spawn(
            async move {
                let _permit = permit;
                let detailed = endpoint.options.detailed_errors;
                let completion =
                    dispatch::invoke(&endpoint.hub, &endpoint.methods, &cx, call, kind, detailed)
                        .await;
                if let Some(completion) = completion {
                    // The connection may be closing; then nobody is waiting for this result.
                    let _ = queue.send(encode_completion(protocol, completion)).await;
                }
            }
            .in_current_span(),
        );
        None
    }
}

/// Encodes a Completion; a result that cannot be serialized becomes an error for the caller.
fn encode_completion(protocol: Protocol, completion: Completion) -> Bytes {
    let message = HubMessage::Completion(completion);
    match protocol.encode(&message) {
        Ok(frame) => frame,
        Err(error) => {
            tracing::error!(%error, "a hub method's result could not be serialized");
            let HubMessage::Completion(completion) = message else {
                return Bytes::new();
            };
            let text = "The result could not be serialized.".to_owned();
            let failed = Completion::new(completion.invocation_id, Outcome::Error(text));
            encode(protocol, &HubMessage::Completion(failed))
        }
    }
}
