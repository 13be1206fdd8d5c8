//! Writing JSON messages: exact bytes, canonical order.

use serde::{Serialize, Serializer};
use signalr_runtime::ProtocolError;
use signalr_runtime::protocol::{
    Ack, CancelInvocation, Close, Completion, Headers, HubMessage, Invocation, Outcome, Protocol,
    RECORD_SEPARATOR, Sequence, StreamItem, Value,
};

use super::{Point, write};
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
fn record_separator_is_0x1e() {
    assert_eq!(RECORD_SEPARATOR, 0x1e);
}

#[test]
fn write_invocation_without_id() {
    let call = Invocation::new("ReceiveMessage", vec![Value::new("user"), Value::new("hi")]);
    assert_bytes(
        &write(&HubMessage::Invocation(call)),
        b"{\"type\":1,\"target\":\"ReceiveMessage\",\"arguments\":[\"user\",\"hi\"]}\x1e",
    );
}

#[test]
fn write_invocation_with_id() {
    let call = Invocation {
        invocation_id: Some("7".to_owned()),
        ..Invocation::new("Add", vec![Value::new(1), Value::new(2)])
    };
    assert_bytes(
        &write(&HubMessage::Invocation(call)),
        b"{\"type\":1,\"invocationId\":\"7\",\"target\":\"Add\",\"arguments\":[1,2]}\x1e",
    );
}

#[test]
fn write_invocation_omits_an_empty_id() {
    let call = Invocation {
        invocation_id: Some(String::new()),
        ..Invocation::new("Add", vec![Value::new(1)])
    };
    assert_bytes(
        &write(&HubMessage::Invocation(call)),
        b"{\"type\":1,\"target\":\"Add\",\"arguments\":[1]}\x1e",
    );
}

#[test]
fn write_invocation_always_writes_arguments() {
    let call = Invocation::new("Notify", Vec::new());
    assert_bytes(
        &write(&HubMessage::Invocation(call)),
        b"{\"type\":1,\"target\":\"Notify\",\"arguments\":[]}\x1e",
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
    assert_bytes(
        &write(&HubMessage::Invocation(call)),
        b"{\"type\":1,\"headers\":{\"a\":\"first\",\"z\":\"last\"},\"invocationId\":\"3\",\
          \"target\":\"Upload\",\"arguments\":[\"name\"],\"streamIds\":[\"1\",\"2\"]}\x1e",
    );
}

#[test]
fn write_invocation_with_empty_stream_ids_keeps_them() {
    let call = Invocation {
        stream_ids: Some(Vec::new()),
        ..Invocation::new("T", Vec::new())
    };
    assert_bytes(
        &write(&HubMessage::Invocation(call)),
        b"{\"type\":1,\"target\":\"T\",\"arguments\":[],\"streamIds\":[]}\x1e",
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
    assert_bytes(
        &write(&HubMessage::Invocation(call)),
        b"{\"type\":1,\"target\":\"Draw\",\"arguments\":\
          [{\"x\":1,\"y\":-2},[true,false],null,1.5,{\"raw\":[1,2]}]}\x1e",
    );
}

#[test]
fn write_escapes_strings_and_keeps_utf8() {
    let call = Invocation::new(
        "Say\"it\"",
        vec![Value::new("你好"), Value::new("a\"b\\c\nd\u{1e}e")],
    );
    let out = write(&HubMessage::Invocation(call));
    assert_bytes(
        &out,
        "{\"type\":1,\"target\":\"Say\\\"it\\\"\",\"arguments\":\
         [\"你好\",\"a\\\"b\\\\c\\nd\\u001ee\"]}\x1e"
            .as_bytes(),
    );
    // A record separator inside a string is escaped, so the only 0x1E is the terminator.
    assert_eq!(out.iter().filter(|&&b| b == RECORD_SEPARATOR).count(), 1);
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
        b"{\"type\":2,\"invocationId\":\"1\",\"item\":42}\x1e",
    );
}

#[test]
fn write_stream_item_with_headers_and_null() {
    let item = StreamItem {
        headers: headers(&[("k", "v")]),
        invocation_id: "1".to_owned(),
        item: Value::new(()),
    };
    assert_bytes(
        &write(&HubMessage::StreamItem(item)),
        b"{\"type\":2,\"headers\":{\"k\":\"v\"},\"invocationId\":\"1\",\"item\":null}\x1e",
    );
}

#[test]
fn write_completion_void() {
    assert_bytes(
        &write(&HubMessage::Completion(Completion::new("1", Outcome::Void))),
        b"{\"type\":3,\"invocationId\":\"1\"}\x1e",
    );
}

#[test]
fn write_completion_with_result() {
    let outcome = Outcome::Value(Value::new(Point { x: 3, y: 4 }));
    assert_bytes(
        &write(&HubMessage::Completion(Completion::new("1", outcome))),
        b"{\"type\":3,\"invocationId\":\"1\",\"result\":{\"x\":3,\"y\":4}}\x1e",
    );
}

#[test]
fn write_completion_with_null_result_keeps_the_property() {
    let outcome = Outcome::Value(Value::new(None::<String>));
    assert_bytes(
        &write(&HubMessage::Completion(Completion::new("2", outcome))),
        b"{\"type\":3,\"invocationId\":\"2\",\"result\":null}\x1e",
    );
}

#[test]
fn write_completion_with_error() {
    let outcome = Outcome::Error(
        "An unexpected error occurred invoking 'Boom' on the server. HubException: no".to_owned(),
    );
    assert_bytes(
        &write(&HubMessage::Completion(Completion::new("3", outcome))),
        b"{\"type\":3,\"invocationId\":\"3\",\"error\":\"An unexpected error occurred \
          invoking 'Boom' on the server. HubException: no\"}\x1e",
    );
}

#[test]
fn write_completion_with_headers() {
    let completion = Completion {
        headers: headers(&[("h", "1")]),
        ..Completion::new("4", Outcome::Value(Value::new("ok")))
    };
    assert_bytes(
        &write(&HubMessage::Completion(completion)),
        b"{\"type\":3,\"headers\":{\"h\":\"1\"},\"invocationId\":\"4\",\"result\":\"ok\"}\x1e",
    );
}

#[test]
fn write_stream_invocation() {
    let call = Invocation {
        invocation_id: Some("2".to_owned()),
        ..Invocation::new("Counter", vec![Value::new(10), Value::new(500)])
    };
    assert_bytes(
        &write(&HubMessage::StreamInvocation(call)),
        b"{\"type\":4,\"invocationId\":\"2\",\"target\":\"Counter\",\"arguments\":[10,500]}\x1e",
    );
}

#[test]
fn write_stream_invocation_with_headers_and_stream_ids() {
    let call = Invocation {
        headers: headers(&[("k", "v")]),
        invocation_id: Some("5".to_owned()),
        target: "Echo".to_owned(),
        arguments: Vec::new(),
        stream_ids: Some(strings(&["6"])),
    };
    assert_bytes(
        &write(&HubMessage::StreamInvocation(call)),
        b"{\"type\":4,\"headers\":{\"k\":\"v\"},\"invocationId\":\"5\",\"target\":\"Echo\",\
          \"arguments\":[],\"streamIds\":[\"6\"]}\x1e",
    );
}

#[test]
fn write_cancel_invocation() {
    let cancel = CancelInvocation {
        headers: Headers::new(),
        invocation_id: "2".to_owned(),
    };
    assert_bytes(
        &write(&HubMessage::CancelInvocation(cancel)),
        b"{\"type\":5,\"invocationId\":\"2\"}\x1e",
    );
}

#[test]
fn write_cancel_invocation_with_headers() {
    let cancel = CancelInvocation {
        headers: headers(&[("a", "b")]),
        invocation_id: "2".to_owned(),
    };
    assert_bytes(
        &write(&HubMessage::CancelInvocation(cancel)),
        b"{\"type\":5,\"headers\":{\"a\":\"b\"},\"invocationId\":\"2\"}\x1e",
    );
}

#[test]
fn write_ping() {
    assert_bytes(&write(&HubMessage::Ping), b"{\"type\":6}\x1e");
}

#[test]
fn write_close_plain() {
    assert_bytes(
        &write(&HubMessage::Close(Close::default())),
        b"{\"type\":7}\x1e",
    );
}

#[test]
fn write_close_with_error() {
    let message = HubMessage::Close(Close {
        error: Some("Connection closed with an error.".to_owned()),
        allow_reconnect: false,
    });
    assert_bytes(
        &write(&message),
        b"{\"type\":7,\"error\":\"Connection closed with an error.\"}\x1e",
    );
}

#[test]
fn write_close_with_allow_reconnect() {
    let message = HubMessage::Close(Close {
        error: None,
        allow_reconnect: true,
    });
    assert_bytes(
        &write(&message),
        b"{\"type\":7,\"allowReconnect\":true}\x1e",
    );
}

#[test]
fn write_close_with_error_and_allow_reconnect() {
    let message = HubMessage::Close(Close {
        error: Some(String::new()),
        allow_reconnect: true,
    });
    // An empty error is still an error (ASP.NET Core writes it too).
    assert_bytes(
        &write(&message),
        b"{\"type\":7,\"error\":\"\",\"allowReconnect\":true}\x1e",
    );
}

#[test]
fn write_ack() {
    assert_bytes(
        &write(&HubMessage::Ack(Ack { sequence_id: 394 })),
        b"{\"type\":8,\"sequenceId\":394}\x1e",
    );
}

#[test]
fn write_sequence() {
    assert_bytes(
        &write(&HubMessage::Sequence(Sequence { sequence_id: 1 })),
        b"{\"type\":9,\"sequenceId\":1}\x1e",
    );
    assert_bytes(
        &write(&HubMessage::Sequence(Sequence {
            sequence_id: u64::MAX,
        })),
        b"{\"type\":9,\"sequenceId\":18446744073709551615}\x1e",
    );
}

#[test]
fn write_appends_to_the_output() {
    let mut out = b"{\"type\":6}\x1e".to_vec();
    Protocol::Json
        .write(&HubMessage::Close(Close::default()), &mut out)
        .unwrap();
    assert_bytes(&out, b"{\"type\":6}\x1e{\"type\":7}\x1e");
}

#[test]
fn a_failed_write_leaves_the_output_as_it_was() {
    let mut out = b"{\"type\":6}\x1e".to_vec();
    let call = Invocation::new("T", vec![Value::new(1), Value::new(Unserializable)]);
    let error = Protocol::Json
        .write(&HubMessage::Invocation(call), &mut out)
        .unwrap_err();
    assert_eq!(error, ProtocolError::Serialize("nope".to_owned()));
    assert_eq!(error.to_string(), "Error writing a message: nope");
    assert_bytes(&out, b"{\"type\":6}\x1e");
}
