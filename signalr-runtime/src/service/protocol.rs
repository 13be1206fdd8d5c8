//! The Azure SignalR Service protocol: the messages an application server and the service
//! exchange over one WebSocket, as `specs/ServiceProtocol.md` in the `Azure/azure-signalr`
//! repository defines them, and their bytes.
//!
//! # Framing
//!
//! Every message is one MessagePack array whose first item is the message type. On the wire it
//! follows its length in bytes, written as a variable-length integer: seven bits per byte, the
//! least significant group first, the high bit set on every byte but the last; at most five
//! bytes, so at most 2^31 - 1. That is the framing of SignalR's binary hub protocol. One
//! WebSocket message may carry several framed messages, and a framed message may arrive split
//! over several WebSocket messages, so [`parse`] takes whole messages off the front of a buffer
//! that the caller keeps appending to.
//!
//! # What is written, what is accepted
//!
//! Writers produce the bytes the Azure SignalR SDK for .NET writes (its `ServiceProtocol.cs`):
//! every trailing item it always writes (the ExtensionMembers map, empty; the query string of an
//! OpenConnection, which the specification leaves out), `nil` for a missing string, and the
//! smallest MessagePack forms, as MessagePack-CSharp picks them.
//!
//! Readers accept what that SDK accepts: trailing optional items may be missing, items past
//! the known ones are skipped (checked to be well-formed MessagePack, but not interpreted), the
//! ExtensionMembers map is skipped whatever it holds, an integer may come in any MessagePack
//! width that fits an `Int32`, and a message type this module does not know is passed over.
//! A string is `nil` only where the specification lets it be null. Decoding untrusted bytes never
//! panics, and skipping nested values costs no stack, however deep they go.

mod read;
mod write;

use std::fmt;

use crate::error::ProtocolError;
use bytes::{Bytes, BytesMut};

/// Version this implementation speaks (HandshakeRequest's Version).
pub const PROTOCOL_VERSION: i32 = 1;

/// Payloads keyed by hub protocol name ("json", "messagepack"), in order.
///
/// Each payload is a complete framed hub message of that protocol. Entries are kept in the order
/// they are written or read; nothing removes a repeated name.
pub type Payloads = Vec<(String, Bytes)>;

/// One message of the service protocol. The number after each variant's name is its message type
/// on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceMessage {
    /// 1, server to service: the first message on a new server connection.
    HandshakeRequest(HandshakeRequest),
    /// 2, service to server: the answer to the [`HandshakeRequest`].
    HandshakeResponse(HandshakeResponse),
    /// 3, both ways: a keep-alive, or a request or an answer about the connection's state.
    Ping(Ping),
    /// 4, service to server: a client connected.
    OpenConnection(OpenConnection),
    /// 5, both ways: a client disconnected (from the service), or must be (from the server).
    CloseConnection(CloseConnection),
    /// 6, both ways: bytes a client sent, or bytes for one client.
    ConnectionData(ConnectionData),
    /// 7, server to service: payloads for several connections.
    MultiConnectionData(MultiConnectionData),
    /// 8, server to service: payloads for every connection of one user.
    UserData(UserData),
    /// 9, server to service: payloads for every connection of several users.
    MultiUserData(MultiUserData),
    /// 10, server to service: payloads for every connection of the hub.
    BroadcastData(BroadcastData),
    /// 11, server to service: add a connection to a group.
    JoinGroup(GroupChange),
    /// 12, server to service: remove a connection from a group.
    LeaveGroup(GroupChange),
    /// 13, server to service: payloads for every connection in a group.
    GroupBroadcastData(GroupBroadcastData),
    /// 14, server to service: payloads for every connection in several groups.
    MultiGroupBroadcastData(MultiGroupBroadcastData),
    /// 16, server to service: add a user (every connection of theirs) to a group.
    UserJoinGroup(UserGroupChange),
    /// 17, server to service: remove a user from a group.
    UserLeaveGroup(UserGroupChange),
    /// 18, server to service: add a connection to a group; the service answers with an [`Ack`].
    JoinGroupWithAck(GroupChangeWithAck),
    /// 19, server to service: remove a connection from a group; the service answers with an
    /// [`Ack`].
    LeaveGroupWithAck(GroupChangeWithAck),
    /// 20, service to server: the result of a message that asked for one.
    Ack(Ack),
    /// 15, service to server: why the service is about to close this server connection.
    ServiceError(ServiceError),
    /// 22, service to server: something happened to an object the server named.
    ServiceEvent(ServiceEvent),
    /// 30, server to service: close a client's connection; the service answers with an [`Ack`].
    CloseConnectionWithAck(CloseConnectionWithAck),
}

/// The server's opening message on a new connection to the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeRequest {
    /// The protocol version the server speaks: [`PROTOCOL_VERSION`].
    pub version: i32,
    /// 0: Default (carries clients, always accepted); 1: OnDemand (opened because the service
    /// asked for more connections; carries clients, may be refused); 2: Weak (carries no clients,
    /// only sends).
    pub connection_type: i32,
    /// The service instance an OnDemand connection is for. Written as an empty string when
    /// `None`, as the .NET SDK does, which also never sends one on a Default connection; an
    /// empty or `nil` target reads as `None`.
    pub target: Option<String>,
    /// Whether the clients of this connection may move to another server: 0 never, 1 when this
    /// server shuts down gracefully, 2 even when the connection drops.
    pub migration_level: i32,
    /// Whether the server allows clients to use stateful reconnects.
    pub allow_stateful_reconnects: bool,
}

/// The service's answer to a [`HandshakeRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeResponse {
    /// Why the service refused the connection; `None` means it accepted it.
    pub error_message: Option<String>,
    /// The id the service gave this server connection, when it sends one.
    pub connection_id: Option<String>,
}

/// A keep-alive, or a request or an answer about the connection's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    /// Keys and values, one after the other (`["status", "1"]`); empty for a plain keep-alive.
    /// They are items of the message's own array, as the .NET SDK writes them, not a nested
    /// array.
    pub messages: Vec<String>,
}

/// A client connected to the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenConnection {
    /// The client connection's id.
    pub connection_id: String,
    /// The claims of the client's user (type, value), one entry per claim in the order sent; a
    /// type may repeat.
    pub claims: Vec<(String, String)>,
    /// The request headers of the client's connection, each name with its values.
    pub headers: Vec<(String, Vec<String>)>,
    /// The query string of the client's connection request, passed on as the service sends it.
    /// The specification's array leaves it out; the .NET SDK writes and reads it after the
    /// headers.
    pub query: Option<String>,
}

/// A client connection closed (from the service), or must close (from the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseConnection {
    /// The client connection's id.
    pub connection_id: String,
    /// Why, when it was an error.
    pub error_message: Option<String>,
    /// Headers the service adds, such as `Asrs-Migrated-To` when the client moves to another
    /// server.
    pub headers: Vec<(String, Vec<String>)>,
}

/// Bytes from one client (from the service), or for one client (from the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionData {
    /// The client connection's id.
    pub connection_id: String,
    /// The client's bytes, framed by its hub protocol.
    pub payload: Bytes,
}

/// Payloads for several connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiConnectionData {
    /// The connections' ids.
    pub connection_ids: Vec<String>,
    /// The message, framed for each hub protocol.
    pub payloads: Payloads,
}

/// Payloads for every connection of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserData {
    /// The user's id.
    pub user_id: String,
    /// The message, framed for each hub protocol.
    pub payloads: Payloads,
}

/// Payloads for every connection of several users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiUserData {
    /// The users' ids.
    pub user_ids: Vec<String>,
    /// The message, framed for each hub protocol.
    pub payloads: Payloads,
}

/// Payloads for every connection of the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BroadcastData {
    /// Connections that must not receive them.
    pub excluded: Vec<String>,
    /// The message, framed for each hub protocol.
    pub payloads: Payloads,
}

/// A connection joins or leaves a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChange {
    /// The client connection's id.
    pub connection_id: String,
    /// The group's name.
    pub group: String,
}

/// A user joins or leaves a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGroupChange {
    /// The user's id.
    pub user_id: String,
    /// The group's name.
    pub group: String,
}

/// A connection joins or leaves a group, and the service acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChangeWithAck {
    /// The client connection's id.
    pub connection_id: String,
    /// The group's name.
    pub group: String,
    /// The id the [`Ack`] will carry.
    pub ack_id: i32,
}

/// Payloads for every connection in a group.
///
/// The .NET SDK also writes an excluded-user list and a caller user id after the
/// ExtensionMembers; they are written empty and `nil`, and skipped when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupBroadcastData {
    /// The group's name.
    pub group: String,
    /// Connections that must not receive them.
    pub excluded: Vec<String>,
    /// The message, framed for each hub protocol.
    pub payloads: Payloads,
}

/// Payloads for every connection in several groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiGroupBroadcastData {
    /// The groups' names.
    pub groups: Vec<String>,
    /// The message, framed for each hub protocol.
    pub payloads: Payloads,
}

/// The result of a message that asked for one.
///
/// The specification allows a binary payload after the ExtensionMembers; none of the messages
/// here asks for one, and it is skipped when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The id the acknowledged message carried.
    pub ack_id: i32,
    /// The outcome.
    pub status: AckStatus,
    /// The service's explanation, if any.
    pub message: Option<String>,
}

/// The outcome an [`Ack`] reports, with the numbers of the .NET SDK's `AckStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckStatus {
    /// 1: done.
    Ok,
    /// 2: the connection, user or group does not exist.
    NotFound,
    /// 3: the service gave up waiting.
    Timeout,
    /// 4: the service failed.
    InternalServerError,
    /// Any other number. `Other(1)` to `Other(4)` are written as their numbers and read back as
    /// the named variants.
    Other(i32),
}

impl AckStatus {
    /// The status's number on the wire.
    pub fn code(self) -> i32 {
        match self {
            AckStatus::Ok => 1,
            AckStatus::NotFound => 2,
            AckStatus::Timeout => 3,
            AckStatus::InternalServerError => 4,
            AckStatus::Other(code) => code,
        }
    }

    /// The status a number on the wire stands for.
    pub fn from_code(code: i32) -> Self {
        match code {
            1 => AckStatus::Ok,
            2 => AckStatus::NotFound,
            3 => AckStatus::Timeout,
            4 => AckStatus::InternalServerError,
            other => AckStatus::Other(other),
        }
    }
}

/// Why the service is about to close a server connection: `[15, ErrorMessage]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// The service's reason.
    pub error_message: String,
}

/// Something happened to an object the server named in an earlier message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEvent {
    /// What the event is about: 0 a service instance, 1 a connection, 2 a user, 3 a group, 4 a
    /// server connection.
    pub object_type: i32,
    /// The object's id.
    pub id: String,
    /// What happened: 0 reloading, 1 invalid (such as a malformed id), 2 does not exist,
    /// 3 buffer full (the server sends too fast).
    pub kind: i32,
    /// The service's description. A `nil` reads as an empty string: it only informs.
    pub message: String,
}

/// Close a client's connection, acknowledged by the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseConnectionWithAck {
    /// The client connection's id.
    pub connection_id: String,
    /// Why, if the server says.
    pub reason: Option<String>,
    /// The id the [`Ack`] will carry.
    pub ack_id: i32,
}

impl ServiceMessage {
    /// Appends this message, length prefix and all, to `out`.
    ///
    /// Writing cannot fail. A message whose MessagePack takes more than 2^31 - 1 bytes gets the
    /// length prefix of its true length, which every reader refuses before it reads the body
    /// (this module's with an error, the service by closing the connection).
    pub fn write(&self, out: &mut Vec<u8>) {
        let start = out.len();
        write::body(self, out);
        let mut prefix = Vec::with_capacity(5);
        if crate::protocol::write_length_prefix(out.len().saturating_sub(start), &mut prefix)
            .is_err()
        {
            // Over 2^31 - 1 bytes: a prefix past that limit, which every reader refuses.
            prefix = vec![0xff, 0xff, 0xff, 0xff, 0x0f];
        }
        out.splice(start..start, prefix);
    }

    /// The framed bytes of this message.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::new();
        self.write(&mut out);
        Bytes::from(out)
    }
}

/// Takes the first complete framed message off the front of `buffer`; `Ok(None)` when more bytes
/// are needed. Messages whose type this implementation does not know are skipped (it returns the
/// next one, or `None`), as Azure's reader does.
///
/// A length prefix over `max_message_size` is refused as soon as it is complete, before its body
/// arrives. When `Ok(None)` is returned, every complete message has been taken (the unknown ones
/// dropped) and what is left is the start of the next one.
///
/// # Errors
///
/// A [`ServiceProtocolError`] when the length prefix is longer than five bytes, over 2^31 - 1 or
/// over `max_message_size`, or the message is not what the specification describes. A malformed
/// message has been taken off `buffer` (a bad length prefix has not), but after any error the
/// stream can no longer be trusted.
pub fn parse(
    buffer: &mut BytesMut,
    max_message_size: usize,
) -> Result<Option<ServiceMessage>, ServiceProtocolError> {
    while let Some(frame) = take_frame(buffer, max_message_size)? {
        if let Some(message) = read::message(frame.freeze())? {
            return Ok(Some(message));
        }
    }
    Ok(None)
}

/// Why bytes could not be read as a service message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProtocolError {
    /// The complete text, naming the message and the field where it can.
    text: String,
}

impl ServiceProtocolError {
    /// A malformed message or length prefix.
    fn invalid(detail: impl fmt::Display) -> Self {
        let text = format!("Invalid service message: {detail}");
        ServiceProtocolError { text }
    }
}

impl fmt::Display for ServiceProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for ServiceProtocolError {}

/// Splits the first complete framed message (without its prefix) off `buffer`: the framing of
/// SignalR's binary hub protocol.
fn take_frame(
    buffer: &mut BytesMut,
    max_message_size: usize,
) -> Result<Option<BytesMut>, ServiceProtocolError> {
    crate::protocol::take_binary_record(buffer, max_message_size).map_err(|error| match error {
        ProtocolError::MessageTooLarge { max_size } => {
            ServiceProtocolError::invalid(format!("a message over the limit of {max_size} bytes"))
        }
        _ => ServiceProtocolError::invalid("the length prefix is over 5 bytes or 2^31 - 1"),
    })
}
