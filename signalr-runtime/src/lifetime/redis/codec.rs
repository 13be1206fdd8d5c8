//! The MessagePack payloads that servers exchange over the Redis backplane, byte-compatible with
//! ASP.NET Core's `Microsoft.AspNetCore.SignalR.StackExchangeRedis` (REDIS-BACKPLANE.md §2).
//!
//! Every payload is one MessagePack array. Writers use the smallest header and integer forms, as
//! MessagePack-CSharp does, so .NET peers see exactly the bytes another .NET server would send.
//! Readers are lenient where .NET is: any integer encoding, arrays longer than the minimum (the
//! extra items are skipped), `nil` for strings .NET may leave null. Decoding untrusted bytes never
//! panics and never allocates more than the input could actually hold.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use rmp::Marker;
use rmp::decode::{NumValueReadError, RmpReadErr};

/// One hub message serialized once per protocol: protocol name and the framed bytes a client of
/// that protocol receives (JSON text plus `0x1E`, or a VarInt length plus MessagePack).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SerializedMessage {
    /// The entries in the order they are written; .NET writes protocol registration order.
    pub(crate) entries: Vec<(String, Bytes)>,
}

impl SerializedMessage {
    /// The bytes for `protocol`, compared ordinally like .NET; the first entry wins on duplicates.
    /// `None` means the sender could not serve this protocol, so that client cannot get the message.
    pub(crate) fn get(&self, protocol: &str) -> Option<&Bytes> {
        self.entries
            .iter()
            .find(|(name, _)| name == protocol)
            .map(|(_, bytes)| bytes)
    }
}

/// Where the owner of a connection sends the client's answer to a client-result invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReplyTo {
    /// The invocation id, the same one the serialized message carries.
    pub(crate) invocation_id: String,
    /// The caller's return channel, `{prefix}:internal:return:{callerServerName}`.
    pub(crate) channel: String,
}

/// An invocation published on the `all`, `group:*`, `connection:*` and `user:*` channels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct InvocationEnvelope {
    /// Connection ids that must not receive the message (matched case-sensitively).
    pub(crate) excluded: Vec<String>,
    /// The message, framed for each protocol.
    pub(crate) message: SerializedMessage,
    /// Set for a client-result invocation, which then travels as the 4-item form.
    pub(crate) reply: Option<ReplyTo>,
}

/// What a group command asks the owner of a connection to do. The numbers are on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupAction {
    /// Add the connection to the group.
    Add = 1,
    /// Remove the connection from the group.
    Remove = 2,
}

/// A request, published on `{prefix}:internal:groups`, to change the groups of a remote connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupCommand {
    /// The sender's counter. It is an `Int32` in .NET, which may wrap to negative values.
    pub(crate) id: i32,
    /// The sender, whose ack channel receives the [`Ack`].
    pub(crate) server_name: String,
    /// Add or remove.
    pub(crate) action: GroupAction,
    /// The group's name.
    pub(crate) group: String,
    /// The connection whose membership changes.
    pub(crate) connection_id: String,
}

/// The owner's confirmation that it applied the [`GroupCommand`] with this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ack {
    /// The id of the acknowledged command.
    pub(crate) id: i32,
}

/// A client's answer to a client-result invocation, sent back on the caller's return channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompletionEnvelope {
    /// The protocol the answering client speaks, which the receiver parses `completion` with.
    pub(crate) protocol: String,
    /// The client's Completion message, framed by that protocol.
    pub(crate) completion: Bytes,
}

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError(String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Why a payload could not be written: MessagePack cannot describe a string or byte payload of
/// 4 GiB or more (far beyond what Redis accepts in one message anyway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EncodeError(usize);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} items or bytes are too many for MessagePack", self.0)
    }
}

impl std::error::Error for EncodeError {}

impl InvocationEnvelope {
    /// The payload: the 2-item form, or the 4-item form when `reply` is set.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        array(&mut out, if self.reply.is_some() { 4 } else { 2 })?;
        array(&mut out, self.excluded.len())?;
        for id in &self.excluded {
            string(&mut out, id)?;
        }
        map(&mut out, self.message.entries.len())?;
        for (protocol, bytes) in &self.message.entries {
            string(&mut out, protocol)?;
            binary(&mut out, bytes)?;
        }
        if let Some(reply) = &self.reply {
            string(&mut out, &reply.invocation_id)?;
            string(&mut out, &reply.channel)?;
        }
        Ok(out)
    }

    /// Reads a payload, copying the serialized messages out of `bytes`.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::read(&mut Reader::new(bytes, None)).map_err(|e| e.within("Invocation"))
    }

    /// Reads a payload; the serialized messages share `bytes` instead of being copied, which
    /// matters for large messages fanned out to many connections.
    pub(crate) fn decode_shared(bytes: &Bytes) -> Result<Self, DecodeError> {
        Self::read(&mut Reader::new(bytes, Some(bytes))).map_err(|e| e.within("Invocation"))
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let len = r.array_of_at_least(2)?;
        let excluded = r.excluded()?;
        let message = r.serialized_message()?;
        let mut reply = None;
        // Like .NET, the reply fields are read only when there are more than 3 items, so a
        // 3-item array from some future writer still reads as a plain invocation.
        if len > 3 {
            let invocation_id = r.str_or_nil("invocation id")?;
            let channel = r.str_or_nil("return channel")?;
            // .NET treats a null or empty id as "no client result"; without a channel there is
            // nowhere to answer, so that also degrades to a plain invocation.
            if let (Some(id), Some(channel)) = (invocation_id, channel) {
                if !id.is_empty() && !channel.is_empty() {
                    let (invocation_id, channel) = (id.into_owned(), channel.into_owned());
                    reply = Some(ReplyTo { invocation_id, channel });
                }
            }
        }
        r.finish(len.saturating_sub(if len > 3 { 4 } else { 2 }))?;
        Ok(InvocationEnvelope { excluded, message, reply })
    }
}

impl GroupCommand {
    /// The 5-item payload.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        array(&mut out, 5)?;
        int(&mut out, self.id);
        string(&mut out, &self.server_name)?;
        int(&mut out, self.action as i32);
        string(&mut out, &self.group)?;
        string(&mut out, &self.connection_id)?;
        Ok(out)
    }

    /// Reads a payload. An action other than 1 or 2 is an error: no writer sends one.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::read(&mut Reader::new(bytes, None)).map_err(|e| e.within("GroupCommand"))
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let len = r.array_of_at_least(5)?;
        let id = r.int("id")?;
        let server_name = r.string("server name")?;
        let action = match r.int("action")? {
            1 => GroupAction::Add,
            2 => GroupAction::Remove,
            other => return Err(DecodeError(format!("unknown group action {other}"))),
        };
        let group = r.string("group name")?;
        let connection_id = r.string("connection id")?;
        r.finish(len - 5)?;
        Ok(GroupCommand { id, server_name, action, group, connection_id })
    }
}

impl Ack {
    /// The 1-item payload.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = vec![0x91];
        int(&mut out, self.id);
        out
    }

    /// Reads a payload.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let read = |r: &mut Reader<'_>| -> Result<Self, DecodeError> {
            let len = r.array_of_at_least(1)?;
            let id = r.int("id")?;
            r.finish(len - 1)?;
            Ok(Ack { id })
        };
        read(&mut Reader::new(bytes, None)).map_err(|e| e.within("Ack"))
    }
}

impl CompletionEnvelope {
    /// The 2-item payload.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        array(&mut out, 2)?;
        string(&mut out, &self.protocol)?;
        binary(&mut out, &self.completion)?;
        Ok(out)
    }

    /// Reads a payload, copying the completion out of `bytes`.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::read(&mut Reader::new(bytes, None)).map_err(|e| e.within("Completion"))
    }

    /// Reads a payload; the completion shares `bytes` instead of being copied.
    pub(crate) fn decode_shared(bytes: &Bytes) -> Result<Self, DecodeError> {
        Self::read(&mut Reader::new(bytes, Some(bytes))).map_err(|e| e.within("Completion"))
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let len = r.array_of_at_least(2)?;
        let protocol = r.string("protocol name")?;
        let completion = r.bin_or_nil("completion")?;
        let completion = completion.ok_or_else(|| DecodeError("completion: nil".into()))?;
        r.finish(len - 2)?;
        Ok(CompletionEnvelope { protocol, completion })
    }
}

impl DecodeError {
    fn within(self, envelope: &str) -> Self {
        DecodeError(format!("{envelope}: {}", self.0))
    }
}

fn len_u32(len: usize) -> Result<u32, EncodeError> {
    u32::try_from(len).map_err(|_| EncodeError(len))
}

// Writes into a `Vec` cannot fail, so rmp's write errors are discarded; lengths, the one thing
// that can be wrong, are checked before rmp sees them because rmp's own helpers truncate them.
fn array(out: &mut Vec<u8>, len: usize) -> Result<(), EncodeError> {
    let _ = rmp::encode::write_array_len(out, len_u32(len)?);
    Ok(())
}

fn map(out: &mut Vec<u8>, len: usize) -> Result<(), EncodeError> {
    let _ = rmp::encode::write_map_len(out, len_u32(len)?);
    Ok(())
}

fn string(out: &mut Vec<u8>, text: &str) -> Result<(), EncodeError> {
    let _ = rmp::encode::write_str_len(out, len_u32(text.len())?);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

fn binary(out: &mut Vec<u8>, data: &[u8]) -> Result<(), EncodeError> {
    let _ = rmp::encode::write_bin_len(out, len_u32(data.len())?);
    out.extend_from_slice(data);
    Ok(())
}

/// Signed writes pick the same forms as MessagePack-CSharp: positive values as fixint or uint8/16/32.
fn int(out: &mut Vec<u8>, value: i32) {
    let _ = rmp::encode::write_sint(out, i64::from(value));
}

const NIL: u8 = 0xc0;

/// A cursor over an untrusted payload.
struct Reader<'a> {
    rest: &'a [u8],
    /// The whole payload when it is shared, so byte values can point into it instead of copying.
    shared: Option<&'a Bytes>,
}

fn describe<E: RmpReadErr>(what: &str, error: NumValueReadError<E>) -> DecodeError {
    DecodeError(match error {
        NumValueReadError::TypeMismatch(marker) => format!("{what}: unexpected {marker:?}"),
        NumValueReadError::OutOfRange => format!("{what}: integer out of range"),
        _ => format!("{what}: the payload ends early"),
    })
}

impl<'a> Reader<'a> {
    fn new(rest: &'a [u8], shared: Option<&'a Bytes>) -> Self {
        Reader { rest, shared }
    }

    fn truncated(what: &str) -> DecodeError {
        DecodeError(format!("{what}: the payload ends early"))
    }

    /// Consumes a `nil` if one comes next.
    fn nil(&mut self) -> bool {
        match self.rest.split_first() {
            Some((&NIL, tail)) => {
                self.rest = tail;
                true
            }
            _ => false,
        }
    }

    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        let (head, tail) = self.rest.split_at_checked(len).ok_or_else(|| Self::truncated(what))?;
        self.rest = tail;
        Ok(head)
    }

    /// A big-endian length of `width` bytes.
    fn length(&mut self, width: usize) -> Result<u64, DecodeError> {
        let bytes = self.take(width, "length")?;
        Ok(bytes.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn array_of_at_least(&mut self, min: u32) -> Result<u32, DecodeError> {
        let len = rmp::decode::read_array_len(&mut self.rest)
            .map_err(|e| describe("expected an array", e.into()))?;
        if len < min {
            return Err(DecodeError(format!(
                "expected an array of at least {min} items, found {len}"
            )));
        }
        Ok(len)
    }

    /// An `Int32` in any integer encoding, as .NET's reader accepts.
    fn int(&mut self, what: &str) -> Result<i32, DecodeError> {
        rmp::decode::read_int(&mut self.rest).map_err(|e| describe(what, e))
    }

    /// A string, or `None` for `nil`. Invalid UTF-8 is replaced rather than rejected, as .NET's
    /// decoder does, so both sides see the same (unmatchable) text instead of dropping a message.
    fn str_or_nil(&mut self, what: &str) -> Result<Option<Cow<'a, str>>, DecodeError> {
        if self.nil() {
            return Ok(None);
        }
        let len = rmp::decode::read_str_len(&mut self.rest).map_err(|e| describe(what, e.into()))?;
        let data = self.take(usize::try_from(len).unwrap_or(usize::MAX), what)?;
        Ok(Some(String::from_utf8_lossy(data)))
    }

    /// A string that .NET never leaves null.
    fn string(&mut self, what: &str) -> Result<String, DecodeError> {
        let text = self.str_or_nil(what)?;
        text.map(Cow::into_owned).ok_or_else(|| DecodeError(format!("{what}: nil")))
    }

    fn bin_or_nil(&mut self, what: &str) -> Result<Option<Bytes>, DecodeError> {
        if self.nil() {
            return Ok(None);
        }
        let len = rmp::decode::read_bin_len(&mut self.rest).map_err(|e| describe(what, e.into()))?;
        let data = self.take(usize::try_from(len).unwrap_or(usize::MAX), what)?;
        Ok(Some(self.to_bytes(data)))
    }

    fn to_bytes(&self, data: &'a [u8]) -> Bytes {
        if let Some(shared) = self.shared {
            // `data` was taken from `shared`, so it ends where the unread rest begins.
            let end = shared.len().saturating_sub(self.rest.len());
            let start = end.saturating_sub(data.len());
            if shared.get(start..end).map(<[u8]>::as_ptr) == Some(data.as_ptr()) {
                return shared.slice(start..end);
            }
        }
        Bytes::copy_from_slice(data)
    }

    /// Excluded connection ids. .NET always writes an array, but `nil` is read as "none" and a
    /// `nil` id is dropped: neither can exclude a real connection.
    fn excluded(&mut self) -> Result<Vec<String>, DecodeError> {
        if self.nil() {
            return Ok(Vec::new());
        }
        let count = rmp::decode::read_array_len(&mut self.rest)
            .map_err(|e| describe("excluded ids", e.into()))?;
        // Each id takes at least one byte: never reserve more than the input could hold.
        let mut ids = Vec::with_capacity(self.rest.len().min(usize::try_from(count).unwrap_or(usize::MAX)));
        for _ in 0..count {
            if let Some(id) = self.str_or_nil("excluded id")? {
                ids.push(id.into_owned());
            }
        }
        Ok(ids)
    }

    /// The protocol map. An entry whose name or bytes are `nil` is dropped: it could never be
    /// delivered, which is what a missing protocol means too.
    fn serialized_message(&mut self) -> Result<SerializedMessage, DecodeError> {
        let count = rmp::decode::read_map_len(&mut self.rest)
            .map_err(|e| describe("serialized message", e.into()))?;
        let mut entries = Vec::with_capacity((self.rest.len() / 2).min(usize::try_from(count).unwrap_or(usize::MAX)));
        for _ in 0..count {
            let name = self.str_or_nil("protocol name")?;
            let bytes = self.bin_or_nil("serialized message")?;
            if let (Some(name), Some(bytes)) = (name, bytes) {
                entries.push((name.into_owned(), bytes));
            }
        }
        Ok(SerializedMessage { entries })
    }

    /// Skips `extra` trailing array items, then insists the payload ends: it is one value.
    fn finish(&mut self, extra: u32) -> Result<(), DecodeError> {
        self.skip(extra)?;
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError(format!("{} bytes after the array", self.rest.len())))
        }
    }

    /// Skips `count` whole values of any kind. It keeps a count of values still to skip instead of
    /// recursing, so nesting depth costs nothing, and it fails as soon as more values are due than
    /// bytes remain, so a huge claimed length is rejected without looping over it.
    fn skip(&mut self, count: u32) -> Result<(), DecodeError> {
        let mut pending = u64::from(count);
        while pending > 0 {
            if pending > self.rest.len() as u64 {
                return Err(Self::truncated("extra items"));
            }
            pending -= 1;
            let marker = rmp::decode::read_marker(&mut self.rest)
                .map_err(|_| Self::truncated("extra items"))?;
            let (data, children) = match marker {
                Marker::FixPos(_) | Marker::FixNeg(_) => (0, 0),
                Marker::Null | Marker::True | Marker::False => (0, 0),
                Marker::U8 | Marker::I8 => (1, 0),
                Marker::U16 | Marker::I16 => (2, 0),
                Marker::U32 | Marker::I32 | Marker::F32 => (4, 0),
                Marker::U64 | Marker::I64 | Marker::F64 => (8, 0),
                Marker::FixStr(len) => (u64::from(len), 0),
                Marker::Str8 | Marker::Bin8 => (self.length(1)?, 0),
                Marker::Str16 | Marker::Bin16 => (self.length(2)?, 0),
                Marker::Str32 | Marker::Bin32 => (self.length(4)?, 0),
                Marker::FixArray(len) => (0, u64::from(len)),
                Marker::Array16 => (0, self.length(2)?),
                Marker::Array32 => (0, self.length(4)?),
                Marker::FixMap(len) => (0, 2 * u64::from(len)),
                Marker::Map16 => (0, 2 * self.length(2)?),
                Marker::Map32 => (0, 2 * self.length(4)?),
                // Extensions carry a type byte before their data.
                Marker::FixExt1 => (2, 0),
                Marker::FixExt2 => (3, 0),
                Marker::FixExt4 => (5, 0),
                Marker::FixExt8 => (9, 0),
                Marker::FixExt16 => (17, 0),
                Marker::Ext8 => (self.length(1)? + 1, 0),
                Marker::Ext16 => (self.length(2)? + 1, 0),
                Marker::Ext32 => (self.length(4)? + 1, 0),
                Marker::Reserved => return Err(DecodeError("reserved marker 0xc1".into())),
            };
            self.take(usize::try_from(data).unwrap_or(usize::MAX), "extra items")?;
            pending += children;
        }
        Ok(())
    }
}
