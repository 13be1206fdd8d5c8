//! The MessagePack hub protocol: each message is one MessagePack array, behind a length prefix.
//!
//! Layouts follow ASP.NET Core's `MessagePackHubProtocol`: `[type, headers, ...]` with fields by
//! position. Reading takes what the official clients send (the JavaScript client leaves out the
//! stream ids of an invocation and the `allowReconnect` flag of a close) and tolerates extra
//! trailing items. Writing always uses ASP.NET Core's full layouts.

use std::fmt::Display;

use bytes::Bytes;
use rmp::Marker;

use super::Value;
use super::framing::write_length_prefix;
use super::message::{
    Ack, CancelInvocation, Close, Completion, Headers, HubMessage, Invocation, Outcome, Sequence,
    StreamItem,
};
use crate::error::ProtocolError;

// ---------------------------------------------------------------------------------------------
// Reading MessagePack values without copying
// ---------------------------------------------------------------------------------------------

/// The extension type of MessagePack timestamps.
pub(crate) const TIMESTAMP: i8 = -1;

/// One MessagePack item: a scalar, or the header of an array or map whose items follow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Token<'a> {
    Nil,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    F32(f32),
    F64(f64),
    /// The bytes of a string, not yet checked to be UTF-8.
    Str(&'a [u8]),
    Bin(&'a [u8]),
    /// An array header; that many values follow.
    Array(u32),
    /// A map header; that many key-value pairs follow.
    Map(u32),
    /// An extension value: its type and data.
    Ext(i8, &'a [u8]),
}

fn take<'a>(rest: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
    let (head, tail) = rest.split_at_checked(len)?;
    *rest = tail;
    Some(head)
}

fn take_array<const N: usize>(rest: &mut &[u8]) -> Option<[u8; N]> {
    take(rest, N)?.try_into().ok()
}

fn take_len(rest: &mut &[u8], width: usize) -> Option<u32> {
    Some(match width {
        1 => u32::from(u8::from_be_bytes(take_array(rest)?)),
        2 => u32::from(u16::from_be_bytes(take_array(rest)?)),
        _ => u32::from_be_bytes(take_array(rest)?),
    })
}

fn take_data<'a>(rest: &mut &'a [u8], len: u32) -> Option<&'a [u8]> {
    take(rest, usize::try_from(len).ok()?)
}

/// Data behind a big-endian length of `width` bytes.
fn take_sized<'a>(rest: &mut &'a [u8], width: usize) -> Option<&'a [u8]> {
    let len = take_len(rest, width)?;
    take_data(rest, len)
}

fn take_ext<'a>(rest: &mut &'a [u8], len: u32) -> Option<Token<'a>> {
    let kind = i8::from_be_bytes(take_array(rest)?);
    Some(Token::Ext(kind, take_data(rest, len)?))
}

/// Reads one token off the front of `rest`; `None` when the bytes are malformed or end early.
pub(crate) fn read_token<'a>(rest: &mut &'a [u8]) -> Option<Token<'a>> {
    let (&first, tail) = rest.split_first()?;
    *rest = tail;
    Some(match Marker::from_u8(first) {
        Marker::FixPos(value) => Token::Unsigned(u64::from(value)),
        Marker::FixNeg(value) => Token::Signed(i64::from(value)),
        Marker::Null => Token::Nil,
        Marker::True => Token::Bool(true),
        Marker::False => Token::Bool(false),
        Marker::U8 => Token::Unsigned(u64::from(u8::from_be_bytes(take_array(rest)?))),
        Marker::U16 => Token::Unsigned(u64::from(u16::from_be_bytes(take_array(rest)?))),
        Marker::U32 => Token::Unsigned(u64::from(u32::from_be_bytes(take_array(rest)?))),
        Marker::U64 => Token::Unsigned(u64::from_be_bytes(take_array(rest)?)),
        Marker::I8 => Token::Signed(i64::from(i8::from_be_bytes(take_array(rest)?))),
        Marker::I16 => Token::Signed(i64::from(i16::from_be_bytes(take_array(rest)?))),
        Marker::I32 => Token::Signed(i64::from(i32::from_be_bytes(take_array(rest)?))),
        Marker::I64 => Token::Signed(i64::from_be_bytes(take_array(rest)?)),
        Marker::F32 => Token::F32(f32::from_be_bytes(take_array(rest)?)),
        Marker::F64 => Token::F64(f64::from_be_bytes(take_array(rest)?)),
        Marker::FixStr(len) => Token::Str(take_data(rest, u32::from(len))?),
        Marker::Str8 => Token::Str(take_sized(rest, 1)?),
        Marker::Str16 => Token::Str(take_sized(rest, 2)?),
        Marker::Str32 => Token::Str(take_sized(rest, 4)?),
        Marker::Bin8 => Token::Bin(take_sized(rest, 1)?),
        Marker::Bin16 => Token::Bin(take_sized(rest, 2)?),
        Marker::Bin32 => Token::Bin(take_sized(rest, 4)?),
        Marker::FixArray(len) => Token::Array(u32::from(len)),
        Marker::Array16 => Token::Array(take_len(rest, 2)?),
        Marker::Array32 => Token::Array(take_len(rest, 4)?),
        Marker::FixMap(len) => Token::Map(u32::from(len)),
        Marker::Map16 => Token::Map(take_len(rest, 2)?),
        Marker::Map32 => Token::Map(take_len(rest, 4)?),
        Marker::FixExt1 => take_ext(rest, 1)?,
        Marker::FixExt2 => take_ext(rest, 2)?,
        Marker::FixExt4 => take_ext(rest, 4)?,
        Marker::FixExt8 => take_ext(rest, 8)?,
        Marker::FixExt16 => take_ext(rest, 16)?,
        Marker::Ext8 => {
            let len = take_len(rest, 1)?;
            take_ext(rest, len)?
        }
        Marker::Ext16 => {
            let len = take_len(rest, 2)?;
            take_ext(rest, len)?
        }
        Marker::Ext32 => {
            let len = take_len(rest, 4)?;
            take_ext(rest, len)?
        }
        Marker::Reserved => return None,
    })
}

/// Moves `rest` past one whole value, however deeply nested, without recursion.
pub(crate) fn skip_value(rest: &mut &[u8]) -> Option<()> {
    let mut pending: u64 = 1;
    while pending > 0 {
        pending -= 1;
        match read_token(rest)? {
            Token::Array(len) => pending = pending.saturating_add(u64::from(len)),
            Token::Map(len) => pending = pending.saturating_add(2 * u64::from(len)),
            _ => {}
        }
    }
    Some(())
}

/// A MessagePack timestamp (extension type -1) as .NET writes a UTC `DateTime` in JSON, such as
/// `2024-01-02T03:04:05.5Z`; `None` when malformed or outside the years 0001 to 9999.
pub(crate) fn timestamp_to_iso8601(data: &[u8]) -> Option<String> {
    let (seconds, nanos) = match data.len() {
        4 => (i64::from(u32::from_be_bytes(data.try_into().ok()?)), 0),
        8 => {
            let packed = u64::from_be_bytes(data.try_into().ok()?);
            let seconds = i64::try_from(packed & 0x3_ffff_ffff).ok()?;
            (seconds, u32::try_from(packed >> 34).ok()?)
        }
        12 => {
            let (nanos, seconds) = data.split_at_checked(4)?;
            (
                i64::from_be_bytes(seconds.try_into().ok()?),
                u32::from_be_bytes(nanos.try_into().ok()?),
            )
        }
        _ => return None,
    };
    if nanos >= 1_000_000_000 {
        return None;
    }
    let (days, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm), checked to .NET's range.
    if !(-719_162..=2_932_896).contains(&days) {
        return None;
    }
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let mut text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        time / 3_600,
        time / 60 % 60,
        time % 60
    );
    if nanos > 0 {
        let fraction = format!("{nanos:09}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push('Z');
    Some(text)
}

// ---------------------------------------------------------------------------------------------
// Parsing hub messages
// ---------------------------------------------------------------------------------------------

fn invalid(text: impl Into<String>) -> ProtocolError {
    ProtocolError::InvalidMessagePack(text.into())
}

fn read_failed(field: &str, kind: &str) -> ProtocolError {
    invalid(format!("Reading '{field}' as {kind} failed."))
}

/// Reads the items of one message array in order.
struct Reader<'a> {
    record: &'a Bytes,
    rest: &'a [u8],
    /// Items of the message array not read yet.
    items: u32,
}

impl<'a> Reader<'a> {
    fn start(record: &'a Bytes) -> Result<Self, ProtocolError> {
        let mut rest = record.as_ref();
        match read_token(&mut rest) {
            Some(Token::Array(items)) => Ok(Reader {
                record,
                rest,
                items,
            }),
            _ => Err(invalid("Reading array length for 'message' failed.")),
        }
    }

    /// Moves to the next item of the message array, which must be there.
    fn item(&mut self, field: &'static str) -> Result<(), ProtocolError> {
        self.items = self
            .items
            .checked_sub(1)
            .ok_or(ProtocolError::MissingProperty(field))?;
        Ok(())
    }

    /// Moves to the next item of the message array if there is one.
    fn optional_item(&mut self) -> bool {
        let present = self.items > 0;
        self.items = self.items.saturating_sub(1);
        present
    }

    fn token(&mut self) -> Option<Token<'a>> {
        read_token(&mut self.rest)
    }

    /// A string or nil; `None` for anything else.
    fn string(&mut self) -> Option<Option<String>> {
        match self.token()? {
            Token::Nil => Some(None),
            Token::Str(bytes) => std::str::from_utf8(bytes).ok().map(|s| Some(s.to_owned())),
            _ => None,
        }
    }

    fn int(&mut self) -> Option<i64> {
        match self.token()? {
            Token::Unsigned(value) => i64::try_from(value).ok(),
            Token::Signed(value) => Some(value),
            _ => None,
        }
    }

    fn array_len(&mut self, field: &str) -> Result<u32, ProtocolError> {
        match self.token() {
            Some(Token::Array(len)) => Ok(len),
            _ => Err(invalid(format!(
                "Reading array length for '{field}' failed."
            ))),
        }
    }

    /// One whole value, kept raw: a slice of the record, not a copy.
    fn raw(&mut self, field: &str) -> Result<Value, ProtocolError> {
        let before = self.rest;
        let malformed = || invalid(format!("Reading '{field}' failed."));
        skip_value(&mut self.rest).ok_or_else(malformed)?;
        let (value, _) = before
            .split_at_checked(before.len() - self.rest.len())
            .ok_or_else(malformed)?;
        Ok(Value::raw_msgpack(self.record.slice_ref(value)))
    }

    fn headers(&mut self) -> Result<Headers, ProtocolError> {
        self.item("headers")?;
        let len = match self.token() {
            Some(Token::Map(len)) => len,
            _ => return Err(invalid("Reading map length for 'headers' failed.")),
        };
        let mut headers = Headers::new();
        for index in 0..len {
            let key = self
                .string()
                .ok_or_else(|| read_failed(&format!("headers[{index}].Key"), "String"))?
                .filter(|key| !key.is_empty())
                .ok_or_else(|| invalid("Null or empty key in header."))?;
            let value = self
                .string()
                .ok_or_else(|| read_failed(&format!("headers[{index}].Value"), "String"))?
                .filter(|value| !value.is_empty())
                .ok_or_else(|| invalid("Null or empty value in header."))?;
            headers.insert(key, value);
        }
        Ok(headers)
    }

    /// The invocation id, where nil and empty both mean none.
    fn invocation_id(&mut self) -> Result<Option<String>, ProtocolError> {
        self.item("invocationId")?;
        let id = self
            .string()
            .ok_or_else(|| read_failed("invocationId", "String"))?;
        Ok(id.filter(|id| !id.is_empty()))
    }

    fn required_invocation_id(&mut self) -> Result<String, ProtocolError> {
        self.invocation_id()?
            .ok_or(ProtocolError::MissingProperty("invocationId"))
    }

    fn sequence_id(&mut self) -> Result<u64, ProtocolError> {
        self.item("sequenceId")?;
        match self.token() {
            Some(Token::Unsigned(id)) => Ok(id),
            Some(Token::Signed(id)) => {
                u64::try_from(id).map_err(|_| read_failed("sequenceId", "Int64"))
            }
            _ => Err(read_failed("sequenceId", "Int64")),
        }
    }

    /// Headers, id, target, arguments and (when there are six items) stream ids.
    fn invocation(&mut self, id_required: bool) -> Result<Invocation, ProtocolError> {
        let headers = self.headers()?;
        let invocation_id = if id_required {
            Some(self.required_invocation_id()?)
        } else {
            self.invocation_id()?
        };
        self.item("target")?;
        let target = self
            .string()
            .ok_or_else(|| read_failed("target", "String"))?
            .filter(|target| !target.is_empty())
            .ok_or(ProtocolError::MissingProperty("target"))?;
        self.item("arguments")?;
        let count = self.array_len("arguments")?;
        let arguments = (0..count)
            .map(|_| self.raw("arguments"))
            .collect::<Result<Vec<_>, _>>()?;
        // The JavaScript client leaves the stream ids out when there are none.
        let stream_ids = if self.optional_item() {
            let count = self.array_len("streamIds")?;
            let ids = (0..count)
                .map(|_| {
                    self.string()
                        .ok_or_else(|| read_failed("streamIds", "String"))?
                        .filter(|id| !id.is_empty())
                        .ok_or_else(|| invalid("Null or empty value in streamIds received."))
                })
                .collect::<Result<Vec<_>, _>>()?;
            (!ids.is_empty()).then_some(ids)
        } else {
            None
        };
        Ok(Invocation {
            headers,
            invocation_id,
            target,
            arguments,
            stream_ids,
        })
    }

    fn completion(&mut self) -> Result<Completion, ProtocolError> {
        let headers = self.headers()?;
        let invocation_id = self.required_invocation_id()?;
        self.item("resultKind")?;
        let kind = self
            .int()
            .ok_or_else(|| read_failed("resultKind", "Int32"))?;
        let outcome = match kind {
            1 => {
                self.item("error")?;
                match self
                    .string()
                    .ok_or_else(|| read_failed("error", "String"))?
                {
                    Some(error) => Outcome::Error(error),
                    None => Outcome::Void,
                }
            }
            2 => Outcome::Void,
            3 => {
                self.item("result")?;
                Outcome::Value(self.raw("result")?)
            }
            _ => return Err(invalid("Invalid invocation result kind.")),
        };
        Ok(Completion {
            headers,
            invocation_id,
            outcome,
        })
    }

    fn close(&mut self) -> Result<Close, ProtocolError> {
        let error = if self.optional_item() {
            self.string()
                .ok_or_else(|| read_failed("error", "String"))?
        } else {
            None
        };
        let allow_reconnect = if self.optional_item() {
            match self.token() {
                Some(Token::Bool(allow)) => allow,
                _ => return Err(read_failed("allowReconnect", "Boolean")),
            }
        } else {
            false
        };
        Ok(Close {
            error,
            allow_reconnect,
        })
    }
}

/// Parses one record (without its length prefix); `Ok(None)` for a message type this server
/// does not know.
pub(crate) fn parse_message(record: &Bytes) -> Result<Option<HubMessage>, ProtocolError> {
    let mut reader = Reader::start(record)?;
    reader.item("type")?;
    let kind = reader
        .int()
        .ok_or_else(|| read_failed("messageType", "Int32"))?;
    let message = match kind {
        1 => HubMessage::Invocation(reader.invocation(false)?),
        2 => {
            let headers = reader.headers()?;
            let invocation_id = reader.required_invocation_id()?;
            reader.item("item")?;
            HubMessage::StreamItem(StreamItem {
                headers,
                invocation_id,
                item: reader.raw("item")?,
            })
        }
        3 => HubMessage::Completion(reader.completion()?),
        4 => HubMessage::StreamInvocation(reader.invocation(true)?),
        5 => HubMessage::CancelInvocation(CancelInvocation {
            headers: reader.headers()?,
            invocation_id: reader.required_invocation_id()?,
        }),
        6 => HubMessage::Ping,
        7 => HubMessage::Close(reader.close()?),
        8 => HubMessage::Ack(Ack {
            sequence_id: reader.sequence_id()?,
        }),
        9 => HubMessage::Sequence(Sequence {
            sequence_id: reader.sequence_id()?,
        }),
        _ => return Ok(None),
    };
    Ok(Some(message))
}

// ---------------------------------------------------------------------------------------------
// Writing hub messages
// ---------------------------------------------------------------------------------------------

/// Appends `message` with its length prefix to `out`.
pub(crate) fn write_message(message: &HubMessage, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    let mut body = Vec::new();
    write_body(message, &mut body)?;
    write_length_prefix(body.len(), out)?;
    out.extend_from_slice(&body);
    Ok(())
}

fn failed(error: impl Display) -> ProtocolError {
    ProtocolError::Serialize(error.to_string())
}

fn len_u32(len: usize) -> Result<u32, ProtocolError> {
    u32::try_from(len).map_err(failed)
}

fn array(out: &mut Vec<u8>, len: usize) -> Result<(), ProtocolError> {
    rmp::encode::write_array_len(out, len_u32(len)?).map_err(failed)?;
    Ok(())
}

fn uint(out: &mut Vec<u8>, value: u64) -> Result<(), ProtocolError> {
    rmp::encode::write_uint(out, value).map_err(failed)?;
    Ok(())
}

fn string(out: &mut Vec<u8>, text: &str) -> Result<(), ProtocolError> {
    rmp::encode::write_str(out, text).map_err(failed)
}

/// A string, or nil for `None` and for the empty string.
fn string_or_nil(out: &mut Vec<u8>, text: Option<&str>) -> Result<(), ProtocolError> {
    match text.filter(|text| !text.is_empty()) {
        Some(text) => string(out, text),
        None => rmp::encode::write_nil(out).map_err(failed),
    }
}

fn headers(out: &mut Vec<u8>, headers: &Headers) -> Result<(), ProtocolError> {
    rmp::encode::write_map_len(out, len_u32(headers.len())?).map_err(failed)?;
    for (key, value) in headers {
        string(out, key)?;
        string(out, value)?;
    }
    Ok(())
}

fn write_body(message: &HubMessage, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    match message {
        HubMessage::Invocation(call) => write_invocation(out, 1, call),
        HubMessage::StreamInvocation(call) => write_invocation(out, 4, call),
        HubMessage::StreamItem(item) => {
            array(out, 4)?;
            uint(out, 2)?;
            headers(out, &item.headers)?;
            string(out, &item.invocation_id)?;
            item.item.write_msgpack(out)
        }
        HubMessage::Completion(completion) => {
            let (kind, len) = match &completion.outcome {
                Outcome::Error(_) => (1, 5),
                Outcome::Void => (2, 4),
                Outcome::Value(_) => (3, 5),
            };
            array(out, len)?;
            uint(out, 3)?;
            headers(out, &completion.headers)?;
            string(out, &completion.invocation_id)?;
            uint(out, kind)?;
            match &completion.outcome {
                Outcome::Error(error) => string(out, error),
                Outcome::Void => Ok(()),
                Outcome::Value(result) => result.write_msgpack(out),
            }
        }
        HubMessage::CancelInvocation(cancel) => {
            array(out, 3)?;
            uint(out, 5)?;
            headers(out, &cancel.headers)?;
            string(out, &cancel.invocation_id)
        }
        HubMessage::Ping => {
            array(out, 1)?;
            uint(out, 6)
        }
        HubMessage::Close(close) => {
            array(out, 3)?;
            uint(out, 7)?;
            string_or_nil(out, close.error.as_deref())?;
            rmp::encode::write_bool(out, close.allow_reconnect).map_err(failed)
        }
        HubMessage::Ack(ack) => {
            array(out, 2)?;
            uint(out, 8)?;
            uint(out, ack.sequence_id)
        }
        HubMessage::Sequence(sequence) => {
            array(out, 2)?;
            uint(out, 9)?;
            uint(out, sequence.sequence_id)
        }
    }
}

/// `[kind, headers, id | nil, target, arguments, streamIds]`, always six items.
fn write_invocation(out: &mut Vec<u8>, kind: u64, call: &Invocation) -> Result<(), ProtocolError> {
    array(out, 6)?;
    uint(out, kind)?;
    headers(out, &call.headers)?;
    string_or_nil(out, call.invocation_id.as_deref())?;
    string(out, &call.target)?;
    array(out, call.arguments.len())?;
    for argument in &call.arguments {
        argument.write_msgpack(out)?;
    }
    let stream_ids = call.stream_ids.as_deref().unwrap_or_default();
    array(out, stream_ids.len())?;
    for id in stream_ids {
        string(out, id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(bytes: &[u8]) -> Option<Token<'_>> {
        let mut rest = bytes;
        let token = read_token(&mut rest)?;
        assert!(rest.is_empty(), "bytes left over");
        Some(token)
    }

    #[test]
    fn tokens_of_every_width() {
        assert_eq!(token(&[0x05]), Some(Token::Unsigned(5)));
        assert_eq!(token(&[0xff]), Some(Token::Signed(-1)));
        assert_eq!(token(&[0xcc, 0xc8]), Some(Token::Unsigned(200)));
        assert_eq!(token(&[0xcd, 0x01, 0x2c]), Some(Token::Unsigned(300)));
        assert_eq!(token(&[0xce, 0, 1, 0, 0]), Some(Token::Unsigned(65_536)));
        assert_eq!(
            token(&[0xcf, 0, 0, 0, 1, 0, 0, 0, 0]),
            Some(Token::Unsigned(1 << 32))
        );
        assert_eq!(token(&[0xd0, 0x80]), Some(Token::Signed(-128)));
        assert_eq!(token(&[0xd1, 0xff, 0x00]), Some(Token::Signed(-256)));
        assert_eq!(
            token(&[0xd2, 0xff, 0xff, 0xff, 0xff]),
            Some(Token::Signed(-1))
        );
        assert_eq!(
            token(&[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            Some(Token::Signed(i64::MIN))
        );
        assert_eq!(token(&[0xca, 0x3f, 0x80, 0, 0]), Some(Token::F32(1.0)));
        assert_eq!(
            token(&[0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]),
            Some(Token::F64(1.0))
        );
        assert_eq!(token(&[0xa2, b'h', b'i']), Some(Token::Str(b"hi")));
        assert_eq!(token(&[0xd9, 1, b'x']), Some(Token::Str(b"x")));
        assert_eq!(token(&[0xda, 0, 1, b'x']), Some(Token::Str(b"x")));
        assert_eq!(token(&[0xdb, 0, 0, 0, 1, b'x']), Some(Token::Str(b"x")));
        assert_eq!(token(&[0xc4, 2, 1, 2]), Some(Token::Bin(&[1, 2])));
        assert_eq!(token(&[0xc5, 0, 1, 9]), Some(Token::Bin(&[9])));
        assert_eq!(token(&[0xc6, 0, 0, 0, 0]), Some(Token::Bin(&[])));
        assert_eq!(token(&[0xdc, 0, 3]), Some(Token::Array(3)));
        assert_eq!(token(&[0xdd, 0, 1, 0, 0]), Some(Token::Array(65_536)));
        assert_eq!(token(&[0x82]), Some(Token::Map(2)));
        assert_eq!(token(&[0xde, 0, 2]), Some(Token::Map(2)));
        assert_eq!(token(&[0xdf, 0, 0, 0, 2]), Some(Token::Map(2)));
        assert_eq!(token(&[0xd4, 5, 1]), Some(Token::Ext(5, &[1])));
        assert_eq!(token(&[0xd5, 5, 1, 2]), Some(Token::Ext(5, &[1, 2])));
        assert_eq!(token(&[0xc7, 1, 0xff, 7]), Some(Token::Ext(-1, &[7])));
        assert_eq!(token(&[0xc0]), Some(Token::Nil));
        assert_eq!(token(&[0xc2]), Some(Token::Bool(false)));
        assert_eq!(token(&[0xc3]), Some(Token::Bool(true)));
    }

    #[test]
    fn malformed_tokens() {
        assert_eq!(token(&[]), None);
        assert_eq!(token(&[0xc1]), None, "reserved marker");
        assert_eq!(token(&[0xa3, b'a']), None, "string cut short");
        assert_eq!(token(&[0xcd, 0x01]), None, "integer cut short");
        assert_eq!(token(&[0xdb, 0xff, 0xff, 0xff, 0xff]), None);
    }

    #[test]
    fn skipping_nested_values() {
        let mut rest: &[u8] = &[0x92, 0x81, 0xa1, b'k', 0x91, 0xc0, 0x01, 0x07];
        assert_eq!(skip_value(&mut rest), Some(()));
        assert_eq!(rest, [0x07]);
        let mut truncated: &[u8] = &[0x92, 0x01];
        assert_eq!(skip_value(&mut truncated), None);
        // A claimed length far beyond the bytes ends when the bytes do.
        let mut huge: &[u8] = &[0xdd, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(skip_value(&mut huge), None);
    }

    #[test]
    fn deep_nesting_is_skipped_without_recursion() {
        let mut deep = vec![0x91; 100_000];
        deep.push(0xc0);
        let mut rest = &deep[..];
        assert_eq!(skip_value(&mut rest), Some(()));
        assert!(rest.is_empty());
    }

    fn timestamp(data: &[u8]) -> Option<String> {
        timestamp_to_iso8601(data)
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(&[0, 0, 0, 0]).unwrap(), "1970-01-01T00:00:00Z");
        // 2024-02-29T12:34:56Z = 1709210096
        assert_eq!(
            timestamp(&1_709_210_096u32.to_be_bytes()).unwrap(),
            "2024-02-29T12:34:56Z"
        );
        // 64-bit form: 500 ms after the same second.
        let packed = (500_000_000u64 << 34) | 1_709_210_096;
        assert_eq!(
            timestamp(&packed.to_be_bytes()).unwrap(),
            "2024-02-29T12:34:56.5Z"
        );
        // 96-bit form, before 1970.
        let mut data = 1u32.to_be_bytes().to_vec();
        data.extend_from_slice(&(-1i64).to_be_bytes());
        assert_eq!(timestamp(&data).unwrap(), "1969-12-31T23:59:59.000000001Z");
        assert_eq!(timestamp(&[1, 2, 3]), None);
        let mut too_late = 0u32.to_be_bytes().to_vec();
        too_late.extend_from_slice(&i64::MAX.to_be_bytes());
        assert_eq!(timestamp(&too_late), None);
    }
}
