//! Writing: each message item for item as the .NET SDK's `ServiceProtocol.cs` writes it, in the
//! smallest MessagePack forms, as MessagePack-CSharp picks them.

use super::{GroupChange, GroupChangeWithAck, Payloads, ServiceMessage, UserGroupChange};

/// Appends the MessagePack array of `message`, without its length prefix.
pub(super) fn body(message: &ServiceMessage, out: &mut Vec<u8>) {
    let w = &mut Writer { out };
    match message {
        ServiceMessage::HandshakeRequest(m) => {
            w.start(7, 1);
            w.int(m.version);
            w.int(m.connection_type);
            w.str(m.target.as_deref().unwrap_or(""));
            w.int(m.migration_level);
            w.extensions();
            w.bool(m.allow_stateful_reconnects);
        }
        ServiceMessage::HandshakeResponse(m) => {
            w.start(4, 2);
            w.str_or_nil(m.error_message.as_deref());
            w.extensions();
            w.str_or_nil(m.connection_id.as_deref());
        }
        ServiceMessage::Ping(m) => {
            // The entries are items of the message's own array: no ExtensionMembers.
            w.start(m.messages.len().saturating_add(1), 3);
            for item in &m.messages {
                w.str(item);
            }
        }
        ServiceMessage::OpenConnection(m) => {
            w.start(6, 4);
            w.str(&m.connection_id);
            w.map_len(m.claims.len());
            for (kind, value) in &m.claims {
                w.str(kind);
                w.str(value);
            }
            w.headers(&m.headers);
            w.str_or_nil(m.query.as_deref());
            w.extensions();
        }
        ServiceMessage::CloseConnection(m) => {
            w.start(5, 5);
            w.str(&m.connection_id);
            w.str_or_nil(m.error_message.as_deref());
            w.headers(&m.headers);
            w.extensions();
        }
        ServiceMessage::ConnectionData(m) => {
            w.start(4, 6);
            w.str(&m.connection_id);
            w.bin(&m.payload);
            w.extensions();
        }
        ServiceMessage::MultiConnectionData(m) => w.fan_out(7, &m.connection_ids, &m.payloads),
        ServiceMessage::UserData(m) => {
            w.start(4, 8);
            w.str(&m.user_id);
            w.payloads(&m.payloads);
            w.extensions();
        }
        ServiceMessage::MultiUserData(m) => w.fan_out(9, &m.user_ids, &m.payloads),
        ServiceMessage::BroadcastData(m) => w.fan_out(10, &m.excluded, &m.payloads),
        ServiceMessage::JoinGroup(m) => w.group_change(11, m),
        ServiceMessage::LeaveGroup(m) => w.group_change(12, m),
        ServiceMessage::GroupBroadcastData(m) => {
            w.start(7, 13);
            w.str(&m.group);
            w.strings(&m.excluded);
            w.payloads(&m.payloads);
            w.extensions();
            // ExcludedUserList and CallerUserId, which .NET writes even when unset.
            w.array_len(0);
            w.nil();
        }
        ServiceMessage::MultiGroupBroadcastData(m) => w.fan_out(14, &m.groups, &m.payloads),
        ServiceMessage::UserJoinGroup(m) => w.user_group_change(16, m),
        ServiceMessage::UserLeaveGroup(m) => w.user_group_change(17, m),
        ServiceMessage::JoinGroupWithAck(m) => w.group_change_with_ack(18, m),
        ServiceMessage::LeaveGroupWithAck(m) => w.group_change_with_ack(19, m),
        ServiceMessage::Ack(m) => {
            w.start(5, 20);
            w.int(m.ack_id);
            w.int(m.status.code());
            w.str_or_nil(m.message.as_deref());
            w.extensions();
        }
        ServiceMessage::ServiceError(m) => {
            // As .NET writes it: no ExtensionMembers.
            w.start(2, 15);
            w.str(&m.error_message);
        }
        ServiceMessage::ServiceEvent(m) => {
            w.start(6, 22);
            w.int(m.object_type);
            w.str(&m.id);
            w.int(m.kind);
            w.str(&m.message);
            w.extensions();
        }
        ServiceMessage::CloseConnectionWithAck(m) => {
            w.start(5, 30);
            w.str(&m.connection_id);
            w.str_or_nil(m.reason.as_deref());
            w.int(m.ack_id);
            w.extensions();
        }
    }
}

/// A length for a MessagePack header. Only a string, payload or list of 4 GiB or more is cut
/// down, and the message holding it is then over 2 GiB, which its length prefix already makes
/// every reader refuse.
fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Appends MessagePack to a message's bytes. Writing into a `Vec` cannot fail, so the results of
/// rmp's writers are dropped.
struct Writer<'a> {
    /// The bytes written so far.
    out: &'a mut Vec<u8>,
}

impl Writer<'_> {
    /// The array header of a message of `items` items (the type included), then its type.
    fn start(&mut self, items: usize, kind: i32) {
        self.array_len(items);
        self.int(kind);
    }

    fn array_len(&mut self, len: usize) {
        let _ = rmp::encode::write_array_len(self.out, len32(len));
    }

    fn map_len(&mut self, len: usize) {
        let _ = rmp::encode::write_map_len(self.out, len32(len));
    }

    /// An `Int32`: positive fixint or uint8/16/32 when positive, as MessagePack-CSharp writes it.
    fn int(&mut self, value: i32) {
        let _ = rmp::encode::write_sint(self.out, i64::from(value));
    }

    fn bool(&mut self, value: bool) {
        let _ = rmp::encode::write_bool(self.out, value);
    }

    fn nil(&mut self) {
        let _ = rmp::encode::write_nil(self.out);
    }

    /// fixstr, str8, str16 or str32, whichever is smallest.
    fn str(&mut self, text: &str) {
        let _ = rmp::encode::write_str_len(self.out, len32(text.len()));
        self.out.extend_from_slice(text.as_bytes());
    }

    fn str_or_nil(&mut self, text: Option<&str>) {
        match text {
            Some(text) => self.str(text),
            None => self.nil(),
        }
    }

    /// bin8, bin16 or bin32, whichever is smallest.
    fn bin(&mut self, bytes: &[u8]) {
        let _ = rmp::encode::write_bin_len(self.out, len32(bytes.len()));
        self.out.extend_from_slice(bytes);
    }

    /// The ExtensionMembers map: empty, as .NET writes it when a message has no tracing id, TTL
    /// or other extension set.
    fn extensions(&mut self) {
        self.map_len(0);
    }

    fn strings(&mut self, items: &[String]) {
        self.array_len(items.len());
        for item in items {
            self.str(item);
        }
    }

    /// A map of protocol name to bytes.
    fn payloads(&mut self, payloads: &Payloads) {
        self.map_len(payloads.len());
        for (protocol, bytes) in payloads {
            self.str(protocol);
            self.bin(bytes);
        }
    }

    /// A map of header name to an array of its values.
    fn headers(&mut self, headers: &[(String, Vec<String>)]) {
        self.map_len(headers.len());
        for (name, values) in headers {
            self.str(name);
            self.strings(values);
        }
    }

    /// `[kind, ids, payloads, {}]`: the shape of MultiConnectionData, MultiUserData, BroadcastData
    /// and MultiGroupBroadcastData.
    fn fan_out(&mut self, kind: i32, ids: &[String], payloads: &Payloads) {
        self.start(4, kind);
        self.strings(ids);
        self.payloads(payloads);
        self.extensions();
    }

    fn group_change(&mut self, kind: i32, change: &GroupChange) {
        self.start(4, kind);
        self.str(&change.connection_id);
        self.str(&change.group);
        self.extensions();
    }

    fn user_group_change(&mut self, kind: i32, change: &UserGroupChange) {
        self.start(4, kind);
        self.str(&change.user_id);
        self.str(&change.group);
        self.extensions();
    }

    fn group_change_with_ack(&mut self, kind: i32, change: &GroupChangeWithAck) {
        self.start(5, kind);
        self.str(&change.connection_id);
        self.str(&change.group);
        self.int(change.ack_id);
        self.extensions();
    }
}
