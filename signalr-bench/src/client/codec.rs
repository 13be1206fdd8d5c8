//! What the load client writes and reads: raw commands, or SignalR JSON and MessagePack.
//!
//! Writing is exact protocol (invocations with arguments, record separators, varint length
//! prefixes). Reading only looks at what the measurement needs: the message type, and the
//! `ts=` stamp that the load client itself put in every payload. A full decode would spend the
//! client's core, which is the one thing that must not limit a server benchmark.

use std::fmt::Write as _;

/// The end of a JSON hub message.
const RS: u8 = 0x1e;

/// What the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    /// Raw WebSocket text frames with a command byte (the baseline server).
    Raw,
    /// SignalR JSON hub protocol.
    Json,
    /// SignalR MessagePack hub protocol.
    MsgPack,
}

/// One message the client received, as far as it matters here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// The successful answer to an invocation (a hub Completion without an error, or a raw
    /// echo or join answer). An error Completion is [`Incoming::Other`], so a server that
    /// fails every call shows as lost messages rather than as throughput.
    Completion,
    /// A fanned-out message carrying the time it was scheduled (ns since the client's epoch).
    Delivery(u64),
    /// Pings and anything else.
    Other,
}

/// A call the client makes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Call<'a> {
    /// Echo `text` back to the caller.
    Echo(&'a str),
    /// Send `text` to every connection.
    Broadcast(&'a str),
    /// Join a group.
    Join(&'a str),
    /// Send `text` to a group.
    GroupSend(&'a str, &'a str),
}

impl Proto {
    /// The name in the table.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Proto::Raw => "raw",
            Proto::Json => "json",
            Proto::MsgPack => "messagepack",
        }
    }

    /// The handshake request, or `None` for raw WebSockets.
    pub(crate) fn handshake(self) -> Option<String> {
        self.handshake_version(1)
    }

    /// The handshake request asking for protocol `version` (2: stateful reconnect), or `None`
    /// for raw WebSockets.
    pub(crate) fn handshake_version(self, version: u32) -> Option<String> {
        match self {
            Proto::Raw => None,
            Proto::Json | Proto::MsgPack => Some(format!(
                "{{\"protocol\":\"{}\",\"version\":{version}}}\u{1e}",
                self.name()
            )),
        }
    }

    /// Whether frames are binary WebSocket messages.
    pub(crate) fn binary(self) -> bool {
        self == Proto::MsgPack
    }

    /// Writes `call` into `out` (cleared first). `id` is the invocation id; `None` for a
    /// fire-and-forget invocation, which the hub does not answer.
    pub(crate) fn encode(self, call: Call<'_>, id: Option<u64>, out: &mut Vec<u8>) {
        out.clear();
        match self {
            Proto::Raw => encode_raw(call, out),
            Proto::Json => encode_json(call, id, out),
            Proto::MsgPack => encode_msgpack(call, id, out),
        }
    }

    /// Reports every message in one received WebSocket frame to `each`.
    pub(crate) fn scan(self, frame: &[u8], mut each: impl FnMut(Incoming)) {
        match self {
            Proto::Raw => each(match frame.first() {
                Some(b'e' | b'k') => Incoming::Completion,
                Some(b'b' | b'g') => stamp(frame).map_or(Incoming::Other, Incoming::Delivery),
                _ => Incoming::Other,
            }),
            Proto::Json => frame
                .split(|&b| b == RS)
                .filter(|record| !record.is_empty())
                .for_each(|record| each(json_kind(record))),
            Proto::MsgPack => {
                let mut rest = frame;
                while let Some((message, after)) = msgpack_next(rest) {
                    each(msgpack_kind(message));
                    rest = after;
                }
            }
        }
    }
}

impl Proto {
    /// Reports every message in one received frame to `each` with its bytes (a JSON record
    /// without its separator, or a MessagePack message without its length prefix): for the soak
    /// test, which reads its own sequence numbers out of them.
    pub(crate) fn messages<'a>(self, frame: &'a [u8], mut each: impl FnMut(Incoming, &'a [u8])) {
        match self {
            Proto::Raw => {}
            Proto::Json => frame
                .split(|&b| b == RS)
                .filter(|record| !record.is_empty())
                .for_each(|record| each(json_kind(record), record)),
            Proto::MsgPack => {
                let mut rest = frame;
                while let Some((message, after)) = msgpack_next(rest) {
                    each(msgpack_kind(message), message);
                    rest = after;
                }
            }
        }
    }
}

/// The number after `key` (such as `seq=`) up to the first non-digit, in a message's bytes.
pub(crate) fn number_after(bytes: &[u8], key: &[u8]) -> Option<u64> {
    let start = find(bytes, key)? + key.len();
    let digits = bytes.get(start..)?;
    if !digits.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut value = 0_u64;
    for &b in digits.iter().take_while(|b| b.is_ascii_digit()) {
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(value)
}

/// A payload of `size` bytes that starts with the `ts=` stamp the receivers read back.
pub(crate) fn payload(stamp_ns: u64, size: usize, out: &mut String) {
    out.clear();
    let _ = write!(out, "ts={stamp_ns};");
    while out.len() < size {
        out.push('x');
    }
}

fn encode_raw(call: Call<'_>, out: &mut Vec<u8>) {
    let (command, group, text) = match call {
        Call::Echo(text) => (b'e', None, text),
        Call::Broadcast(text) => (b'b', None, text),
        Call::Join(group) => (b'j', None, group),
        Call::GroupSend(group, text) => (b'g', Some(group), text),
    };
    out.push(command);
    if let Some(group) = group {
        out.extend_from_slice(group.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(text.as_bytes());
}

/// The hub method a call invokes and its arguments.
fn target(call: Call<'_>) -> (&'static str, [Option<&str>; 2]) {
    match call {
        Call::Echo(text) => ("Echo", [Some(text), None]),
        Call::Broadcast(text) => ("Broadcast", [Some(text), None]),
        Call::Join(group) => ("Join", [Some(group), None]),
        Call::GroupSend(group, text) => ("GroupSend", [Some(group), Some(text)]),
    }
}

fn encode_json(call: Call<'_>, id: Option<u64>, out: &mut Vec<u8>) {
    let (method, args) = target(call);
    out.extend_from_slice(b"{\"type\":1,");
    if let Some(id) = id {
        out.extend_from_slice(format!("\"invocationId\":\"{id}\",").as_bytes());
    }
    out.extend_from_slice(b"\"target\":\"");
    out.extend_from_slice(method.as_bytes());
    out.extend_from_slice(b"\",\"arguments\":[");
    for (i, arg) in args.iter().flatten().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Payloads and group names are plain ASCII made here: no escaping needed.
        out.push(b'"');
        out.extend_from_slice(arg.as_bytes());
        out.push(b'"');
    }
    out.extend_from_slice(b"]}");
    out.push(RS);
}

fn encode_msgpack(call: Call<'_>, id: Option<u64>, out: &mut Vec<u8>) {
    let (method, args) = target(call);
    let count = args.iter().flatten().count() as u32;
    let mut body = Vec::with_capacity(64);
    // [1, headers, invocationId, target, arguments, streamIds]; writes to a Vec cannot fail.
    let _ = rmp::encode::write_array_len(&mut body, 6);
    let _ = rmp::encode::write_uint(&mut body, 1);
    let _ = rmp::encode::write_map_len(&mut body, 0);
    match id {
        Some(id) => {
            let _ = rmp::encode::write_str(&mut body, &id.to_string());
        }
        None => {
            let _ = rmp::encode::write_nil(&mut body);
        }
    }
    let _ = rmp::encode::write_str(&mut body, method);
    let _ = rmp::encode::write_array_len(&mut body, count);
    for arg in args.iter().flatten() {
        let _ = rmp::encode::write_str(&mut body, arg);
    }
    let _ = rmp::encode::write_array_len(&mut body, 0);
    // The length prefix: 7 bits per byte, low bits first.
    let mut len = body.len();
    loop {
        let low = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(low);
            break;
        }
        out.push(low | 0x80);
    }
    out.extend_from_slice(&body);
}

/// The type of one JSON hub message, and the stamp of a delivery.
fn json_kind(record: &[u8]) -> Incoming {
    match find(record, b"\"type\":").and_then(|at| record.get(at + 7)) {
        // The load client's payloads never contain `"error"`, so only a failure does.
        Some(b'3') if find(record, b"\"error\"").is_none() => Incoming::Completion,
        Some(b'1') => stamp(record).map_or(Incoming::Other, Incoming::Delivery),
        _ => Incoming::Other,
    }
}

/// Splits one length-prefixed MessagePack message off the front of `frame`.
fn msgpack_next(frame: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len = 0_usize;
    for (i, byte) in frame.iter().enumerate().take(5) {
        len |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            let start = i + 1;
            let end = start.checked_add(len)?;
            return Some((frame.get(start..end)?, frame.get(end..)?));
        }
    }
    None
}

/// The type of one MessagePack hub message: a fixarray whose first element is the type.
fn msgpack_kind(message: &[u8]) -> Incoming {
    match message.get(1) {
        Some(3) if msgpack_succeeded(message) => Incoming::Completion,
        Some(1) => stamp(message).map_or(Incoming::Other, Incoming::Delivery),
        _ => Incoming::Other,
    }
}

/// Whether a MessagePack Completion `[3, {}, "id", resultKind, ...]` has a result kind other
/// than 1 (error). Only the shapes the load client provokes are read: no headers and a short
/// invocation id; anything else counts as failed, so it shows up as lost.
fn msgpack_succeeded(message: &[u8]) -> bool {
    if message.get(2) != Some(&0x80) {
        return false;
    }
    let kind = match message.get(3) {
        Some(&b @ 0xa0..=0xbf) => message.get(4 + usize::from(b & 0x1f)),
        Some(0xd9) => message
            .get(4)
            .and_then(|&len| message.get(5 + usize::from(len))),
        _ => None,
    };
    matches!(kind, Some(2 | 3))
}

/// The number after `ts=` up to `;`.
fn stamp(bytes: &[u8]) -> Option<u64> {
    let start = find(bytes, b"ts=")? + 3;
    let digits = bytes.get(start..)?;
    let mut value = 0_u64;
    for &b in digits.iter().take_while(|b| b.is_ascii_digit()) {
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(value)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::{Incoming, Proto};

    fn kinds(proto: Proto, frame: &[u8]) -> Vec<Incoming> {
        let mut seen = Vec::new();
        proto.scan(frame, |message| seen.push(message));
        seen
    }

    #[test]
    fn json_error_completion_is_not_an_answer() {
        let frame = b"{\"type\":3,\"invocationId\":\"1\",\"result\":\"ts=0;x\"}\x1e\
            {\"type\":3,\"invocationId\":\"2\",\"error\":\"boom\"}\x1e";
        assert_eq!(
            kinds(Proto::Json, frame),
            [Incoming::Completion, Incoming::Other]
        );
    }

    #[test]
    fn msgpack_error_completion_is_not_an_answer() {
        // [3, {}, "1", 3, "ok"], [3, {}, "2", 1, "boom"], [3, {}, "3", 2]
        let frame = [
            9, 0x95, 3, 0x80, 0xa1, b'1', 3, 0xa2, b'o', b'k', //
            11, 0x95, 3, 0x80, 0xa1, b'2', 1, 0xa4, b'b', b'o', b'o', b'm', //
            6, 0x94, 3, 0x80, 0xa1, b'3', 2,
        ];
        assert_eq!(
            kinds(Proto::MsgPack, &frame),
            [Incoming::Completion, Incoming::Other, Incoming::Completion]
        );
    }
}
