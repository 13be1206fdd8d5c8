//! Writing MessagePack messages: exact bytes, ASP.NET Core's layouts.

use serde::{Serialize, Serializer};
use signalr_runtime::ProtocolError;
use signalr_runtime::protocol::{
    Ack, CancelInvocation, Close, Completion, Headers, HubMessage, Invocation, Outcome, Protocol,
    Sequence, StreamItem, Value,
};

use super::{Point, assert_writes, concat, write};
use crate::assert_bytes;
use crate::support::*;

/// A value whose serialization always fails.
struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("nope"))
    }
}

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
