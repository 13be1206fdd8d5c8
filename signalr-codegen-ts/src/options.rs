//! What the generator may choose: how 64-bit integers and protocol-specific values are typed.

use std::fmt;
use std::str::FromStr;

/// The TypeScript type of 64-bit (and wider) integers.
///
/// JavaScript numbers hold integers exactly up to 2^53, so a Rust `u64` may not survive as a
/// `number`. The generator refuses such types until the application picks one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Int64 {
    /// `number`: fine for values that stay below 2^53 (counters, ids from a sequence).
    Number,
    /// `bigint`: exact, for a client whose hub protocol reads and writes `bigint`s. Neither of
    /// the official protocols does: the JSON protocol's `JSON.parse` yields numbers and
    /// `JSON.stringify` throws on a `bigint`, and `@microsoft/signalr-protocol-msgpack` (10.x)
    /// decodes 64-bit integers to numbers and cannot encode a `bigint`. With those, choose
    /// [`Int64::Number`].
    BigInt,
}

/// Which hub protocol's JavaScript values byte arrays and date-times arrive as.
///
/// The schemas describe the JSON form: base64 strings (`contentEncoding: base64`) and ISO 8601
/// strings (`format: date-time`). For MessagePack the generator assumes that such types write
/// `bin` and timestamp values, as .NET does (`@microsoft/signalr-protocol-msgpack` decodes them
/// to `Uint8Array` and `Date`); on `signalr-runtime` a type does that by serializing a raw
/// MessagePack value (`signalr_runtime::protocol::Value::from_msgpack`), which the runtime
/// writes as base64 or ISO 8601 for JSON.
///
/// Types that serialize as strings (such as `chrono`'s date-times, which the runtime writes in
/// their human-readable form in both protocols) are strings in MessagePack too, but their
/// schema looks the same: give them a schema without `format: date-time` (or generate for
/// [`Protocol::Json`], whose types are then right for both) when the MessagePack client
/// should see strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Protocol {
    /// JSON: both are `string`.
    #[default]
    Json,
    /// MessagePack: `Uint8Array` and `Date`.
    MessagePack,
    /// Either protocol: `string | Uint8Array` and `string | Date`.
    Both,
}

/// Generator settings; the default refuses 64-bit integers and types values for JSON.
///
/// ```
/// use signalr_codegen_ts::{Int64, Options, Protocol};
///
/// let options = Options::default().int64(Int64::Number).protocol(Protocol::MessagePack);
/// assert_eq!(options.int64_type(), Some(Int64::Number));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Options {
    int64: Option<Int64>,
    protocol: Protocol,
}

impl Options {
    /// Maps 64-bit and wider integers to `int64` instead of refusing them.
    #[must_use]
    pub fn int64(mut self, int64: Int64) -> Self {
        self.int64 = Some(int64);
        self
    }

    /// Types byte arrays and date-times as `protocol` delivers them.
    #[must_use]
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// How 64-bit integers are mapped, if at all.
    pub fn int64_type(&self) -> Option<Int64> {
        self.int64
    }

    /// The protocol whose values are typed.
    pub fn protocol_type(&self) -> Protocol {
        self.protocol
    }
}

impl FromStr for Int64 {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "number" => Ok(Int64::Number),
            "bigint" => Ok(Int64::BigInt),
            other => Err(format!(
                "unknown 64-bit integer mapping `{other}`, expected `number` or `bigint`"
            )),
        }
    }
}

impl FromStr for Protocol {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "json" => Ok(Protocol::Json),
            "messagepack" | "msgpack" => Ok(Protocol::MessagePack),
            "both" => Ok(Protocol::Both),
            other => Err(format!(
                "unknown protocol `{other}`, expected `json`, `messagepack` or `both`"
            )),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Json => "json",
            Protocol::MessagePack => "messagepack",
            Protocol::Both => "both",
        })
    }
}

impl fmt::Display for Int64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Int64::Number => "number",
            Int64::BigInt => "bigint",
        })
    }
}
