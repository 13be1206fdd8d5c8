//! One server connection's life: connect with a token, the service handshake, then read the
//! service's messages (serving the client connections it opens) while a writer task sends
//! what the hubs queue, until either side ends it.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri, header};
use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::{HubLink, Settings, Slot, lock};
use crate::connection_id::ConnectionId;
use crate::request::Request;
use crate::service::protocol::{
    self, CloseConnection, HandshakeRequest, OpenConnection, PROTOCOL_VERSION, ServiceMessage,
};
use crate::service::relay::{ServiceSink, ServiceSource, transport_of};
use crate::service::user_of;
use crate::transport::Endpoint;

/// How often a server connection pings the service.
const PING_INTERVAL: Duration = Duration::from_secs(5);
/// How long a server connection waits for a word from the service (which pings every few
/// seconds), or for the socket to take a write, before it gives up on the connection.
const SERVICE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting and the service handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest service message accepted.
const MAX_MESSAGE_SIZE: usize = 16 << 20;
/// Messages waiting for a server connection's socket.
const WRITER_CAPACITY: usize = 1024;
/// Chunks from one client waiting for its hub connection to read them.
const CLIENT_CAPACITY: usize = 64;
/// How long the reader waits for a client's hub connection to take a chunk before it gives up
/// on that client (the server connection's other clients wait meanwhile).
const CLIENT_PATIENCE: Duration = Duration::from_secs(1);
/// Frames written together in one WebSocket message when they queue up.
const BATCH_BYTES: usize = 64 << 10;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
type Reader = futures_util::stream::SplitStream<Socket>;
type Writer = futures_util::stream::SplitSink<Socket, Message>;

/// Why a server connection ended badly.
#[derive(Debug)]
pub(super) enum Failure {
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

/// How a server connection ended.
pub(super) struct Ended {
    /// Whether its handshake had succeeded.
    pub(super) established: bool,
    pub(super) error: Option<Failure>,
}

/// One server connection of `link`, held in `slot`.
pub(super) struct Session<'a, E> {
    pub(super) link: &'a Arc<HubLink>,
    pub(super) slot: &'a Slot,
    pub(super) endpoint: &'a Arc<E>,
    pub(super) settings: &'a Settings,
}

impl<E: Endpoint> Session<'_, E> {
    /// Connects, then serves until the service or a shutdown ends the connection.
    pub(super) async fn run(self) -> Ended {
        let connected = tokio::time::timeout(CONNECT_TIMEOUT, self.connect()).await;
        let (write, read, buffer) = match connected {
            Ok(Ok(connected)) => connected,
            Ok(Err(error)) => return failed(error),
            Err(_) => return failed(Failure::Other("connecting to the service timed out".into())),
        };
        let (writer, queued) = mpsc::channel(WRITER_CAPACITY);
        *lock(&self.slot.writer) = Some(writer.clone());
        let (close, closing) = oneshot::channel();
        let writing = tokio::spawn(write_queued(write, queued, closing));
        let shutdown = self.settings.shutdown.clone();
        let outcome = tokio::select! {
            outcome = self.read_messages(&writer, read, buffer) => outcome,
            () = drained(self.slot, &shutdown) => Ok(()),
        };
        lock(&self.slot.writer).take();
        drop(writer);
        let error = match outcome {
            Err(Failure::Protocol(reason)) => {
                // Said to the service in the close frame, then the connection starts again.
                let _ = close.send(reason.clone());
                Some(Failure::Protocol(reason))
            }
            Err(other) => Some(other),
            Ok(()) => {
                let _ = close.send(String::new());
                None
            }
        };
        let mut writing = writing;
        if tokio::time::timeout(Duration::from_secs(1), &mut writing)
            .await
            .is_err()
        {
            writing.abort();
        }
        Ended {
            established: true,
            error,
        }
    }

    /// Opens the WebSocket with a token for the hub's server audience and performs the
    /// service handshake.
    async fn connect(&self) -> Result<(Writer, Reader, BytesMut), Failure> {
        let settings = self.settings;
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
            _ => return Err(Failure::Protocol("Expected a handshake response.".into())),
        }
        tracing::debug!(hub = %self.link.name, "server connection established");
        Ok((write, read, buffer))
    }

    /// Handles what the service sends until it closes the connection.
    async fn read_messages(
        &self,
        writer: &mpsc::Sender<Bytes>,
        mut read: Reader,
        mut buffer: BytesMut,
    ) -> Result<(), Failure> {
        while let Some(message) = next_message(&mut read, &mut buffer).await? {
            match message {
                ServiceMessage::OpenConnection(open) => self.open_client(writer, open),
                ServiceMessage::ConnectionData(data) => {
                    let id = ConnectionId::from(data.connection_id);
                    self.pass_on(writer, id, data.payload).await;
                }
                ServiceMessage::CloseConnection(close) => {
                    lock(&self.slot.clients).remove(&ConnectionId::from(close.connection_id));
                }
                ServiceMessage::Ack(ack) => self.link.acknowledge(ack.ack_id, ack.status),
                ServiceMessage::ServiceError(error) => {
                    tracing::warn!(hub = %self.link.name, error = %error.error_message, "the service reports an error and will close the connection");
                }
                ServiceMessage::Ping(_) | ServiceMessage::HandshakeResponse(_) => {}
                other => {
                    tracing::debug!(hub = %self.link.name, ?other, "unexpected service message");
                }
            }
        }
        Ok(())
    }

    /// Gives a client's bytes to its hub connection; one that does not take them in time is
    /// closed, rather than holding up the other clients.
    async fn pass_on(&self, writer: &mpsc::Sender<Bytes>, id: ConnectionId, payload: Bytes) {
        let client = lock(&self.slot.clients).get(&id).cloned();
        let Some(client) = client else {
            return;
        };
        if let Err(mpsc::error::SendTimeoutError::Timeout(_)) =
            client.send_timeout(payload, CLIENT_PATIENCE).await
        {
            tracing::warn!(hub = %self.link.name, connection = %id, "closing a client whose hub connection does not keep up");
            lock(&self.slot.clients).remove(&id);
            let close = ServiceMessage::CloseConnection(CloseConnection {
                connection_id: id.as_str().to_owned(),
                error_message: Some(
                    "The server did not read the connection's messages in time.".into(),
                ),
                headers: Vec::new(),
            });
            // Never waits on its own writer: a full queue means the socket is stuck, which
            // the writer notices by itself.
            let _ = writer.try_send(close.to_bytes());
        }
    }

    /// Serves a client connection the service opened: an ordinary hub connection whose
    /// transport is this server connection. A second connection under an id in use, or a new
    /// one during a shutdown, is refused.
    fn open_client(&self, writer: &mpsc::Sender<Bytes>, open: OpenConnection) {
        let id = ConnectionId::from(open.connection_id.as_str());
        let (incoming_tx, incoming) = mpsc::channel(CLIENT_CAPACITY);
        let migrated = open
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("Asrs-Migrated-From"));
        let refusal = if self.settings.shutdown.is_stopping() {
            Some("The server is shutting down.")
        } else if migrated {
            // Its handshake happened on another server, whose state this one does not have.
            Some("This server does not take connections migrated from another server.")
        } else if self.link.holds(&id) {
            Some("A connection with this id is open already.")
        } else {
            lock(&self.slot.clients).insert(id.clone(), incoming_tx.clone());
            None
        };
        if let Some(reason) = refusal {
            let close = ServiceMessage::CloseConnection(CloseConnection {
                connection_id: open.connection_id,
                error_message: Some(reason.into()),
                headers: Vec::new(),
            });
            let _ = writer.try_send(close.to_bytes());
            return;
        }
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
        let endpoint = Arc::clone(self.endpoint);
        let link = Arc::clone(self.link);
        // Weak, so that the service's CloseConnection (dropping the entry) ends the connection.
        let own_entry = incoming_tx.downgrade();
        drop(incoming_tx);
        tokio::spawn(async move {
            endpoint
                .serve(id.clone(), Box::new(request), source, sink)
                .await;
            // Only this connection's own entry: the id may have been given out again since.
            let Some(own) = own_entry.upgrade() else {
                return;
            };
            for slot in &link.slots {
                let mut clients = lock(&slot.clients);
                if clients
                    .get(&id)
                    .is_some_and(|sender| sender.same_channel(&own))
                {
                    clients.remove(&id);
                }
            }
        });
    }
}

fn failed(error: Failure) -> Ended {
    Ended {
        established: false,
        error: Some(error),
    }
}

/// Completes once a shutdown has started and the connection's clients have all gone.
async fn drained(slot: &Slot, shutdown: &crate::shutdown::Shutdown) {
    shutdown.stopping().await;
    while !lock(&slot.clients).is_empty() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

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
                    "Service messages travel in binary frames.".into(),
                ));
            }
            Some(_) => {}
        }
    }
}

/// Writes queued messages, several to a WebSocket message when they pile up, and pings; a
/// write the socket does not take within [`SERVICE_TIMEOUT`] ends the connection. Ends with a
/// close frame when `closing` brings a reason (an empty one for a normal close).
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
        let message = tokio::select! {
            // A close first: it ends the connection, whatever is still queued.
            biased;
            reason = &mut closing => return finish(write, reason.ok()).await,
            next = queued.recv() => match next {
                Some(first) => Message::binary(batch(first, &mut queued)),
                // The connection's reader is done; the close reason follows.
                None => return finish(write, (&mut closing).await.ok()).await,
            },
            _ = pings.tick() => Message::binary(ping.clone()),
        };
        match tokio::time::timeout(SERVICE_TIMEOUT, write.send(message)).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
}

/// Sends the close frame of `reason`, if there is one, without waiting on a stuck socket.
async fn finish(mut write: Writer, reason: Option<String>) {
    if let Some(reason) = reason {
        let _ = tokio::time::timeout(SERVICE_TIMEOUT, write.send(close_frame(reason))).await;
    }
}

/// A close frame: normal for an empty reason, else a protocol error (1002) with the reason cut
/// to the 123 bytes a close frame holds.
fn close_frame(mut reason: String) -> Message {
    if reason.is_empty() {
        return Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        }));
    }
    while reason.len() > 123 {
        reason.pop();
    }
    Message::Close(Some(CloseFrame {
        code: CloseCode::Protocol,
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

fn header_map(headers: &[(String, Vec<String>)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, values) in headers {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        // As for this server's own transports (the service may pass its client's on).
        if crate::transport::detach::is_transport_header(&name) {
            continue;
        }
        for value in values {
            if let Ok(value) = HeaderValue::from_str(value) {
                map.append(name.clone(), value);
            }
        }
    }
    map
}
