//! The test hub's payload types, with the wire forms .NET gives them in each protocol.
//!
//! | .NET type | JSON | MessagePack |
//! |---|---|---|
//! | `byte[]` ([`ByteArray`]) | base64 string | `bin` (a `Uint8Array` in JavaScript) |
//! | `DateTime` ([`DateTime`]) | ISO 8601 UTC string, `2000-01-01T00:00:00Z` | timestamp extension, type -1 (a `Date`) |
//! | `Guid` ([`Guid`]) | lowercase hyphenated string | the same string |
//!
//! A `Serialize` implementation cannot ask the runtime which protocol it is writing:
//! `is_human_readable()` is `true` under both writers (the runtime's MessagePack serializer is
//! configured human-readable so that UUIDs and addresses travel as strings there too). What the
//! runtime does offer is [`Value`]: a raw MessagePack value nested in a typed one is copied as it
//! is into MessagePack and transcoded for JSON (`bin` to base64, timestamps to ISO 8601, as .NET
//! writes them). So [`ByteArray`] and [`DateTime`] serialize by building their MessagePack form
//! and handing it to [`Value::from_msgpack`].
//!
//! Reading needs no such help: JSON presents strings, MessagePack presents bytes for `bin` and a
//! newtype of `(type, data)` for extension values (rmp-serde's `_ExtStruct` convention).

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{Error as _, Serializer};
use serde::{Deserialize, Serialize};
use signalr_runtime::protocol::Value;

/// `CustomObject` of the official test app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CustomObject {
    pub(crate) name: String,
    pub(crate) value: i32,
}

/// `ComplexObject` of the official test app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ComplexObject {
    pub(crate) string: String,
    pub(crate) int_array: Vec<i32>,
    pub(crate) byte_array: ByteArray,
    pub(crate) guid: Guid,
    pub(crate) date_time: DateTime,
}

impl ComplexObject {
    /// What `SendComplexObject` returns, as in the official test app.
    pub(crate) fn sample() -> Self {
        ComplexObject {
            string: "hello world".to_owned(),
            int_array: vec![1, 2, 3],
            byte_array: ByteArray(vec![1, 2, 3]),
            guid: Guid("00010203-0405-0607-0706-050403020100".to_owned()),
            // 2000-01-01T00:00:00Z
            date_time: DateTime {
                seconds: 946_684_800,
                nanos: 0,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// byte[]
// ---------------------------------------------------------------------------------------------

/// A .NET `byte[]`: base64 in JSON, `bin` in MessagePack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ByteArray(pub(crate) Vec<u8>);

impl ByteArray {
    /// The MessagePack `bin` encoding of the bytes.
    fn to_msgpack(&self) -> Option<Vec<u8>> {
        let len = self.0.len();
        let mut out = Vec::with_capacity(len + 5);
        if let Ok(len) = u8::try_from(len) {
            out.extend_from_slice(&[0xc4, len]);
        } else if let Ok(len) = u16::try_from(len) {
            out.push(0xc5);
            out.extend_from_slice(&len.to_be_bytes());
        } else {
            out.push(0xc6);
            out.extend_from_slice(&u32::try_from(len).ok()?.to_be_bytes());
        }
        out.extend_from_slice(&self.0);
        Some(out)
    }
}

impl Serialize for ByteArray {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bin = self
            .to_msgpack()
            .ok_or_else(|| S::Error::custom("byte array too long"))?;
        Value::from_msgpack(&bin)
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ByteArray {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;

        impl<'de> Visitor<'de> for Bytes {
            type Value = ByteArray;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64 string or MessagePack bin")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<ByteArray, E> {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map(ByteArray)
                    .map_err(E::custom)
            }

            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<ByteArray, E> {
                Ok(ByteArray(bytes.to_vec()))
            }

            fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<ByteArray, E> {
                Ok(ByteArray(bytes))
            }

            /// An array of numbers, as a lenient reader of either protocol accepts too.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ByteArray, A::Error> {
                let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(byte) = seq.next_element::<u8>()? {
                    bytes.push(byte);
                }
                Ok(ByteArray(bytes))
            }
        }

        deserializer.deserialize_any(Bytes)
    }
}

// ---------------------------------------------------------------------------------------------
// DateTime
// ---------------------------------------------------------------------------------------------

/// The MessagePack extension type of timestamps.
const TIMESTAMP: i8 = -1;

/// A UTC .NET `DateTime`: ISO 8601 in JSON, a timestamp extension value in MessagePack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    seconds: i64,
    /// Nanoseconds within the second, below 1 000 000 000.
    nanos: u32,
}

impl DateTime {
    /// The MessagePack timestamp: 32-bit, 64-bit or 96-bit form, the shortest that fits.
    fn to_msgpack(self) -> Vec<u8> {
        let marker = TIMESTAMP.to_be_bytes();
        match u32::try_from(self.seconds) {
            Ok(seconds) if self.nanos == 0 => {
                let mut out = vec![0xd6];
                out.extend_from_slice(&marker);
                out.extend_from_slice(&seconds.to_be_bytes());
                out
            }
            _ if (0..1 << 34).contains(&self.seconds) => {
                let packed = (u64::from(self.nanos) << 34) | self.seconds.unsigned_abs();
                let mut out = vec![0xd7];
                out.extend_from_slice(&marker);
                out.extend_from_slice(&packed.to_be_bytes());
                out
            }
            _ => {
                let mut out = vec![0xc7, 12];
                out.extend_from_slice(&marker);
                out.extend_from_slice(&self.nanos.to_be_bytes());
                out.extend_from_slice(&self.seconds.to_be_bytes());
                out
            }
        }
    }

    /// Reads the data of a MessagePack timestamp extension value.
    fn from_timestamp(data: &[u8]) -> Option<Self> {
        let (seconds, nanos) = match data.len() {
            4 => (i64::from(u32::from_be_bytes(data.try_into().ok()?)), 0),
            8 => {
                let packed = u64::from_be_bytes(data.try_into().ok()?);
                (
                    i64::try_from(packed & 0x3_ffff_ffff).ok()?,
                    u32::try_from(packed >> 34).ok()?,
                )
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
        (nanos < 1_000_000_000).then_some(DateTime { seconds, nanos })
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|+00:00]`, read as UTC.
    fn parse_iso8601(text: &str) -> Option<Self> {
        let text = text
            .strip_suffix('Z')
            .or_else(|| text.strip_suffix("+00:00"))
            .unwrap_or(text);
        let (date, time) = text.split_once('T')?;
        let mut date_parts = date.splitn(3, '-');
        let year: i64 = number(date_parts.next()?, 4)?;
        let month: i64 = number(date_parts.next()?, 2)?;
        let day: i64 = number(date_parts.next()?, 2)?;
        let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
        let mut clock_parts = clock.splitn(3, ':');
        let hour: i64 = number(clock_parts.next()?, 2)?;
        let minute: i64 = number(clock_parts.next()?, 2)?;
        let second: i64 = number(clock_parts.next()?, 2)?;
        let valid = (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day)
            && hour < 24
            && minute < 60
            && second < 60
            && fraction.len() <= 9
            && fraction.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            return None;
        }
        let nanos = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<9}").parse().ok()?
        };
        let seconds =
            days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
        Some(DateTime { seconds, nanos })
    }
}

/// A run of exactly `digits` ASCII digits.
fn number(text: &str, digits: usize) -> Option<i64> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Value::from_msgpack(&self.to_msgpack())
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Instant;

        impl<'de> Visitor<'de> for Instant {
            type Value = DateTime;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 8601 date and time or a MessagePack timestamp")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<DateTime, E> {
                DateTime::parse_iso8601(text)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &self))
            }

            /// A MessagePack extension value: `(type, data)` (rmp-serde's `_ExtStruct`).
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<DateTime, D::Error> {
                let (kind, data): (i8, serde_bytes::ByteBuf) =
                    Deserialize::deserialize(deserializer)?;
                if kind != TIMESTAMP {
                    return Err(de::Error::custom(format!(
                        "MessagePack extension type {kind} is not a timestamp"
                    )));
                }
                DateTime::from_timestamp(&data)
                    .ok_or_else(|| de::Error::custom("malformed MessagePack timestamp"))
            }
        }

        deserializer.deserialize_any(Instant)
    }
}

// ---------------------------------------------------------------------------------------------
// Guid
// ---------------------------------------------------------------------------------------------

/// A .NET `Guid`: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase, in both protocols.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub(crate) struct Guid(String);

impl Guid {
    fn parse(text: &str) -> Option<Self> {
        let well_formed = text.len() == 36
            && text.bytes().enumerate().all(|(index, byte)| match index {
                8 | 13 | 18 | 23 => byte == b'-',
                _ => byte.is_ascii_hexdigit(),
            });
        well_formed.then(|| Guid(text.to_ascii_lowercase()))
    }
}

impl<'de> Deserialize<'de> for Guid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Guid::parse(&text).ok_or_else(|| {
            de::Error::invalid_value(de::Unexpected::Str(&text), &"a hyphenated GUID")
        })
    }
}

// ---------------------------------------------------------------------------------------------
// JSON Schemas, for the hub contract (the JSON forms; MessagePack differs as described above)
// ---------------------------------------------------------------------------------------------

impl schemars::JsonSchema for CustomObject {
    fn schema_name() -> Cow<'static, str> {
        "CustomObject".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "properties": {
                "Name": { "type": "string" },
                "Value": { "type": "integer", "format": "int32" },
            },
            "required": ["Name", "Value"],
        })
    }
}

impl schemars::JsonSchema for ComplexObject {
    fn schema_name() -> Cow<'static, str> {
        "ComplexObject".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "properties": {
                "String": { "type": "string" },
                "IntArray": generator.subschema_for::<Vec<i32>>(),
                "ByteArray": generator.subschema_for::<ByteArray>(),
                "Guid": generator.subschema_for::<Guid>(),
                "DateTime": generator.subschema_for::<DateTime>(),
            },
            "required": ["String", "IntArray", "ByteArray", "Guid", "DateTime"],
        })
    }
}

impl schemars::JsonSchema for ByteArray {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "ByteArray".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "contentEncoding": "base64" })
    }
}

impl schemars::JsonSchema for DateTime {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "DateTime".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date-time" })
    }
}

impl schemars::JsonSchema for Guid {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Guid".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "uuid" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use signalr_runtime::protocol::Protocol;

    fn json(value: impl Serialize + Send + Sync + 'static) -> String {
        let mut out = Vec::new();
        Value::new(value).write(Protocol::Json, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn msgpack(value: impl Serialize + Send + Sync + 'static) -> Vec<u8> {
        let mut out = Vec::new();
        Value::new(value)
            .write(Protocol::MessagePack, &mut out)
            .unwrap();
        out
    }

    #[test]
    fn sample_in_json_matches_dotnet() {
        assert_eq!(
            json(ComplexObject::sample()),
            r#"{"String":"hello world","IntArray":[1,2,3],"ByteArray":"AQID","Guid":"00010203-0405-0607-0706-050403020100","DateTime":"2000-01-01T00:00:00Z"}"#
        );
    }

    #[test]
    fn bytes_and_dates_in_msgpack() {
        assert_eq!(msgpack(ByteArray(vec![1, 2, 3])), [0xc4, 3, 1, 2, 3]);
        assert_eq!(
            msgpack(ComplexObject::sample().date_time),
            [0xd6, 0xff, 0x38, 0x6d, 0x43, 0x80]
        );
        let with_nanos = DateTime {
            seconds: 1,
            nanos: 5,
        };
        let bytes = msgpack(with_nanos);
        assert_eq!(bytes.first(), Some(&0xd7));
        let back: DateTime = Value::from_msgpack(&bytes).unwrap().decode().unwrap();
        assert_eq!(back, with_nanos);
        let before_1970 = DateTime {
            seconds: -1,
            nanos: 0,
        };
        let back: DateTime = Value::from_msgpack(&msgpack(before_1970))
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!(back, before_1970);
    }

    #[test]
    fn round_trips_in_both_protocols() {
        let object = ComplexObject {
            string: "Hello, World!".to_owned(),
            int_array: vec![1, 2, 3, 255],
            byte_array: ByteArray(b"hello".to_vec()),
            guid: Guid("00010203-0405-0607-0706-050403020100".to_owned()),
            date_time: DateTime::parse_iso8601("2002-04-01T10:20:15Z").unwrap(),
        };
        let text = json(object.clone());
        assert!(text.contains(r#""ByteArray":"aGVsbG8=""#), "{text}");
        assert!(
            text.contains(r#""DateTime":"2002-04-01T10:20:15Z""#),
            "{text}"
        );
        let from_json: ComplexObject = Value::from_json(&text).unwrap().decode().unwrap();
        assert_eq!(from_json, object);
        let from_msgpack: ComplexObject = Value::from_msgpack(&msgpack(object.clone()))
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!(from_msgpack, object);
    }

    #[test]
    fn iso8601_parsing() {
        let parse = DateTime::parse_iso8601;
        assert_eq!(parse("1970-01-01T00:00:00Z").map(|d| d.seconds), Some(0));
        assert_eq!(
            parse("2000-01-01T00:00:00Z").map(|d| d.seconds),
            Some(946_684_800)
        );
        assert_eq!(
            parse("2024-02-29T12:00:00.5+00:00"),
            Some(DateTime {
                seconds: 1_709_208_000,
                nanos: 500_000_000
            })
        );
        assert_eq!(parse("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse("2000-01-01"), None);
        assert_eq!(parse("2000-01-01T24:00:00Z"), None);
    }

    #[test]
    fn guids_are_validated_and_lowercased() {
        let guid: Guid = Value::from_json(r#""00010203-0405-0607-0706-0504030201AB""#)
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!(json(guid), r#""00010203-0405-0607-0706-0504030201ab""#);
        assert!(
            Value::from_json(r#""not a guid""#)
                .unwrap()
                .decode::<Guid>()
                .is_err()
        );
    }
}
