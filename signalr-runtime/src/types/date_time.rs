use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DateTime;

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
