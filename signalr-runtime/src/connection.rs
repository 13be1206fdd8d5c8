//! One connection's life: handshake, reading and dispatching messages, keep-alive, close.
//!
//! Each connection is one task reading from the transport and a writer task draining a bounded
//! queue. Invocations run as child tasks of the reader, at most
//! `maximum_parallel_invocations_per_client` at a time; they are dropped when the connection ends.

mod handshake;
mod hub_endpoint;
mod invocations;
mod reader;
mod stateful;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use tracing::Instrument;

use crate::closing::Closing;
use crate::connection_id::ConnectionId;
use crate::error::{HubError, ProtocolError, with_detail};
use crate::hub::{Clients, ConnectionInfo, Hub, HubCx};
use crate::lifetime::{ConnectionHandle, PendingResults};
use crate::outbound::{Limits, outbound};
use crate::protocol::{Close, HubMessage, Protocol};
use crate::request::Request;
use crate::telemetry::{ConnectionMetrics, ConnectionStatus};
use crate::transport::{FrameSink, FrameSource};
pub(crate) use hub_endpoint::HubEndpoint;
use invocations::Invocations;
use reader::Reader;
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
