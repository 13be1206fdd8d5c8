//! The JSON hub protocol: one JSON object per record.
//!
//! Reading accepts properties in any order (the JavaScript client writes `type` last) and ignores
//! properties it does not know. Writing follows ASP.NET Core's order, `type` first.

mod invocation;

use std::io::Write as _;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::Value;
use super::framing::RECORD_SEPARATOR;
use super::message::{
    Ack, CancelInvocation, Close, Completion, Headers, HubMessage, Invocation, Outcome, Sequence,
    StreamItem,
};
use crate::error::ProtocolError;

/// Every property any message type may carry; which ones are required depends on `type`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fields {
    #[serde(rename = "type")]
    kind: Option<i64>,
    invocation_id: Option<String>,
    target: Option<String>,
    arguments: Option<Vec<Box<RawValue>>>,
    stream_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    item: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "present")]
    result: Option<Box<RawValue>>,
    error: Option<String>,
    allow_reconnect: Option<bool>,
    sequence_id: Option<u64>,
    headers: Option<Headers>,
}

/// Keeps an explicit `null` as a value: `"result": null` is a result, a missing one is not.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(deserializer).map(Some)
}

/// Parses a JSON object. Serde's derived structs would also take an array of the fields in
/// order; the protocol only has objects, so anything else is refused up front.
pub(crate) fn parse_object<T: serde::de::DeserializeOwned>(
    record: &[u8],
) -> Result<T, ProtocolError> {
    let first = record.iter().find(|byte| !byte.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ProtocolError::InvalidJson(
            "expected a JSON object".to_owned(),
        ));
    }
    serde_json::from_slice(record).map_err(|error| ProtocolError::InvalidJson(error.to_string()))
}

fn required<T>(field: Option<T>, name: &'static str) -> Result<T, ProtocolError> {
    field.ok_or(ProtocolError::MissingProperty(name))
}

/// An invocation id where the message type needs one: empty counts as missing, as in ASP.NET Core.
fn required_id(id: Option<String>) -> Result<String, ProtocolError> {
    required(id.filter(|id| !id.is_empty()), "invocationId")
}

/// Parses one record; `Ok(None)` for a message type this server does not know.
pub(crate) fn parse_message(record: &[u8]) -> Result<Option<HubMessage>, ProtocolError> {
    if let Some(call) = invocation::parse(record) {
        return Ok(Some(HubMessage::Invocation(call)));
    }
    let fields: Fields = parse_object(record)?;
    let headers = fields.headers.unwrap_or_default();
    let message = match required(fields.kind, "type")? {
        1 => HubMessage::Invocation(invocation(
            fields.invocation_id,
            fields.target,
            fields.arguments,
            fields.stream_ids,
            headers,
        )?),
        2 => HubMessage::StreamItem(StreamItem {
            headers,
            invocation_id: required_id(fields.invocation_id)?,
            item: Value::raw_json(required(fields.item, "item")?),
        }),
        3 => HubMessage::Completion(Completion {
            headers,
            invocation_id: required_id(fields.invocation_id)?,
            outcome: match (fields.result, fields.error) {
                (Some(_), Some(_)) => return Err(ProtocolError::ResultAndError),
                (Some(result), None) => Outcome::Value(Value::raw_json(result)),
                (None, Some(error)) => Outcome::Error(error),
                (None, None) => Outcome::Void,
            },
        }),
        4 => {
            let id = required_id(fields.invocation_id)?;
            HubMessage::StreamInvocation(invocation(
                Some(id),
                fields.target,
                fields.arguments,
                fields.stream_ids,
                headers,
            )?)
        }
        5 => HubMessage::CancelInvocation(CancelInvocation {
            headers,
            invocation_id: required_id(fields.invocation_id)?,
        }),
        6 => HubMessage::Ping,
        7 => HubMessage::Close(Close {
            error: fields.error,
            allow_reconnect: fields.allow_reconnect.unwrap_or(false),
        }),
        8 => HubMessage::Ack(Ack {
            sequence_id: required(fields.sequence_id, "sequenceId")?,
        }),
        9 => HubMessage::Sequence(Sequence {
            sequence_id: required(fields.sequence_id, "sequenceId")?,
        }),
        _ => return Ok(None),
    };
    Ok(Some(message))
}

fn invocation(
    invocation_id: Option<String>,
    target: Option<String>,
    arguments: Option<Vec<Box<RawValue>>>,
    stream_ids: Option<Vec<String>>,
    headers: Headers,
) -> Result<Invocation, ProtocolError> {
    Ok(Invocation {
        headers,
        // An empty id means "no result wanted", as in the MessagePack protocol.
        invocation_id: invocation_id.filter(|id| !id.is_empty()),
        target: required(target.filter(|target| !target.is_empty()), "target")?,
        arguments: required(arguments, "arguments")?
            .into_iter()
            .map(Value::raw_json)
            .collect(),
        stream_ids,
    })
}

/// Appends `message` and its record separator to `out`.
pub(crate) fn write_message(message: &HubMessage, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    let mut w = ObjectWriter::start(out);
    match message {
        HubMessage::Invocation(call) => write_invocation(&mut w, 1, call)?,
        HubMessage::StreamInvocation(call) => write_invocation(&mut w, 4, call)?,
        HubMessage::StreamItem(item) => {
            w.number("type", 2);
            w.headers(&item.headers)?;
            w.string("invocationId", &item.invocation_id)?;
            w.payload("item", &item.item)?;
        }
        HubMessage::Completion(completion) => {
            w.number("type", 3);
            w.headers(&completion.headers)?;
            w.string("invocationId", &completion.invocation_id)?;
            match &completion.outcome {
                Outcome::Void => {}
                Outcome::Value(result) => w.payload("result", result)?,
                Outcome::Error(error) => w.string("error", error)?,
            }
        }
        HubMessage::CancelInvocation(cancel) => {
            w.number("type", 5);
            w.headers(&cancel.headers)?;
            w.string("invocationId", &cancel.invocation_id)?;
        }
        HubMessage::Ping => w.number("type", 6),
        HubMessage::Close(close) => {
            w.number("type", 7);
            if let Some(error) = &close.error {
                w.string("error", error)?;
            }
            if close.allow_reconnect {
                w.raw("allowReconnect", b"true");
            }
        }
        HubMessage::Ack(ack) => {
            w.number("type", 8);
            w.number("sequenceId", ack.sequence_id);
        }
        HubMessage::Sequence(sequence) => {
            w.number("type", 9);
            w.number("sequenceId", sequence.sequence_id);
        }
    }
    w.finish();
    Ok(())
}

fn write_invocation(
    w: &mut ObjectWriter<'_>,
    kind: u64,
    call: &Invocation,
) -> Result<(), ProtocolError> {
    w.number("type", kind);
    w.headers(&call.headers)?;
    if let Some(id) = call.invocation_id.as_deref().filter(|id| !id.is_empty()) {
        w.string("invocationId", id)?;
    }
    w.string("target", &call.target)?;
    w.payloads("arguments", &call.arguments)?;
    if let Some(stream_ids) = &call.stream_ids {
        w.value("streamIds", stream_ids)?;
    }
    Ok(())
}

/// Writes one JSON object property by property, in the order the caller chooses.
struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    fn start(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        ObjectWriter { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn raw(&mut self, key: &str, json: &[u8]) {
        self.key(key);
        self.out.extend_from_slice(json);
    }

    fn number(&mut self, key: &str, number: u64) {
        self.key(key);
        // Into the buffer directly: `to_string` would allocate for every message's type.
        let _ = write!(self.out, "{number}");
    }

    fn string(&mut self, key: &str, text: &str) -> Result<(), ProtocolError> {
        self.value(key, text)
    }

    fn value<T: serde::Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), ProtocolError> {
        self.key(key);
        serde_json::to_writer(&mut *self.out, value)
            .map_err(|error| ProtocolError::Serialize(error.to_string()))
    }

    /// A payload value: it writes itself as JSON (raw JSON unchanged, anything else serialized).
    fn payload(&mut self, key: &str, value: &Value) -> Result<(), ProtocolError> {
        self.key(key);
        value.write_json(self.out)
    }

    fn payloads(&mut self, key: &str, values: &[Value]) -> Result<(), ProtocolError> {
        self.key(key);
        self.out.push(b'[');
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                self.out.push(b',');
            }
            value.write_json(self.out)?;
        }
        self.out.push(b']');
        Ok(())
    }

    fn headers(&mut self, headers: &Headers) -> Result<(), ProtocolError> {
        if headers.is_empty() {
            return Ok(());
        }
        self.value("headers", headers)
    }

    fn finish(self) {
        self.out.push(b'}');
        self.out.push(RECORD_SEPARATOR);
    }
}
