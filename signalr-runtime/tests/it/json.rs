//! The JSON hub protocol (PROTOCOL.md §4 framing, §6 messages): golden bytes both ways.

mod errors;
mod framing;
mod parse;
mod round_trip;
mod values;
mod write;

use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use signalr_runtime::ProtocolError;
use signalr_runtime::protocol::{HubMessage, Outcome, Protocol, Value};

/// ASP.NET Core's default MaximumReceiveMessageSize.
const MAX: usize = 32 * 1024;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn write(message: &HubMessage) -> Vec<u8> {
    let mut out = Vec::new();
    Protocol::Json.write(message, &mut out).unwrap();
    out
}

/// Parses exactly one framed message that must fill `bytes` completely.
#[track_caller]
fn parse(bytes: &[u8]) -> HubMessage {
    let mut buf = BytesMut::from(bytes);
    let message = Protocol::Json
        .parse(&mut buf, MAX)
        .unwrap()
        .expect("a complete message");
    assert!(
        buf.is_empty(),
        "bytes left over: {:?}",
        buf[..].escape_ascii().to_string()
    );
    message
}

/// Parses one framed record that must be refused.
#[track_caller]
fn parse_err(bytes: &[u8]) -> ProtocolError {
    let mut buf = BytesMut::from(bytes);
    match Protocol::Json.parse(&mut buf, MAX) {
        Err(error) => error,
        Ok(message) => panic!("expected an error, got {message:?}"),
    }
}

/// The JSON a value is written as.
fn json(value: &Value) -> String {
    serde_json::to_string(value).unwrap()
}

fn jsons(values: &[Value]) -> Vec<String> {
    values.iter().map(json).collect()
}

/// Result JSON of a completion with a value, panicking otherwise.
#[track_caller]
fn result_json(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Value(value) => json(value),
        other => panic!("expected a result, got {other:?}"),
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}
