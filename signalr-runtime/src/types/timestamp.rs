//! [`DateTime`] in serde: the MessagePack timestamp extension, which the runtime transcodes to
//! ISO 8601 for JSON.

use std::fmt;

use bytes::Bytes;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::base64::BytesVisitor;
use super::instant::{DateTime, NANOS_PER_SECOND, OUT_OF_RANGE};
use crate::protocol::Value;

/// The MessagePack extension type of timestamps.
pub(crate) const TIMESTAMP: i8 = -1;

impl DateTime {
    /// The data of its MessagePack timestamp, in the shortest of the three forms that holds it.
    pub(super) fn timestamp_data(self) -> Vec<u8> {
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
    pub(super) fn to_msgpack(self) -> Vec<u8> {
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

    /// Reads the data of a MessagePack timestamp (any of its three forms); the runtime's
    /// transcoding to JSON reads it here too.
    pub(crate) fn from_timestamp(data: &[u8]) -> Result<Self, &'static str> {
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

fn array<const N: usize>(data: &[u8]) -> Result<[u8; N], &'static str> {
    data.try_into().map_err(|_| MALFORMED)
}

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
                E::custom(error)
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
        from_ext(kind, &data)
    }

    /// `(type, data)` as a plain sequence, as non-MessagePack formats write an extension value.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<DateTime, A::Error> {
        let (kind, data) = ExtVisitor.visit_seq(seq)?;
        from_ext(kind, &data)
    }
}

/// The instant of an extension value, which must be a timestamp.
fn from_ext<E: de::Error>(kind: i8, data: &[u8]) -> Result<DateTime, E> {
    if kind != TIMESTAMP {
        return Err(E::custom(format_args!(
            "MessagePack extension type {kind} is not a timestamp"
        )));
    }
    DateTime::from_timestamp(data).map_err(E::custom)
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
