use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Binary, DateTime};
use crate::protocol::{Completion, HubMessage, Outcome, Protocol, Value};

mod binary;
mod instant;

/// A completion of invocation "1" carrying `value`, framed by `protocol`'s encoder.
fn completion<T: Serialize + Send + Sync + 'static>(protocol: Protocol, value: T) -> Vec<u8> {
    let message = HubMessage::Completion(Completion::new("1", Outcome::Value(Value::new(value))));
    protocol.encode(&message).unwrap().to_vec()
}

fn json_completion(result: &str) -> Vec<u8> {
    format!("{{\"type\":3,\"invocationId\":\"1\",\"result\":{result}}}\u{1e}").into_bytes()
}

/// `[3, {}, "1", 3, value]` behind its length prefix (one byte: these are all short).
fn msgpack_completion(value: &[u8]) -> Vec<u8> {
    let mut body = vec![0x95, 0x03, 0x80, 0xa1, b'1', 0x03];
    body.extend_from_slice(value);
    let mut framed = vec![u8::try_from(body.len()).unwrap()];
    assert!(framed[0] < 0x80);
    framed.extend_from_slice(&body);
    framed
}

/// The value as the runtime writes it for `protocol`, read back as a client's value would be.
fn round_trip<T: Serialize + DeserializeOwned + Send + Sync + 'static>(
    protocol: Protocol,
    value: T,
) -> T {
    let mut out = Vec::new();
    Value::new(value).write(protocol, &mut out).unwrap();
    let raw = match protocol {
        Protocol::Json => Value::from_json(std::str::from_utf8(&out).unwrap()).unwrap(),
        Protocol::MessagePack => Value::from_msgpack(&out).unwrap(),
    };
    raw.decode().unwrap()
}

fn at(seconds: i64, nanos: u32) -> DateTime {
    DateTime::from_unix(seconds, nanos).unwrap()
}

#[cfg(feature = "schema")]
#[test]
fn schemas() {
    assert_eq!(
        serde_json::to_value(schemars::schema_for!(Binary)).unwrap(),
        serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Binary",
            "type": "string",
            "contentEncoding": "base64",
        })
    );
    assert_eq!(
        serde_json::to_value(schemars::schema_for!(DateTime)).unwrap(),
        serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "DateTime",
            "type": "string",
            "format": "date-time",
        })
    );
    // Inline where used, as a field or parameter: no definition to refer to.
    let mut generator = schemars::SchemaGenerator::default();
    assert_eq!(
        serde_json::to_value(generator.subschema_for::<Vec<Binary>>()).unwrap(),
        serde_json::json!({ "type": "array", "items": { "type": "string", "contentEncoding": "base64" } })
    );
    assert_eq!(
        serde_json::to_value(generator.subschema_for::<Option<DateTime>>()).unwrap(),
        serde_json::json!({ "type": ["string", "null"], "format": "date-time" })
    );
    assert!(generator.definitions().is_empty());
}
