//! Application servers: `/server/?hub=NAME` WebSockets carrying the service protocol.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use signalr_runtime::service::protocol::{
    self, Ack, AckStatus, HandshakeResponse, PROTOCOL_VERSION, Ping, ServiceMessage,
};
use tokio::sync::mpsc;

use crate::client::query_param;
use crate::registry::{Audience, Registry, ToClient};

/// How often the service pings each server connection.
const PING_INTERVAL: Duration = Duration::from_secs(5);
/// How long a server connection may stay silent (servers ping every 5 s).
const SERVER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a new server connection has to send its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest service message accepted from a server.
const MAX_MESSAGE_SIZE: usize = 16 << 20;
/// Messages waiting for one server connection's socket.
const SERVER_BACKLOG: usize = 1024;
/// WebSocket close code for a peer that broke the protocol (RFC 6455).
const PROTOCOL_ERROR: u16 = 1002;

/// What a server connection's writer sends.
enum Out {
    Frame(Bytes),
    Close(String),
}

/// `GET /server/?hub=NAME`: checks the server's token (signed with the access key, for this
/// hub's server audience), then upgrades.
pub(crate) async fn accept(
    State(registry): State<Arc<Registry>>,
    upgrade: WebSocketUpgrade,
    request: Request,
) -> Response {
    let Some(hub) = query_param(request.uri(), "hub") else {
        return (StatusCode::BAD_REQUEST, "No hub named in the URL.").into_response();
    };
    let bearer = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_owned)
        .or_else(|| query_param(request.uri(), "access_token"));
    let Some(token) = bearer else {
        return (StatusCode::UNAUTHORIZED, "An access token is required.").into_response();
    };
    let audience = format!("/server/?hub={hub}");
    if let Err(error) = registry
        .key
        .verify_audience(&token, |found| found.ends_with(&audience))
    {
        return (StatusCode::UNAUTHORIZED, error.to_string()).into_response();
    }
    let hub = hub.to_ascii_lowercase();
    upgrade.on_upgrade(move |socket| serve(registry, hub, socket))
}

async fn serve(registry: Arc<Registry>, hub: String, socket: WebSocket) {
    let (mut write, mut read) = socket.split();
    let mut buffer = BytesMut::new();
    let first = tokio::time::timeout(HANDSHAKE_TIMEOUT, next_message(&mut read, &mut buffer)).await;
    let refusal = match first {
        Ok(Ok(Some(ServiceMessage::HandshakeRequest(request)))) => {
            (request.version != PROTOCOL_VERSION).then(|| {
                format!(
                    "Protocol version {} is not supported; this service speaks version {PROTOCOL_VERSION}.",
                    request.version
                )
            })
        }
        Ok(Err(error)) => Some(error),
        _ => Some("Expected a handshake request.".to_owned()),
    };
    let response = ServiceMessage::HandshakeResponse(HandshakeResponse {
        error_message: refusal.clone(),
        connection_id: None,
    });
    if write
        .send(Message::Binary(response.to_bytes()))
        .await
        .is_err()
    {
        return;
    }
    if let Some(refusal) = refusal {
        tracing::warn!(%hub, %refusal, "refused a server connection");
        let _ = write.send(close_frame(refusal)).await;
        return;
    }
    let (outbox, queued) = mpsc::channel(SERVER_BACKLOG);
    let id = registry.add_server(&hub, outbox.clone());
    tracing::info!(%hub, id, "server connection established");
    let (control, controls) = mpsc::channel(1);
    let writing = tokio::spawn(write_out(write, queued, controls));
    let outcome = read_in(&registry, &hub, &outbox, &mut read, buffer).await;
    registry.remove_server(&hub, id);
    if let Err(error) = outcome {
        tracing::warn!(%hub, id, %error, "closing a server connection that broke the protocol");
        let _ = control.send(Out::Close(error)).await;
    }
    drop(outbox);
    drop(control);
    let _ = writing.await;
    tracing::info!(%hub, id, "server connection ended");
}

fn close_frame(reason: String) -> Message {
    // Close reasons are at most 123 bytes.
    let mut reason = reason;
    while reason.len() > 123 {
        reason.pop();
    }
    Message::Close(Some(CloseFrame {
        code: PROTOCOL_ERROR,
        reason: reason.into(),
    }))
}

/// The next service message, or `None` when the server went away.
async fn next_message(
    read: &mut futures_util::stream::SplitStream<WebSocket>,
    buffer: &mut BytesMut,
) -> Result<Option<ServiceMessage>, String> {
    loop {
        if let Some(message) =
            protocol::parse(buffer, MAX_MESSAGE_SIZE).map_err(|error| error.to_string())?
        {
            return Ok(Some(message));
        }
        let Ok(next) = tokio::time::timeout(SERVER_TIMEOUT, read.next()).await else {
            return Err(format!("Nothing received for {SERVER_TIMEOUT:?}."));
        };
        match next {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(None),
            Some(Ok(Message::Binary(data))) => buffer.extend_from_slice(&data),
            Some(Ok(Message::Text(_))) => {
                return Err("Service messages travel in binary frames.".to_owned());
            }
            Some(Ok(_)) => {}
        }
    }
}

/// Carries out what the server asks until it goes away.
async fn read_in(
    registry: &Registry,
    hub: &str,
    outbox: &mpsc::Sender<Bytes>,
    read: &mut futures_util::stream::SplitStream<WebSocket>,
    mut buffer: BytesMut,
) -> Result<(), String> {
    while let Some(message) = next_message(read, &mut buffer).await? {
        let ack = |ack_id, found: bool| {
            ServiceMessage::Ack(Ack {
                ack_id,
                status: if found {
                    AckStatus::Ok
                } else {
                    AckStatus::NotFound
                },
                message: None,
            })
        };
        let reply = match message {
            ServiceMessage::ConnectionData(data) => {
                registry.tell(&data.connection_id, ToClient::Data(data.payload));
                None
            }
            ServiceMessage::CloseConnection(close) => {
                registry.tell(&close.connection_id, ToClient::End);
                None
            }
            ServiceMessage::CloseConnectionWithAck(close) => {
                registry.tell(&close.connection_id, ToClient::End);
                Some(ack(close.ack_id, true))
            }
            ServiceMessage::MultiConnectionData(data) => {
                let audience = Audience::Connections(&data.connection_ids);
                registry.fan_out(hub, &audience, &data.payloads);
                None
            }
            ServiceMessage::UserData(data) => {
                let audience = Audience::Users(std::slice::from_ref(&data.user_id));
                registry.fan_out(hub, &audience, &data.payloads);
                None
            }
            ServiceMessage::MultiUserData(data) => {
                registry.fan_out(hub, &Audience::Users(&data.user_ids), &data.payloads);
                None
            }
            ServiceMessage::BroadcastData(data) => {
                registry.fan_out(hub, &Audience::All(&data.excluded), &data.payloads);
                None
            }
            ServiceMessage::GroupBroadcastData(data) => {
                let groups = std::slice::from_ref(&data.group);
                let audience = Audience::Groups(groups, &data.excluded);
                registry.fan_out(hub, &audience, &data.payloads);
                None
            }
            ServiceMessage::MultiGroupBroadcastData(data) => {
                registry.fan_out(hub, &Audience::Groups(&data.groups, &[]), &data.payloads);
                None
            }
            ServiceMessage::JoinGroup(change) => {
                registry.change_group(&change.connection_id, &change.group, true);
                None
            }
            ServiceMessage::LeaveGroup(change) => {
                registry.change_group(&change.connection_id, &change.group, false);
                None
            }
            ServiceMessage::JoinGroupWithAck(change) => {
                let found = registry.change_group(&change.connection_id, &change.group, true);
                Some(ack(change.ack_id, found))
            }
            ServiceMessage::LeaveGroupWithAck(change) => {
                let found = registry.change_group(&change.connection_id, &change.group, false);
                Some(ack(change.ack_id, found))
            }
            ServiceMessage::UserJoinGroup(change) => {
                registry.change_user_group(hub, &change.user_id, &change.group, true);
                None
            }
            ServiceMessage::UserLeaveGroup(change) => {
                registry.change_user_group(hub, &change.user_id, &change.group, false);
                None
            }
            ServiceMessage::Ping(_) => None,
            other => {
                tracing::debug!(%hub, ?other, "ignored a service message");
                None
            }
        };
        // Never waits on its own writer: a server whose queue is full does not read, and is
        // let go.
        if let Some(reply) = reply
            && outbox.try_send(reply.to_bytes()).is_err()
        {
            return Err("The server does not read what the service sends.".to_owned());
        }
    }
    Ok(())
}

/// Writes queued messages and pings; a protocol error from the reader closes the socket.
async fn write_out(
    mut write: futures_util::stream::SplitSink<WebSocket, Message>,
    mut queued: mpsc::Receiver<Bytes>,
    mut controls: mpsc::Receiver<Out>,
) {
    let ping = ServiceMessage::Ping(Ping {
        messages: Vec::new(),
    })
    .to_bytes();
    let mut pings = tokio::time::interval(PING_INTERVAL);
    loop {
        let out = tokio::select! {
            // A close first: it ends the connection, whatever is still queued.
            biased;
            control = controls.recv() => match control {
                Some(control) => control,
                None => break,
            },
            next = queued.recv() => match next {
                Some(frame) => Out::Frame(frame),
                None => break,
            },
            _ = pings.tick() => Out::Frame(ping.clone()),
        };
        let message = match out {
            Out::Frame(frame) => Message::Binary(frame),
            Out::Close(reason) => close_frame(reason),
        };
        let closing = matches!(message, Message::Close(_));
        if write.send(message).await.is_err() || closing {
            break;
        }
    }
    let _ = write.close().await;
}
