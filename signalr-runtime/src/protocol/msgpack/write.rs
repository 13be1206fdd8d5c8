//! Writing hub messages in ASP.NET Core's full layouts.

use std::fmt::Display;

use crate::error::ProtocolError;
use crate::protocol::framing::write_length_prefix;
use crate::protocol::{Headers, HubMessage, Invocation, Outcome};

/// Appends `message` with its length prefix to `out`.
pub(crate) fn write_message(message: &HubMessage, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    let mut body = Vec::new();
    write_body(message, &mut body)?;
    write_length_prefix(body.len(), out)?;
    out.extend_from_slice(&body);
    Ok(())
}

fn failed(error: impl Display) -> ProtocolError {
    ProtocolError::Serialize(error.to_string())
}

fn len_u32(len: usize) -> Result<u32, ProtocolError> {
    u32::try_from(len).map_err(failed)
}

fn array(out: &mut Vec<u8>, len: usize) -> Result<(), ProtocolError> {
    rmp::encode::write_array_len(out, len_u32(len)?).map_err(failed)?;
    Ok(())
}

fn uint(out: &mut Vec<u8>, value: u64) -> Result<(), ProtocolError> {
    rmp::encode::write_uint(out, value).map_err(failed)?;
    Ok(())
}

fn string(out: &mut Vec<u8>, text: &str) -> Result<(), ProtocolError> {
    rmp::encode::write_str(out, text).map_err(failed)
}

/// A string, or nil for `None` and for the empty string.
fn string_or_nil(out: &mut Vec<u8>, text: Option<&str>) -> Result<(), ProtocolError> {
    match text.filter(|text| !text.is_empty()) {
        Some(text) => string(out, text),
        None => rmp::encode::write_nil(out).map_err(failed),
    }
}

fn headers(out: &mut Vec<u8>, headers: &Headers) -> Result<(), ProtocolError> {
    rmp::encode::write_map_len(out, len_u32(headers.len())?).map_err(failed)?;
    for (key, value) in headers {
        string(out, key)?;
        string(out, value)?;
    }
    Ok(())
}

fn write_body(message: &HubMessage, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    match message {
        HubMessage::Invocation(call) => write_invocation(out, 1, call),
        HubMessage::StreamInvocation(call) => write_invocation(out, 4, call),
        HubMessage::StreamItem(item) => {
            array(out, 4)?;
            uint(out, 2)?;
            headers(out, &item.headers)?;
            string(out, &item.invocation_id)?;
            item.item.write_msgpack(out)
        }
        HubMessage::Completion(completion) => {
            let (kind, len) = match &completion.outcome {
                Outcome::Error(_) => (1, 5),
                Outcome::Void => (2, 4),
                Outcome::Value(_) => (3, 5),
            };
            array(out, len)?;
            uint(out, 3)?;
            headers(out, &completion.headers)?;
            string(out, &completion.invocation_id)?;
            uint(out, kind)?;
            match &completion.outcome {
                Outcome::Error(error) => string(out, error),
                Outcome::Void => Ok(()),
                Outcome::Value(result) => result.write_msgpack(out),
            }
        }
        HubMessage::CancelInvocation(cancel) => {
            array(out, 3)?;
            uint(out, 5)?;
            headers(out, &cancel.headers)?;
            string(out, &cancel.invocation_id)
        }
        HubMessage::Ping => {
            array(out, 1)?;
            uint(out, 6)
        }
        HubMessage::Close(close) => {
            array(out, 3)?;
            uint(out, 7)?;
            string_or_nil(out, close.error.as_deref())?;
            rmp::encode::write_bool(out, close.allow_reconnect).map_err(failed)
        }
        HubMessage::Ack(ack) => {
            array(out, 2)?;
            uint(out, 8)?;
            uint(out, ack.sequence_id)
        }
        HubMessage::Sequence(sequence) => {
            array(out, 2)?;
            uint(out, 9)?;
            uint(out, sequence.sequence_id)
        }
    }
}

/// `[kind, headers, id | nil, target, arguments, streamIds]`, always six items.
fn write_invocation(out: &mut Vec<u8>, kind: u64, call: &Invocation) -> Result<(), ProtocolError> {
    array(out, 6)?;
    uint(out, kind)?;
    headers(out, &call.headers)?;
    string_or_nil(out, call.invocation_id.as_deref())?;
    string(out, &call.target)?;
    array(out, call.arguments.len())?;
    for argument in &call.arguments {
        argument.write_msgpack(out)?;
    }
    let stream_ids = call.stream_ids.as_deref().unwrap_or_default();
    array(out, stream_ids.len())?;
    for id in stream_ids {
        string(out, id)?;
    }
    Ok(())
}
