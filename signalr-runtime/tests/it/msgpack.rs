//! The MessagePack hub protocol (PROTOCOL.md §4 framing, §6 messages): golden bytes both ways.
//!
//! Inputs are written as the official JavaScript MessagePack client writes them (`{}` for no
//! headers, `null` for no invocation id, no stream ids unless there are some, `[7, null]` to
//! close); outputs are what ASP.NET Core's MessagePack protocol writes.

use std::collections::BTreeMap;

use bytes::BytesMut;
use serde::{Deserialize, Serialize, Serializer};
use signalr_runtime::ProtocolError;
use signalr_runtime::protocol::{
    Ack, CancelInvocation, Close, Completion, Headers, HubMessage, Invocation, Outcome, Protocol,
    Sequence, StreamItem, TransferFormat, Value,
};

use crate::assert_bytes;
use crate::support::*;

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

/// `body` behind its length prefix, written out here independently of the library.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body.len();
    loop {
        let low = (rest & 0x7f) as u8;
        rest >>= 7;
        if rest == 0 {
            out.push(low);
            break;
        }
        out.push(low | 0x80);
    }
    out.extend_from_slice(body);
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

/// Parses one record body that must be refused.
#[track_caller]
fn parse_err(body: &[u8]) -> ProtocolError {
    let mut buf = BytesMut::from(&framed(body)[..]);
    match Protocol::MessagePack.parse(&mut buf, MAX) {
        Err(error) => error,
        Ok(message) => panic!("expected an error, got {message:?}"),
    }
}

#[track_caller]
fn assert_invalid(body: &[u8], text: &str) {
    assert_eq!(
        parse_err(body),
        ProtocolError::InvalidMessagePack(text.to_owned())
    );
    assert_eq!(parse_err(body).to_string(), text);
}

#[track_caller]
fn assert_missing(body: &[u8], property: &'static str) {
    let error = parse_err(body);
    assert_eq!(error, ProtocolError::MissingProperty(property));
    assert_eq!(
        error.to_string(),
        format!("Missing required property '{property}'.")
    );
}

/// The MessagePack a value is written as.
fn mp(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    value.write(Protocol::MessagePack, &mut out).unwrap();
    out
}

/// The JSON a value is written as.
fn json(value: &Value) -> String {
    let mut out = Vec::new();
    value.write(Protocol::Json, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// A MessagePack string: fixstr, str8 or str16 header, then the bytes.
fn str_bytes(text: &str) -> Vec<u8> {
    let len = text.len();
    let mut out = match len {
        0..=31 => vec![0xa0 | len as u8],
        32..=255 => vec![0xd9, len as u8],
        _ => vec![0xda, (len >> 8) as u8, len as u8],
    };
    out.extend_from_slice(text.as_bytes());
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

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Message {
    user_name: String,
    text: Option<String>,
    tags: Vec<String>,
    at: Point,
    #[serde(with = "serde_bytes")]
    data: Vec<u8>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Shape {
    Dot,
    Circle(u8),
    Rect { w: u8 },
}

/// A value whose serialization always fails.
struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("nope"))
    }
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

// ---------------------------------------------------------------------------------------------
// Writing: exact bytes, ASP.NET Core's layouts
// ---------------------------------------------------------------------------------------------

#[test]
fn write_ping_is_exactly_0x91_0x06() {
    assert_bytes(&write(&HubMessage::Ping), &[0x02, 0x91, 0x06]);
}

#[test]
fn write_invocation_without_id() {
    let call = Invocation::new("Target", vec![Value::new(1), Value::new("x")]);
    // [1, {}, nil, "Target", [1, "x"], []]
    assert_bytes(
        &write(&HubMessage::Invocation(call)),
        b"\x10\x96\x01\x80\xc0\xa6Target\x92\x01\xa1x\x90",
    );
}

#[test]
fn write_invocation_with_id() {
    let call = Invocation {
        invocation_id: Some("123".to_owned()),
        ..Invocation::new("Add", vec![Value::new(1), Value::new(2)])
    };
    assert_bytes(
        &write(&HubMessage::Invocation(call)),
        b"\x0f\x96\x01\x80\xa3123\xa3Add\x92\x01\x02\x90",
    );
}

#[test]
fn write_invocation_with_an_empty_id_writes_nil() {
    let call = Invocation {
        invocation_id: Some(String::new()),
        ..Invocation::new("T", Vec::new())
    };
    assert_writes(
        &HubMessage::Invocation(call),
        b"\x96\x01\x80\xc0\xa1T\x90\x90",
    );
}

#[test]
fn write_invocation_with_headers_and_stream_ids() {
    let call = Invocation {
        headers: headers(&[("z", "last"), ("a", "first")]),
        invocation_id: Some("3".to_owned()),
        target: "Upload".to_owned(),
        arguments: vec![Value::new("name")],
        stream_ids: Some(strings(&["1", "2"])),
    };
    assert_writes(
        &HubMessage::Invocation(call),
        b"\x96\x01\x82\xa1a\xa5first\xa1z\xa4last\xa13\xa6Upload\x91\xa4name\x92\xa11\xa12",
    );
}

#[test]
fn write_invocation_with_structured_arguments() {
    let call = Invocation::new(
        "Draw",
        vec![
            Value::new(Point { x: 1, y: -2 }),
            Value::new(vec![true, false]),
            Value::new(None::<u32>),
            Value::new(1.5f64),
            Value::from_json(r#"{"raw":[1,2]}"#).unwrap(),
        ],
    );
    assert_writes(
        &HubMessage::Invocation(call),
        &concat(&[
            b"\x96\x01\x80\xc0\xa4Draw\x95",
            b"\x82\xa1x\x01\xa1y\xfe",
            b"\x92\xc3\xc2",
            b"\xc0",
            b"\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00",
            b"\x81\xa3raw\x92\x01\x02",
            b"\x90",
        ]),
    );
}

#[test]
fn write_utf8_strings_as_they_are() {
    let call = Invocation::new("Say", vec![Value::new("你好")]);
    assert_writes(
        &HubMessage::Invocation(call),
        &concat(&[
            b"\x96\x01\x80\xc0\xa3Say\x91\xa6",
            "你好".as_bytes(),
            b"\x90",
        ]),
    );
}

#[test]
fn write_stream_item() {
    let item = StreamItem {
        headers: Headers::new(),
        invocation_id: "1".to_owned(),
        item: Value::new(42),
    };
    assert_bytes(
        &write(&HubMessage::StreamItem(item)),
        b"\x06\x94\x02\x80\xa11\x2a",
    );
}

#[test]
fn write_stream_item_with_headers_and_null() {
    let item = StreamItem {
        headers: headers(&[("k", "v")]),
        invocation_id: "1".to_owned(),
        item: Value::new(()),
    };
    assert_writes(
        &HubMessage::StreamItem(item),
        b"\x94\x02\x81\xa1k\xa1v\xa11\xc0",
    );
}

#[test]
fn write_completion_void_has_four_items() {
    let message = HubMessage::Completion(Completion::new("1", Outcome::Void));
    assert_bytes(&write(&message), b"\x06\x94\x03\x80\xa11\x02");
}

#[test]
fn write_completion_with_result_has_five_items() {
    let message = HubMessage::Completion(Completion::new("1", Outcome::Value(Value::new(42))));
    assert_bytes(&write(&message), b"\x07\x95\x03\x80\xa11\x03\x2a");
}

#[test]
fn write_completion_with_a_null_result_keeps_it() {
    for value in [Value::new(()), Value::new(None::<String>)] {
        let message = HubMessage::Completion(Completion::new("1", Outcome::Value(value)));
        assert_writes(&message, b"\x95\x03\x80\xa11\x03\xc0");
    }
}

#[test]
fn write_completion_with_error() {
    let message = HubMessage::Completion(Completion::new(
        "1",
        Outcome::Error("Failed to invoke 'x'.".to_owned()),
    ));
    assert_writes(&message, b"\x95\x03\x80\xa11\x01\xb5Failed to invoke 'x'.");
}

#[test]
fn write_completion_with_headers() {
    let completion = Completion {
        headers: headers(&[("a", "b")]),
        ..Completion::new("xyz", Outcome::Void)
    };
    assert_writes(
        &HubMessage::Completion(completion),
        b"\x94\x03\x81\xa1a\xa1b\xa3xyz\x02",
    );
}

#[test]
fn write_stream_invocation() {
    let call = Invocation {
        invocation_id: Some("4".to_owned()),
        ..Invocation::new("Counter", vec![Value::new(10)])
    };
    assert_writes(
        &HubMessage::StreamInvocation(call),
        b"\x96\x04\x80\xa14\xa7Counter\x91\x0a\x90",
    );
}

#[test]
fn write_stream_invocation_with_headers_and_stream_ids() {
    let call = Invocation {
        headers: headers(&[("h", "1")]),
        invocation_id: Some("4".to_owned()),
        target: "Pipe".to_owned(),
        arguments: Vec::new(),
        stream_ids: Some(strings(&["9"])),
    };
    assert_writes(
        &HubMessage::StreamInvocation(call),
        b"\x96\x04\x81\xa1h\xa11\xa14\xa4Pipe\x90\x91\xa19",
    );
}

#[test]
fn write_cancel_invocation() {
    let cancel = CancelInvocation {
        headers: Headers::new(),
        invocation_id: "5".to_owned(),
    };
    assert_bytes(
        &write(&HubMessage::CancelInvocation(cancel)),
        b"\x05\x93\x05\x80\xa15",
    );
}

#[test]
fn write_cancel_invocation_with_headers() {
    let cancel = CancelInvocation {
        headers: headers(&[("a", "b")]),
        invocation_id: "5".to_owned(),
    };
    assert_writes(
        &HubMessage::CancelInvocation(cancel),
        b"\x93\x05\x81\xa1a\xa1b\xa15",
    );
}

#[test]
fn write_close_always_has_three_items() {
    assert_bytes(
        &write(&HubMessage::Close(Close::default())),
        b"\x04\x93\x07\xc0\xc2",
    );
    let reconnect = Close {
        error: None,
        allow_reconnect: true,
    };
    assert_bytes(
        &write(&HubMessage::Close(reconnect)),
        b"\x04\x93\x07\xc0\xc3",
    );
}

#[test]
fn write_close_with_error() {
    let close = Close {
        error: Some("Connection closed with an error.".to_owned()),
        allow_reconnect: false,
    };
    assert_writes(
        &HubMessage::Close(close),
        b"\x93\x07\xd9\x20Connection closed with an error.\xc2",
    );
    let both = Close {
        error: Some("e".to_owned()),
        allow_reconnect: true,
    };
    assert_writes(&HubMessage::Close(both), b"\x93\x07\xa1e\xc3");
}

#[test]
fn write_close_with_an_empty_error_writes_nil() {
    let close = Close {
        error: Some(String::new()),
        allow_reconnect: false,
    };
    assert_writes(&HubMessage::Close(close), b"\x93\x07\xc0\xc2");
}

#[test]
fn write_ack_and_sequence() {
    assert_bytes(
        &write(&HubMessage::Ack(Ack { sequence_id: 5 })),
        b"\x03\x92\x08\x05",
    );
    assert_bytes(
        &write(&HubMessage::Sequence(Sequence { sequence_id: 300 })),
        b"\x05\x92\x09\xcd\x01\x2c",
    );
    assert_writes(
        &HubMessage::Ack(Ack {
            sequence_id: u64::MAX,
        }),
        b"\x92\x08\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
    );
}

#[test]
fn write_appends_to_the_output() {
    let mut out = b"before".to_vec();
    Protocol::MessagePack
        .write(&HubMessage::Ping, &mut out)
        .unwrap();
    assert_bytes(&out, b"before\x02\x91\x06");
}

#[test]
fn a_failed_write_leaves_the_output_as_it_was() {
    let mut out = b"before".to_vec();
    let message = HubMessage::Completion(Completion::new(
        "1",
        Outcome::Value(Value::new(Unserializable)),
    ));
    let error = Protocol::MessagePack.write(&message, &mut out).unwrap_err();
    assert!(matches!(error, ProtocolError::Serialize(_)), "{error:?}");
    assert!(error.to_string().contains("nope"), "{error}");
    assert_bytes(&out, b"before");
    assert!(Protocol::MessagePack.encode(&message).is_err());
}

#[test]
fn encode_is_write_into_new_bytes() {
    assert_bytes(
        &Protocol::MessagePack.encode(&HubMessage::Ping).unwrap(),
        &[0x02, 0x91, 0x06],
    );
}

// ---------------------------------------------------------------------------------------------
// Parsing: as the JavaScript client writes
// ---------------------------------------------------------------------------------------------

#[test]
fn parse_invocation_as_the_js_client_writes_it() {
    // connection.invoke("Echo", "你好"): [1, {}, "0", "Echo", ["你好"]] (no stream ids).
    let wire = concat(&[b"\x12\x95\x01\x80\xa10\xa4Echo\x91\xa6", "你好".as_bytes()]);
    let call = invocation(parse(&wire));
    assert!(call.headers.is_empty());
    assert_eq!(call.invocation_id.as_deref(), Some("0"));
    assert_eq!(call.target, "Echo");
    assert_eq!(call.arguments.len(), 1);
    assert_eq!(call.arguments[0].decode::<String>().unwrap(), "你好");
    assert_eq!(call.stream_ids, None);
}

#[test]
fn parse_non_blocking_invocation_as_the_js_client_writes_it() {
    // connection.send("Send", "a", 1): [1, {}, null, "Send", ["a", 1]].
    let call = invocation(parse_body(b"\x95\x01\x80\xc0\xa4Send\x92\xa1a\x01"));
    assert_eq!(call.invocation_id, None);
    assert_eq!(call.target, "Send");
    assert_eq!(call.arguments[0].decode::<String>().unwrap(), "a");
    assert_eq!(call.arguments[1].decode::<u8>().unwrap(), 1);
}

#[test]
fn parse_invocation_with_stream_ids_as_the_js_client_writes_it() {
    // connection.send("Upload", subject): [1, {}, null, "Upload", [], ["0"]].
    let call = invocation(parse_body(b"\x96\x01\x80\xc0\xa6Upload\x90\x91\xa10"));
    assert_eq!(call.target, "Upload");
    assert!(call.arguments.is_empty());
    assert_eq!(call.stream_ids, Some(strings(&["0"])));
}

#[test]
fn parse_invocation_in_asp_net_core_layout_with_headers() {
    // Six items with an empty stream id array, as ASP.NET Core writes: no streams.
    let call = invocation(parse_body(
        b"\x96\x01\x82\xa1a\xa1b\xa1c\xa1d\xa17\xa3Add\x92\x01\x02\x90",
    ));
    assert_eq!(call.headers, headers(&[("a", "b"), ("c", "d")]));
    assert_eq!(call.invocation_id.as_deref(), Some("7"));
    assert_eq!(call.arguments.len(), 2);
    assert_eq!(call.stream_ids, None);
}

#[test]
fn parse_empty_invocation_id_on_invocation_as_none() {
    let call = invocation(parse_body(b"\x95\x01\x80\xa0\xa1T\x90"));
    assert_eq!(call.invocation_id, None);
}

#[test]
fn parse_tolerates_extra_trailing_items() {
    let call = invocation(parse_body(b"\x97\x01\x80\xa11\xa1T\x90\x90\xa5extra"));
    assert_eq!(call.invocation_id.as_deref(), Some("1"));
    assert_ping(parse_body(b"\x92\x06\xc0"));
    let item = stream_item(parse_body(b"\x95\x02\x80\xa11\x01\x02"));
    assert_eq!(item.item.decode::<u8>().unwrap(), 1);
    assert_eq!(
        close(parse_body(b"\x94\x07\xc0\xc3\x93\x01\x02\x03")),
        Close {
            error: None,
            allow_reconnect: true
        }
    );
}

#[test]
fn parse_integers_of_any_width() {
    // The type and the result kind as uint8 / int16 instead of a positive fixint.
    let call = invocation(parse_body(b"\x95\xcc\x01\x80\xc0\xa1T\x90"));
    assert_eq!(call.target, "T");
    let done = completion(parse_body(b"\x94\xd1\x00\x03\x80\xa11\xd0\x02"));
    assert_void(&done.outcome);
    assert_eq!(
        ack(parse_body(b"\x92\x08\xce\x00\x01\x00\x00")),
        Ack {
            sequence_id: 65_536
        }
    );
}

#[test]
fn parse_stream_item_as_the_js_client_writes_it() {
    // [2, {}, "1", {"x": 1, "y": 2}]
    let item = stream_item(parse_body(b"\x94\x02\x80\xa11\x82\xa1x\x01\xa1y\x02"));
    assert_eq!(item.invocation_id, "1");
    assert!(item.headers.is_empty());
    assert_eq!(item.item.decode::<Point>().unwrap(), Point { x: 1, y: 2 });
}

#[test]
fn parse_stream_item_with_a_null_item() {
    let item = stream_item(parse_body(b"\x94\x02\x81\xa1k\xa1v\xa11\xc0"));
    assert_eq!(item.headers, headers(&[("k", "v")]));
    assert_eq!(item.item.decode::<Option<u8>>().unwrap(), None);
    assert_bytes(&mp(&item.item), b"\xc0");
}

#[test]
fn parse_completion_with_result_as_the_js_client_writes_it() {
    // A client result: [3, {}, "s1", 3, true]
    let done = completion(parse_body(b"\x95\x03\x80\xa2s1\x03\xc3"));
    assert_eq!(done.invocation_id, "s1");
    assert_bytes(&result_mp(&done.outcome), b"\xc3");
    match &done.outcome {
        Outcome::Value(value) => assert!(value.decode::<bool>().unwrap()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn parse_completion_with_null_result_is_a_value() {
    let done = completion(parse_body(b"\x95\x03\x80\xa2s1\x03\xc0"));
    assert_bytes(&result_mp(&done.outcome), b"\xc0");
}

#[test]
fn parse_void_completion_as_the_js_client_writes_it() {
    let done = completion(parse_body(b"\x94\x03\x80\xa2s1\x02"));
    assert_void(&done.outcome);
    // A void completion from a client that adds the unused fifth item anyway.
    assert_void(&completion(parse_body(b"\x95\x03\x80\xa2s1\x02\xc0")).outcome);
}

#[test]
fn parse_completion_with_error_as_the_js_client_writes_it() {
    let done = completion(parse_body(b"\x95\x03\x80\xa2s1\x01\xa4boom"));
    assert_eq!(error_text(&done.outcome), "boom");
    // A nil error is no error at all.
    assert_void(&completion(parse_body(b"\x95\x03\x80\xa2s1\x01\xc0")).outcome);
}

#[test]
fn parse_completion_with_headers() {
    let done = completion(parse_body(b"\x94\x03\x81\xa1a\xa1b\xa3xyz\x02"));
    assert_eq!(done.headers, headers(&[("a", "b")]));
    assert_eq!(done.invocation_id, "xyz");
}

#[test]
fn parse_stream_invocation_as_the_js_client_writes_it() {
    // connection.stream("Counter", 10, 5): [4, {}, "0", "Counter", [10, 5]]
    let call = stream_invocation(parse_body(b"\x95\x04\x80\xa10\xa7Counter\x92\x0a\x05"));
    assert_eq!(call.invocation_id.as_deref(), Some("0"));
    assert_eq!(call.target, "Counter");
    assert_eq!(call.arguments[0].decode::<u32>().unwrap(), 10);
    assert_eq!(call.arguments[1].decode::<u32>().unwrap(), 5);
    assert_eq!(call.stream_ids, None);
}

#[test]
fn parse_stream_invocation_with_everything() {
    let call = stream_invocation(parse_body(
        b"\x96\x04\x81\xa1h\xa11\xa14\xa4Pipe\x90\x92\xa19\xa28a",
    ));
    assert_eq!(call.headers, headers(&[("h", "1")]));
    assert_eq!(call.stream_ids, Some(strings(&["9", "8a"])));
}

#[test]
fn parse_cancel_invocation_as_the_js_client_writes_it() {
    let cancel = cancel(parse_body(b"\x93\x05\x80\xa10"));
    assert_eq!(cancel.invocation_id, "0");
    assert!(cancel.headers.is_empty());
}

#[test]
fn parse_ping_as_the_js_client_writes_it() {
    assert_ping(parse(&[0x02, 0x91, 0x06]));
}

#[test]
fn parse_close_as_the_js_client_writes_it() {
    // connection.stop(): [7, null]
    assert_eq!(close(parse(b"\x03\x92\x07\xc0")), Close::default());
}

#[test]
fn parse_close_variants() {
    assert_eq!(close(parse_body(b"\x93\x07\xc0\xc2")), Close::default());
    assert_eq!(
        close(parse_body(b"\x93\x07\xa4oops\xc3")),
        Close {
            error: Some("oops".to_owned()),
            allow_reconnect: true
        }
    );
    assert_eq!(
        close(parse_body(b"\x92\x07\xa4oops")),
        Close {
            error: Some("oops".to_owned()),
            allow_reconnect: false
        }
    );
    // Just the type: nothing to report.
    assert_eq!(close(parse_body(b"\x91\x07")), Close::default());
}

#[test]
fn parse_ack_and_sequence() {
    assert_eq!(ack(parse_body(b"\x92\x08\x01")), Ack { sequence_id: 1 });
    assert_eq!(
        sequence(parse_body(b"\x92\x09\xcd\x01\x2c")),
        Sequence { sequence_id: 300 }
    );
    assert_eq!(
        sequence(parse_body(b"\x92\x09\xcf\x00\x00\x00\x01\x00\x00\x00\x00")),
        Sequence {
            sequence_id: 1 << 32
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Errors (§6 parsing rules)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_message_must_be_an_array() {
    assert_invalid(b"\x06", "Reading array length for 'message' failed.");
    assert_invalid(
        b"\x81\xa4type\x06",
        "Reading array length for 'message' failed.",
    );
    assert_invalid(b"", "Reading array length for 'message' failed.");
}

#[test]
fn missing_type() {
    assert_missing(b"\x90", "type");
}

#[test]
fn a_type_that_is_not_an_integer() {
    assert_invalid(b"\x91\xa11", "Reading 'messageType' as Int32 failed.");
    assert_invalid(b"\x91\xc0", "Reading 'messageType' as Int32 failed.");
}

#[test]
fn missing_items_are_missing_properties() {
    assert_missing(b"\x91\x01", "headers");
    assert_missing(b"\x92\x01\x80", "invocationId");
    assert_missing(b"\x93\x01\x80\xc0", "target");
    assert_missing(b"\x94\x01\x80\xc0\xa1T", "arguments");
    assert_missing(b"\x94\x04\x80\xa11\xa1T", "arguments");
    assert_missing(b"\x93\x02\x80\xa11", "item");
    assert_missing(b"\x93\x03\x80\xa11", "resultKind");
    assert_missing(b"\x94\x03\x80\xa11\x03", "result");
    assert_missing(b"\x94\x03\x80\xa11\x01", "error");
    assert_missing(b"\x92\x05\x80", "invocationId");
    assert_missing(b"\x91\x08", "sequenceId");
    assert_missing(b"\x91\x09", "sequenceId");
}

#[test]
fn an_invocation_id_is_required_where_the_type_needs_one() {
    for body in [
        &b"\x95\x04\x80\xc0\xa1T\x90"[..],
        b"\x95\x04\x80\xa0\xa1T\x90",
        b"\x94\x02\x80\xc0\x01",
        b"\x94\x03\x80\xa0\x02",
        b"\x93\x05\x80\xc0",
    ] {
        assert_missing(body, "invocationId");
    }
}

#[test]
fn an_empty_target_is_missing() {
    assert_missing(b"\x95\x01\x80\xc0\xa0\x90", "target");
    assert_missing(b"\x95\x01\x80\xc0\xc0\x90", "target");
}

#[test]
fn wrongly_typed_items() {
    assert_invalid(
        b"\x95\x01\x90\xc0\xa1T\x90",
        "Reading map length for 'headers' failed.",
    );
    assert_invalid(
        b"\x95\x01\x80\x01\xa1T\x90",
        "Reading 'invocationId' as String failed.",
    );
    assert_invalid(
        b"\x95\x01\x80\xc0\x01\x90",
        "Reading 'target' as String failed.",
    );
    assert_invalid(
        b"\x95\x01\x80\xc0\xa1T\x80",
        "Reading array length for 'arguments' failed.",
    );
    assert_invalid(
        b"\x96\x01\x80\xc0\xa1T\x90\xc0",
        "Reading array length for 'streamIds' failed.",
    );
    assert_invalid(
        b"\x96\x01\x80\xc0\xa1T\x90\x91\x01",
        "Reading 'streamIds' as String failed.",
    );
    assert_invalid(
        b"\x96\x01\x80\xc0\xa1T\x90\x91\xa0",
        "Null or empty value in streamIds received.",
    );
    assert_invalid(
        b"\x95\x03\x80\xa11\xa13\x01",
        "Reading 'resultKind' as Int32 failed.",
    );
    assert_invalid(
        b"\x95\x03\x80\xa11\x01\x01",
        "Reading 'error' as String failed.",
    );
    assert_invalid(
        b"\x93\x07\xc0\xc0",
        "Reading 'allowReconnect' as Boolean failed.",
    );
    assert_invalid(b"\x92\x07\x01", "Reading 'error' as String failed.");
    assert_invalid(b"\x92\x08\xff", "Reading 'sequenceId' as Int64 failed.");
    assert_invalid(b"\x92\x09\xa11", "Reading 'sequenceId' as Int64 failed.");
}

#[test]
fn invalid_result_kinds() {
    for kind in [0u8, 4, 0x7f] {
        assert_invalid(
            &[0x95, 0x03, 0x80, 0xa1, b'1', kind, 0xc0],
            "Invalid invocation result kind.",
        );
    }
    assert_invalid(
        b"\x95\x03\x80\xa11\xff\xc0",
        "Invalid invocation result kind.",
    );
}

#[test]
fn headers_must_map_non_empty_strings_to_non_empty_strings() {
    assert_invalid(
        b"\x93\x05\x81\x01\xa1v\xa11",
        "Reading 'headers[0].Key' as String failed.",
    );
    assert_invalid(
        b"\x93\x05\x82\xa1a\xa1b\xa1k\x01\xa11",
        "Reading 'headers[1].Value' as String failed.",
    );
    assert_invalid(
        b"\x93\x05\x81\xa0\xa1v\xa11",
        "Null or empty key in header.",
    );
    assert_invalid(
        b"\x93\x05\x81\xc0\xa1v\xa11",
        "Null or empty key in header.",
    );
    assert_invalid(
        b"\x93\x05\x81\xa1k\xa0\xa11",
        "Null or empty value in header.",
    );
}

#[test]
fn strings_must_be_utf8() {
    assert_invalid(
        b"\x95\x01\x80\xc0\xa2\xff\xfe\x90",
        "Reading 'target' as String failed.",
    );
}

#[test]
fn values_cut_short_inside_the_record() {
    // Two arguments claimed, one present.
    assert_invalid(
        b"\x95\x01\x80\xc0\xa1T\x92\x01",
        "Reading 'arguments' failed.",
    );
    // A string argument longer than the record.
    assert_invalid(
        b"\x95\x01\x80\xc0\xa1T\x91\xa5ab",
        "Reading 'arguments' failed.",
    );
    assert_invalid(b"\x94\x02\x80\xa11\x92\x01", "Reading 'item' failed.");
    assert_invalid(b"\x95\x03\x80\xa11\x03\xc1", "Reading 'result' failed.");
    // The array claims more items than the record holds.
    assert_invalid(b"\x95\x01\x80\xc0", "Reading 'target' as String failed.");
}

#[test]
fn invalid_message_pack_display_is_the_text_alone() {
    let error = ProtocolError::InvalidMessagePack("Invalid invocation result kind.".to_owned());
    assert_eq!(error.to_string(), "Invalid invocation result kind.");
}

// ---------------------------------------------------------------------------------------------
// Framing (§4): VarInt length prefix
// ---------------------------------------------------------------------------------------------

/// `[1, {}, nil, "Echo", [text]]`, the body of a non-blocking Echo call.
fn echo_body(text: &str) -> Vec<u8> {
    concat(&[b"\x95\x01\x80\xc0\xa4Echo\x91", &str_bytes(text)])
}

#[test]
fn a_one_byte_prefix_0x35_is_53() {
    let text = "a".repeat(41);
    let body = echo_body(&text);
    assert_eq!(body.len(), 53);
    let mut wire = vec![0x35];
    wire.extend_from_slice(&body);
    let call = invocation(parse(&wire));
    assert_eq!(call.arguments[0].decode::<String>().unwrap(), text);

    // And the server writes a 53-byte message behind 0x35.
    let result = "r".repeat(45);
    let message = HubMessage::Completion(Completion::new("1", Outcome::Value(Value::new(result))));
    let out = write(&message);
    assert_eq!(out[0], 0x35);
    assert_eq!(out.len(), 1 + 53);
}

#[test]
fn a_two_byte_prefix_0x80_0x29_is_5248() {
    let text = "b".repeat(5235);
    let body = echo_body(&text);
    assert_eq!(body.len(), 5248);
    let mut wire = vec![0x80, 0x29];
    wire.extend_from_slice(&body);
    let call = invocation(parse(&wire));
    assert_eq!(call.arguments[0].decode::<String>().unwrap(), text);

    let result = "r".repeat(5239);
    let message = HubMessage::Completion(Completion::new("1", Outcome::Value(Value::new(result))));
    let out = write(&message);
    assert_bytes(&out[..2], &[0x80, 0x29]);
    assert_eq!(out.len(), 2 + 5248);
}

#[test]
fn prefix_boundaries() {
    for (len, prefix) in [
        (0usize, &[0x00][..]),
        (127, &[0x7f]),
        (128, &[0x80, 0x01]),
        (16_383, &[0xff, 0x7f]),
        (16_384, &[0x80, 0x80, 0x01]),
    ] {
        assert_bytes(&framed(&vec![0; len])[..prefix.len()], prefix);
    }
}

#[test]
fn a_message_split_byte_by_byte_arrives_with_the_last_byte() {
    // A 5248-byte message has a two-byte prefix: split inside it too.
    for wire in [
        framed(&echo_body("你好")),
        framed(&echo_body(&"c".repeat(5235))),
    ] {
        let mut buf = BytesMut::new();
        let (last, head) = wire.split_last().unwrap();
        for (i, byte) in head.iter().enumerate() {
            buf.extend_from_slice(&[*byte]);
            let parsed = Protocol::MessagePack.parse(&mut buf, MAX).unwrap();
            assert!(parsed.is_none(), "a message after {} bytes", i + 1);
            assert_eq!(buf.len(), i + 1, "partial bytes must stay buffered");
        }
        buf.extend_from_slice(&[*last]);
        let call = invocation(Protocol::MessagePack.parse(&mut buf, MAX).unwrap().unwrap());
        assert_eq!(call.target, "Echo");
        assert!(buf.is_empty());
        assert!(
            Protocol::MessagePack
                .parse(&mut buf, MAX)
                .unwrap()
                .is_none()
        );
    }
}

#[test]
fn packed_messages_come_out_in_order_and_a_partial_one_waits() {
    let mut wire = Vec::new();
    wire.extend_from_slice(b"\x02\x91\x06");
    wire.extend_from_slice(&framed(b"\x95\x01\x80\xc0\xa1A\x91\x01"));
    wire.extend_from_slice(&framed(b"\x93\x05\x80\xa11"));
    wire.extend_from_slice(b"\x03\x92\x07\xc0");
    let next = framed(b"\x95\x01\x80\xc0\xa1B\x90");
    wire.extend_from_slice(&next[..4]);

    let mut buf = BytesMut::from(&wire[..]);
    assert_ping(Protocol::MessagePack.parse(&mut buf, MAX).unwrap().unwrap());
    let call = invocation(Protocol::MessagePack.parse(&mut buf, MAX).unwrap().unwrap());
    assert_eq!(call.target, "A");
    let cancel = cancel(Protocol::MessagePack.parse(&mut buf, MAX).unwrap().unwrap());
    assert_eq!(cancel.invocation_id, "1");
    assert_eq!(
        close(Protocol::MessagePack.parse(&mut buf, MAX).unwrap().unwrap()),
        Close::default()
    );
    assert!(
        Protocol::MessagePack
            .parse(&mut buf, MAX)
            .unwrap()
            .is_none()
    );
    assert_bytes(&buf, &next[..4]);

    buf.extend_from_slice(&next[4..]);
    let call = invocation(Protocol::MessagePack.parse(&mut buf, MAX).unwrap().unwrap());
    assert_eq!(call.target, "B");
    assert!(buf.is_empty());
}

#[test]
fn what_the_server_writes_parses_back_when_packed() {
    let mut out = Vec::new();
    Protocol::MessagePack
        .write(&HubMessage::Ping, &mut out)
        .unwrap();
    Protocol::MessagePack
        .write(&HubMessage::Ack(Ack { sequence_id: 2 }), &mut out)
        .unwrap();
    Protocol::MessagePack
        .write(&HubMessage::Close(Close::default()), &mut out)
        .unwrap();
    let mut buf = BytesMut::from(&out[..]);
    assert_ping(Protocol::MessagePack.parse(&mut buf, MAX).unwrap().unwrap());
    assert_eq!(
        ack(Protocol::MessagePack.parse(&mut buf, MAX).unwrap().unwrap()),
        Ack { sequence_id: 2 }
    );
    assert_eq!(
        close(Protocol::MessagePack.parse(&mut buf, MAX).unwrap().unwrap()),
        Close::default()
    );
    assert!(
        Protocol::MessagePack
            .parse(&mut buf, MAX)
            .unwrap()
            .is_none()
    );
}

#[test]
fn unknown_message_types_are_skipped() {
    let mut wire = Vec::new();
    wire.extend_from_slice(&framed(b"\x93\x63\x80\x92\x01\x02"));
    wire.extend_from_slice(&framed(b"\x91\x0a"));
    wire.extend_from_slice(&framed(b"\x91\x00"));
    wire.extend_from_slice(&framed(b"\x91\xff"));
    wire.extend_from_slice(&framed(b"\x91\xcd\x01\x01"));
    wire.extend_from_slice(b"\x02\x91\x06");
    let mut buf = BytesMut::from(&wire[..]);
    assert_ping(Protocol::MessagePack.parse(&mut buf, MAX).unwrap().unwrap());
    assert!(buf.is_empty());
}

#[test]
fn an_unknown_message_type_alone_yields_nothing_and_is_consumed() {
    let mut buf = BytesMut::from(&b"\x02\x91\x63\x02\x91"[..]);
    assert!(
        Protocol::MessagePack
            .parse(&mut buf, MAX)
            .unwrap()
            .is_none()
    );
    assert_bytes(&buf, b"\x02\x91");
}

#[test]
fn an_over_long_prefix_is_refused() {
    for wire in [
        &[0x80, 0x80, 0x80, 0x80, 0x80][..],
        &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        &[0xff, 0xff, 0xff, 0xff, 0x08],
        &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ] {
        let mut buf = BytesMut::from(wire);
        let error = Protocol::MessagePack
            .parse(&mut buf, usize::MAX)
            .unwrap_err();
        assert_eq!(
            error,
            ProtocolError::InvalidMessagePack(
                "Messages over 2GB in size are not supported.".to_owned()
            )
        );
    }
}

#[test]
fn the_largest_prefix_waits_for_its_body() {
    let mut buf = BytesMut::from(&[0xff, 0xff, 0xff, 0xff, 0x07][..]);
    assert!(
        Protocol::MessagePack
            .parse(&mut buf, usize::MAX)
            .unwrap()
            .is_none()
    );
    assert_eq!(buf.len(), 5);
}

#[test]
fn a_length_over_the_maximum_is_refused_before_the_body_arrives() {
    // 32769 = 0x8001: prefix 0x81 0x80 0x02, and not one byte of the body yet.
    let mut buf = BytesMut::from(&[0x81, 0x80, 0x02][..]);
    let error = Protocol::MessagePack.parse(&mut buf, MAX).unwrap_err();
    assert_eq!(error, ProtocolError::MessageTooLarge { max_size: MAX });
    assert_eq!(
        error.to_string(),
        "The maximum message size of 32768B was exceeded. \
         The message size can be configured in AddHubOptions."
    );
}

#[test]
fn a_record_of_exactly_the_maximum_size_is_accepted() {
    let body = echo_body("d");
    let mut buf = BytesMut::from(&framed(&body)[..]);
    let call = invocation(
        Protocol::MessagePack
            .parse(&mut buf, body.len())
            .unwrap()
            .unwrap(),
    );
    assert_eq!(call.target, "Echo");

    let mut buf = BytesMut::from(&framed(&body)[..]);
    assert_eq!(
        Protocol::MessagePack
            .parse(&mut buf, body.len() - 1)
            .unwrap_err(),
        ProtocolError::MessageTooLarge {
            max_size: body.len() - 1
        }
    );
}

#[test]
fn many_small_messages_may_exceed_the_maximum_together() {
    let mut buf = BytesMut::from(&b"\x02\x91\x06".repeat(100)[..]);
    for _ in 0..100 {
        assert_ping(Protocol::MessagePack.parse(&mut buf, 8).unwrap().unwrap());
    }
    assert!(buf.is_empty());
}

#[test]
fn an_oversized_record_behind_a_good_one_is_refused_after_it() {
    let mut wire = b"\x02\x91\x06".to_vec();
    wire.extend_from_slice(&framed(&echo_body(&"e".repeat(100))));
    let mut buf = BytesMut::from(&wire[..]);
    assert_ping(Protocol::MessagePack.parse(&mut buf, 50).unwrap().unwrap());
    assert_eq!(
        Protocol::MessagePack.parse(&mut buf, 50).unwrap_err(),
        ProtocolError::MessageTooLarge { max_size: 50 }
    );
}

#[test]
fn an_empty_record_is_not_a_message() {
    let mut buf = BytesMut::from(&[0x00][..]);
    assert_eq!(
        Protocol::MessagePack.parse(&mut buf, MAX).unwrap_err(),
        ProtocolError::InvalidMessagePack("Reading array length for 'message' failed.".to_owned())
    );
}

// ---------------------------------------------------------------------------------------------
// Values: raw until decoded, typed values written as the JavaScript client expects
// ---------------------------------------------------------------------------------------------

#[test]
fn arguments_stay_raw_until_decoded() {
    // [1, {}, nil, "T", [42, "s", true, nil, [1, 2], {"x": 1, "y": -2}, 1.5, bin(1 2 3), -300]]
    let call = invocation(parse_body(&concat(&[
        b"\x95\x01\x80\xc0\xa1T\x99",
        b"\x2a",
        b"\xa1s",
        b"\xc3",
        b"\xc0",
        b"\x92\x01\x02",
        b"\x82\xa1x\x01\xa1y\xfe",
        b"\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00",
        b"\xc4\x03\x01\x02\x03",
        b"\xd1\xfe\xd4",
    ])));
    let args = &call.arguments;
    assert_eq!(args.len(), 9);
    assert_eq!(args[0].decode::<i32>().unwrap(), 42);
    assert_eq!(args[0].decode::<u8>().unwrap(), 42);
    assert_eq!(args[0].decode::<f64>().unwrap(), 42.0);
    assert_eq!(args[1].decode::<String>().unwrap(), "s");
    assert!(args[2].decode::<bool>().unwrap());
    assert_eq!(args[3].decode::<Option<String>>().unwrap(), None);
    assert_eq!(args[3].decode::<()>().unwrap(), ());
    assert_eq!(args[4].decode::<Vec<i64>>().unwrap(), [1, 2]);
    assert_eq!(args[4].decode::<(u8, u8)>().unwrap(), (1, 2));
    assert_eq!(args[5].decode::<Point>().unwrap(), Point { x: 1, y: -2 });
    assert_eq!(
        args[5].decode::<BTreeMap<String, i32>>().unwrap(),
        BTreeMap::from([("x".to_owned(), 1), ("y".to_owned(), -2)])
    );
    assert_eq!(args[6].decode::<f64>().unwrap(), 1.5);
    assert_eq!(
        args[7].decode::<serde_bytes::ByteBuf>().unwrap().as_ref(),
        [1, 2, 3]
    );
    assert_eq!(args[8].decode::<i16>().unwrap(), -300);
    // A value may be decoded again, to another type.
    assert_eq!(
        args[5].decode::<serde_json::Value>().unwrap(),
        serde_json::json!({"x": 1, "y": -2})
    );
}

#[test]
fn decode_a_struct_with_options_vectors_and_bytes() {
    // As the JS client writes an object: a map with the property names.
    let wire = concat(&[
        b"\x85",
        b"\xa8userName\xa3ada",
        b"\xa4text\xc0",
        b"\xa4tags\x92\xa1a\xa1b",
        b"\xa2at\x82\xa1x\x01\xa1y\x02",
        b"\xa4data\xc4\x02\xff\x00",
    ]);
    let value = Value::from_msgpack(&wire).unwrap();
    let expected = Message {
        user_name: "ada".to_owned(),
        text: None,
        tags: strings(&["a", "b"]),
        at: Point { x: 1, y: 2 },
        data: vec![0xff, 0x00],
    };
    assert_eq!(value.decode::<Message>().unwrap(), expected);
    // And the same struct written by the server is exactly that map.
    assert_bytes(&mp(&Value::new(expected)), &wire);
}

#[test]
fn decode_enums_as_serde_json_would() {
    assert_eq!(
        Value::from_msgpack(b"\xa3Dot")
            .unwrap()
            .decode::<Shape>()
            .unwrap(),
        Shape::Dot
    );
    assert_eq!(
        Value::from_msgpack(b"\x81\xa6Circle\x05")
            .unwrap()
            .decode::<Shape>()
            .unwrap(),
        Shape::Circle(5)
    );
    assert_eq!(
        Value::from_msgpack(b"\x81\xa4Rect\x81\xa1w\x03")
            .unwrap()
            .decode::<Shape>()
            .unwrap(),
        Shape::Rect { w: 3 }
    );
}

#[test]
fn decoding_to_the_wrong_type_is_an_error() {
    let call = invocation(parse_body(
        b"\x95\x01\x80\xc0\xa1T\x94\x01\xa1x\x81\xa1a\x91\xc3\xff",
    ));
    let args = &call.arguments;
    assert!(args[0].decode::<String>().is_err());
    assert!(args[0].decode::<bool>().is_err());
    assert!(args[1].decode::<u32>().is_err());
    assert!(args[2].decode::<Vec<bool>>().is_err());
    assert!(args[2].decode::<Point>().is_err());
    assert!(args[3].decode::<u32>().is_err());
    let error = args[1].decode::<i64>().unwrap_err();
    assert!(!error.to_string().is_empty());
}

#[test]
fn raw_arguments_are_written_back_unchanged() {
    // Non-canonical widths (uint16 for 1, str8 for "é") survive forwarding byte for byte.
    let call = invocation(parse_body(
        b"\x95\x01\x80\xc0\xa1T\x93\xcd\x00\x01\xd9\x02\xc3\xa9\xd6\xff\x00\x00\x00\x01",
    ));
    let forwarded = Invocation::new("U", call.arguments);
    assert_writes(
        &HubMessage::Invocation(forwarded),
        b"\x96\x01\x80\xc0\xa1U\x93\xcd\x00\x01\xd9\x02\xc3\xa9\xd6\xff\x00\x00\x00\x01\x90",
    );
}

#[test]
fn value_from_msgpack() {
    let value = Value::from_msgpack(&[0x93, 0x01, 0x02, 0x03]).unwrap();
    assert_eq!(value.decode::<Vec<u8>>().unwrap(), [1, 2, 3]);
    assert_bytes(&mp(&value), &[0x93, 0x01, 0x02, 0x03]);
    assert_eq!(format!("{value:?}"), "Value(msgpack 93 01 02 03)");
    assert!(Value::from_msgpack(&[]).is_err());
    assert!(Value::from_msgpack(&[0x92, 0x01]).is_err());
    assert!(Value::from_msgpack(&[0x01, 0x02]).is_err());
    assert!(Value::from_msgpack(&[0xc1]).is_err());
}

#[test]
fn typed_values_as_message_pack() {
    let cases: Vec<(Value, &[u8])> = vec![
        (Value::new(0u8), b"\x00"),
        (Value::new(127u64), b"\x7f"),
        (Value::new(128u32), b"\xcc\x80"),
        (Value::new(65_535u32), b"\xcd\xff\xff"),
        (Value::new(-1i64), b"\xff"),
        (Value::new(-32i8), b"\xe0"),
        (Value::new(-33i32), b"\xd0\xdf"),
        (
            Value::new(i64::MIN),
            b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00",
        ),
        (
            Value::new(u64::MAX),
            b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
        ),
        (Value::new(1.5f32), b"\xca\x3f\xc0\x00\x00"),
        (Value::new(-0.5f64), b"\xcb\xbf\xe0\x00\x00\x00\x00\x00\x00"),
        (Value::new(true), b"\xc3"),
        (Value::new(()), b"\xc0"),
        (Value::new(None::<Point>), b"\xc0"),
        (Value::new(Some(3u8)), b"\x03"),
        (Value::new('x'), b"\xa1x"),
        (Value::new(""), b"\xa0"),
        (Value::new(vec![1u8, 2]), b"\x92\x01\x02"),
        (Value::new(Vec::<String>::new()), b"\x90"),
        (
            Value::new(serde_bytes::ByteBuf::from(vec![1, 2, 3])),
            b"\xc4\x03\x01\x02\x03",
        ),
        (Value::new((1u8, "a")), b"\x92\x01\xa1a"),
        (Value::new(BTreeMap::from([("k", 1u8)])), b"\x81\xa1k\x01"),
        (Value::new(Point { x: 1, y: 2 }), b"\x82\xa1x\x01\xa1y\x02"),
        (Value::new(Shape::Dot), b"\xa3Dot"),
        (Value::new(Shape::Circle(5)), b"\x81\xa6Circle\x05"),
        (
            Value::new(Shape::Rect { w: 3 }),
            b"\x81\xa4Rect\x81\xa1w\x03",
        ),
    ];
    for (value, expected) in cases {
        assert_bytes(&mp(&value), expected);
    }
}

#[test]
fn strings_use_the_smallest_header() {
    for len in [0usize, 31, 32, 255, 256, 65_535, 65_536] {
        let text = "s".repeat(len);
        let out = mp(&Value::new(text.clone()));
        let header: &[u8] = match len {
            0..=31 => &[0xa0 | len as u8],
            32..=255 => &[0xd9, len as u8],
            256..=65_535 => &[0xda, (len >> 8) as u8, len as u8],
            _ => &[0xdb, 0x00, 0x01, 0x00, 0x00],
        };
        assert_bytes(&out[..header.len()], header);
        assert_eq!(out.len(), header.len() + len);
    }
}

#[test]
fn typed_values_as_json_still() {
    assert_eq!(json(&Value::new(Point { x: 1, y: 2 })), "{\"x\":1,\"y\":2}");
    assert_eq!(json(&Value::new(None::<u8>)), "null");
    assert_eq!(json(&Value::new(Shape::Circle(5))), "{\"Circle\":5}");
}

#[test]
fn raw_json_is_transcoded_to_message_pack() {
    let value = Value::from_json(r#"{"a":[1,-1,1.5,"s",null,true,{}], "b" : 300}"#).unwrap();
    assert_bytes(
        &mp(&value),
        &concat(&[
            b"\x82\xa1a\x97\x01\xff\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xa1s\xc0\xc3\x80",
            b"\xa1b\xcd\x01\x2c",
        ]),
    );
    // A JSON argument forwarded to a MessagePack client.
    let call = Invocation::new("T", vec![Value::from_json("\"\\u00e9\"").unwrap()]);
    assert_writes(
        &HubMessage::Invocation(call),
        b"\x96\x01\x80\xc0\xa1T\x91\xa2\xc3\xa9\x90",
    );
}

#[test]
fn raw_message_pack_is_transcoded_to_json() {
    let cases: &[(&[u8], &str)] = &[
        (b"\xc0", "null"),
        (b"\xc3", "true"),
        (b"\x2a", "42"),
        (b"\xd1\xfe\xd4", "-300"),
        (
            b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
            "18446744073709551615",
        ),
        (b"\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00", "1.5"),
        (b"\xca\x3f\xc0\x00\x00", "1.5"),
        (b"\xa2\xc3\xa9", "\"é\""),
        (b"\xa3a\"b", "\"a\\\"b\""),
        (b"\x92\x01\x90", "[1,[]]"),
        (b"\x82\xa1x\x01\xa1y\x80", "{\"x\":1,\"y\":{}}"),
        // Integer keys, as .NET dictionaries of ints are written, become JSON's string keys.
        (b"\x81\x07\xa1v", "{\"7\":\"v\"}"),
        // bin is base64 in JSON, as .NET writes byte[].
        (b"\xc4\x03\x01\x02\x03", "\"AQID\""),
        // A timestamp is an ISO 8601 string, as .NET writes DateTime.
        (b"\xd6\xff\x65\xe0\x79\xf0", "\"2024-02-29T12:34:56Z\""),
    ];
    for (msgpack, expected) in cases {
        let value = Value::from_msgpack(msgpack).unwrap();
        assert_eq!(json(&value), *expected, "{value:?}");
        // serde's Serialize gives the same JSON.
        assert_eq!(serde_json::to_string(&value).unwrap(), *expected);
    }
}

#[test]
fn a_message_pack_argument_forwarded_to_a_json_client() {
    let call = invocation(parse_body(
        b"\x95\x01\x80\xc0\xa4Send\x92\xa3ada\x82\xa1x\x01\xa1y\x02",
    ));
    let forwarded = Invocation::new("Receive", call.arguments);
    let mut out = Vec::new();
    Protocol::Json
        .write(&HubMessage::Invocation(forwarded), &mut out)
        .unwrap();
    assert_bytes(
        &out,
        b"{\"type\":1,\"target\":\"Receive\",\"arguments\":[\"ada\",{\"x\":1,\"y\":2}]}\x1e",
    );
}

#[test]
fn what_json_cannot_express_fails_to_write_and_leaves_the_output() {
    // An extension type other than timestamps, and a map key that is an array.
    for msgpack in [&b"\xd4\x05\x01"[..], b"\x81\x91\x01\x02"] {
        let value = Value::from_msgpack(msgpack).unwrap();
        let mut out = b"x".to_vec();
        let error = value.write(Protocol::Json, &mut out).unwrap_err();
        assert!(matches!(error, ProtocolError::Serialize(_)), "{error:?}");
        assert_bytes(&out, b"x");
    }
}

#[test]
fn raw_values_nested_in_typed_values_write_correctly_in_both_protocols() {
    let nested = Value::new(vec![
        Value::from_json(r#"{"a":1}"#).unwrap(),
        Value::from_msgpack(b"\xc4\x01\x07").unwrap(),
        Value::from_msgpack(b"\xd6\xff\x00\x00\x00\x00").unwrap(),
        Value::new(Point { x: 1, y: 2 }),
    ]);
    assert_bytes(
        &mp(&nested),
        b"\x94\x81\xa1a\x01\xc4\x01\x07\xd6\xff\x00\x00\x00\x00\x82\xa1x\x01\xa1y\x02",
    );
    assert_eq!(
        json(&nested),
        "[{\"a\":1},\"Bw==\",\"1970-01-01T00:00:00Z\",{\"x\":1,\"y\":2}]"
    );
}

#[test]
fn deeply_nested_raw_values_are_refused_for_json_not_overflowed() {
    let mut deep = vec![0x91; 1000];
    deep.push(0xc0);
    let value = Value::from_msgpack(&deep).unwrap();
    assert!(value.write(Protocol::Json, &mut Vec::new()).is_err());
    // As MessagePack it is copied as it is.
    assert_bytes(&mp(&value), &deep);
}

#[test]
fn deeply_nested_raw_values_fail_to_decode_rather_than_overflow() {
    let mut deep = vec![0x91; 1000];
    deep.push(0xc0);
    let value = Value::from_msgpack(&deep).unwrap();
    assert!(value.decode::<serde_json::Value>().is_err());

    let mut shallow = vec![0x91; 100];
    shallow.push(0xc0);
    let value = Value::from_msgpack(&shallow).unwrap();
    assert!(value.decode::<serde_json::Value>().is_ok());
    assert_eq!(json(&value).len(), 100 * 2 + 4);
}

#[test]
fn a_typed_value_writes_but_does_not_decode() {
    let value = Value::new(Point { x: 1, y: 2 });
    let error = value.decode::<Point>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "a value created on the server cannot be decoded"
    );
}

// ---------------------------------------------------------------------------------------------
// Round trips: write, then parse, gives the same fields
// ---------------------------------------------------------------------------------------------

fn round_trip(message: &HubMessage) -> HubMessage {
    parse(&write(message))
}

#[test]
fn round_trip_invocation() {
    let sent = Invocation {
        headers: headers(&[("a", "b")]),
        invocation_id: Some("12".to_owned()),
        target: "Send".to_owned(),
        arguments: vec![
            Value::new("text"),
            Value::new(Point { x: 3, y: 4 }),
            Value::new(serde_bytes::ByteBuf::from(vec![9, 8])),
            Value::new(Some(1.25f64)),
        ],
        stream_ids: Some(strings(&["s"])),
    };
    let got = invocation(round_trip(&HubMessage::Invocation(sent)));
    assert_eq!(got.headers, headers(&[("a", "b")]));
    assert_eq!(got.invocation_id.as_deref(), Some("12"));
    assert_eq!(got.target, "Send");
    assert_eq!(got.arguments[0].decode::<String>().unwrap(), "text");
    assert_eq!(
        got.arguments[1].decode::<Point>().unwrap(),
        Point { x: 3, y: 4 }
    );
    assert_eq!(
        got.arguments[2]
            .decode::<serde_bytes::ByteBuf>()
            .unwrap()
            .as_ref(),
        [9, 8]
    );
    assert_eq!(
        got.arguments[3].decode::<Option<f64>>().unwrap(),
        Some(1.25)
    );
    assert_eq!(got.stream_ids, Some(strings(&["s"])));

    let non_blocking = invocation(round_trip(&HubMessage::Invocation(Invocation::new(
        "N",
        Vec::new(),
    ))));
    assert_eq!(non_blocking.invocation_id, None);
    assert!(non_blocking.arguments.is_empty());
    assert_eq!(non_blocking.stream_ids, None);
}

#[test]
fn round_trip_stream_item() {
    let sent = StreamItem {
        headers: Headers::new(),
        invocation_id: "1".to_owned(),
        item: Value::new(vec![1u16, 300]),
    };
    let got = stream_item(round_trip(&HubMessage::StreamItem(sent)));
    assert_eq!(got.invocation_id, "1");
    assert_eq!(got.item.decode::<Vec<u16>>().unwrap(), [1, 300]);
}

#[test]
fn round_trip_completion() {
    let void = completion(round_trip(&HubMessage::Completion(Completion::new(
        "1",
        Outcome::Void,
    ))));
    assert_void(&void.outcome);

    let value = completion(round_trip(&HubMessage::Completion(Completion::new(
        "2",
        Outcome::Value(Value::new("ok")),
    ))));
    assert_eq!(value.invocation_id, "2");
    match &value.outcome {
        Outcome::Value(result) => assert_eq!(result.decode::<String>().unwrap(), "ok"),
        other => panic!("{other:?}"),
    }

    let null = completion(round_trip(&HubMessage::Completion(Completion::new(
        "3",
        Outcome::Value(Value::new(())),
    ))));
    assert_bytes(&result_mp(&null.outcome), b"\xc0");

    let failed = completion(round_trip(&HubMessage::Completion(Completion {
        headers: headers(&[("h", "v")]),
        ..Completion::new("4", Outcome::Error("bad".to_owned()))
    })));
    assert_eq!(error_text(&failed.outcome), "bad");
    assert_eq!(failed.headers, headers(&[("h", "v")]));
}

#[test]
fn round_trip_stream_invocation() {
    let sent = Invocation {
        invocation_id: Some("5".to_owned()),
        ..Invocation::new("Counter", vec![Value::new(3)])
    };
    let got = stream_invocation(round_trip(&HubMessage::StreamInvocation(sent)));
    assert_eq!(got.invocation_id.as_deref(), Some("5"));
    assert_eq!(got.target, "Counter");
    assert_eq!(got.arguments[0].decode::<i32>().unwrap(), 3);
}

#[test]
fn round_trip_cancel_invocation() {
    let sent = CancelInvocation {
        headers: headers(&[("a", "b")]),
        invocation_id: "6".to_owned(),
    };
    let got = cancel(round_trip(&HubMessage::CancelInvocation(sent)));
    assert_eq!(got.invocation_id, "6");
    assert_eq!(got.headers, headers(&[("a", "b")]));
}

#[test]
fn round_trip_ping_close_ack_and_sequence() {
    assert_ping(round_trip(&HubMessage::Ping));
    for sent in [
        Close::default(),
        Close {
            error: Some("e".to_owned()),
            allow_reconnect: false,
        },
        Close {
            error: None,
            allow_reconnect: true,
        },
        Close {
            error: Some("e".to_owned()),
            allow_reconnect: true,
        },
    ] {
        assert_eq!(close(round_trip(&HubMessage::Close(sent.clone()))), sent);
    }
    for id in [0, 1, 127, 128, 1 << 40, u64::MAX] {
        assert_eq!(
            ack(round_trip(&HubMessage::Ack(Ack { sequence_id: id }))),
            Ack { sequence_id: id }
        );
        assert_eq!(
            sequence(round_trip(&HubMessage::Sequence(Sequence {
                sequence_id: id
            }))),
            Sequence { sequence_id: id }
        );
    }
}
