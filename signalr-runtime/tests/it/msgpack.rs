//! The MessagePack hub protocol (PROTOCOL.md §4 framing, §6 messages): golden bytes both ways.
//!
//! Inputs are written as the official JavaScript MessagePack client writes them (`{}` for no
//! headers, `null` for no invocation id, no stream ids unless there are some, `[7, null]` to
//! close); outputs are what ASP.NET Core's MessagePack protocol writes.

mod errors;
mod framing;
mod parse;
mod round_trip;
mod values;
mod write;

use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use signalr_runtime::protocol::{HubMessage, Outcome, Protocol, TransferFormat, Value};

use crate::{assert_bytes, framed};

/// ASP.NET Core's default MaximumReceiveMessageSize.
const MAX: usize = 32 * 1024;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn write(message: &HubMessage) -> Vec<u8> {
    let mut out = Vec::new();
    Protocol::MessagePack.write(message, &mut out).unwrap();
    out
}

/// Writes `message` and checks its framed bytes are exactly `body` behind its length.
#[track_caller]
fn assert_writes(message: &HubMessage, body: &[u8]) {
    assert_bytes(&write(message), &framed(body));
}

/// Parses exactly one framed message that must fill `bytes` completely.
#[track_caller]
fn parse(bytes: &[u8]) -> HubMessage {
    let mut buf = BytesMut::from(bytes);
    let message = Protocol::MessagePack
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

/// Parses a record body (framed here).
#[track_caller]
fn parse_body(body: &[u8]) -> HubMessage {
    parse(&framed(body))
}

/// The MessagePack a value is written as.
fn mp(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    value.write(Protocol::MessagePack, &mut out).unwrap();
    out
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// The result of a completion with a value, as MessagePack.
#[track_caller]
fn result_mp(outcome: &Outcome) -> Vec<u8> {
    match outcome {
        Outcome::Value(value) => mp(value),
        other => panic!("expected a result, got {other:?}"),
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}

// ---------------------------------------------------------------------------------------------
// The protocol itself
// ---------------------------------------------------------------------------------------------

#[test]
fn name_version_and_transfer_format() {
    assert_eq!(Protocol::MessagePack.name(), "messagepack");
    assert_eq!(Protocol::MessagePack.version(), 2);
    assert_eq!(
        Protocol::MessagePack.transfer_format(),
        TransferFormat::Binary
    );
    assert_eq!(Protocol::ALL, [Protocol::Json, Protocol::MessagePack]);
}

#[test]
fn the_name_matches_ignoring_ascii_case() {
    for name in ["messagepack", "MessagePack", "MESSAGEPACK"] {
        assert_eq!(Protocol::from_name(name), Some(Protocol::MessagePack));
    }
    assert_eq!(Protocol::from_name("msgpack"), None);
    assert_eq!(Protocol::from_name("messagepack "), None);
}
