//! The JSON hub protocol (PROTOCOL.md §4 framing, §6 messages): golden bytes both ways.

use std::collections::BTreeMap;

use bytes::BytesMut;
use serde::{Deserialize, Serialize, Serializer};
use signalr_runtime::ProtocolError;
use signalr_runtime::protocol::{
    Ack, CancelInvocation, Close, Completion, Headers, HubMessage, Invocation, Outcome, Protocol,
    RECORD_SEPARATOR, Sequence, StreamItem, Value,
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

#[derive(Deserialize, Debug, PartialEq)]
struct Flags {
    a: Vec<bool>,
}

/// A value whose serialization always fails.
struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("nope"))
    }
}

// ---------------------------------------------------------------------------------------------
// Writing: exact bytes, canonical order
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Parsing: as the JavaScript client writes (`type` last), other orders, unknown properties
// ---------------------------------------------------------------------------------------------

#[test]
fn parse_invocation_as_the_js_client_writes_it() {
    let call = invocation(parse(
        "{\"target\":\"Echo\",\"arguments\":[\"你好\"],\"invocationId\":\"0\",\"type\":1}\x1e"
            .as_bytes(),
    ));
    assert_eq!(call.target, "Echo");
    assert_eq!(call.invocation_id.as_deref(), Some("0"));
    assert_eq!(jsons(&call.arguments), ["\"你好\""]);
    assert_eq!(call.arguments[0].decode::<String>().unwrap(), "你好");
    assert!(call.headers.is_empty());
    assert_eq!(call.stream_ids, None);
}

#[test]
fn parse_non_blocking_invocation_as_the_js_client_writes_it() {
    let call = invocation(parse(
        b"{\"target\":\"Send\",\"arguments\":[\"user\",\"hello\"],\"type\":1}\x1e",
    ));
    assert_eq!(call.target, "Send");
    assert_eq!(call.invocation_id, None);
    assert_eq!(jsons(&call.arguments), ["\"user\"", "\"hello\""]);
    assert_eq!(call.stream_ids, None);
}

#[test]
fn parse_invocation_with_stream_ids_as_the_js_client_writes_it() {
    let call = invocation(parse(
        b"{\"target\":\"Upload\",\"arguments\":[\"file\"],\"invocationId\":\"1\",\
          \"streamIds\":[\"0\",\"2\"],\"type\":1}\x1e",
    ));
    assert_eq!(call.target, "Upload");
    assert_eq!(call.invocation_id.as_deref(), Some("1"));
    assert_eq!(jsons(&call.arguments), ["\"file\""]);
    assert_eq!(call.stream_ids, Some(strings(&["0", "2"])));
}

#[test]
fn parse_invocation_in_canonical_order_with_headers() {
    let call = invocation(parse(
        b"{\"type\":1,\"headers\":{\"a\":\"1\",\"b\":\"\"},\"invocationId\":\"9\",\
          \"target\":\"T\",\"arguments\":[],\"streamIds\":[]}\x1e",
    ));
    assert_eq!(call.headers, headers(&[("a", "1"), ("b", "")]));
    assert_eq!(call.invocation_id.as_deref(), Some("9"));
    assert_eq!(call.target, "T");
    assert!(call.arguments.is_empty());
    assert_eq!(call.stream_ids, Some(Vec::new()));
}

#[test]
fn parse_invocation_ignores_unknown_properties() {
    let call = invocation(parse(
        b"{\"arguments\":[1],\"unknown\":{\"nested\":[1,\"x\",{\"type\":3}]},\"type\":1,\
          \"extra\":null,\"target\":\"T\",\"nonblocking\":true,\"invocationId\":\"4\"}\x1e",
    ));
    assert_eq!(call.target, "T");
    assert_eq!(call.invocation_id.as_deref(), Some("4"));
    assert_eq!(jsons(&call.arguments), ["1"]);
}

#[test]
fn parse_tolerates_whitespace_around_and_inside() {
    let call = invocation(parse(
        b" \r\n{ \"type\" : 1 ,\n\t\"target\" : \"T\" , \"arguments\" : [ 1 , 2 ] }\n\x1e",
    ));
    assert_eq!(call.target, "T");
    assert_eq!(jsons(&call.arguments), ["1", "2"]);
}

#[test]
fn parse_empty_invocation_id_on_invocation_as_none() {
    let call = invocation(parse(
        b"{\"target\":\"T\",\"arguments\":[],\"invocationId\":\"\",\"type\":1}\x1e",
    ));
    assert_eq!(call.invocation_id, None);
}

#[test]
fn parse_null_invocation_id_on_invocation_as_none() {
    let call = invocation(parse(
        b"{\"target\":\"T\",\"arguments\":[],\"invocationId\":null,\"type\":1}\x1e",
    ));
    assert_eq!(call.invocation_id, None);
}

#[test]
fn parse_stream_item_as_the_js_client_writes_it() {
    let item = stream_item(parse(
        b"{\"item\":\"chunk\",\"invocationId\":\"1\",\"type\":2}\x1e",
    ));
    assert_eq!(item.invocation_id, "1");
    assert_eq!(json(&item.item), "\"chunk\"");
    assert!(item.headers.is_empty());
}

#[test]
fn parse_stream_item_in_other_orders_with_headers_and_unknown_properties() {
    let item = stream_item(parse(
        b"{\"type\":2,\"x\":[{}],\"headers\":{\"k\":\"v\"},\"item\":{\"x\":1,\"y\":2},\
          \"invocationId\":\"7\"}\x1e",
    ));
    assert_eq!(item.invocation_id, "7");
    assert_eq!(item.headers, headers(&[("k", "v")]));
    assert_eq!(item.item.decode::<Point>().unwrap(), Point { x: 1, y: 2 });
}

#[test]
fn parse_stream_item_with_a_null_item() {
    let item = stream_item(parse(
        b"{\"invocationId\":\"1\",\"item\":null,\"type\":2}\x1e",
    ));
    assert_eq!(item.invocation_id, "1");
    assert_eq!(json(&item.item), "null");
    assert_eq!(item.item.decode::<Option<u32>>().unwrap(), None);
}

#[test]
fn parse_completion_with_result_as_the_js_client_writes_it() {
    let done = completion(parse(
        b"{\"invocationId\":\"1\",\"result\":5,\"type\":3}\x1e",
    ));
    assert_eq!(done.invocation_id, "1");
    assert_eq!(result_json(&done.outcome), "5");
    assert!(done.headers.is_empty());
}

#[test]
fn parse_completion_with_null_result_is_a_value() {
    let done = completion(parse(
        b"{\"invocationId\":\"1\",\"result\":null,\"type\":3}\x1e",
    ));
    assert_eq!(result_json(&done.outcome), "null");
}

#[test]
fn parse_completion_without_result_is_void() {
    let done = completion(parse(b"{\"invocationId\":\"1\",\"type\":3}\x1e"));
    assert_eq!(done.invocation_id, "1");
    assert_void(&done.outcome);
}

#[test]
fn parse_completion_with_error() {
    let done = completion(parse(
        b"{\"invocationId\":\"1\",\"error\":\"Client failed.\",\"type\":3}\x1e",
    ));
    assert_eq!(error_text(&done.outcome), "Client failed.");
}

#[test]
fn parse_completion_with_null_error_is_void() {
    let done = completion(parse(
        b"{\"invocationId\":\"1\",\"error\":null,\"type\":3}\x1e",
    ));
    assert_void(&done.outcome);
}

#[test]
fn parse_completion_in_canonical_order_with_headers_and_unknown_properties() {
    let done = completion(parse(
        b"{\"type\":3,\"headers\":{\"h\":\"x\"},\"invocationId\":\"8\",\"future\":[1],\
          \"result\":[\"a\",\"b\"]}\x1e",
    ));
    assert_eq!(done.invocation_id, "8");
    assert_eq!(done.headers, headers(&[("h", "x")]));
    match &done.outcome {
        Outcome::Value(value) => assert_eq!(value.decode::<Vec<String>>().unwrap(), ["a", "b"]),
        other => panic!("expected a result, got {other:?}"),
    }
}

#[test]
fn parse_stream_invocation_as_the_js_client_writes_it() {
    let call = stream_invocation(parse(
        b"{\"target\":\"Counter\",\"arguments\":[10,500],\"invocationId\":\"2\",\"type\":4}\x1e",
    ));
    assert_eq!(call.target, "Counter");
    assert_eq!(call.invocation_id.as_deref(), Some("2"));
    assert_eq!(jsons(&call.arguments), ["10", "500"]);
    assert_eq!(call.stream_ids, None);
}

#[test]
fn parse_stream_invocation_in_other_orders_with_everything() {
    let call = stream_invocation(parse(
        b"{\"streamIds\":[\"3\"],\"type\":4,\"what\":\"ever\",\"invocationId\":\"2\",\
          \"headers\":{\"k\":\"v\"},\"arguments\":[],\"target\":\"Pipe\"}\x1e",
    ));
    assert_eq!(call.target, "Pipe");
    assert_eq!(call.invocation_id.as_deref(), Some("2"));
    assert!(call.arguments.is_empty());
    assert_eq!(call.stream_ids, Some(strings(&["3"])));
    assert_eq!(call.headers, headers(&[("k", "v")]));
}

#[test]
fn parse_cancel_invocation_as_the_js_client_writes_it() {
    let cancel = cancel(parse(b"{\"invocationId\":\"2\",\"type\":5}\x1e"));
    assert_eq!(cancel.invocation_id, "2");
    assert!(cancel.headers.is_empty());
}

#[test]
fn parse_cancel_invocation_with_headers_and_unknown_properties() {
    let cancel = cancel(parse(
        b"{\"type\":5,\"target\":\"ignored\",\"headers\":{\"a\":\"b\"},\"invocationId\":\"3\"}\x1e",
    ));
    assert_eq!(cancel.invocation_id, "3");
    assert_eq!(cancel.headers, headers(&[("a", "b")]));
}

#[test]
fn parse_ping() {
    assert_ping(parse(b"{\"type\":6}\x1e"));
    assert_ping(parse(b"{\"future\":{\"a\":[1]},\"type\":6}\x1e"));
}

#[test]
fn parse_close_as_the_js_client_writes_it() {
    assert_eq!(close(parse(b"{\"type\":7}\x1e")), Close::default());
}

#[test]
fn parse_close_with_error_and_allow_reconnect() {
    let message = parse(
        b"{\"error\":\"Connection closed with an error.\",\"allowReconnect\":true,\"type\":7}\x1e",
    );
    assert_eq!(
        close(message),
        Close {
            error: Some("Connection closed with an error.".to_owned()),
            allow_reconnect: true,
        }
    );
}

#[test]
fn parse_close_variants() {
    assert_eq!(
        close(parse(b"{\"type\":7,\"error\":\"bye\"}\x1e")),
        Close {
            error: Some("bye".to_owned()),
            allow_reconnect: false,
        }
    );
    assert_eq!(
        close(parse(b"{\"allowReconnect\":true,\"type\":7}\x1e")),
        Close {
            error: None,
            allow_reconnect: true,
        }
    );
    assert_eq!(
        close(parse(
            b"{\"allowReconnect\":false,\"error\":null,\"x\":1,\"type\":7}\x1e"
        )),
        Close::default()
    );
}

#[test]
fn parse_ack() {
    assert_eq!(
        ack(parse(b"{\"sequenceId\":3,\"type\":8}\x1e")),
        Ack { sequence_id: 3 }
    );
    assert_eq!(
        ack(parse(b"{\"type\":8,\"x\":\"y\",\"sequenceId\":0}\x1e")),
        Ack { sequence_id: 0 }
    );
}

#[test]
fn parse_sequence() {
    assert_eq!(
        sequence(parse(b"{\"sequenceId\":1,\"type\":9}\x1e")),
        Sequence { sequence_id: 1 }
    );
    assert_eq!(
        sequence(parse(
            b"{\"type\":9,\"sequenceId\":18446744073709551615}\x1e"
        )),
        Sequence {
            sequence_id: u64::MAX
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Arguments stay raw until decoded
// ---------------------------------------------------------------------------------------------

#[test]
fn arguments_stay_raw_until_decoded() {
    let call = invocation(parse(
        b"{\"type\":1,\"target\":\"T\",\"arguments\":[1,\"x\",{\"a\":[true]}]}\x1e",
    ));
    assert_eq!(call.arguments.len(), 3);
    assert_eq!(jsons(&call.arguments), ["1", "\"x\"", "{\"a\":[true]}"]);

    assert_eq!(call.arguments[0].decode::<i32>().unwrap(), 1);
    assert_eq!(call.arguments[0].decode::<u8>().unwrap(), 1);
    assert_eq!(call.arguments[0].decode::<f64>().unwrap(), 1.0);
    assert_eq!(call.arguments[1].decode::<String>().unwrap(), "x");
    assert_eq!(
        call.arguments[2].decode::<Flags>().unwrap(),
        Flags { a: vec![true] }
    );
    assert_eq!(
        call.arguments[2]
            .decode::<BTreeMap<String, Vec<bool>>>()
            .unwrap(),
        BTreeMap::from([("a".to_owned(), vec![true])])
    );
    // A value may be decoded again, to another type.
    assert_eq!(
        call.arguments[2].decode::<serde_json::Value>().unwrap(),
        serde_json::json!({"a": [true]})
    );
}

#[test]
fn decoding_to_the_wrong_type_is_an_error() {
    let call = invocation(parse(
        b"{\"type\":1,\"target\":\"T\",\"arguments\":[1,\"x\",{\"a\":[true]},-1]}\x1e",
    ));
    assert!(call.arguments[0].decode::<String>().is_err());
    assert!(call.arguments[0].decode::<bool>().is_err());
    assert!(call.arguments[1].decode::<u32>().is_err());
    assert!(call.arguments[2].decode::<Vec<bool>>().is_err());
    assert!(call.arguments[2].decode::<Point>().is_err());
    assert!(call.arguments[3].decode::<u32>().is_err());
    let error = call.arguments[1].decode::<i64>().unwrap_err();
    assert!(!error.to_string().is_empty());
}

#[test]
fn raw_arguments_are_written_back_unchanged() {
    // A raw value keeps its exact text, including insignificant spaces inside it.
    let call = invocation(parse(
        b"{\"type\":1,\"target\":\"T\",\"arguments\":[{\"a\" : [1, 2]},\"\\u00e9\"]}\x1e",
    ));
    let forwarded = Invocation::new("U", call.arguments);
    assert_bytes(
        &write(&HubMessage::Invocation(forwarded)),
        b"{\"type\":1,\"target\":\"U\",\"arguments\":[{\"a\" : [1, 2]},\"\\u00e9\"]}\x1e",
    );
}

#[test]
fn value_from_json() {
    let value = Value::from_json("[1,2,3]").unwrap();
    assert_eq!(value.decode::<Vec<u8>>().unwrap(), [1, 2, 3]);
    assert_eq!(json(&value), "[1,2,3]");
    assert!(Value::from_json("").is_err());
    assert!(Value::from_json("[1,").is_err());
    assert!(Value::from_json("1 2").is_err());
}

#[test]
fn a_typed_value_serializes_but_does_not_decode() {
    let value = Value::new(Point { x: 1, y: 2 });
    assert_eq!(json(&value), "{\"x\":1,\"y\":2}");
    let error = value.decode::<Point>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "a value created on the server cannot be decoded"
    );
}

// ---------------------------------------------------------------------------------------------
// Framing (§4)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_message_split_byte_by_byte_arrives_with_the_last_byte() {
    let wire =
        "{\"target\":\"Echo\",\"arguments\":[\"你好\"],\"invocationId\":\"0\",\"type\":1}\x1e"
            .as_bytes();
    let mut buf = BytesMut::new();
    let (last, head) = wire.split_last().unwrap();
    for (i, byte) in head.iter().enumerate() {
        buf.extend_from_slice(&[*byte]);
        let parsed = Protocol::Json.parse(&mut buf, MAX).unwrap();
        assert!(parsed.is_none(), "a message after {} bytes", i + 1);
        assert_eq!(buf.len(), i + 1, "partial bytes must stay buffered");
    }
    buf.extend_from_slice(&[*last]);
    let call = invocation(Protocol::Json.parse(&mut buf, MAX).unwrap().unwrap());
    assert_eq!(call.target, "Echo");
    assert_eq!(call.invocation_id.as_deref(), Some("0"));
    assert_eq!(call.arguments[0].decode::<String>().unwrap(), "你好");
    assert!(buf.is_empty());
    assert!(Protocol::Json.parse(&mut buf, MAX).unwrap().is_none());
}

#[test]
fn a_non_ascii_string_split_inside_a_utf8_sequence() {
    let wire = "{\"type\":2,\"invocationId\":\"1\",\"item\":\"你好\"}\x1e".as_bytes();
    // "你" is E4 BD A0: cut after its second byte.
    let cut = wire.iter().position(|&b| b == 0xe4).unwrap() + 2;
    assert_eq!(wire[cut - 2..cut + 1], [0xe4, 0xbd, 0xa0]);
    let mut buf = BytesMut::from(&wire[..cut]);
    assert!(Protocol::Json.parse(&mut buf, MAX).unwrap().is_none());
    assert_bytes(&buf, &wire[..cut]);
    buf.extend_from_slice(&wire[cut..]);
    let item = stream_item(Protocol::Json.parse(&mut buf, MAX).unwrap().unwrap());
    assert_eq!(item.item.decode::<String>().unwrap(), "你好");
    assert!(buf.is_empty());
}

#[test]
fn packed_messages_come_out_in_order_and_a_partial_one_waits() {
    let mut buf = BytesMut::from(
        &b"{\"type\":6}\x1e{\"target\":\"A\",\"arguments\":[1],\"type\":1}\x1e\
           {\"invocationId\":\"1\",\"type\":5}\x1e{\"type\":7}\x1e{\"target\":\"B\",\"argu"[..],
    );
    assert_ping(Protocol::Json.parse(&mut buf, MAX).unwrap().unwrap());
    let call = invocation(Protocol::Json.parse(&mut buf, MAX).unwrap().unwrap());
    assert_eq!(call.target, "A");
    let cancel = cancel(Protocol::Json.parse(&mut buf, MAX).unwrap().unwrap());
    assert_eq!(cancel.invocation_id, "1");
    assert_eq!(
        close(Protocol::Json.parse(&mut buf, MAX).unwrap().unwrap()),
        Close::default()
    );
    assert!(Protocol::Json.parse(&mut buf, MAX).unwrap().is_none());
    assert_bytes(&buf, b"{\"target\":\"B\",\"argu");

    buf.extend_from_slice(b"ments\":[],\"type\":1}\x1e");
    let call = invocation(Protocol::Json.parse(&mut buf, MAX).unwrap().unwrap());
    assert_eq!(call.target, "B");
    assert!(buf.is_empty());
}

#[test]
fn what_the_server_writes_parses_back_when_packed() {
    let mut out = Vec::new();
    Protocol::Json.write(&HubMessage::Ping, &mut out).unwrap();
    Protocol::Json
        .write(&HubMessage::Ack(Ack { sequence_id: 2 }), &mut out)
        .unwrap();
    let mut buf = BytesMut::from(&out[..]);
    assert_ping(Protocol::Json.parse(&mut buf, MAX).unwrap().unwrap());
    assert_eq!(
        ack(Protocol::Json.parse(&mut buf, MAX).unwrap().unwrap()),
        Ack { sequence_id: 2 }
    );
    assert!(Protocol::Json.parse(&mut buf, MAX).unwrap().is_none());
}

#[test]
fn unknown_message_types_are_skipped() {
    let mut buf = BytesMut::from(
        &b"{\"type\":99,\"whatever\":[1,2]}\x1e{\"type\":10}\x1e{\"type\":0}\x1e{\"type\":-1}\x1e\
           {\"type\":6}\x1e"[..],
    );
    assert_ping(Protocol::Json.parse(&mut buf, MAX).unwrap().unwrap());
    assert!(buf.is_empty());
}

#[test]
fn an_unknown_message_type_alone_yields_nothing_and_is_consumed() {
    let mut buf = BytesMut::from(&b"{\"type\":99}\x1e{\"type\":6"[..]);
    assert!(Protocol::Json.parse(&mut buf, MAX).unwrap().is_none());
    assert_bytes(&buf, b"{\"type\":6");
}

#[test]
fn many_small_messages_may_exceed_the_maximum_together() {
    let count = MAX / b"{\"type\":6}\x1e".len() + 10;
    let mut buf = BytesMut::new();
    for _ in 0..count {
        buf.extend_from_slice(b"{\"type\":6}\x1e");
    }
    assert!(buf.len() > MAX);
    for _ in 0..count {
        assert_ping(Protocol::Json.parse(&mut buf, MAX).unwrap().unwrap());
    }
    assert!(buf.is_empty());
}

#[test]
fn a_record_of_exactly_the_maximum_size_is_accepted() {
    let mut record = b"{\"type\":6}".to_vec();
    record.resize(MAX, b' ');
    record.push(RECORD_SEPARATOR);
    assert_ping(parse(&record));
}

#[test]
fn a_record_over_the_maximum_size_is_refused_before_it_ends() {
    let mut buf = BytesMut::from(&b"{\"type\":1,\"target\":\"T\",\"arguments\":[\""[..]);
    buf.resize(MAX, b'a');
    // Exactly the maximum and no separator yet: wait, it might still fit.
    assert!(Protocol::Json.parse(&mut buf, MAX).unwrap().is_none());
    buf.extend_from_slice(b"a");
    let error = Protocol::Json.parse(&mut buf, MAX).unwrap_err();
    assert_eq!(error, ProtocolError::MessageTooLarge { max_size: MAX });
    assert_eq!(
        error.to_string(),
        "The maximum message size of 32768B was exceeded. \
         The message size can be configured in AddHubOptions."
    );
}

#[test]
fn a_complete_record_over_the_maximum_size_is_refused() {
    let mut record = b"{\"type\":6}".to_vec();
    record.resize(MAX + 1, b' ');
    record.push(RECORD_SEPARATOR);
    assert_eq!(
        parse_err(&record),
        ProtocolError::MessageTooLarge { max_size: MAX }
    );
}

#[test]
fn an_oversized_record_behind_a_good_one_is_refused_after_it() {
    let mut bytes = b"{\"type\":6}\x1e".to_vec();
    bytes.resize(bytes.len() + 101, b' ');
    let mut buf = BytesMut::from(&bytes[..]);
    assert_ping(Protocol::Json.parse(&mut buf, 100).unwrap().unwrap());
    let error = Protocol::Json.parse(&mut buf, 100).unwrap_err();
    assert_eq!(error, ProtocolError::MessageTooLarge { max_size: 100 });
    assert_eq!(
        error.to_string(),
        "The maximum message size of 100B was exceeded. \
         The message size can be configured in AddHubOptions."
    );
}

#[test]
fn truncated_display_text() {
    assert_eq!(
        ProtocolError::Truncated.to_string(),
        "Connection terminated while reading a message."
    );
}

// ---------------------------------------------------------------------------------------------
// Errors (§6 parsing rules)
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn assert_missing(bytes: &[u8], property: &'static str) {
    let error = parse_err(bytes);
    assert_eq!(error, ProtocolError::MissingProperty(property));
    assert_eq!(
        error.to_string(),
        format!("Missing required property '{property}'.")
    );
}

#[track_caller]
fn assert_invalid_json(bytes: &[u8]) -> String {
    let error = parse_err(bytes);
    let ProtocolError::InvalidJson(detail) = &error else {
        panic!("expected InvalidJson, got {error:?}");
    };
    assert!(!detail.is_empty());
    assert_eq!(error.to_string(), format!("Error reading JSON: {detail}"));
    detail.clone()
}

#[test]
fn missing_type() {
    assert_missing(b"{\"target\":\"T\",\"arguments\":[]}\x1e", "type");
    assert_missing(b"{}\x1e", "type");
    assert_missing(b"{\"type\":null}\x1e", "type");
}

#[test]
fn missing_target() {
    assert_missing(b"{\"arguments\":[],\"type\":1}\x1e", "target");
    assert_missing(
        b"{\"arguments\":[],\"invocationId\":\"1\",\"type\":4}\x1e",
        "target",
    );
}

#[test]
fn missing_arguments() {
    assert_missing(b"{\"target\":\"T\",\"type\":1}\x1e", "arguments");
    assert_missing(
        b"{\"target\":\"T\",\"invocationId\":\"1\",\"type\":4}\x1e",
        "arguments",
    );
    assert_missing(
        b"{\"target\":\"T\",\"arguments\":null,\"type\":1}\x1e",
        "arguments",
    );
}

#[test]
fn missing_invocation_id() {
    assert_missing(b"{\"item\":1,\"type\":2}\x1e", "invocationId");
    assert_missing(b"{\"result\":1,\"type\":3}\x1e", "invocationId");
    assert_missing(b"{\"type\":3}\x1e", "invocationId");
    assert_missing(
        b"{\"target\":\"T\",\"arguments\":[],\"type\":4}\x1e",
        "invocationId",
    );
    assert_missing(b"{\"type\":5}\x1e", "invocationId");
    assert_missing(b"{\"invocationId\":null,\"type\":5}\x1e", "invocationId");
}

#[test]
fn an_empty_invocation_id_is_missing_where_one_is_required() {
    // ASP.NET Core: string.IsNullOrEmpty(invocationId) ⇒ "Missing required property".
    assert_missing(
        b"{\"item\":1,\"invocationId\":\"\",\"type\":2}\x1e",
        "invocationId",
    );
    assert_missing(b"{\"invocationId\":\"\",\"type\":3}\x1e", "invocationId");
    assert_missing(
        b"{\"target\":\"T\",\"arguments\":[],\"invocationId\":\"\",\"type\":4}\x1e",
        "invocationId",
    );
    assert_missing(b"{\"invocationId\":\"\",\"type\":5}\x1e", "invocationId");
}

#[test]
fn missing_item() {
    assert_missing(b"{\"invocationId\":\"1\",\"type\":2}\x1e", "item");
}

#[test]
fn missing_sequence_id() {
    for bytes in [
        &b"{\"type\":8}\x1e"[..],
        b"{\"type\":9}\x1e",
        b"{\"sequenceId\":null,\"type\":8}\x1e",
    ] {
        let error = parse_err(bytes);
        assert_eq!(error, ProtocolError::MissingProperty("sequenceId"));
        assert_eq!(error.to_string(), "Missing required property 'sequenceId'.");
    }
}

#[test]
fn result_and_error_are_mutually_exclusive() {
    for bytes in [
        &b"{\"invocationId\":\"1\",\"result\":1,\"error\":\"e\",\"type\":3}\x1e"[..],
        b"{\"type\":3,\"error\":\"e\",\"invocationId\":\"1\",\"result\":null}\x1e",
    ] {
        let error = parse_err(bytes);
        assert_eq!(error, ProtocolError::ResultAndError);
        assert_eq!(
            error.to_string(),
            "The 'error' and 'result' properties are mutually exclusive."
        );
    }
}

#[test]
fn invalid_json() {
    assert_invalid_json(b"{\"type\":1,\x1e");
    assert_invalid_json(b"not json\x1e");
    assert_invalid_json(b"\x1e");
    assert_invalid_json(b"{\"type\":6,}\x1e");
    assert_invalid_json(b"{\"type\":6}}\x1e");
    assert_invalid_json(b"{'type':6}\x1e");
    assert_invalid_json(b"[6]\x1e");
    assert_invalid_json(b"null\x1e");
    assert_invalid_json(b"6\x1e");
    // Invalid UTF-8 inside a string.
    assert_invalid_json(b"{\"type\":1,\"target\":\"\xff\",\"arguments\":[]}\x1e");
}

#[test]
fn invalid_json_detail_is_serde_jsons_text() {
    assert_eq!(
        assert_invalid_json(b"{\"type\":1,\x1e"),
        "EOF while parsing a value at line 1 column 10"
    );
}

#[test]
fn comments_are_not_allowed() {
    assert_invalid_json(b"{\"type\":6 /* ping */}\x1e");
    assert_invalid_json(b"// ping\n{\"type\":6}\x1e");
}

#[test]
fn wrongly_typed_properties_are_invalid() {
    assert_invalid_json(b"{\"type\":\"6\"}\x1e");
    assert_invalid_json(b"{\"type\":1,\"target\":7,\"arguments\":[]}\x1e");
    assert_invalid_json(b"{\"type\":1,\"target\":\"T\",\"arguments\":{}}\x1e");
    assert_invalid_json(b"{\"type\":1,\"target\":\"T\",\"arguments\":\"a\"}\x1e");
    assert_invalid_json(b"{\"type\":1,\"target\":\"T\",\"arguments\":[],\"invocationId\":1}\x1e");
    assert_invalid_json(b"{\"type\":1,\"target\":\"T\",\"arguments\":[],\"streamIds\":[1]}\x1e");
    assert_invalid_json(b"{\"type\":7,\"allowReconnect\":\"yes\"}\x1e");
    assert_invalid_json(b"{\"type\":8,\"sequenceId\":\"1\"}\x1e");
    assert_invalid_json(b"{\"type\":8,\"sequenceId\":-1}\x1e");
}

#[test]
fn headers_must_map_strings_to_strings() {
    assert_invalid_json(
        b"{\"headers\":{\"a\":1},\"target\":\"T\",\"arguments\":[],\"type\":1}\x1e",
    );
    assert_invalid_json(
        b"{\"headers\":{\"a\":\"b\",\"c\":null},\"target\":\"T\",\"arguments\":[],\"type\":1}\x1e",
    );
    assert_invalid_json(
        b"{\"headers\":{\"a\":{\"b\":\"c\"}},\"invocationId\":\"1\",\"type\":5}\x1e",
    );
    assert_invalid_json(b"{\"headers\":[\"a\"],\"invocationId\":\"1\",\"type\":5}\x1e");
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
            Value::new("你好"),
            Value::new(Point { x: 5, y: 6 }),
            Value::new(()),
        ],
        stream_ids: Some(strings(&["1"])),
    };
    let got = invocation(round_trip(&HubMessage::Invocation(sent)));
    assert_eq!(got.headers, headers(&[("a", "b")]));
    assert_eq!(got.invocation_id.as_deref(), Some("12"));
    assert_eq!(got.target, "Send");
    assert_eq!(
        jsons(&got.arguments),
        ["\"你好\"", "{\"x\":5,\"y\":6}", "null"]
    );
    assert_eq!(
        got.arguments[1].decode::<Point>().unwrap(),
        Point { x: 5, y: 6 }
    );
    assert_eq!(got.stream_ids, Some(strings(&["1"])));

    let got = invocation(round_trip(&HubMessage::Invocation(Invocation::new(
        "Bare",
        Vec::new(),
    ))));
    assert!(got.headers.is_empty());
    assert_eq!(got.invocation_id, None);
    assert_eq!(got.target, "Bare");
    assert!(got.arguments.is_empty());
    assert_eq!(got.stream_ids, None);
}

#[test]
fn round_trip_stream_item() {
    let sent = StreamItem {
        headers: headers(&[("k", "v")]),
        invocation_id: "3".to_owned(),
        item: Value::new(vec![1, 2]),
    };
    let got = stream_item(round_trip(&HubMessage::StreamItem(sent)));
    assert_eq!(got.headers, headers(&[("k", "v")]));
    assert_eq!(got.invocation_id, "3");
    assert_eq!(got.item.decode::<Vec<i32>>().unwrap(), [1, 2]);
}

#[test]
fn round_trip_completion() {
    let got = completion(round_trip(&HubMessage::Completion(Completion::new(
        "1",
        Outcome::Void,
    ))));
    assert_eq!(got.invocation_id, "1");
    assert!(got.headers.is_empty());
    assert_void(&got.outcome);

    let got = completion(round_trip(&HubMessage::Completion(Completion::new(
        "2",
        Outcome::Value(Value::new("r")),
    ))));
    assert_eq!(result_json(&got.outcome), "\"r\"");

    let got = completion(round_trip(&HubMessage::Completion(Completion::new(
        "3",
        Outcome::Value(Value::new(None::<u8>)),
    ))));
    assert_eq!(result_json(&got.outcome), "null");

    let sent = Completion {
        headers: headers(&[("x", "y")]),
        ..Completion::new("4", Outcome::Error("failed \"badly\"".to_owned()))
    };
    let got = completion(round_trip(&HubMessage::Completion(sent)));
    assert_eq!(got.invocation_id, "4");
    assert_eq!(got.headers, headers(&[("x", "y")]));
    assert_eq!(error_text(&got.outcome), "failed \"badly\"");
}

#[test]
fn round_trip_stream_invocation() {
    let sent = Invocation {
        headers: headers(&[("a", "b")]),
        invocation_id: Some("5".to_owned()),
        target: "Counter".to_owned(),
        arguments: vec![Value::new(10u32), Value::new(500u64)],
        stream_ids: Some(Vec::new()),
    };
    let got = stream_invocation(round_trip(&HubMessage::StreamInvocation(sent)));
    assert_eq!(got.headers, headers(&[("a", "b")]));
    assert_eq!(got.invocation_id.as_deref(), Some("5"));
    assert_eq!(got.target, "Counter");
    assert_eq!(jsons(&got.arguments), ["10", "500"]);
    assert_eq!(got.stream_ids, Some(Vec::new()));
}

#[test]
fn round_trip_cancel_invocation() {
    let sent = CancelInvocation {
        headers: headers(&[("a", "b")]),
        invocation_id: "6".to_owned(),
    };
    let got = cancel(round_trip(&HubMessage::CancelInvocation(sent)));
    assert_eq!(got.headers, headers(&[("a", "b")]));
    assert_eq!(got.invocation_id, "6");
}

#[test]
fn round_trip_ping() {
    assert_ping(round_trip(&HubMessage::Ping));
}

#[test]
fn round_trip_close() {
    for sent in [
        Close::default(),
        Close {
            error: Some("Connection closed with an error.".to_owned()),
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
}

#[test]
fn round_trip_ack_and_sequence() {
    for sequence_id in [0, 1, 394, u64::MAX] {
        assert_eq!(
            ack(round_trip(&HubMessage::Ack(Ack { sequence_id }))),
            Ack { sequence_id }
        );
        assert_eq!(
            sequence(round_trip(&HubMessage::Sequence(Sequence { sequence_id }))),
            Sequence { sequence_id }
        );
    }
}

#[test]
fn a_message_must_be_an_object_not_an_array_of_its_fields() {
    assert_eq!(
        parse_err(b"[1,null,\"0\",\"Echo\",[]]\x1e"),
        ProtocolError::InvalidJson("expected a JSON object".to_owned())
    );
    assert_eq!(
        parse_err(b"  6\x1e"),
        ProtocolError::InvalidJson("expected a JSON object".to_owned())
    );
}

#[test]
fn an_empty_target_is_missing() {
    assert_eq!(
        parse_err(b"{\"type\":1,\"target\":\"\",\"arguments\":[]}\x1e"),
        ProtocolError::MissingProperty("target")
    );
}
