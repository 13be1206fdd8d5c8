//! A hub's server connections to the service: connect, handshake, keep alive, reconnect, and
//! serve the client connections the service opens on them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri, header};
use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::protocol::{
    self, AckStatus, CloseConnection, HandshakeRequest, OpenConnection, PROTOCOL_VERSION,
    ServiceMessage,
};
use super::relay::{ServiceSink, ServiceSource, transport_of};
use super::{AccessKey, user_of};
use crate::connection_id::ConnectionId;
use crate::error::{HubError, HubResult};
use crate::request::Request;
use crate::transport::Endpoint;

/// How often a server connection pings the service.
const PING_INTERVAL: Duration = Duration::from_secs(5);
/// How long a server connection waits for a word from the service before it gives up on it.
const SERVICE_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest service message accepted.
const MAX_MESSAGE_SIZE: usize = 16 << 20;
/// Messages waiting for a server connection's socket.
const WRITER_CAPACITY: usize = 1024;
/// Chunks from one client waiting for its hub connection to read them.
const CLIENT_CAPACITY: usize = 64;
/// How long the reader of a server connection waits for a client's hub connection to take a
/// chunk before it gives up on that client.
const CLIENT_PATIENCE: Duration = Duration::from_secs(1);
/// Frames written together in one WebSocket message when they queue up.
const BATCH_BYTES: usize = 64 << 10;

/// The server connections of one mounted hub.
pub(super) struct HubLink {
    name: String,
    slots: Vec<Slot>,
    next_slot: AtomicUsize,
    next_ack: AtomicI32,
    acks: Mutex<HashMap<i32, oneshot::Sender<AckStatus>>>,
}

/// One server connection, connected or waiting to reconnect.
#[derive(Default)]
struct Slot {
    writer: Mutex<Option<mpsc::Sender<Bytes>>>,
    /// The client connections the service opened on it, and where their bytes go.
    clients: Mutex<HashMap<ConnectionId, mpsc::Sender<Bytes>>>,
}

impl std::fmt::Debug for HubLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubLink")
            .field("hub", &self.name)
            .field("connections", &self.slots.len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl HubLink {
    pub(super) fn new(name: String, count: usize) -> Arc<Self> {
        Arc::new(HubLink {
            name,
            slots: (0..count).map(|_| Slot::default()).collect(),
            next_slot: AtomicUsize::new(0),
            next_ack: AtomicI32::new(1),
            acks: Mutex::new(HashMap::new()),
        })
    }

    /// Whether client connection `id` came through this link.
    pub(super) fn holds(&self, id: &ConnectionId) -> bool {
        self.slots
            .iter()
            .any(|slot| lock(&slot.clients).contains_key(id))
    }

    /// The writer of `origin`'s server connection, or else of the next connected one.
    fn writer_for(&self, origin: Option<&ConnectionId>) -> Option<mpsc::Sender<Bytes>> {
        if let Some(origin) = origin {
            let owner = self
                .slots
                .iter()
                .find(|slot| lock(&slot.clients).contains_key(origin));
            if let Some(writer) = owner.and_then(|slot| lock(&slot.writer).clone()) {
                return Some(writer);
            }
        }
        let start = self.next_slot.fetch_add(1, Ordering::Relaxed);
        (0..self.slots.len()).find_map(|offset| {
            let index = start.wrapping_add(offset) % self.slots.len().max(1);
            self.slots
                .get(index)
                .and_then(|slot| lock(&slot.writer).clone())
        })
    }

    /// Sends one framed service message.
    ///
    /// # Errors
    ///
    /// When no server connection of the hub is up.
    pub(super) async fn post(&self, origin: Option<&ConnectionId>, frame: Bytes) -> HubResult<()> {
        let writer = self.writer_for(origin).ok_or_else(|| self.unavailable())?;
        writer.send(frame).await.map_err(|_| self.unavailable())
    }

    fn unavailable(&self) -> HubError {
        HubError::new(format!(
            "Hub '{}' has no connection to the service.",
            self.name
        ))
    }

    /// Sends the message `build` makes with a fresh ack id and waits for the service's `Ack`.
    pub(super) async fn request(
        &self,
        origin: Option<&ConnectionId>,
        timeout: Duration,
        build: impl FnOnce(i32) -> ServiceMessage,
    ) -> HubResult<AckStatus> {
        let ack_id = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (answer, answered) = oneshot::channel();
        lock(&self.acks).insert(ack_id, answer);
        let sent = self.post(origin, build(ack_id).to_bytes()).await;
        let outcome = match sent {
            Ok(()) => tokio::time::timeout(timeout, answered).await,
            Err(error) => {
                lock(&self.acks).remove(&ack_id);
                return Err(error);
            }
        };
        lock(&self.acks).remove(&ack_id);
        match outcome {
            Ok(Ok(status)) => Ok(status),
            _ => Err(HubError::new(format!(
                "The service did not acknowledge within {timeout:?}."
            ))),
        }
    }
}

/// Where a hub's server connections go, and how they prove who they are.
pub(super) struct Settings {
    pub(super) url: String,
    pub(super) audience: String,
    pub(super) key: AccessKey,
    pub(super) reconnect_delay: Duration,
}

/// Starts every server connection of `link`, serving clients with `endpoint`.
pub(super) fn start<E: Endpoint>(
    runtime: &tokio::runtime::Handle,
    link: &Arc<HubLink>,
    endpoint: &Arc<E>,
    settings: Settings,
) {
    let settings = Arc::new(settings);
    for index in 0..link.slots.len() {
        runtime.spawn(keep_connected(
            Arc::clone(link),
            index,
            Arc::clone(endpoint),
            Arc::clone(&settings),
        ));
    }
}

/// Keeps server connection `index` up: after every drop, its clients are let go and it
/// connects again.
async fn keep_connected<E: Endpoint>(
    link: Arc<HubLink>,
    index: usize,
    endpoint: Arc<E>,
    settings: Arc<Settings>,
) {
    loop {
        match serve(&link, index, &endpoint, &settings).await {
            Ok(()) => tracing::info!(hub = %link.name, "the service closed a server connection"),
            Err(error) => tracing::warn!(hub = %link.name, %error, "server connection failed"),
        }
        if let Some(slot) = link.slots.get(index) {
            lock(&slot.writer).take();
            // Dropping their senders ends the clients' connections here; the service has
            // closed them on its side.
            lock(&slot.clients).clear();
        }
        tokio::time::sleep(settings.reconnect_delay).await;
    }
}

/// Why a server connection ended.
#[derive(Debug)]
enum Failure {
    /// The service broke the protocol: the connection is closed with this reason.
    Protocol(String),
    /// Connecting, or the socket, failed.
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Protocol(text) | Failure::Other(text) => f.write_str(text),
        }
    }
}

impl<E: std::error::Error> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure::Other(error.to_string())
    }
}

/// One server connection, from connect to drop.
async fn serve<E: Endpoint>(
    link: &Arc<HubLink>,
    index: usize,
    endpoint: &Arc<E>,
    settings: &Settings,
) -> Result<(), Failure> {
    let slot = link
        .slots
        .get(index)
        .ok_or_else(|| Failure::Other("no such server connection".into()))?;
    let token = settings
        .key
        .sign(&settings.audience, &[], Duration::from_secs(3600));
    let url = settings.url.replacen("http", "ws", 1);
    let mut request = url.as_str().into_client_request()?;
    request.headers_mut().insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
    let (mut write, mut read) = socket.split();
    let handshake = ServiceMessage::HandshakeRequest(HandshakeRequest {
        version: PROTOCOL_VERSION,
        connection_type: 0,
        target: None,
        migration_level: 0,
        allow_stateful_reconnects: false,
    });
    write.send(Message::binary(handshake.to_bytes())).await?;
    let mut buffer = BytesMut::new();
    match next_message(&mut read, &mut buffer).await? {
        Some(ServiceMessage::HandshakeResponse(response)) => {
            if let Some(error) = response.error_message.filter(|error| !error.is_empty()) {
                return Err(Failure::Other(format!(
                    "the service refused the handshake: {error}"
                )));
            }
        }
        _ => {
            return Err(Failure::Protocol(
                "Expected a handshake response.".to_owned(),
            ));
        }
    }
    tracing::debug!(hub = %link.name, index, "server connection established");
    let (writer, queued) = mpsc::channel(WRITER_CAPACITY);
    *lock(&slot.writer) = Some(writer.clone());
    let (close, closing) = oneshot::channel();
    let writing = tokio::spawn(write_queued(write, queued, closing));
    let read_outcome = read_messages(link, slot, endpoint, &writer, read, buffer).await;
    lock(&slot.writer).take();
    if let Err(Failure::Protocol(error)) = &read_outcome {
        // Said to the service in the close frame, then the connection starts again.
        let _ = close.send(error.clone());
        drop(writer);
        let _ = tokio::time::timeout(Duration::from_secs(1), writing).await;
    } else {
        writing.abort();
    }
    read_outcome
}

type Reader = futures_util::stream::SplitStream<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
>;
type Writer = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Message,
>;

/// The next service message, reading WebSocket messages as needed; `None` once the service
/// has closed the connection.
async fn next_message(
    read: &mut Reader,
    buffer: &mut BytesMut,
) -> Result<Option<ServiceMessage>, Failure> {
    loop {
        let parsed = protocol::parse(buffer, MAX_MESSAGE_SIZE)
            .map_err(|error| Failure::Protocol(error.to_string()))?;
        if let Some(message) = parsed {
            return Ok(Some(message));
        }
        let Ok(next) = tokio::time::timeout(SERVICE_TIMEOUT, read.next()).await else {
            return Err(Failure::Other(format!(
                "nothing from the service for {SERVICE_TIMEOUT:?}"
            )));
        };
        match next.transpose()? {
            None | Some(Message::Close(_)) => return Ok(None),
            Some(Message::Binary(data)) => buffer.extend_from_slice(&data),
            Some(Message::Text(_)) => {
                return Err(Failure::Protocol(
                    "Service messages travel in binary frames.".to_owned(),
                ));
            }
            Some(_) => {}
        }
    }
}

/// Writes queued messages, several to a WebSocket message when they pile up, and pings;
/// closes with the reason `closing` brings when the service broke the protocol.
async fn write_queued(
    mut write: Writer,
    mut queued: mpsc::Receiver<Bytes>,
    mut closing: oneshot::Receiver<String>,
) {
    let ping = ServiceMessage::Ping(protocol::Ping {
        messages: Vec::new(),
    })
    .to_bytes();
    let mut pings = tokio::time::interval(PING_INTERVAL);
    loop {
        let batch = tokio::select! {
            // A close reason first: it ends the connection, whatever is still queued.
            biased;
            reason = &mut closing => {
                if let Ok(reason) = reason {
                    let _ = write.send(protocol_error(reason)).await;
                }
                break;
            }
            next = queued.recv() => match next {
                Some(first) => batch(first, &mut queued),
                None => break,
            },
            _ = pings.tick() => ping.clone(),
        };
        if write.send(Message::binary(batch)).await.is_err() {
            break;
        }
    }
    let _ = write.close().await;
}

/// A close frame for a peer that broke the protocol (1002), its reason cut to the 123 bytes a
/// close frame holds.
fn protocol_error(mut reason: String) -> Message {
    while reason.len() > 123 {
        reason.pop();
    }
    Message::Close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Protocol,
        reason: reason.into(),
    }))
}

/// `first` and whatever else is queued already, up to [`BATCH_BYTES`].
fn batch(first: Bytes, queued: &mut mpsc::Receiver<Bytes>) -> Bytes {
    let mut joined: Option<BytesMut> = None;
    let mut len = first.len();
    while len < BATCH_BYTES {
        let Ok(next) = queued.try_recv() else { break };
        len = len.saturating_add(next.len());
        joined
            .get_or_insert_with(|| BytesMut::from(&first[..]))
            .extend_from_slice(&next);
    }
    joined.map_or(first, BytesMut::freeze)
}

/// Handles what the service sends until it closes the connection.
async fn read_messages<E: Endpoint>(
    link: &Arc<HubLink>,
    slot: &Slot,
    endpoint: &Arc<E>,
    writer: &mpsc::Sender<Bytes>,
    mut read: Reader,
    mut buffer: BytesMut,
) -> Result<(), Failure> {
    while let Some(message) = next_message(&mut read, &mut buffer).await? {
        match message {
            ServiceMessage::OpenConnection(open) => open_client(link, slot, endpoint, writer, open),
            ServiceMessage::ConnectionData(data) => {
                let id = ConnectionId::from(data.connection_id);
                let client = lock(&slot.clients).get(&id).cloned();
                // Waits while the hub connection is behind (the service then waits too), but not
                // for long: the other clients of this server connection wait as well.
                let late = match client {
                    Some(client) => client.send_timeout(data.payload, CLIENT_PATIENCE).await,
                    None => Ok(()),
                };
                if let Err(mpsc::error::SendTimeoutError::Timeout(_)) = late {
                    tracing::warn!(hub = %link.name, connection = %id, "closing a client whose hub connection does not keep up");
                    lock(&slot.clients).remove(&id);
                    let close = ServiceMessage::CloseConnection(CloseConnection {
                        connection_id: id.as_str().to_owned(),
                        error_message: Some(
                            "The server did not read the connection's messages in time.".into(),
                        ),
                        headers: Vec::new(),
                    });
                    let _ = writer.send(close.to_bytes()).await;
                }
            }
            ServiceMessage::CloseConnection(close) => {
                lock(&slot.clients).remove(&ConnectionId::from(close.connection_id));
            }
            ServiceMessage::Ack(ack) => {
                if let Some(waiter) = lock(&link.acks).remove(&ack.ack_id) {
                    let _ = waiter.send(ack.status);
                }
            }
            ServiceMessage::Ping(_) | ServiceMessage::HandshakeResponse(_) => {}
            other => tracing::debug!(hub = %link.name, ?other, "unexpected service message"),
        }
    }
    Ok(())
}

/// Serves a client connection the service opened: an ordinary hub connection whose transport
/// is this server connection.
fn open_client<E: Endpoint>(
    link: &Arc<HubLink>,
    slot: &Slot,
    endpoint: &Arc<E>,
    writer: &mpsc::Sender<Bytes>,
    open: OpenConnection,
) {
    let id = ConnectionId::from(open.connection_id.as_str());
    let (incoming_tx, incoming) = mpsc::channel(CLIENT_CAPACITY);
    lock(&slot.clients).insert(id.clone(), incoming_tx);
    let request = Request {
        uri: open
            .query
            .as_deref()
            .and_then(|query| format!("/?{query}").parse::<Uri>().ok())
            .unwrap_or_default(),
        headers: header_map(&open.headers),
        extensions: axum::http::Extensions::new(),
        user: user_of(&open.claims).map(Box::new),
    };
    let sink = ServiceSink {
        transport: transport_of(&open.headers),
        connection_id: open.connection_id,
        writer: writer.clone(),
    };
    let source = ServiceSource { incoming };
    let endpoint = Arc::clone(endpoint);
    let link = Arc::clone(link);
    tokio::spawn(async move {
        endpoint.serve(id.clone(), request, source, sink).await;
        for slot in &link.slots {
            lock(&slot.clients).remove(&id);
        }
    });
}

fn header_map(headers: &[(String, Vec<String>)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, values) in headers {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        for value in values {
            if let Ok(value) = HeaderValue::from_str(value) {
                map.append(name.clone(), value);
            }
        }
    }
    map
}
