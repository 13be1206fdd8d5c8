//! One argument, stream item or result, either still raw from the wire or a typed Rust value.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// A payload value inside a hub message.
///
/// Values read from a client stay in their wire form until the dispatcher knows the parameter
/// type of the method being called; [`Value::decode`] binds them then. Values the server sends
/// hold the Rust value itself and are serialized once per protocol when the message is written.
///
/// ```
/// use signalr_runtime::protocol::Value;
///
/// let raw = Value::from_json(r#"["a","b"]"#).unwrap();
/// let list: Vec<String> = raw.decode().unwrap();
/// assert_eq!(list, ["a", "b"]);
///
/// let typed = Value::new(42u32);
/// assert_eq!(serde_json::to_string(&typed).unwrap(), "42");
/// ```
pub struct Value(Repr);

enum Repr {
    Json(Box<RawValue>),
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

    pub(crate) fn raw_json(raw: Box<RawValue>) -> Self {
        Value(Repr::Json(raw))
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
            Repr::Typed(_) => Err(DecodeError(
                "a value created on the server cannot be decoded".to_owned(),
            )),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Json(raw) => raw.serialize(serializer),
            Repr::Typed(value) => value.serialize(serializer),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Json(raw) => write!(f, "Value({})", raw.get()),
            Repr::Typed(_) => f.write_str("Value(<typed>)"),
        }
    }
}
