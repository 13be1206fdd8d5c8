//! Bytes to hub messages and back: the handshake, record framing and the hub protocols.
//!
//! This layer knows nothing about sockets, tasks or hubs. A transport hands it bytes as they
//! arrive, in whatever pieces the network chose; [`Protocol::parse`] takes whole messages off the
//! front of the buffer and leaves a partial one for the next call. Arguments, stream items and
//! results stay raw ([`Value`]) until the dispatcher knows which Rust types they should become.
//!
//! Two hub protocols exist: JSON (text, records ended by `0x1E`) and MessagePack (binary, records
//! behind a variable-length length prefix). The handshake is JSON for both.

mod framing;
mod handshake;
mod json;
mod message;
mod msgpack;
mod value;

pub use framing::RECORD_SEPARATOR;
pub(crate) use framing::take_text_record;
#[cfg(any(feature = "fuzzing", feature = "service"))]
pub(crate) use framing::{take_binary_record, write_length_prefix};
pub use handshake::{HandshakeRequest, parse_handshake_request, write_handshake_response};
pub use message::{
    Ack, CancelInvocation, Close, Completion, Headers, HubMessage, Invocation, Outcome, Sequence,
    StreamItem,
};
#[cfg(feature = "service")]
pub(crate) use msgpack::skip_value as skip_msgpack_value;
pub use value::{DecodeError, Value};

use std::cell::RefCell;

use bytes::BytesMut;

use crate::error::ProtocolError;

/// The largest encoding buffer a thread keeps between messages.
const SCRATCH_KEPT: usize = 64 * 1024;

/// How a transport must carry a protocol's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransferFormat {
    /// UTF-8 text: WebSocket text frames, usable on every transport.
    Text,
    /// Arbitrary bytes: WebSocket binary frames; not possible over Server-Sent Events.
    Binary,
}

impl TransferFormat {
    /// The name negotiate uses for it (`transferFormats`).
    pub fn name(self) -> &'static str {
        match self {
            TransferFormat::Text => "Text",
            TransferFormat::Binary => "Binary",
        }
    }
}

/// A hub protocol, chosen by the client in its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// The JSON hub protocol: one JSON object per message, each followed by `0x1E`.
    Json,
    /// The MessagePack hub protocol: one MessagePack array per message, each behind its length
    /// (a little-endian base-128 integer of one to five bytes).
    MessagePack,
}

impl Protocol {
    /// Every protocol this build supports, in a fixed order (used to size per-protocol caches).
    pub const ALL: [Protocol; 2] = [Protocol::Json, Protocol::MessagePack];

    /// Finds a protocol by the name a client sends in its handshake, ignoring ASCII case as
    /// ASP.NET Core does.
    ///
    /// ```
    /// use signalr_runtime::protocol::Protocol;
    /// assert_eq!(Protocol::from_name("json"), Some(Protocol::Json));
    /// assert_eq!(Protocol::from_name("MessagePack"), Some(Protocol::MessagePack));
    /// assert_eq!(Protocol::from_name("xyz"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Protocol> {
        Self::ALL
            .into_iter()
            .find(|protocol| protocol.name().eq_ignore_ascii_case(name))
    }

    /// The protocol's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Json => "json",
            Protocol::MessagePack => "messagepack",
        }
    }

    /// The highest handshake version the server accepts for this protocol.
    ///
    /// Version 2 adds the Ack and Sequence messages of stateful reconnect; clients that do not
    /// use it send 1 (or 0), which is accepted too.
    pub fn version(self) -> u32 {
        2
    }

    /// The transfer format the protocol needs from the transport.
    pub fn transfer_format(self) -> TransferFormat {
        match self {
            Protocol::Json => TransferFormat::Text,
            Protocol::MessagePack => TransferFormat::Binary,
        }
    }

    /// A small number unique to each protocol, for indexing per-protocol caches.
    pub(crate) fn index(self) -> usize {
        match self {
            Protocol::Json => 0,
            Protocol::MessagePack => 1,
        }
    }

    /// Takes the next complete message off the front of `buf`.
    ///
    /// Returns `Ok(None)` when `buf` holds no complete message yet; the partial bytes stay in the
    /// buffer. Messages of a type this server does not know are skipped, as the protocol asks.
    /// A record larger than `max_message_size` (not counting its separator or length prefix) is
    /// an error, for MessagePack as soon as its length prefix has arrived.
    ///
    /// # Errors
    ///
    /// A [`ProtocolError`] when a record is malformed or too large; the connection cannot
    /// continue after that, because the stream position is lost.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use signalr_runtime::protocol::{HubMessage, Protocol};
    ///
    /// let mut buf = BytesMut::from(&b"{\"type\":6}\x1e{\"type\":"[..]);
    /// assert!(matches!(Protocol::Json.parse(&mut buf, 32 * 1024), Ok(Some(HubMessage::Ping))));
    /// assert!(matches!(Protocol::Json.parse(&mut buf, 32 * 1024), Ok(None)));
    /// assert_eq!(&buf[..], b"{\"type\":");
    ///
    /// // MessagePack: a 2-byte record holding `[6]`, then the first byte of the next one.
    /// let mut buf = BytesMut::from(&[0x02, 0x91, 0x06, 0x03][..]);
    /// assert!(matches!(Protocol::MessagePack.parse(&mut buf, 32 * 1024), Ok(Some(HubMessage::Ping))));
    /// assert!(matches!(Protocol::MessagePack.parse(&mut buf, 32 * 1024), Ok(None)));
    /// assert_eq!(&buf[..], [0x03]);
    /// ```
    pub fn parse(
        self,
        buf: &mut BytesMut,
        max_message_size: usize,
    ) -> Result<Option<HubMessage>, ProtocolError> {
        self.parse_scanned(buf, max_message_size, &mut 0)
    }

    /// [`Protocol::parse`] for a buffer that grows between calls: `scanned` carries what is
    /// already known about it from one call to the next (start it at 0). Binary framing reads
    /// the length first and needs no such memory; it leaves `scanned` at 0.
    pub(crate) fn parse_scanned(
        self,
        buf: &mut BytesMut,
        max_message_size: usize,
        scanned: &mut usize,
    ) -> Result<Option<HubMessage>, ProtocolError> {
        loop {
            let parsed = match self {
                Protocol::Json => {
                    let Some(record) = framing::take_text_record(buf, max_message_size, scanned)?
                    else {
                        return Ok(None);
                    };
                    json::parse_message(&record)?
                }
                Protocol::MessagePack => {
                    *scanned = 0;
                    let Some(record) = framing::take_binary_record(buf, max_message_size)? else {
                        return Ok(None);
                    };
                    msgpack::parse_message(&record.freeze())?
                }
            };
            if let Some(message) = parsed {
                return Ok(Some(message));
            }
        }
    }

    /// Serializes one framed message.
    ///
    /// # Errors
    ///
    /// A [`ProtocolError`] when a typed value fails to serialize.
    pub fn encode(self, message: &HubMessage) -> Result<bytes::Bytes, ProtocolError> {
        // Written into a reused buffer, then copied into an allocation of the exact size: a
        // fresh `Vec` grew several times per message, and `Bytes::from` a `Vec` with spare
        // capacity allocates once more for its reference count.
        thread_local! {
            static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        SCRATCH.with(|scratch| {
            let Ok(mut out) = scratch.try_borrow_mut() else {
                // Only if a value's serializer encodes a message itself.
                let mut out = Vec::new();
                self.write(message, &mut out)?;
                return Ok(bytes::Bytes::from(out));
            };
            out.clear();
            let written = self.write(message, &mut out);
            let frame = bytes::Bytes::copy_from_slice(&out);
            if out.capacity() > SCRATCH_KEPT {
                // A rare large message does not keep its buffer for the thread's life.
                *out = Vec::new();
            }
            written.map(|()| frame)
        })
    }

    /// Appends one framed message to `out`.
    ///
    /// # Errors
    ///
    /// A [`ProtocolError`] when a typed value fails to serialize; `out` is then left as it was.
    ///
    /// ```
    /// use signalr_runtime::protocol::{HubMessage, Protocol};
    ///
    /// let mut out = Vec::new();
    /// Protocol::Json.write(&HubMessage::Ping, &mut out).unwrap();
    /// assert_eq!(out, b"{\"type\":6}\x1e");
    ///
    /// out.clear();
    /// Protocol::MessagePack.write(&HubMessage::Ping, &mut out).unwrap();
    /// assert_eq!(out, [0x02, 0x91, 0x06]);
    /// ```
    pub fn write(self, message: &HubMessage, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
        let start = out.len();
        let written = match self {
            Protocol::Json => json::write_message(message, out),
            Protocol::MessagePack => msgpack::write_message(message, out),
        };
        if written.is_err() {
            out.truncate(start);
        }
        written
    }
}
