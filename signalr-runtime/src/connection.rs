//! One connection's life: handshake, reading and dispatching messages, keep-alive, close.
//!
//! Each connection is one task reading from the transport and a writer task draining a bounded
//! queue. Invocations run as child tasks of the reader, at most
//! `maximum_parallel_invocations_per_client` at a time; they are dropped when the connection ends.

mod handshake;
mod hub_endpoint;
mod invocations;
mod stateful;
mod writer;

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use tokio::sync::TryAcquireError;
use tokio::time::Instant;
use tracing::Instrument;

use crate::closing::Closing;
use crate::connection_id::ConnectionId;
use crate::error::{HubError, ProtocolError, with_detail};
use crate::hub::{Clients, ConnectionInfo, Hub, HubCx};
use crate::lifetime::{ConnectionHandle, PendingResults};
use crate::outbound::{Limits, Outbound, outbound};
use crate::protocol::{Close, HubMessage, Protocol};
use crate::request::Request;
use crate::telemetry::{ConnectionMetrics, ConnectionStatus};
use crate::transport::{FrameSink, FrameSource};
pub(crate) use hub_endpoint::HubEndpoint;
use invocations::Invocations;
use stateful::{Resumable, Stateful};
use writer::Writer;

/// How long the writer may take to deliver the Close message before the transport is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Serializes one message; failures are logged and yield an empty frame, which the writer
/// skips.
pub(crate) fn encode(protocol: Protocol, message: &HubMessage) -> Bytes {
    protocol.encode(message).unwrap_or_else(|error| {
        tracing::error!(%error, "a message could not be serialized");
        Bytes::new()
    })
}

/// Serves one connection over an established transport until it ends.
///
/// Not an `async fn`, nor is `run`: an `async fn` keeps its arguments in its state beside the
/// locals they are moved into, and this future lives as long as the connection does.
pub(crate) fn serve<H: Hub>(
    endpoint: Arc<HubEndpoint<H>>,
    id: ConnectionId,
    request: Box<Request>,
    source: impl FrameSource,
    sink: impl FrameSink,
) -> impl Future<Output = ()> + Send {
    // The user's id and the hub, never a token: spans end up in logs.
    let user = request.user.as_ref().map(|user| user.id.as_str());
    let span = tracing::debug_span!(
        "connection",
        id = %id,
        hub = &*endpoint.path,
        transport = sink.kind().name(),
        user,
    );
    run(endpoint, id, request, source, sink).instrument(span)
}

#[expect(
    clippy::manual_async_fn,
    reason = "an async fn keeps its arguments twice in its future"
)]
fn run<H: Hub>(
    endpoint: Arc<HubEndpoint<H>>,
    id: ConnectionId,
    request: Box<Request>,
    mut source: impl FrameSource,
    mut sink: impl FrameSink,
) -> impl Future<Output = ()> + Send {
    async move {
        // Counted from the start until the Close is written: a shutdown waits for connections
        // still in their handshake too, but not for clients slow to answer the close.
        let closing = Closing::default();
        let serving = endpoint.shutdown.serve(&closing);
        let mut metrics = ConnectionMetrics::start(sink.kind());
        let _served = crate::stats::Served::start();
        let options = &endpoint.options;
        let mut buffer = BytesMut::new();
        // The states of `run` that an idle connection is never in are boxed: a future is as large
        // as its largest state, and this one stays alive for the connection's life.
        let handshake = Box::pin(handshake::perform(
            options,
            &mut source,
            &mut sink,
            &mut buffer,
        ));
        let Some(agreed) = handshake.await else {
            sink.close().await;
            return;
        };
        let protocol = agreed.protocol;
        // On when the connection negotiated it (its transport can be replaced) and the client's
        // handshake asked for version 2.
        let stateful = (agreed.version >= 2 && sink.enable_reattach()).then(|| {
            Arc::new(Stateful::new(
                options.stateful_reconnect_buffer_size,
                options.client_timeout_interval,
                options.disconnect_timeout,
            ))
        });
        tracing::debug!(protocol = protocol.name(), "connected");

        // Long Polling needs no Pings: every poll shows the server is alive.
        let keep_alive = if sink.kind().sends_pings() {
            options.keep_alive_interval
        } else {
            Duration::MAX
        };
        let (queue, queue_rx) = outbound(Limits::new(options));
        // The application's own naming wins where it names someone; else the authenticated user.
        let named = options
            .user_id
            .as_ref()
            .and_then(|provider| provider(&request.headers, &request.uri));
        let user_id = named.or_else(|| request.user.as_ref().map(|user| user.id.clone()));
        let info = Arc::new(ConnectionInfo {
            id: id.clone(),
            request,
            items: Default::default(),
            transport: sink.kind(),
            user_id,
            closing: closing.clone(),
        });
        let clients = Clients::new(Arc::clone(&endpoint.manager), id.clone());
        let cx = HubCx::new(info, clients);
        let pending = Arc::new(PendingResults::default());
        let handle = ConnectionHandle {
            id: id.clone(),
            protocol,
            outbound: queue.clone(),
            pending: Arc::clone(&pending),
            user: cx.user_identifier().map(str::to_owned),
        };
        endpoint.manager.on_connected(handle).await;
        let mut writer = tokio::spawn(
            Writer {
                sink,
                handshake_answer: handshake::accepted(),
                queue: queue_rx,
                closing: closing.clone(),
                protocol,
                keep_alive,
                send_timeout: options.send_timeout,
                stateful: stateful.clone(),
            }
            .run()
            .in_current_span(),
        );

        let connected = Box::pin(
            AssertUnwindSafe(
                endpoint
                    .methods
                    .connected(&endpoint.hub, &cx.without_client_results()),
            )
            .catch_unwind(),
        )
        .await;
        let ending = match connected {
            Ok(Ok(())) => {
                let reader = Reader {
                    protocol,
                    max_size: options.maximum_receive_message_size,
                    client_timeout: options.client_timeout_interval,
                    buffer,
                    scanned: 0,
                    closing: closing.clone(),
                    stateful: stateful.map(|shared| Box::new(Resumable::new(shared))),
                    pending: Arc::clone(&pending),
                    invocations: Invocations::new(
                        Arc::clone(&endpoint),
                        cx.clone(),
                        protocol,
                        queue,
                    ),
                };
                reader.run(&mut source).await
            }
            Ok(Err(error)) => Ending::Rejected(error),
            Err(_panic) => {
                tracing::error!("on_connected panicked");
                Ending::Rejected(HubError::panicked())
            }
        };

        metrics.set_status(if matches!(ending, Ending::TimedOut) {
            ConnectionStatus::Timeout
        } else if endpoint.shutdown.is_stopping() {
            ConnectionStatus::AppShutdown
        } else {
            ConnectionStatus::NormalClosure
        });
        let rejected = matches!(ending, Ending::Rejected(_));
        let transport_open = !matches!(ending, Ending::TransportEnded);
        let (close, error) = ending.into_close(options.detailed_errors);
        tracing::debug!(reason = ?close, "disconnecting");
        // The close is requested before the lifetime manager lets go of the queue, so the writer
        // always sends this Close and not a plain one.
        closing.request(close);
        endpoint.manager.on_disconnected(&id).await;
        pending.fail_all();
        if Box::pin(tokio::time::timeout(CLOSE_TIMEOUT, &mut writer))
            .await
            .is_err()
        {
            writer.abort();
        }
        drop(serving);
        // Read until the client's close frame, so that closing does not reset the connection under
        // data still in flight; meanwhile the hub hears that the connection is gone.
        let drained = async {
            if transport_open {
                let drain = async { while let Ok(Some(_)) = source.next_chunk().await {} };
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, drain).await;
            }
        };
        let disconnected = async {
            // ASP.NET Core does not run OnDisconnected for a connection its OnConnected refused.
            if !rejected {
                let hook = endpoint
                    .methods
                    .disconnected(&endpoint.hub, &cx, error.as_deref());
                if AssertUnwindSafe(hook).catch_unwind().await.is_err() {
                    tracing::error!("on_disconnected panicked");
                }
            }
        };
        Box::pin(async { tokio::join!(drained, disconnected) }).await;
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

/// Where handling the messages at hand stopped (see [`Reader::handle_available`]).
enum Handled {
    /// Every complete message was handled: read on.
    Drained,
    /// The connection ends.
    Ended(Ending),
    /// This message has to wait (see [`Reader::wait`]); boxed, as it is rare and this is kept
    /// in the reader's state while it waits.
    Waiting(Box<HubMessage>),
    /// The client's answers do not fit its queue: these frames wait for room.
    Overflow(Outbound, Vec<Bytes>),
}

/// The reading half of a connection.
struct Reader<H> {
    protocol: Protocol,
    max_size: usize,
    client_timeout: Duration,
    buffer: BytesMut,
    /// How much of `buffer` is known to hold no complete message.
    scanned: usize,
    closing: Closing,
    /// Stateful reconnect's count of what the client sent, when it is on (boxed: rare).
    stateful: Option<Box<Resumable>>,
    pending: Arc<PendingResults>,
    invocations: Invocations<H>,
}

impl<H: Hub> Reader<H> {
    /// Not an `async fn`, so that `self` is not kept twice in the future (see [`serve`]).
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn keeps its arguments twice in its future"
    )]
    fn run(mut self, source: &mut impl FrameSource) -> impl Future<Output = Ending> {
        async move {
            let ending = self.read(source).await;
            self.invocations.finish();
            ending
        }
    }

    async fn read(&mut self, source: &mut impl FrameSource) -> Ending {
        let mut last_received = Instant::now();
        // ASP.NET Core only times out clients that have shown they ping.
        let mut client_pings = false;
        // One timer and one close-request wait for the reader's life, as in the writer: a fresh
        // timer per message cost a timer-wheel insert and removal, a fresh wait a registration.
        // The timer is moved only when it fires before the client's real deadline.
        let timeout = tokio::time::sleep(self.client_timeout);
        tokio::pin!(timeout);
        let closing = self.closing.clone();
        let close_requested = closing.wait();
        tokio::pin!(close_requested);
        loop {
            if self.closing.is_requested() {
                return Ending::Aborted;
            }
            loop {
                // What is matched here stays in the reader's state while its arms wait: it is
                // small (see `Handled`).
                match std::future::poll_fn(|cx| {
                    Poll::Ready(self.handle_available(cx, &mut client_pings))
                })
                .await
                {
                    Handled::Drained => break,
                    Handled::Ended(ending) => return ending,
                    Handled::Waiting(message) => {
                        if let Some(ending) = Box::pin(self.wait(*message)).await {
                            return ending;
                        }
                    }
                    Handled::Overflow(queue, frames) => {
                        // The client's answers do not fit its queue: it reads slower than it
                        // calls. Nothing more is read from it until they do (boxed: rare).
                        let mut room = Box::pin(async move {
                            for frame in frames {
                                queue.push(frame).await?;
                            }
                            Ok::<(), crate::outbound::Closed>(())
                        });
                        loop {
                            let reading = self
                                .stateful
                                .as_ref()
                                .is_some_and(|stateful| stateful.can_set_aside());
                            tokio::select! {
                                biased;
                                _ = &mut close_requested => return Ending::Aborted,
                                pushed = &mut room => match pushed {
                                    Ok(()) => break,
                                    Err(_) => return Ending::Aborted,
                                },
                                // With stateful reconnect the room may wait for the client's
                                // Ack (the writer's replay buffer is full): read on for it.
                                chunk = source.next_chunk(), if reading => match chunk {
                                    Ok(Some(bytes)) => {
                                        if let Err(error) = self.set_aside(source, &bytes) {
                                            return Ending::Protocol(error);
                                        }
                                    }
                                    Ok(None) => return Ending::TransportEnded,
                                    Err(error) => return Ending::Protocol(error),
                                },
                            }
                        }
                    }
                }
            }
            self.invocations.reap();
            tokio::select! {
                biased;
                _ = &mut close_requested => return Ending::Aborted,
                chunk = source.next_chunk() => match chunk {
                    Ok(Some(bytes)) => {
                        if source.take_replaced() {
                            // The old transport's unfinished message comes again, whole.
                            self.buffer.clear();
                            self.scanned = 0;
                        }
                        self.buffer.extend_from_slice(&bytes);
                        last_received = Instant::now();
                    }
                    Ok(None) if self.buffer.is_empty() => return Ending::TransportEnded,
                    Ok(None) => return Ending::Protocol(ProtocolError::Truncated),
                    Err(error) => return Ending::Protocol(error),
                },
                () = &mut timeout, if client_pings => {
                    match last_received.checked_add(self.client_timeout) {
                        Some(due) if Instant::now() < due => timeout.as_mut().reset(due),
                        Some(_) => return Ending::TimedOut,
                        // A timeout too long to represent never comes.
                        None => client_pings = false,
                    }
                }
            }
        }
    }

    /// The next message to handle: one set aside for stateful reconnect, else the next complete
    /// one in what was read.
    fn next_message(&mut self) -> Result<Option<HubMessage>, ProtocolError> {
        if let Some(message) = self.stateful.as_mut().and_then(|s| s.next_set_aside()) {
            return Ok(Some(message));
        }
        self.protocol
            .parse_scanned(&mut self.buffer, self.max_size, &mut self.scanned)
    }

    /// Adds `bytes` to what was read and sets aside every complete message in it (see
    /// [`Resumable::set_aside`]).
    fn set_aside(
        &mut self,
        source: &mut impl FrameSource,
        bytes: &[u8],
    ) -> Result<(), ProtocolError> {
        if source.take_replaced() {
            self.buffer.clear();
            self.scanned = 0;
        }
        self.buffer.extend_from_slice(bytes);
        let Some(stateful) = self.stateful.as_mut() else {
            return Ok(());
        };
        while stateful.can_set_aside() {
            let before = self.buffer.len();
            let parsed =
                self.protocol
                    .parse_scanned(&mut self.buffer, self.max_size, &mut self.scanned)?;
            let Some(message) = parsed else {
                break;
            };
            stateful.set_aside(message, before.saturating_sub(self.buffer.len()));
        }
        Ok(())
    }

    /// Handles every complete message at hand within this one poll of the connection's task
    /// (`cx`), so that an invocation that ends in its first poll needs neither a task nor a
    /// future in the reader's state. Stops at the first message that has to wait, at the end of
    /// the connection, or when the client's answers overflow its queue.
    fn handle_available(&mut self, cx: &mut Context<'_>, client_pings: &mut bool) -> Handled {
        loop {
            // Checked before each message, so also after one that waited (see `wait`).
            if let Some((queue, frames)) = self.invocations.overflow() {
                return Handled::Overflow(queue, frames);
            }
            let message = match self.next_message() {
                Ok(Some(message)) => message,
                Ok(None) => return Handled::Drained,
                Err(error) => return Handled::Ended(Ending::Protocol(error)),
            };
            *client_pings |= matches!(message, HubMessage::Ping);
            if let Some(stop) = self.handle(message, cx) {
                return stop;
            }
        }
    }

    /// Acts on one message at once; `Some` when the reader has to stop for it.
    fn handle(&mut self, message: HubMessage, cx: &mut Context<'_>) -> Option<Handled> {
        if let Some(stateful) = &mut self.stateful {
            match stateful.admit(&message) {
                Ok(true) => {}
                Ok(false) => return None,
                Err(error) => return Some(Handled::Ended(Ending::Protocol(error))),
            }
        }
        match message {
            HubMessage::Invocation(call) => {
                let permit = if Invocations::<H>::needs_permit(&call) {
                    match self.invocations.permits().try_acquire_owned() {
                        Ok(permit) => Some(permit),
                        Err(TryAcquireError::Closed) => return None,
                        // The next message waits for a free permit, as in ASP.NET Core.
                        Err(TryAcquireError::NoPermits) => {
                            return Some(Handled::Waiting(Box::new(HubMessage::Invocation(call))));
                        }
                    }
                } else {
                    None
                };
                self.invocations.invoke(call, permit, cx);
            }
            HubMessage::StreamInvocation(call) => self.invocations.stream(call),
            HubMessage::StreamItem(item) => {
                // Nothing more reaches a method once the connection is closing.
                if self.closing.is_requested() {
                    return Some(Handled::Ended(Ending::Aborted));
                }
                if let Some(item) = self.invocations.try_upload_item(item) {
                    return Some(Handled::Waiting(Box::new(HubMessage::StreamItem(item))));
                }
            }
            // A client result (an upload's end may wait for its stream: see `wait`).
            HubMessage::Completion(completion)
                if !self.invocations.is_upload(&completion.invocation_id) =>
            {
                if !self.pending.complete(completion) {
                    tracing::debug!("completion for an unknown invocation id ignored");
                }
            }
            HubMessage::Completion(_) => return Some(Handled::Waiting(Box::new(message))),
            HubMessage::CancelInvocation(cancel) => self.invocations.cancel(&cancel.invocation_id),
            HubMessage::Close(close) => {
                return Some(Handled::Ended(Ending::ClientClosed(close.error)));
            }
            HubMessage::Ping => {}
            other => tracing::trace!(message = ?other, "message type not handled yet; ignored"),
        }
        None
    }

    /// Handles a message that has to wait: an invocation for a free permit, an upload item for
    /// room in its stream, a completion for its upload to end. Rare, so the caller boxes it (see
    /// `read`); `Some` ends the connection.
    async fn wait(&mut self, message: HubMessage) -> Option<Ending> {
        match message {
            HubMessage::Invocation(call) => {
                let permits = self.invocations.permits();
                let permit = tokio::select! {
                    biased;
                    _ = self.closing.wait() => return Some(Ending::Aborted),
                    permit = permits.acquire_owned() => permit.ok()?,
                };
                let mut start = Some((call, permit));
                std::future::poll_fn(|cx| {
                    if let Some((call, permit)) = start.take() {
                        self.invocations.invoke(call, Some(permit), cx);
                    }
                    Poll::Ready(())
                })
                .await;
            }
            HubMessage::StreamItem(item) => {
                tokio::select! {
                    biased;
                    _ = self.closing.wait() => return Some(Ending::Aborted),
                    () = self.invocations.upload_item(item) => {}
                }
            }
            HubMessage::Completion(completion) => {
                // A stream id first (the client ends an upload), then a client result.
                let completion = self.invocations.complete_upload(completion).await;
                if completion.is_some_and(|completion| !self.pending.complete(completion)) {
                    tracing::debug!("completion for an unknown invocation id ignored");
                }
            }
            _ => {}
        }
        None
    }
}
