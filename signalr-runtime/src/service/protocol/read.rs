//! Reading: one framed message's array, as leniently as the .NET SDK's `ServiceProtocol.cs` reads
//! it, from untrusted bytes.

use std::ops::Range;

use bytes::Bytes;
use rmp::Marker;
use rmp::decode::{NumValueReadError, RmpReadErr};

use super::{
    Ack, AckStatus, BroadcastData, CloseConnection, CloseConnectionWithAck, ConnectionData,
    GroupBroadcastData, GroupChange, GroupChangeWithAck, HandshakeRequest, HandshakeResponse,
    MultiConnectionData, MultiGroupBroadcastData, MultiUserData, OpenConnection, Payloads, Ping,
    ServiceError, ServiceEvent, ServiceMessage, ServiceProtocolError, UserData, UserGroupChange,
};

type Result<T> = std::result::Result<T, ServiceProtocolError>;

/// Reads the items of one message after its type.
type ReadFn = fn(&mut Reader) -> Result<ServiceMessage>;

/// Reads `frame`, the bytes of one message without its length prefix. `None` is a message of a
/// type not known here, which is dropped unread past its type, as .NET drops it.
pub(super) fn message(frame: Bytes) -> Result<Option<ServiceMessage>> {
    let mut r = Reader {
        frame,
        pos: 0,
        left: 0,
        name: "message",
    };
    r.left = r.rmp("array", "an array", |r| rmp::decode::read_array_len(r))?;
    let kind = r.field("message type", Reader::int)?;
    let (name, read): (&'static str, ReadFn) = match kind {
        1 => ("HandshakeRequest", handshake_request),
        2 => ("HandshakeResponse", handshake_response),
        3 => ("Ping", ping),
        4 => ("OpenConnection", open_connection),
        5 => ("CloseConnection", close_connection),
        6 => ("ConnectionData", connection_data),
        7 => ("MultiConnectionData", multi_connection_data),
        8 => ("UserData", user_data),
        9 => ("MultiUserData", multi_user_data),
        10 => ("BroadcastData", broadcast_data),
        11 => ("JoinGroup", |r| {
            Ok(ServiceMessage::JoinGroup(group_change(r)?))
        }),
        12 => ("LeaveGroup", |r| {
            Ok(ServiceMessage::LeaveGroup(group_change(r)?))
        }),
        13 => ("GroupBroadcastData", group_broadcast_data),
        14 => ("MultiGroupBroadcastData", multi_group_broadcast_data),
        16 => ("UserJoinGroup", |r| {
            Ok(ServiceMessage::UserJoinGroup(user_group_change(r)?))
        }),
        17 => ("UserLeaveGroup", |r| {
            Ok(ServiceMessage::UserLeaveGroup(user_group_change(r)?))
        }),
        18 => ("JoinGroupWithAck", |r| {
            Ok(ServiceMessage::JoinGroupWithAck(group_change_with_ack(r)?))
        }),
        19 => ("LeaveGroupWithAck", |r| {
            Ok(ServiceMessage::LeaveGroupWithAck(group_change_with_ack(r)?))
        }),
        15 => ("ServiceError", service_error),
        20 => ("Ack", ack),
        22 => ("ServiceEvent", service_event),
        30 => ("CloseConnectionWithAck", close_connection_with_ack),
        _ => return Ok(None),
    };
    r.name = name;
    let message = read(&mut r)?;
    r.finish()?;
    Ok(Some(message))
}

/// `[1, Version, ConnectionType, Target, MigrationLevel?, ExtensionMembers?,
/// AllowStatefulReconnects?]`; .NET also reads a bare `[1, Version]`.
fn handshake_request(r: &mut Reader) -> Result<ServiceMessage> {
    let version = r.field("version", Reader::int)?;
    let connection_type = r.optional("connection type", Reader::int)?;
    let target = r.optional("target", Reader::str_or_nil)?.flatten();
    let migration_level = r.optional("migration level", Reader::int)?;
    r.optional("extension members", Reader::extensions)?;
    let allow_stateful_reconnects = r.optional("allow stateful reconnects", Reader::bool)?;
    Ok(ServiceMessage::HandshakeRequest(HandshakeRequest {
        version,
        connection_type: connection_type.unwrap_or(0),
        target: target.filter(|target| !target.is_empty()),
        migration_level: migration_level.unwrap_or(0),
        allow_stateful_reconnects: allow_stateful_reconnects.unwrap_or(false),
    }))
}

/// `[2, ErrorMessage, ExtensionMembers?, ConnectionId?]`.
fn handshake_response(r: &mut Reader) -> Result<ServiceMessage> {
    let error_message = r.field("error message", Reader::str_or_nil)?;
    r.optional("extension members", Reader::extensions)?;
    let connection_id = r.optional("connection id", Reader::str_or_nil)?.flatten();
    Ok(ServiceMessage::HandshakeResponse(HandshakeResponse {
        error_message,
        connection_id,
    }))
}

/// `[3, key, value, key, value, ...]`: every item is an entry; a `nil` one (which .NET reads
/// as a null string) reads as empty.
fn ping(r: &mut Reader) -> Result<ServiceMessage> {
    let mut messages = Vec::new();
    while let Some(item) = r.optional("ping entry", Reader::str_or_nil)? {
        messages.push(item.unwrap_or_default());
    }
    Ok(ServiceMessage::Ping(Ping { messages }))
}

/// `[4, ConnectionId, Claims, Headers?, QueryString?, ExtensionMembers?]`: the specification
/// omits the query string, which .NET writes and reads after the headers.
fn open_connection(r: &mut Reader) -> Result<ServiceMessage> {
    let connection_id = r.field("connection id", Reader::string)?;
    let claims = r.field("claims", Reader::claims)?;
    let headers = r.optional("headers", Reader::headers)?;
    let query = r.optional("query string", Reader::str_or_nil)?.flatten();
    r.optional("extension members", Reader::extensions)?;
    Ok(ServiceMessage::OpenConnection(OpenConnection {
        connection_id,
        claims,
        headers: headers.unwrap_or_default(),
        query,
    }))
}

/// `[5, ConnectionId, ErrorMessage, Headers?, ExtensionMembers?]`.
fn close_connection(r: &mut Reader) -> Result<ServiceMessage> {
    let connection_id = r.field("connection id", Reader::string)?;
    let error_message = r.field("error message", Reader::str_or_nil)?;
    let headers = r.optional("headers", Reader::headers)?;
    r.optional("extension members", Reader::extensions)?;
    Ok(ServiceMessage::CloseConnection(CloseConnection {
        connection_id,
        error_message,
        headers: headers.unwrap_or_default(),
    }))
}

/// `[6, ConnectionId, Payload, ExtensionMembers?]`.
fn connection_data(r: &mut Reader) -> Result<ServiceMessage> {
    let connection_id = r.field("connection id", Reader::string)?;
    let payload = r.field("payload", Reader::bytes)?;
    r.optional("extension members", Reader::extensions)?;
    Ok(ServiceMessage::ConnectionData(ConnectionData {
        connection_id,
        payload,
    }))
}

/// The ids and payloads of `[kind, ids, Payloads, ExtensionMembers?]`.
fn fan_out(r: &mut Reader, ids: &'static str) -> Result<(Vec<String>, Payloads)> {
    let ids = r.field(ids, Reader::strings)?;
    let payloads = r.field("payloads", Reader::payloads)?;
    r.optional("extension members", Reader::extensions)?;
    Ok((ids, payloads))
}

fn multi_connection_data(r: &mut Reader) -> Result<ServiceMessage> {
    let (connection_ids, payloads) = fan_out(r, "connection ids")?;
    Ok(ServiceMessage::MultiConnectionData(MultiConnectionData {
        connection_ids,
        payloads,
    }))
}

/// `[8, UserId, Payloads, ExtensionMembers?]`.
fn user_data(r: &mut Reader) -> Result<ServiceMessage> {
    let user_id = r.field("user id", Reader::string)?;
    let payloads = r.field("payloads", Reader::payloads)?;
    r.optional("extension members", Reader::extensions)?;
    Ok(ServiceMessage::UserData(UserData { user_id, payloads }))
}

fn multi_user_data(r: &mut Reader) -> Result<ServiceMessage> {
    let (user_ids, payloads) = fan_out(r, "user ids")?;
    Ok(ServiceMessage::MultiUserData(MultiUserData {
        user_ids,
        payloads,
    }))
}

fn broadcast_data(r: &mut Reader) -> Result<ServiceMessage> {
    let (excluded, payloads) = fan_out(r, "excluded ids")?;
    Ok(ServiceMessage::BroadcastData(BroadcastData {
        excluded,
        payloads,
    }))
}

/// `[kind, ConnectionId, GroupName, ExtensionMembers?]`.
fn group_change(r: &mut Reader) -> Result<GroupChange> {
    let connection_id = r.field("connection id", Reader::string)?;
    let group = r.field("group", Reader::string)?;
    r.optional("extension members", Reader::extensions)?;
    Ok(GroupChange {
        connection_id,
        group,
    })
}

/// `[13, GroupName, ExcludedList, Payloads, ExtensionMembers?, ExcludedUserList?,
/// CallerUserId?]`; the last two are skipped with the other extra items.
fn group_broadcast_data(r: &mut Reader) -> Result<ServiceMessage> {
    let group = r.field("group", Reader::string)?;
    let (excluded, payloads) = fan_out(r, "excluded ids")?;
    Ok(ServiceMessage::GroupBroadcastData(GroupBroadcastData {
        group,
        excluded,
        payloads,
    }))
}

fn multi_group_broadcast_data(r: &mut Reader) -> Result<ServiceMessage> {
    let (groups, payloads) = fan_out(r, "groups")?;
    let message = MultiGroupBroadcastData { groups, payloads };
    Ok(ServiceMessage::MultiGroupBroadcastData(message))
}

/// `[kind, UserId, GroupName, ExtensionMembers?]`.
fn user_group_change(r: &mut Reader) -> Result<UserGroupChange> {
    let user_id = r.field("user id", Reader::string)?;
    let group = r.field("group", Reader::string)?;
    r.optional("extension members", Reader::extensions)?;
    Ok(UserGroupChange { user_id, group })
}

/// `[kind, ConnectionId, GroupName, AckId, ExtensionMembers?]`.
fn group_change_with_ack(r: &mut Reader) -> Result<GroupChangeWithAck> {
    let connection_id = r.field("connection id", Reader::string)?;
    let group = r.field("group", Reader::string)?;
    let ack_id = r.field("ack id", Reader::int)?;
    r.optional("extension members", Reader::extensions)?;
    Ok(GroupChangeWithAck {
        connection_id,
        group,
        ack_id,
    })
}

/// `[20, AckId, Status, Message, ExtensionMembers?, Payload?]`; the payload is skipped.
fn ack(r: &mut Reader) -> Result<ServiceMessage> {
    let ack_id = r.field("ack id", Reader::int)?;
    let status = AckStatus::from_code(r.field("status", Reader::int)?);
    let message = r.field("message", Reader::str_or_nil)?;
    r.optional("extension members", Reader::extensions)?;
    Ok(ServiceMessage::Ack(Ack {
        ack_id,
        status,
        message,
    }))
}

/// `[15, ErrorMessage]`.
fn service_error(r: &mut Reader) -> Result<ServiceMessage> {
    let error_message = r
        .field("error message", Reader::str_or_nil)?
        .unwrap_or_default();
    Ok(ServiceMessage::ServiceError(ServiceError { error_message }))
}

/// `[22, Type, Id, Kind, Message, ExtensionMembers?]`.
fn service_event(r: &mut Reader) -> Result<ServiceMessage> {
    let object_type = r.field("type", Reader::int)?;
    let id = r.field("id", Reader::string)?;
    let kind = r.field("kind", Reader::int)?;
    let message = r.field("message", Reader::str_or_nil)?.unwrap_or_default();
    r.optional("extension members", Reader::extensions)?;
    Ok(ServiceMessage::ServiceEvent(ServiceEvent {
        object_type,
        id,
        kind,
        message,
    }))
}

/// `[30, ConnectionId, Reason, AckId, ExtensionMembers?]`.
fn close_connection_with_ack(r: &mut Reader) -> Result<ServiceMessage> {
    let connection_id = r.field("connection id", Reader::string)?;
    let reason = r.field("reason", Reader::str_or_nil)?;
    let ack_id = r.field("ack id", Reader::int)?;
    r.optional("extension members", Reader::extensions)?;
    Ok(ServiceMessage::CloseConnectionWithAck(
        CloseConnectionWithAck {
            connection_id,
            reason,
            ack_id,
        },
    ))
}

/// A cursor over one untrusted message.
struct Reader {
    /// The message's bytes; payloads are slices of it.
    frame: Bytes,
    /// Where the unread bytes start.
    pos: usize,
    /// How many items of the message's array are still unread.
    left: u32,
    /// The message type's name, for errors.
    name: &'static str,
}

impl Reader {
    /// An error about `what` in this message.
    fn error(&self, what: &str, detail: impl std::fmt::Display) -> ServiceProtocolError {
        ServiceProtocolError::invalid(format_args!("{}: {what}: {detail}", self.name))
    }

    /// The unread bytes.
    fn rest(&self) -> &[u8] {
        self.frame.get(self.pos..).unwrap_or_default()
    }

    /// Reads the next item of the array with `read`; an error if the array has no more.
    fn field<T>(
        &mut self,
        what: &'static str,
        read: fn(&mut Self, &str) -> Result<T>,
    ) -> Result<T> {
        let Some(left) = self.left.checked_sub(1) else {
            return Err(self.error(what, "missing, the array ends before it"));
        };
        self.left = left;
        read(self, what)
    }

    /// Reads the next item of the array with `read`, or `None` if the array has no more.
    fn optional<T>(
        &mut self,
        what: &'static str,
        read: fn(&mut Self, &str) -> Result<T>,
    ) -> Result<Option<T>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.field(what, read).map(Some)
    }

    /// Skips the items past the known ones, and checks that the array was the whole message.
    fn finish(&mut self) -> Result<()> {
        self.skip(u64::from(self.left), "extra items")?;
        self.left = 0;
        match self.rest().len() {
            0 => Ok(()),
            n => Err(self.error("array", format_args!("{n} bytes after it"))),
        }
    }

    /// Runs one of rmp's readers on the unread bytes. `expected` names what was due, for the
    /// error when something else is there.
    fn rmp<T, E, R>(
        &mut self,
        what: &str,
        expected: &str,
        read: impl FnOnce(&mut &[u8]) -> std::result::Result<T, E>,
    ) -> Result<T>
    where
        E: Into<NumValueReadError<R>>,
        R: RmpReadErr,
    {
        let (result, used) = {
            let mut rest = self.rest();
            let before = rest.len();
            let result = read(&mut rest);
            (result, before - rest.len())
        };
        self.pos += used;
        result.map_err(|e| match e.into() {
            NumValueReadError::TypeMismatch(marker) => {
                self.error(what, format_args!("expected {expected}, found {marker:?}"))
            }
            NumValueReadError::OutOfRange => self.error(what, "the integer is not an Int32"),
            // Reading from a slice fails only when it runs out.
            NumValueReadError::InvalidMarkerRead(_) | NumValueReadError::InvalidDataRead(_) => {
                self.error(what, "the message ends early")
            }
        })
    }

    /// The range of the next `len` bytes, which must all be there.
    fn take(&mut self, len: u64, what: &str) -> Result<Range<usize>> {
        let start = self.pos;
        match usize::try_from(len) {
            Ok(len) if len <= self.rest().len() => {
                self.pos += len;
                Ok(start..self.pos)
            }
            _ => Err(self.error(what, "the message ends early")),
        }
    }

    /// Consumes a `nil` if one comes next.
    fn nil(&mut self) -> bool {
        let found = self.rest().first() == Some(&0xc0);
        if found {
            self.pos += 1;
        }
        found
    }

    /// An `Int32` in any integer encoding, as .NET reads one.
    fn int(&mut self, what: &str) -> Result<i32> {
        self.rmp(what, "an integer", |r| rmp::decode::read_int(r))
    }

    fn bool(&mut self, what: &str) -> Result<bool> {
        self.rmp(what, "a boolean", |r| rmp::decode::read_bool(r))
    }

    /// A string, or `None` for `nil`. Invalid UTF-8 is replaced rather than refused, as .NET's
    /// decoder does.
    fn str_or_nil(&mut self, what: &str) -> Result<Option<String>> {
        if self.nil() {
            return Ok(None);
        }
        let len = self.rmp(what, "a string", |r| rmp::decode::read_str_len(r))?;
        let range = self.take(len.into(), what)?;
        let bytes = self.frame.get(range).unwrap_or_default();
        Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
    }

    /// A string the specification does not let be null.
    fn string(&mut self, what: &str) -> Result<String> {
        match self.str_or_nil(what)? {
            Some(text) => Ok(text),
            None => Err(self.error(what, "expected a string, found nil")),
        }
    }

    /// Bytes: bin8/16/32, or a string's bytes, as MessagePack-CSharp's `ReadBytes` also accepts;
    /// `nil` is empty, as .NET reads it. The bytes are not copied: they share the message's.
    fn bytes(&mut self, what: &str) -> Result<Bytes> {
        if self.nil() {
            return Ok(Bytes::new());
        }
        let is_str = matches!(
            self.rest().first().copied().map(Marker::from_u8),
            Some(Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32)
        );
        let len = if is_str {
            self.rmp(what, "bytes", |r| rmp::decode::read_str_len(r))?
        } else {
            self.rmp(what, "bytes", |r| rmp::decode::read_bin_len(r))?
        };
        let range = self.take(len.into(), what)?;
        Ok(self.frame.slice(range))
    }

    /// An array of strings. Lists grow as items are actually read, never reserved from a count
    /// the message claims.
    fn strings(&mut self, what: &str) -> Result<Vec<String>> {
        let count = self.rmp(what, "an array", |r| rmp::decode::read_array_len(r))?;
        let mut items = Vec::new();
        for _ in 0..count {
            items.push(self.string(what)?);
        }
        Ok(items)
    }

    /// The entry count of a map; the caller reads the entries.
    fn map_len(&mut self, what: &str) -> Result<u32> {
        self.rmp(what, "a map", |r| rmp::decode::read_map_len(r))
    }

    /// Claims: a map of claim type to value, one entry per claim; a type may repeat.
    fn claims(&mut self, what: &str) -> Result<Vec<(String, String)>> {
        let mut claims = Vec::new();
        for _ in 0..self.map_len(what)? {
            claims.push((self.string("claim type")?, self.string("claim value")?));
        }
        Ok(claims)
    }

    /// Headers: a map of header name to an array of its values.
    fn headers(&mut self, what: &str) -> Result<Vec<(String, Vec<String>)>> {
        let mut headers = Vec::new();
        for _ in 0..self.map_len(what)? {
            headers.push((self.string("header name")?, self.strings("header values")?));
        }
        Ok(headers)
    }

    /// Payloads: a map of protocol name to bytes.
    fn payloads(&mut self, what: &str) -> Result<Payloads> {
        let mut payloads = Vec::new();
        for _ in 0..self.map_len(what)? {
            payloads.push((self.string("protocol name")?, self.bytes("payload")?));
        }
        Ok(payloads)
    }

    /// The ExtensionMembers: a map, skipped whatever its entries hold.
    fn extensions(&mut self, what: &str) -> Result<()> {
        let count = self.map_len(what)?;
        self.skip(2 * u64::from(count), what)
    }

    /// Skips `count` whole values of any kind, however deeply nested (the hub protocol's own
    /// skipping, which keeps no stack).
    fn skip(&mut self, count: u64, what: &str) -> Result<()> {
        let mut rest = self.rest();
        let before = rest.len();
        for _ in 0..count {
            if crate::protocol::skip_msgpack_value(&mut rest).is_none() {
                return Err(self.error(what, "the message ends early or is malformed"));
            }
        }
        self.pos += before - rest.len();
        Ok(())
    }
}
