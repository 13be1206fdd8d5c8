//! [`Binary`], .NET's `byte[]`.

use std::ops::{Deref, DerefMut};

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::base64;

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
