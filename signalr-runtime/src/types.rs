//! Byte arrays and date-times in the forms .NET clients expect, from one Rust type each.
//!
//! ASP.NET Core writes a `byte[]` and a `DateTime` differently in its two hub protocols, and the
//! official clients count on it: the JavaScript client hands MessagePack `bin` to the application
//! as a `Uint8Array` and timestamps as a `Date`, while in JSON both are strings. Plain Rust
//! types cannot do that (a `Vec<u8>` is an array of numbers in both protocols), so this module
//! has two that can:
//!
//! | type | JSON hub protocol | MessagePack hub protocol | JavaScript client |
//! |---|---|---|---|
//! | [`Binary`] (.NET `byte[]`) | base64 string, `"AQID"` | `bin` | `string` / `Uint8Array` |
//! | [`DateTime`] (.NET UTC `DateTime`) | ISO 8601 string, `"2024-02-29T12:34:56.789Z"` | timestamp extension (type -1) | `string` / `Date` |
//!
//! Both read either form back in either protocol, so what a client received can be sent again.
//! Use them as parameters, results, stream items and struct fields:
//!
//! ```
//! use signalr_runtime::hub;
//! use signalr_runtime::types::{Binary, DateTime};
//!
//! #[hub]
//! pub trait Files {
//!     async fn thumbnail(&self, name: String) -> Binary;
//!     async fn server_time(&self) -> DateTime;
//!     async fn store(&self, name: String, content: Binary, modified: DateTime) -> usize;
//! }
//!
//! struct Store;
//!
//! impl Files for Store {
//!     async fn thumbnail(&self, _name: String) -> Binary {
//!         Binary::from(vec![0x89, b'P', b'N', b'G'])
//!     }
//!
//!     async fn server_time(&self) -> DateTime {
//!         DateTime::now()
//!     }
//!
//!     async fn store(&self, _name: String, content: Binary, _modified: DateTime) -> usize {
//!         content.len() // `Binary` derefs to `Vec<u8>`
//!     }
//! }
//! # let _ = Store.into_hub();
//!
//! // As fields: {"name":"a.png","content":"iVBORw==","modified":"2024-02-29T12:34:56Z"} in JSON.
//! #[derive(serde::Serialize, serde::Deserialize)]
//! pub struct Upload {
//!     pub name: String,
//!     pub content: Binary,
//!     pub modified: DateTime,
//! }
//!
//! let upload = Upload {
//!     name: "a.png".to_owned(),
//!     content: Binary::from(vec![0x89, b'P', b'N', b'G']),
//!     modified: "2024-02-29T12:34:56Z".parse().unwrap(),
//! };
//! assert_eq!(
//!     serde_json::to_string(&upload).unwrap(),
//!     r#"{"name":"a.png","content":"iVBORw==","modified":"2024-02-29T12:34:56Z"}"#
//! );
//! ```
//!
//! For fields whose type should stay a plain `Vec<u8>` (or `bytes::Bytes`, `[u8; N]`…) or a
//! [`SystemTime`], the serde helpers [`mod@base64`] and [`date_time`] give them the same forms:
//!
//! ```
//! use std::time::SystemTime;
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! pub struct Frame {
//!     #[serde(with = "signalr_runtime::types::base64")]
//!     pub pixels: Vec<u8>,
//!     #[serde(with = "signalr_runtime::types::date_time")]
//!     pub taken: SystemTime,
//! }
//!
//! let frame = Frame { pixels: vec![1, 2, 3], taken: SystemTime::UNIX_EPOCH };
//! assert_eq!(
//!     serde_json::to_string(&frame).unwrap(),
//!     r#"{"pixels":"AQID","taken":"1970-01-01T00:00:00Z"}"#
//! );
//! ```
//!
//! # Details
//!
//! - **Which protocol.** A `Serialize` implementation cannot ask which hub protocol it is written
//!   for: the runtime's MessagePack writer is human-readable, as `serde_json` is (so that UUIDs
//!   and addresses are strings in both). Both types therefore serialize their MessagePack form as
//!   a raw [`Value`] nested in the value being written, which the runtime copies unchanged into
//!   MessagePack and transcodes for JSON (`bin` to base64, a timestamp to ISO 8601): the forms
//!   are those of a raw MessagePack value a client sent. Outside the runtime, human-readable
//!   serializers (`serde_json`, YAML…) get the strings; serializers that are not (such as
//!   `rmp_serde::to_vec`) get `bin` and the timestamp extension.
//! - **Reading** takes a base64 string (padded or not), MessagePack `bin`, or an array of numbers
//!   for [`Binary`]; an ISO 8601 string or a MessagePack timestamp (any of its three forms) for
//!   [`DateTime`].
//! - **Date-times** hold what a .NET `DateTime` holds, the years 0001 to 9999, to the nanosecond
//!   (.NET keeps 100 ns ticks). JSON has as many fractional digits as needed, none for a whole
//!   second and at most nine, trailing zeros dropped (`…:56Z`, `…:56.5Z`, `…:56.789Z`,
//!   `…:56.000000001Z`), as the runtime writes MessagePack timestamps in JSON and close to
//!   `System.Text.Json` (which writes up to seven). Reading accepts `Z`, an offset (`+02:00`,
//!   `+0200`, `+02`) or none (taken as UTC, as .NET's unspecified kind), `T`, `t` or a space
//!   between date and time, and any number of fractional digits (beyond nine they are cut off).
//!   MessagePack uses the shortest timestamp form: 32-bit for whole seconds from 1970 to 2106,
//!   64-bit up to 2514, 96-bit otherwise (before 1970, after 2514).
//! - **TypeScript.** With feature `schema`, [`Binary`] has the JSON Schema
//!   `{"type": "string", "contentEncoding": "base64"}` and [`DateTime`]
//!   `{"type": "string", "format": "date-time"}`, which `signalr-codegen-ts` types as `string` for
//!   JSON and `Uint8Array` / `Date` for MessagePack. A field under [`mod@base64`] or
//!   [`date_time`] needs `#[schemars(with = "signalr_runtime::types::Binary")]` (or `DateTime`)
//!   beside its serde attribute for its schema to match.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use ::base64::Engine as _;
use bytes::Bytes;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{Error as _, Serializer};
use serde::{Deserialize, Serialize};

use crate::protocol::Value;

// ---------------------------------------------------------------------------------------------
// Binary
// ---------------------------------------------------------------------------------------------

/// Bytes as .NET's `byte[]`: a base64 string in JSON, `bin` in MessagePack (a `Uint8Array` in
/// the JavaScript client).
///
/// ```
/// use signalr_runtime::protocol::{Protocol, Value};
/// use signalr_runtime::types::Binary;
///
/// let bytes = Binary::from(vec![1, 2, 3]);
/// assert_eq!(serde_json::to_string(&bytes).unwrap(), r#""AQID""#);
///
/// let mut msgpack = Vec::new();
/// Value::new(bytes.clone()).write(Protocol::MessagePack, &mut msgpack).unwrap();
/// assert_eq!(msgpack, [0xc4, 3, 1, 2, 3]); // bin 8, three bytes
///
/// // Read back from either form.
/// assert_eq!(serde_json::from_str::<Binary>(r#""AQID""#).unwrap(), bytes);
/// assert_eq!(Value::from_msgpack(&msgpack).unwrap().decode::<Binary>().unwrap(), bytes);
/// assert_eq!(&bytes[..], [1, 2, 3]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Binary(pub Vec<u8>);

impl Binary {
    /// No bytes.
    pub const fn new() -> Self {
        Binary(Vec::new())
    }

    /// The bytes, as a vector.
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }
}

impl Deref for Binary {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl DerefMut for Binary {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl AsRef<[u8]> for Binary {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl AsMut<[u8]> for Binary {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl From<Vec<u8>> for Binary {
    fn from(bytes: Vec<u8>) -> Self {
        Binary(bytes)
    }
}

impl From<&[u8]> for Binary {
    fn from(bytes: &[u8]) -> Self {
        Binary(bytes.to_vec())
    }
}

impl<const N: usize> From<[u8; N]> for Binary {
    fn from(bytes: [u8; N]) -> Self {
        Binary(bytes.to_vec())
    }
}

impl From<Bytes> for Binary {
    fn from(bytes: Bytes) -> Self {
        Binary(bytes.into())
    }
}

impl From<Binary> for Vec<u8> {
    fn from(bytes: Binary) -> Self {
        bytes.0
    }
}

impl From<Binary> for Bytes {
    fn from(bytes: Binary) -> Self {
        Bytes::from(bytes.0)
    }
}

impl FromIterator<u8> for Binary {
    fn from_iter<I: IntoIterator<Item = u8>>(iter: I) -> Self {
        Binary(iter.into_iter().collect())
    }
}

impl IntoIterator for Binary {
    type Item = u8;
    type IntoIter = std::vec::IntoIter<u8>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Serialize for Binary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        base64::serialize(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for Binary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        base64::deserialize(deserializer)
    }
}

/// Serde helpers for byte fields of any type (`Vec<u8>`, `bytes::Bytes`, `Box<[u8]>`…):
/// `#[serde(with = "signalr_runtime::types::base64")]` gives them the forms of [`Binary`].
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// struct Attachment {
///     #[serde(with = "signalr_runtime::types::base64")]
///     data: Vec<u8>,
/// }
///
/// let json = serde_json::to_string(&Attachment { data: b"hi".to_vec() }).unwrap();
/// assert_eq!(json, r#"{"data":"aGk="}"#);
/// assert_eq!(serde_json::from_str::<Attachment>(&json).unwrap().data, b"hi");
/// ```
pub mod base64 {
    use super::*;

    /// Serializes `bytes` as [`Binary`] does: `bin` in MessagePack, base64 in JSON.
    ///
    /// # Errors
    ///
    /// The serializer's, or one for more than 4 GiB of bytes (MessagePack's limit).
    pub fn serialize<T, S>(bytes: &T, serializer: S) -> Result<S::Ok, S::Error>
    where
        T: AsRef<[u8]> + ?Sized,
        S: Serializer,
    {
        let bytes = bytes.as_ref();
        if !serializer.is_human_readable() {
            return serializer.serialize_bytes(bytes);
        }
        let len =
            u32::try_from(bytes.len()).map_err(|_| S::Error::custom("more than 4 GiB of bytes"))?;
        let mut bin = Vec::with_capacity(bytes.len() + 5);
        if let Ok(len) = u8::try_from(len) {
            bin.extend_from_slice(&[0xc4, len]);
        } else if let Ok(len) = u16::try_from(len) {
            bin.push(0xc5);
            bin.extend_from_slice(&len.to_be_bytes());
        } else {
            bin.push(0xc6);
            bin.extend_from_slice(&len.to_be_bytes());
        }
        bin.extend_from_slice(bytes);
        // Copied into MessagePack as it is, transcoded to base64 for JSON.
        Value::raw_msgpack(Bytes::from(bin)).serialize(serializer)
    }

    /// Reads bytes as [`Binary`] does: a base64 string (padded or not), MessagePack `bin`, or an
    /// array of numbers.
    ///
    /// # Errors
    ///
    /// The deserializer's, or one for anything else (including malformed base64).
    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: From<Vec<u8>>,
        D: Deserializer<'de>,
    {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(BytesVisitor).map(T::from)
        } else {
            deserializer.deserialize_byte_buf(BytesVisitor).map(T::from)
        }
    }
}

/// Standard base64, with or without padding (.NET writes it padded).
const BASE64: ::base64::engine::GeneralPurpose = ::base64::engine::GeneralPurpose::new(
    &::base64::alphabet::STANDARD,
    ::base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(::base64::engine::DecodePaddingMode::Indifferent),
);

/// Reads bytes from any of the forms [`Binary`] accepts.
struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a base64 string, MessagePack bin or an array of bytes")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
        BASE64
            .decode(text)
            .map_err(|error| E::custom(format_args!("invalid base64: {error}")))
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
        Ok(bytes.to_vec())
    }

    fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(bytes)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        // The hint comes from the peer: trust it only so far.
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(byte) = seq.next_element::<u8>()? {
            bytes.push(byte);
        }
        Ok(bytes)
    }
}

// ---------------------------------------------------------------------------------------------
// DateTime
// ---------------------------------------------------------------------------------------------

/// The MessagePack extension type of timestamps.
const TIMESTAMP: i8 = -1;
const NANOS_PER_SECOND: u32 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;
/// 0001-01-01T00:00:00Z, .NET's `DateTime.MinValue`, in seconds since the Unix epoch.
const MIN_SECONDS: i64 = -62_135_596_800;
/// 9999-12-31T23:59:59Z, the last second of .NET's `DateTime.MaxValue`.
const MAX_SECONDS: i64 = 253_402_300_799;

/// An instant in UTC, as .NET's `DateTime` with `DateTimeKind.Utc`: an ISO 8601 string in JSON
/// (`2024-02-29T12:34:56.789Z`), the MessagePack timestamp extension in MessagePack (a `Date`
/// in the JavaScript client).
///
/// It holds seconds and nanoseconds since 1970-01-01T00:00:00Z, from the year 0001 to 9999
/// (what a .NET `DateTime` holds); see the [module docs](self) for the exact forms.
///
/// ```
/// use signalr_runtime::protocol::{Protocol, Value};
/// use signalr_runtime::types::DateTime;
///
/// let leap_day = DateTime::from_unix(1_709_210_096, 789_000_000).unwrap();
/// assert_eq!(leap_day.to_string(), "2024-02-29T12:34:56.789Z");
/// assert_eq!(serde_json::to_string(&leap_day).unwrap(), r#""2024-02-29T12:34:56.789Z""#);
///
/// let mut msgpack = Vec::new();
/// Value::new(leap_day).write(Protocol::MessagePack, &mut msgpack).unwrap();
/// assert_eq!(msgpack[..2], [0xd7, 0xff]); // fixext 8, type -1: the 64-bit timestamp
///
/// // Read back from either form, or from any ISO 8601 string with an offset.
/// assert_eq!(Value::from_msgpack(&msgpack).unwrap().decode::<DateTime>().unwrap(), leap_day);
/// assert_eq!("2024-02-29T14:34:56.789+02:00".parse::<DateTime>().unwrap(), leap_day);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    /// Seconds since the Unix epoch, within `MIN_SECONDS..=MAX_SECONDS`. Before `nanos`, so
    /// that the derived order is chronological.
    seconds: i64,
    /// Nanoseconds within the second, below one billion.
    nanos: u32,
}

impl DateTime {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: DateTime = DateTime {
        seconds: 0,
        nanos: 0,
    };
    /// 0001-01-01T00:00:00Z, the earliest instant (.NET's `DateTime.MinValue`).
    pub const MIN: DateTime = DateTime {
        seconds: MIN_SECONDS,
        nanos: 0,
    };
    /// 9999-12-31T23:59:59.999999999Z, the latest instant (.NET's `DateTime.MaxValue`, to the
    /// nanosecond).
    pub const MAX: DateTime = DateTime {
        seconds: MAX_SECONDS,
        nanos: NANOS_PER_SECOND - 1,
    };

    /// The current time, from the system clock.
    pub fn now() -> Self {
        DateTime::from(SystemTime::now())
    }

    /// `seconds` and `nanos` after 1970-01-01T00:00:00Z (`seconds` negative before it; `nanos`
    /// always counts forward); `None` when `nanos` is a second or more, or the instant is outside
    /// the years 0001 to 9999.
    ///
    /// ```
    /// use signalr_runtime::types::DateTime;
    ///
    /// let before = DateTime::from_unix(-1, 500_000_000).unwrap();
    /// assert_eq!(before.to_string(), "1969-12-31T23:59:59.5Z");
    /// assert!(DateTime::from_unix(0, 1_000_000_000).is_none());
    /// assert!(DateTime::from_unix(i64::MAX, 0).is_none());
    /// ```
    pub const fn from_unix(seconds: i64, nanos: u32) -> Option<Self> {
        if nanos >= NANOS_PER_SECOND || seconds < MIN_SECONDS || seconds > MAX_SECONDS {
            return None;
        }
        Some(DateTime { seconds, nanos })
    }

    /// `millis` milliseconds after 1970-01-01T00:00:00Z, as JavaScript's `Date.getTime()`
    /// counts; `None` outside the years 0001 to 9999.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        let nanos = u32::try_from(millis.rem_euclid(1_000)).ok()? * 1_000_000;
        DateTime::from_unix(millis.div_euclid(1_000), nanos)
    }

    /// Whole seconds since 1970-01-01T00:00:00Z, rounded down (negative before it).
    pub const fn unix_seconds(self) -> i64 {
        self.seconds
    }

    /// Nanoseconds after [`unix_seconds`](Self::unix_seconds), below one billion.
    pub const fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// Milliseconds since 1970-01-01T00:00:00Z, rounded down, as JavaScript's `Date.getTime()`.
    pub const fn unix_millis(self) -> i64 {
        // Within the years 0001 to 9999 this is far from overflowing.
        self.seconds * 1_000 + (self.nanos / 1_000_000) as i64
    }

    /// `duration` later; `None` past 9999.
    pub fn checked_add(self, duration: Duration) -> Option<Self> {
        let seconds = i64::try_from(duration.as_secs()).ok()?;
        let nanos = self.nanos + duration.subsec_nanos();
        let carry = i64::from(nanos / NANOS_PER_SECOND);
        DateTime::from_unix(
            self.seconds.checked_add(seconds)?.checked_add(carry)?,
            nanos % NANOS_PER_SECOND,
        )
    }

    /// `duration` earlier; `None` before the year 0001.
    pub fn checked_sub(self, duration: Duration) -> Option<Self> {
        let seconds = i64::try_from(duration.as_secs()).ok()?;
        let (nanos, borrow) = match self.nanos.checked_sub(duration.subsec_nanos()) {
            Some(nanos) => (nanos, 0),
            None => (self.nanos + NANOS_PER_SECOND - duration.subsec_nanos(), 1),
        };
        DateTime::from_unix(
            self.seconds.checked_sub(seconds)?.checked_sub(borrow)?,
            nanos,
        )
    }

    /// How long after `earlier` this is; `None` when it is before `earlier`.
    pub fn duration_since(self, earlier: DateTime) -> Option<Duration> {
        if self < earlier {
            return None;
        }
        let (seconds, nanos) = if self.nanos >= earlier.nanos {
            (self.seconds - earlier.seconds, self.nanos - earlier.nanos)
        } else {
            (
                self.seconds - earlier.seconds - 1,
                self.nanos + NANOS_PER_SECOND - earlier.nanos,
            )
        };
        Some(Duration::new(u64::try_from(seconds).ok()?, nanos))
    }

    /// Parses an ISO 8601 date and time: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of a
    /// second, and `Z`, an offset or nothing (UTC). [`FromStr`] does the same.
    ///
    /// # Errors
    ///
    /// A [`ParseDateTimeError`] when `text` has another shape, names no real date or time, or
    /// is outside the years 0001 to 9999.
    ///
    /// ```
    /// use signalr_runtime::types::DateTime;
    ///
    /// let instant = DateTime::parse("2024-02-29T12:34:56.7890000+00:00").unwrap();
    /// assert_eq!(instant.to_string(), "2024-02-29T12:34:56.789Z");
    /// assert!(DateTime::parse("2023-02-29T00:00:00Z").is_err()); // not a leap year
    /// ```
    pub fn parse(text: &str) -> Result<Self, ParseDateTimeError> {
        let (seconds, nanos) = parse_iso8601(text).ok_or(ParseDateTimeError {
            out_of_range: false,
        })?;
        DateTime::from_unix(seconds, nanos).ok_or(ParseDateTimeError { out_of_range: true })
    }

    /// The data of its MessagePack timestamp, in the shortest of the three forms that holds it.
    fn timestamp_data(self) -> Vec<u8> {
        match u32::try_from(self.seconds) {
            Ok(seconds) if self.nanos == 0 => seconds.to_be_bytes().to_vec(),
            _ if (0..1 << 34).contains(&self.seconds) => {
                let packed = (u64::from(self.nanos) << 34) | self.seconds.unsigned_abs();
                packed.to_be_bytes().to_vec()
            }
            _ => {
                let mut data = self.nanos.to_be_bytes().to_vec();
                data.extend_from_slice(&self.seconds.to_be_bytes());
                data
            }
        }
    }

    /// Its MessagePack timestamp, the whole extension value.
    fn to_msgpack(self) -> Vec<u8> {
        let data = self.timestamp_data();
        let mut out = match data.len() {
            4 => vec![0xd6],
            8 => vec![0xd7],
            _ => vec![0xc7, 12],
        };
        out.extend_from_slice(&TIMESTAMP.to_be_bytes());
        out.extend_from_slice(&data);
        out
    }

    /// Reads the data of a MessagePack timestamp (any of its three forms).
    fn from_timestamp(data: &[u8]) -> Result<Self, &'static str> {
        let (seconds, nanos) = match data.len() {
            4 => (i64::from(u32::from_be_bytes(array(data)?)), 0),
            8 => {
                let packed = u64::from_be_bytes(array(data)?);
                let seconds = i64::try_from(packed & 0x3_ffff_ffff).map_err(|_| MALFORMED)?;
                (seconds, u32::try_from(packed >> 34).map_err(|_| MALFORMED)?)
            }
            12 => {
                let (nanos, seconds) = data.split_at_checked(4).ok_or(MALFORMED)?;
                (
                    i64::from_be_bytes(array(seconds)?),
                    u32::from_be_bytes(array(nanos)?),
                )
            }
            _ => return Err(MALFORMED),
        };
        if nanos >= NANOS_PER_SECOND {
            return Err(MALFORMED);
        }
        DateTime::from_unix(seconds, nanos).ok_or(OUT_OF_RANGE)
    }
}

const MALFORMED: &str = "malformed MessagePack timestamp";
const OUT_OF_RANGE: &str = "date-time outside the years 0001 to 9999";

fn array<const N: usize>(data: &[u8]) -> Result<[u8; N], &'static str> {
    data.try_into().map_err(|_| MALFORMED)
}

impl Default for DateTime {
    /// [`DateTime::UNIX_EPOCH`].
    fn default() -> Self {
        DateTime::UNIX_EPOCH
    }
}

impl From<SystemTime> for DateTime {
    /// The same instant, to the nanosecond; times outside the years 0001 to 9999 become
    /// [`DateTime::MIN`] or [`DateTime::MAX`].
    fn from(time: SystemTime) -> Self {
        let clamp = |seconds: Option<i64>, nanos: u32, after: bool| {
            seconds
                .and_then(|seconds| DateTime::from_unix(seconds, nanos))
                .unwrap_or(if after { DateTime::MAX } else { DateTime::MIN })
        };
        match time.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => clamp(
                i64::try_from(after.as_secs()).ok(),
                after.subsec_nanos(),
                true,
            ),
            Err(before) => {
                let before = before.duration();
                let seconds = i64::try_from(before.as_secs()).ok();
                match before.subsec_nanos() {
                    0 => clamp(seconds.map(|seconds| -seconds), 0, false),
                    nanos => clamp(
                        seconds.and_then(|seconds| (-seconds).checked_sub(1)),
                        NANOS_PER_SECOND - nanos,
                        false,
                    ),
                }
            }
        }
    }
}

impl From<DateTime> for SystemTime {
    /// The same instant. Where `SystemTime` cannot go back that far (on Windows, before 1601)
    /// the earliest time it holds is used instead.
    fn from(time: DateTime) -> Self {
        let whole = Duration::from_secs(time.seconds.unsigned_abs());
        let at = if time.seconds >= 0 {
            SystemTime::UNIX_EPOCH.checked_add(whole)
        } else {
            SystemTime::UNIX_EPOCH.checked_sub(whole)
        };
        at.and_then(|at| at.checked_add(Duration::from_nanos(u64::from(time.nanos))))
            .or_else(|| {
                // 1601-01-01T00:00:00Z, where Windows' clock starts.
                SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(11_644_473_600))
            })
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

impl fmt::Display for DateTime {
    /// ISO 8601 in UTC as the JSON hub protocol carries it: `2024-02-29T12:34:56.789Z`, with
    /// only the fractional digits needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(SECONDS_PER_DAY);
        let time = self.seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            time / 3_600,
            time / 60 % 60,
            time % 60
        )?;
        if self.nanos > 0 {
            let mut nanos = self.nanos;
            let mut digits = 9;
            while nanos.is_multiple_of(10) {
                nanos /= 10;
                digits -= 1;
            }
            write!(f, ".{nanos:0digits$}")?;
        }
        f.write_str("Z")
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DateTime({self})")
    }
}

impl FromStr for DateTime {
    type Err = ParseDateTimeError;

    fn from_str(text: &str) -> Result<Self, ParseDateTimeError> {
        DateTime::parse(text)
    }
}

/// Why a text is not a [`DateTime`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseDateTimeError {
    out_of_range: bool,
}

impl fmt::Display for ParseDateTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.out_of_range {
            f.write_str(OUT_OF_RANGE)
        } else {
            f.write_str("not an ISO 8601 date and time (YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM])")
        }
    }
}

impl std::error::Error for ParseDateTimeError {}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !serializer.is_human_readable() {
            return serializer.serialize_newtype_struct(
                rmp_serde::MSGPACK_EXT_STRUCT_NAME,
                &(TIMESTAMP, ByteSlice(&self.timestamp_data())),
            );
        }
        // Copied into MessagePack as it is, transcoded to ISO 8601 for JSON.
        Value::raw_msgpack(Bytes::from(self.to_msgpack())).serialize(serializer)
    }
}

/// Bytes that serialize as bytes, not as a sequence of numbers.
struct ByteSlice<'a>(&'a [u8]);

impl Serialize for ByteSlice<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DateTimeVisitor)
    }
}

struct DateTimeVisitor;

impl<'de> Visitor<'de> for DateTimeVisitor {
    type Value = DateTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ISO 8601 date and time or a MessagePack timestamp")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<DateTime, E> {
        DateTime::parse(text).map_err(|error| {
            if error.out_of_range {
                E::custom(OUT_OF_RANGE)
            } else {
                E::invalid_value(de::Unexpected::Str(text), &self)
            }
        })
    }

    /// A MessagePack extension value: rmp-serde presents it as a newtype of `(type, data)`.
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<DateTime, D::Error> {
        let (kind, data) = deserializer.deserialize_tuple(2, ExtVisitor)?;
        if kind != TIMESTAMP {
            return Err(de::Error::custom(format_args!(
                "MessagePack extension type {kind} is not a timestamp"
            )));
        }
        DateTime::from_timestamp(&data).map_err(de::Error::custom)
    }

    /// `(type, data)` as a plain sequence, as non-MessagePack formats write an extension value.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<DateTime, A::Error> {
        let (kind, data) = ExtVisitor.visit_seq(seq)?;
        if kind != TIMESTAMP {
            return Err(de::Error::custom(format_args!(
                "extension type {kind} is not a timestamp"
            )));
        }
        DateTime::from_timestamp(&data).map_err(de::Error::custom)
    }
}

/// An extension value's type and data.
struct ExtVisitor;

impl<'de> Visitor<'de> for ExtVisitor {
    type Value = (i8, Vec<u8>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a MessagePack extension value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(i8, Vec<u8>), A::Error> {
        let kind: i8 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let data = seq
            .next_element::<ExtData>()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        Ok((kind, data.0))
    }
}

/// The data of an extension value: bytes (or numbers, leniently).
struct ExtData(Vec<u8>);

impl<'de> Deserialize<'de> for ExtData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_byte_buf(BytesVisitor).map(ExtData)
    }
}

/// Serde helpers for date-time fields of other types, such as [`SystemTime`]:
/// `#[serde(with = "signalr_runtime::types::date_time")]` gives them the forms of [`DateTime`].
///
/// ```
/// use std::time::{Duration, SystemTime};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Event {
///     #[serde(with = "signalr_runtime::types::date_time")]
///     at: SystemTime,
/// }
///
/// let event = Event { at: SystemTime::UNIX_EPOCH + Duration::from_millis(1_500) };
/// let json = serde_json::to_string(&event).unwrap();
/// assert_eq!(json, r#"{"at":"1970-01-01T00:00:01.5Z"}"#);
/// assert_eq!(serde_json::from_str::<Event>(&json).unwrap().at, event.at);
/// ```
pub mod date_time {
    use super::*;

    /// Serializes `time` as [`DateTime`] does (clamped to the years 0001 to 9999).
    ///
    /// # Errors
    ///
    /// The serializer's.
    pub fn serialize<T, S>(time: &T, serializer: S) -> Result<S::Ok, S::Error>
    where
        T: Clone + Into<DateTime>,
        S: Serializer,
    {
        time.clone().into().serialize(serializer)
    }

    /// Reads what [`DateTime`] reads.
    ///
    /// # Errors
    ///
    /// The deserializer's, or one for anything that is not a date-time of the years 0001 to
    /// 9999.
    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: From<DateTime>,
        D: Deserializer<'de>,
    {
        DateTime::deserialize(deserializer).map(T::from)
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------------------------

/// Parses ISO 8601 (see [`DateTime::parse`]) into seconds and nanoseconds since the Unix epoch,
/// unchecked against the years 0001 to 9999.
fn parse_iso8601(text: &str) -> Option<(i64, u32)> {
    let mut text = Cursor(text.as_bytes());
    let year = text.digits(4)?;
    text.expect(b'-')?;
    let month = text.digits(2)?;
    text.expect(b'-')?;
    let day = text.digits(2)?;
    if !matches!(text.next()?, b'T' | b't' | b' ') {
        return None;
    }
    let hour = text.digits(2)?;
    text.expect(b':')?;
    let minute = text.digits(2)?;
    text.expect(b':')?;
    let second = text.digits(2)?;
    let mut nanos = 0;
    if text.eat(b'.') || text.eat(b',') {
        let mut digits = 0;
        while let Some(digit) = text.digit() {
            if digits < 9 {
                nanos = nanos * 10 + digit;
            }
            digits += 1;
        }
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }
    let offset = match text.next() {
        None | Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hours = text.digits(2)?;
            text.eat(b':');
            let minutes = if text.0.is_empty() {
                0
            } else {
                text.digits(2)?
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3_600 + minutes * 60;
            if sign == b'+' { offset } else { -offset }
        }
        Some(_) => return None,
    };
    let valid = text.0.is_empty()
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    let seconds =
        days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3_600 + minute * 60 + second
            - offset;
    Some((seconds, u32::try_from(nanos).ok()?))
}

/// What is left of a text being parsed.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let ate = self.0.first() == Some(&byte);
        if ate {
            self.next();
        }
        ate
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    fn digit(&mut self) -> Option<i64> {
        let digit = self.0.first().filter(|byte| byte.is_ascii_digit())?;
        let value = i64::from(digit - b'0');
        self.next();
        Some(value)
    }

    /// Exactly `count` digits, as a number.
    fn digits(&mut self, count: usize) -> Option<i64> {
        (0..count).try_fold(0, |value, _| Some(value * 10 + self.digit()?))
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
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
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

// ---------------------------------------------------------------------------------------------
// JSON Schemas (the JSON forms; `signalr-codegen-ts` knows the MessagePack ones from them)
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Binary {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Binary".into()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        "signalr_runtime::types::Binary".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "contentEncoding": "base64" })
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for DateTime {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DateTime".into()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        "signalr_runtime::types::DateTime".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date-time" })
    }
}

#[cfg(test)]
mod tests;
