//! Clients: admitted with a token from their application server's negotiate, then relayed to
//! one server connection of their hub.

use std::sync::Arc;

use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use signalr_runtime::auth::{Authenticate, Authenticated, Credentials, User};
use signalr_runtime::protocol::{Close, HubMessage, Protocol, parse_handshake_request};
use signalr_runtime::raw::{ConnectionHandler, RawConnection};
use signalr_runtime::service::protocol::{
    CloseConnection, ConnectionData, OpenConnection, ServiceMessage,
};
use signalr_runtime::service::{TRANSPORT_HEADER, USER_ID_CLAIM};
use tokio::sync::{Notify, mpsc};

use crate::registry::{CLIENT_BACKLOG, Registry, ToClient};

/// The most bytes gathered into one transport message for a client.
const BATCH_BYTES: usize = 64 << 10;

/// The most a client may send before its handshake ends: more is not a handshake.
const HANDSHAKE_LIMIT: usize = 64 << 10;

/// What a client hears when its server connection goes away: it may connect again.
const SERVER_LOST: &str = "The application server's connection to the service was lost.";

/// The value of query parameter `name`.
pub(crate) fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| value.to_owned())
    })
}

/// Admits requests whose token the hub's application server signed, while the hub has a
/// server connection to serve them.
pub(crate) struct Admission {
    registry: Arc<Registry>,
}

impl Admission {
    pub(crate) fn new(registry: Arc<Registry>) -> Self {
        Admission { registry }
    }

    fn admit(&self, credentials: &Credentials<'_>) -> Result<User, (StatusCode, String)> {
        let refuse = |status: StatusCode, text: String| Err((status, text));
        let Some(hub) = query_param(credentials.uri(), "hub").map(|hub| hub.to_ascii_lowercase())
        else {
            return refuse(StatusCode::NOT_FOUND, "No hub named in the URL.".into());
        };
        let Some(token) = credentials.bearer_token() else {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "An access token is required.".into(),
            );
        };
        let audience = format!("/client/?hub={hub}");
        let claims = match self
            .registry
            .key
            .verify_audience(token, |found| found.ends_with(&audience))
        {
            Ok(claims) => claims,
            Err(error) => return refuse(StatusCode::UNAUTHORIZED, error.to_string()),
        };
        if !self.registry.has_server(&hub) {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("No application server is connected for hub '{hub}'."),
            );
        }
        // Every token names a user for the runtime's sake; the claims say whether it is one.
        let id = claims
            .iter()
            .find(|(kind, _)| kind == USER_ID_CLAIM)
            .map_or_else(String::new, |(_, id)| id.clone());
        let mut user = User::new(id);
        user.claims = claims;
        Ok(user)
    }
}

impl Authenticate for Admission {
    async fn authenticate(&self, credentials: &Credentials<'_>) -> Authenticated {
        self.admit(credentials)
            .map(Some)
            .map_err(IntoResponse::into_response)
    }
}

/// Relays each client to a server connection of its hub and back.
pub(crate) struct Relay {
    registry: Arc<Registry>,
}

impl Relay {
    pub(crate) fn new(registry: Arc<Registry>) -> Self {
        Relay { registry }
    }
}

impl ConnectionHandler for Relay {
    async fn on_connected(&self, mut connection: RawConnection) {
        let registry = &self.registry;
        let Some(hub) = query_param(connection.uri(), "hub").map(|hub| hub.to_ascii_lowercase())
        else {
            return;
        };
        let claims = connection
            .user()
            .map(|user| user.claims.clone())
            .unwrap_or_default();
        let user = claims
            .iter()
            .find(|(kind, _)| kind == USER_ID_CLAIM)
            .map(|(_, id)| id.clone());
        let id = connection.id().as_str().to_owned();
        let (outbox, mut inbox) = mpsc::channel(CLIENT_BACKLOG);
        let abort = Arc::new(Notify::new());
        let Some(placement) = registry.open_client(&hub, &id, user, outbox, Arc::clone(&abort))
        else {
            return;
        };
        let open = ServiceMessage::OpenConnection(OpenConnection {
            connection_id: id.clone(),
            claims,
            headers: vec![(
                TRANSPORT_HEADER.to_owned(),
                vec![connection.transport().name().to_owned()],
            )],
            query: Some(forwarded_query(connection.uri())),
        });
        let server = placement.server;
        if server.send(open.to_bytes()).await.is_err() {
            registry.close_client(&id);
            return;
        }
        let mut handshake = Some(Vec::new());
        let mut protocol = None;
        let mut receiving_fan_out = false;
        // A message taken off the inbox while gathering frames, to handle next.
        let mut pending = None;
        let ended_by_server = loop {
            tokio::select! {
                chunk = connection.recv() => {
                    let Some(chunk) = chunk else { break false };
                    if let Some(found) = learn_protocol(&mut handshake, &chunk) {
                        protocol = Some(found);
                    }
                    let data = ServiceMessage::ConnectionData(ConnectionData {
                        connection_id: id.clone(),
                        payload: chunk,
                    });
                    if server.send(data.to_bytes()).await.is_err() {
                        break true;
                    }
                }
                message = next_for_client(&mut inbox, &mut pending) => match message {
                    Some(ToClient::Data(frame)) => {
                        let frame = with_queued(frame, &mut inbox, &mut pending);
                        if send(&connection, protocol, frame).await.is_err() {
                            break false;
                        }
                        // The server's first bytes answer the handshake: only then may the
                        // client receive what the server sends to many.
                        if let Some(found) = protocol.filter(|_| !receiving_fan_out) {
                            registry.set_protocol(&id, found);
                            receiving_fan_out = true;
                        }
                    }
                    Some(ToClient::Lost) => {
                        let close = HubMessage::Close(Close {
                            error: Some(SERVER_LOST.to_owned()),
                            allow_reconnect: true,
                        });
                        if let Ok(frame) = protocol.unwrap_or(Protocol::Json).encode(&close) {
                            let _ = send(&connection, protocol, frame).await;
                        }
                        break true;
                    }
                    Some(ToClient::End) | None => break true,
                },
                () = abort.notified() => {
                    tracing::warn!(connection = %id, "dropping a client that does not keep up");
                    break false;
                }
            }
        };
        registry.close_client(&id);
        if !ended_by_server {
            let close = ServiceMessage::CloseConnection(CloseConnection {
                connection_id: id,
                error_message: None,
                headers: Vec::new(),
            });
            let _ = server.send(close.to_bytes()).await;
        }
    }
}

/// The frames to send at once: `first`, and the data already queued behind it (SignalR's
/// records delimit themselves, so one transport message may carry several), up to 64 KiB;
/// anything else taken off the inbox waits in `pending`.
fn with_queued(
    first: bytes::Bytes,
    inbox: &mut mpsc::Receiver<ToClient>,
    pending: &mut Option<ToClient>,
) -> bytes::Bytes {
    let mut joined: Option<bytes::BytesMut> = None;
    while joined.as_ref().map_or(first.len(), |joined| joined.len()) < BATCH_BYTES {
        match inbox.try_recv() {
            Ok(ToClient::Data(next)) => joined
                .get_or_insert_with(|| bytes::BytesMut::from(&first[..]))
                .extend_from_slice(&next),
            Ok(other) => {
                *pending = Some(other);
                break;
            }
            Err(_) => break,
        }
    }
    joined.map_or(first, bytes::BytesMut::freeze)
}

/// The next message for the client: the one set aside while gathering, else the inbox's.
async fn next_for_client(
    inbox: &mut mpsc::Receiver<ToClient>,
    pending: &mut Option<ToClient>,
) -> Option<ToClient> {
    match pending.take() {
        Some(message) => Some(message),
        None => inbox.recv().await,
    }
}

/// Sends a frame in the form the client's protocol needs: MessagePack in binary frames.
async fn send(
    connection: &RawConnection,
    protocol: Option<Protocol>,
    frame: bytes::Bytes,
) -> Result<(), signalr_runtime::raw::Disconnected> {
    if protocol == Some(Protocol::MessagePack) {
        connection.send_binary(frame).await
    } else {
        connection.send(frame).await
    }
}

/// Collects the client's first bytes until its handshake request is whole, and returns the
/// protocol it asks for; passes everything on untouched (the server answers the handshake).
fn learn_protocol(handshake: &mut Option<Vec<u8>>, chunk: &[u8]) -> Option<Protocol> {
    let buffer = handshake.as_mut()?;
    buffer.extend_from_slice(chunk);
    let Some(end) = buffer.iter().position(|&byte| byte == 0x1e) else {
        if buffer.len() > HANDSHAKE_LIMIT {
            *handshake = None;
        }
        return None;
    };
    let found = buffer
        .get(..end)
        .and_then(|record| parse_handshake_request(record).ok())
        .and_then(|request| Protocol::from_name(&request.protocol));
    *handshake = None;
    found
}

/// The client's query as its application server may see it: without the service's own
/// parameters (connection token, access token).
fn forwarded_query(uri: &Uri) -> String {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| {
            let key = pair.split_once('=').map_or(*pair, |(key, _)| key);
            !matches!(key, "id" | "access_token" | "")
        })
        .collect::<Vec<_>>()
        .join("&")
}
