//! The MessagePack payloads that servers exchange over the Redis backplane, byte-compatible with
//! ASP.NET Core's `Microsoft.AspNetCore.SignalR.StackExchangeRedis` (REDIS-BACKPLANE.md §2).
//!
//! Every payload is one MessagePack array. Writers pick the smallest header and integer forms, as
//! MessagePack-CSharp does, so .NET peers get the very bytes another .NET server would send.
//! Readers accept what .NET accepts: any integer encoding, arrays longer than the minimum (extra
//! items are skipped), `nil` where .NET may write a null string. Decoding untrusted bytes never
//! panics, and nothing is reserved from a length the payload has not yet proven it holds.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use rmp::Marker;
use rmp::decode::{NumValueReadError, RmpReadErr};

/// One hub message serialized for each protocol: protocol name and the framed bytes a client of
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
        let mut entries = self.entries.iter();
        entries
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
    /// Set for a client-result invocation, which then travels in the 4-item form.
    pub(crate) reply: Option<ReplyTo>,
}

/// What a group command asks the owner of a connection to do. The numbers are the wire values.
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
    /// The sender's counter. It is an `Int32` in .NET and may wrap to negative values.
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
    /// The protocol of the answering client, which the receiver parses `completion` with.
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

/// Why a payload could not be written: MessagePack has no header for a string, payload or list
/// of 2^32 or more bytes or items (far past what Redis accepts in one message anyway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EncodeError(usize);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a length of {} does not fit in MessagePack", self.0)
    }
}

impl std::error::Error for EncodeError {}

impl InvocationEnvelope {
    /// The payload: the 2-item form, or the 4-item form when `reply` is set.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = vec![if self.reply.is_some() { 0x94 } else { 0x92 }]; // fixarray(4 or 2)
        header(&mut out, rmp::encode::write_array_len, self.excluded.len())?;
        for id in &self.excluded {
            string(&mut out, id)?;
        }
        let entries = &self.message.entries;
        header(&mut out, rmp::encode::write_map_len, entries.len())?;
        for (protocol, bytes) in entries {
            string(&mut out, protocol)?;
            header(&mut out, rmp::encode::write_bin_len, bytes.len())?;
            out.extend_from_slice(bytes);
        }
        if let Some(reply) = &self.reply {
            string(&mut out, &reply.invocation_id)?;
            string(&mut out, &reply.channel)?;
        }
        Ok(out)
    }

    /// Reads a payload. The reply fields are read only from arrays of more than 3 items, as .NET
    /// does, and a `nil` or empty id or channel reads as a plain invocation: .NET keys client
    /// results on a non-empty id, and without a channel there is nowhere to answer.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode_array(bytes, "Invocation", 2, |r, len| {
            let (excluded, message) = (r.excluded()?, r.serialized_message()?);
            let mut envelope = InvocationEnvelope {
                excluded,
                message,
                reply: None,
            };
            if len <= 3 {
                return Ok((envelope, 2));
            }
            let id = r.str_or_nil("invocation id")?;
            let channel = r.str_or_nil("return channel")?;
            envelope.reply = match (id, channel) {
                (Some(id), Some(channel)) if !id.is_empty() && !channel.is_empty() => {
                    let (invocation_id, channel) = (id.into_owned(), channel.into_owned());
                    Some(ReplyTo {
                        invocation_id,
                        channel,
                    })
                }
                _ => None,
            };
            Ok((envelope, 4))
        })
    }
}

impl GroupCommand {
    /// The 5-item payload.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = vec![0x95]; // fixarray(5)
        int(&mut out, self.id);
        string(&mut out, &self.server_name)?;
        int(&mut out, self.action as i32);
        string(&mut out, &self.group)?;
        string(&mut out, &self.connection_id)?;
        Ok(out)
    }

    /// Reads a payload. An action other than 1 or 2 is an error: no writer sends one.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode_array(bytes, "GroupCommand", 5, |r, _| {
            let command = GroupCommand {
                id: r.int("id")?,
                server_name: r.string("server name")?,
                action: match r.int("action")? {
                    1 => GroupAction::Add,
                    2 => GroupAction::Remove,
                    other => return Err(DecodeError(format!("unknown group action {other}"))),
                },
                group: r.string("group name")?,
                connection_id: r.string("connection id")?,
            };
            Ok((command, 5))
        })
    }
}

impl Ack {
    /// The 1-item payload.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = vec![0x91]; // fixarray(1)
        int(&mut out, self.id);
        out
    }

    /// Reads a payload.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode_array(bytes, "Ack", 1, |r, _| Ok((Ack { id: r.int("id")? }, 1)))
    }
}

impl CompletionEnvelope {
    /// The 2-item payload.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = vec![0x92]; // fixarray(2)
        string(&mut out, &self.protocol)?;
        header(&mut out, rmp::encode::write_bin_len, self.completion.len())?;
        out.extend_from_slice(&self.completion);
        Ok(out)
    }

    /// Reads a payload. Both items are required: without them the answer cannot be parsed.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode_array(bytes, "Completion", 2, |r, _| {
            let protocol = r.string("protocol name")?;
            let completion = r.bin_or_nil("completion")?;
            let completion = completion.ok_or_else(|| DecodeError("completion: nil".into()))?;
            Ok((
                CompletionEnvelope {
                    protocol,
                    completion,
                },
                2,
            ))
        })
    }
}

/// Writes a length header with one of rmp's writers, which pick the smallest form. The length is
/// checked here because rmp's whole-value writers would silently truncate it to 32 bits.
fn header<F, E>(out: &mut Vec<u8>, write: F, len: usize) -> Result<(), EncodeError>
where
    F: FnOnce(&mut Vec<u8>, u32) -> Result<Marker, E>,
{
    let len32 = u32::try_from(len).map_err(|_| EncodeError(len))?;
    // Writing into a Vec cannot fail.
    let _ = write(out, len32);
    Ok(())
}

/// Writes a string as fixstr/str8/16/32, whichever is smallest.
fn string(out: &mut Vec<u8>, text: &str) -> Result<(), EncodeError> {
    header(out, rmp::encode::write_str_len, text.len())?;
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// The same forms MessagePack-CSharp picks for an `Int32`: fixint or uint8/16/32 when positive.
fn int(out: &mut Vec<u8>, value: i32) {
    let _ = rmp::encode::write_sint(out, i64::from(value));
}

/// Reads `bytes` as one array of at least `min` items. `read` gets the array's length and returns
/// the value and how many items it read; the rest are skipped. Bytes after the array are an
/// error: every writer sends exactly one value.
fn decode_array<T>(
    bytes: &[u8],
    envelope: &str,
    min: u32,
    read: impl FnOnce(&mut Reader<'_>, u32) -> Result<(T, u32), DecodeError>,
) -> Result<T, DecodeError> {
    let mut r = Reader { rest: bytes };
    let decode = || {
        let len = rmp::decode::read_array_len(&mut r.rest).map_err(|e| describe("array", e))?;
        if len < min {
            let text = format!("expected an array of at least {min} items, found {len}");
            return Err(DecodeError(text));
        }
        let (value, used) = read(&mut r, len)?;
        r.skip(len.saturating_sub(used))?;
        match r.rest.len() {
            0 => Ok(value),
            n => Err(DecodeError(format!("{n} bytes after the array"))),
        }
    };
    decode().map_err(|e| DecodeError(format!("{envelope}: {}", e.0)))
}

/// Turns one of rmp's read errors into ours. Reading from a slice fails only on a wrong marker,
/// an integer out of range, or running out of bytes.
fn describe<E: RmpReadErr>(what: &str, error: impl Into<NumValueReadError<E>>) -> DecodeError {
    DecodeError(match error.into() {
        NumValueReadError::TypeMismatch(marker) => format!("{what}: unexpected {marker:?}"),
        NumValueReadError::OutOfRange => format!("{what}: integer out of range"),
        _ => format!("{what}: the payload ends early"),
    })
}

/// A cursor over an untrusted payload.
struct Reader<'a> {
    /// What is still unread.
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Consumes a `nil` if one comes next.
    fn nil(&mut self) -> bool {
        if let Some(tail) = self.rest.strip_prefix(&[0xc0]) {
            self.rest = tail;
            return true;
        }
        false
    }

    /// The next `len` bytes, which must all be there.
    fn take(&mut self, len: u64, what: &str) -> Result<&'a [u8], DecodeError> {
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let Some((head, tail)) = self.rest.split_at_checked(len) else {
            return Err(DecodeError(format!("{what}: the payload ends early")));
        };
        self.rest = tail;
        Ok(head)
    }

    /// A big-endian length of `width` bytes.
    fn length(&mut self, width: u64) -> Result<u64, DecodeError> {
        let bytes = self.take(width, "length")?;
        Ok(bytes.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// An `Int32` in any integer encoding, as .NET reads one.
    fn int(&mut self, what: &str) -> Result<i32, DecodeError> {
        rmp::decode::read_int(&mut self.rest).map_err(|e| describe(what, e))
    }

    /// A string, or `None` for `nil`. Invalid UTF-8 is replaced rather than rejected, as .NET's
    /// decoder does, so both sides see the same (unmatchable) text and deliver the same messages.
    fn str_or_nil(&mut self, what: &str) -> Result<Option<Cow<'a, str>>, DecodeError> {
        if self.nil() {
            return Ok(None);
        }
        let len = rmp::decode::read_str_len(&mut self.rest).map_err(|e| describe(what, e))?;
        Ok(Some(String::from_utf8_lossy(self.take(len.into(), what)?)))
    }

    /// A string that .NET never writes as null.
    fn string(&mut self, what: &str) -> Result<String, DecodeError> {
        let text = self.str_or_nil(what)?.map(Cow::into_owned);
        text.ok_or_else(|| DecodeError(format!("{what}: nil")))
    }

    /// Bytes (bin8/16/32, never str), or `None` for `nil`.
    fn bin_or_nil(&mut self, what: &str) -> Result<Option<Bytes>, DecodeError> {
        if self.nil() {
            return Ok(None);
        }
        let len = rmp::decode::read_bin_len(&mut self.rest).map_err(|e| describe(what, e))?;
        Ok(Some(Bytes::copy_from_slice(self.take(len.into(), what)?)))
    }

    /// Excluded connection ids. .NET always writes an array, but `nil` reads as none and a `nil`
    /// id is dropped: neither could exclude a real connection. The list grows as ids are actually
    /// read rather than being reserved from the claimed count.
    fn excluded(&mut self) -> Result<Vec<String>, DecodeError> {
        let mut ids = Vec::new();
        if !self.nil() {
            let count = rmp::decode::read_array_len(&mut self.rest)
                .map_err(|e| describe("excluded ids", e))?;
            for _ in 0..count {
                ids.extend(self.str_or_nil("excluded id")?.map(Cow::into_owned));
            }
        }
        Ok(ids)
    }

    /// The protocol map. An entry whose name or bytes are `nil` is dropped: it can never be
    /// delivered, just like a protocol the sender left out.
    fn serialized_message(&mut self) -> Result<SerializedMessage, DecodeError> {
        let count = rmp::decode::read_map_len(&mut self.rest)
            .map_err(|e| describe("serialized message", e))?;
        let mut entries = Vec::new();
        for _ in 0..count {
            let name = self.str_or_nil("protocol name")?;
            if let (Some(name), Some(bytes)) = (name, self.bin_or_nil("serialized message")?) {
                entries.push((name.into_owned(), bytes));
            }
        }
        Ok(SerializedMessage { entries })
    }

    /// Skips `count` whole values of any kind. It counts the values still due instead of
    /// recursing, so nesting depth costs no stack, and it stops as soon as more values are due
    /// than bytes remain (each takes at least one), so a huge claimed length fails at once.
    fn skip(&mut self, count: u32) -> Result<(), DecodeError> {
        let mut due = u64::from(count);
        while due > 0 {
            let first = match self.rest.split_first() {
                Some((&first, tail)) if due <= tail.len() as u64 + 1 => {
                    self.rest = tail;
                    first
                }
                _ => return Err(DecodeError("extra items: the payload ends early".into())),
            };
            due -= 1;
            // (data bytes to pass over, values nested inside)
            let (data, nested) = match Marker::from_u8(first) {
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
                // An extension's data follows its one-byte type.
                Marker::FixExt1 => (2, 0),
                Marker::FixExt2 => (3, 0),
                Marker::FixExt4 => (5, 0),
                Marker::FixExt8 => (9, 0),
                Marker::FixExt16 => (17, 0),
                Marker::Ext8 => (self.length(1)? + 1, 0),
                Marker::Ext16 => (self.length(2)? + 1, 0),
                Marker::Ext32 => (self.length(4)? + 1, 0),
                Marker::Reserved => return Err(DecodeError("extra items: marker 0xc1".into())),
            };
            self.take(data, "extra items")?;
            due += nested;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
