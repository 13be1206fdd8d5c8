use std::fmt;

use ::base64::Engine as _;
use bytes::Bytes;
use serde::Serialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{Error as _, Serializer};

// Named only by the docs' links.
#[cfg(doc)]
use super::Binary;
use crate::protocol::Value;

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
    // The shortest of bin 8, 16 and 32; writing to a `Vec` does not fail.
    rmp::encode::write_bin_len(&mut bin, len).map_err(S::Error::custom)?;
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

/// Standard base64, with or without padding (.NET writes it padded).
const BASE64: ::base64::engine::GeneralPurpose = ::base64::engine::GeneralPurpose::new(
    &::base64::alphabet::STANDARD,
    ::base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(::base64::engine::DecodePaddingMode::Indifferent),
);

/// Reads bytes from any of the forms [`Binary`] accepts.
pub(super) struct BytesVisitor;

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
