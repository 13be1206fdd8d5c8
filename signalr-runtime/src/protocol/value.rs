//! One argument, stream item or result, either still raw from the wire or a typed Rust value.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::Protocol;
use super::msgpack::{self, Token};
use crate::error::ProtocolError;

/// A payload value inside a hub message.
///
/// Values read from a client stay in their wire form (JSON text or MessagePack bytes) until the
/// dispatcher knows the parameter type of the method being called; [`Value::decode`] binds them
/// then. Values the server sends hold the Rust value itself and are serialized once per protocol
/// when the message is written: as JSON, or as MessagePack with structs as maps of field names
/// (what the JavaScript client turns into objects).
///
/// Both encodings use serde's human-readable forms, so types such as UUIDs or IP addresses
/// travel as strings in either protocol. Bytes that serialize as bytes (such as
/// `serde_bytes::ByteBuf`) become MessagePack `bin`, a `Uint8Array` in JavaScript; a plain
/// `Vec<u8>` is a sequence of numbers. A raw value written in the other protocol is transcoded:
/// MessagePack `bin` becomes a base64 string in JSON (as .NET writes `byte[]`), a MessagePack
/// timestamp becomes an ISO 8601 string.
///
/// ```
/// use signalr_runtime::protocol::{Protocol, Value};
///
/// let raw = Value::from_json(r#"["a","b"]"#).unwrap();
/// let list: Vec<String> = raw.decode().unwrap();
/// assert_eq!(list, ["a", "b"]);
///
/// let typed = Value::new(42u32);
/// assert_eq!(serde_json::to_string(&typed).unwrap(), "42");
///
/// // The same JSON value, written for a MessagePack client: a 2-element array of strings.
/// let mut out = Vec::new();
/// raw.write(Protocol::MessagePack, &mut out).unwrap();
/// assert_eq!(out, [0x92, 0xa1, b'a', 0xa1, b'b']);
/// ```
pub struct Value(Repr);

enum Repr {
    Json(Box<RawValue>),
    /// The bytes of exactly one MessagePack value.
    MessagePack(Bytes),
    Typed(Arc<dyn erased_serde::Serialize + Send + Sync>),
}

/// Why a [`Value`] could not be bound to the requested type.
#[derive(Debug)]
pub struct DecodeError(String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl Value {
    /// Wraps a Rust value that the server will send.
    pub fn new<T: Serialize + Send + Sync + 'static>(value: T) -> Self {
        Value(Repr::Typed(Arc::new(value)))
    }

    /// Keeps a JSON text as it is, to be bound later.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] when `json` is not one valid JSON value.
    pub fn from_json(json: &str) -> Result<Self, DecodeError> {
        RawValue::from_string(json.to_owned())
            .map(Value::raw_json)
            .map_err(|error| DecodeError(error.to_string()))
    }

    /// Keeps the bytes of one MessagePack value as they are, to be bound later.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] when `msgpack` is not exactly one well-formed MessagePack value.
    ///
    /// ```
    /// use signalr_runtime::protocol::Value;
    ///
    /// let raw = Value::from_msgpack(&[0x93, 0x01, 0x02, 0x03]).unwrap();
    /// assert_eq!(raw.decode::<Vec<u8>>().unwrap(), [1, 2, 3]);
    /// assert!(Value::from_msgpack(&[0x93, 0x01]).is_err());
    /// ```
    pub fn from_msgpack(msgpack: &[u8]) -> Result<Self, DecodeError> {
        let mut rest = msgpack;
        match msgpack::skip_value(&mut rest) {
            Some(()) if rest.is_empty() => Ok(Value::raw_msgpack(Bytes::copy_from_slice(msgpack))),
            Some(()) => Err(DecodeError("bytes follow the MessagePack value".to_owned())),
            None => Err(DecodeError("malformed MessagePack value".to_owned())),
        }
    }

    pub(crate) fn raw_json(raw: Box<RawValue>) -> Self {
        Value(Repr::Json(raw))
    }

    /// `bytes` must hold exactly one well-formed MessagePack value.
    pub(crate) fn raw_msgpack(bytes: Bytes) -> Self {
        Value(Repr::MessagePack(bytes))
    }

    /// Binds the value to `T`.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] when the wire value does not fit `T`, or when the value was created on the
    /// server with [`Value::new`] (those are only ever written, never read back).
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, DecodeError> {
        match &self.0 {
            Repr::Json(raw) => {
                serde_json::from_str(raw.get()).map_err(|error| DecodeError(error.to_string()))
            }
            Repr::MessagePack(bytes) => {
                let mut deserializer =
                    rmp_serde::Deserializer::from_read_ref(bytes.as_ref()).with_human_readable();
                // serde_json's limit: deeper values could exhaust a task's stack.
                deserializer.set_max_depth(MAX_DEPTH as usize);
                serde::Deserialize::deserialize(&mut deserializer)
                    .map_err(|error| DecodeError(error.to_string()))
            }
            Repr::Typed(_) => Err(DecodeError(
                "a value created on the server cannot be decoded".to_owned(),
            )),
        }
    }

    /// Appends the value, encoded for `protocol`, to `out`.
    ///
    /// # Errors
    ///
    /// A [`ProtocolError`] when a typed value fails to serialize or a raw value cannot be
    /// expressed in `protocol`; `out` is then left as it was.
    ///
    /// ```
    /// use signalr_runtime::protocol::{Protocol, Value};
    ///
    /// #[derive(serde::Serialize)]
    /// struct Point {
    ///     x: i32,
    /// }
    ///
    /// let mut out = Vec::new();
    /// Value::new(Point { x: 1 }).write(Protocol::MessagePack, &mut out).unwrap();
    /// assert_eq!(out, [0x81, 0xa1, b'x', 0x01]);
    /// ```
    pub fn write(&self, protocol: Protocol, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
        let start = out.len();
        let written = match protocol {
            Protocol::Json => self.write_json(out),
            Protocol::MessagePack => self.write_msgpack(out),
        };
        if written.is_err() {
            out.truncate(start);
        }
        written
    }

    /// Appends the value as JSON; raw JSON is copied unchanged.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
        if let Repr::Json(raw) = &self.0 {
            out.extend_from_slice(raw.get().as_bytes());
            return Ok(());
        }
        let _scope = Scope::enter(false);
        serde_json::to_writer(&mut *out, self).map_err(|error| serialize_error(&error))
    }

    /// Appends the value as MessagePack; raw MessagePack is copied unchanged.
    pub(crate) fn write_msgpack(&self, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
        let _scope = Scope::enter(true);
        let serialized = match &self.0 {
            Repr::MessagePack(bytes) => {
                out.extend_from_slice(bytes);
                return Ok(());
            }
            Repr::Json(raw) => serde_json::from_str::<serde_json::Value>(raw.get())
                .map_err(|error| serialize_error(&error))?
                .serialize(&mut msgpack_serializer(out)),
            Repr::Typed(value) => value.serialize(&mut msgpack_serializer(out)),
        };
        serialized.map_err(|error| serialize_error(&error))
    }
}

type MsgPackConfig = rmp_serde::config::HumanReadableConfig<
    rmp_serde::config::StructMapConfig<rmp_serde::config::DefaultConfig>,
>;

/// Structs as maps of field names, which the JavaScript client decodes into objects; types with
/// a human-readable form (UUIDs, addresses) in that form, as in JSON.
fn msgpack_serializer(out: &mut Vec<u8>) -> rmp_serde::Serializer<&mut Vec<u8>, MsgPackConfig> {
    rmp_serde::Serializer::new(out)
        .with_struct_map()
        .with_human_readable()
}

fn serialize_error(error: &dyn fmt::Display) -> ProtocolError {
    ProtocolError::Serialize(error.to_string())
}

thread_local! {
    /// Whether the value being serialized on this thread is being written as MessagePack. Raw
    /// values nested inside typed ones need to know: raw JSON passes through `serde_json`
    /// unchanged but must be parsed for any other format, and MessagePack `bin` or extension
    /// values keep their kind only when written as MessagePack.
    static WRITING_MSGPACK: Cell<bool> = const { Cell::new(false) };
}

/// Sets [`WRITING_MSGPACK`] for as long as it lives.
struct Scope(bool);

impl Scope {
    fn enter(msgpack: bool) -> Self {
        Scope(WRITING_MSGPACK.with(|current| current.replace(msgpack)))
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        WRITING_MSGPACK.with(|current| current.set(self.0));
    }
}

fn writing_msgpack() -> bool {
    WRITING_MSGPACK.with(Cell::get)
}

/// Writes the value with `serde_json`, as [`Value::write`] does for [`Protocol::Json`]: raw JSON
/// unchanged, raw MessagePack transcoded. Values nested in a typed value serialize correctly in
/// both protocols' writers too; for MessagePack outside them, use [`Value::write`].
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Json(raw) if writing_msgpack() => {
                serde_json::from_str::<serde_json::Value>(raw.get())
                    .map_err(S::Error::custom)?
                    .serialize(serializer)
            }
            Repr::Json(raw) => raw.serialize(serializer),
            Repr::MessagePack(bytes) => Transcode {
                bytes,
                depth: MAX_DEPTH,
            }
            .serialize(serializer),
            Repr::Typed(value) => value.serialize(serializer),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Json(raw) => write!(f, "Value({})", raw.get()),
            Repr::MessagePack(bytes) => {
                f.write_str("Value(msgpack")?;
                for byte in bytes.iter() {
                    write!(f, " {byte:02x}")?;
                }
                f.write_str(")")
            }
            Repr::Typed(_) => f.write_str("Value(<typed>)"),
        }
    }
}

/// How deeply arrays and maps may nest when decoding or transcoding raw MessagePack: the limit
/// of `serde_json`'s reader, so that neither protocol lets a client exhaust a task's stack.
const MAX_DEPTH: u32 = 128;

/// One well-formed MessagePack value, fed to a serde serializer.
struct Transcode<'a> {
    bytes: &'a [u8],
    /// How many more levels of arrays and maps may follow.
    depth: u32,
}

impl Transcode<'_> {
    /// Splits the next value off `rest`, one level deeper.
    fn next<'b, E: serde::ser::Error>(&self, rest: &mut &'b [u8]) -> Result<Transcode<'b>, E> {
        let before = *rest;
        msgpack::skip_value(rest).ok_or_else(|| E::custom("malformed MessagePack value"))?;
        let (value, _) = before
            .split_at_checked(before.len() - rest.len())
            .ok_or_else(|| E::custom("malformed MessagePack value"))?;
        Ok(Transcode {
            bytes: value,
            depth: self.depth.saturating_sub(1),
        })
    }
}

impl Serialize for Transcode<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut rest = self.bytes;
        let token = msgpack::read_token(&mut rest)
            .ok_or_else(|| S::Error::custom("malformed MessagePack value"))?;
        if matches!(token, Token::Array(_) | Token::Map(_)) && self.depth == 0 {
            return Err(S::Error::custom("MessagePack value nested too deeply"));
        }
        match token {
            Token::Nil => serializer.serialize_unit(),
            Token::Bool(value) => serializer.serialize_bool(value),
            Token::Unsigned(value) => serializer.serialize_u64(value),
            Token::Signed(value) => serializer.serialize_i64(value),
            Token::F32(value) => serializer.serialize_f32(value),
            Token::F64(value) => serializer.serialize_f64(value),
            Token::Str(text) => serializer.serialize_str(
                std::str::from_utf8(text)
                    .map_err(|_| S::Error::custom("MessagePack string is not UTF-8"))?,
            ),
            Token::Bin(data) if writing_msgpack() || !serializer.is_human_readable() => {
                serializer.serialize_bytes(data)
            }
            Token::Bin(data) => {
                serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(data))
            }
            Token::Array(len) => {
                let mut seq = serializer.serialize_seq(len_hint(len))?;
                for _ in 0..len {
                    seq.serialize_element(&self.next::<S::Error>(&mut rest)?)?;
                }
                seq.end()
            }
            Token::Map(len) => {
                let mut map = serializer.serialize_map(len_hint(len))?;
                for _ in 0..len {
                    let key = self.next::<S::Error>(&mut rest)?;
                    let value = self.next::<S::Error>(&mut rest)?;
                    map.serialize_entry(&key, &value)?;
                }
                map.end()
            }
            Token::Ext(kind, data) if writing_msgpack() => serializer.serialize_newtype_struct(
                rmp_serde::MSGPACK_EXT_STRUCT_NAME,
                &(kind, ByteSlice(data)),
            ),
            Token::Ext(msgpack::TIMESTAMP, data) => {
                let text = msgpack::timestamp_to_iso8601(data)
                    .ok_or_else(|| S::Error::custom("malformed MessagePack timestamp"))?;
                serializer.serialize_str(&text)
            }
            Token::Ext(kind, _) => Err(S::Error::custom(format!(
                "MessagePack extension type {kind} has no equivalent outside MessagePack"
            ))),
        }
    }
}

/// The length of a collection, as serde wants it. Raw values are well-formed, so `len` is at
/// most the number of bytes that follow it.
fn len_hint(len: u32) -> Option<usize> {
    usize::try_from(len).ok()
}

/// Bytes that serialize as bytes (not as a sequence of numbers).
struct ByteSlice<'a>(&'a [u8]);

impl Serialize for ByteSlice<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}
