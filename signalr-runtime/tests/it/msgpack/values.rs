//! Values: raw until decoded, typed values written as the JavaScript client expects.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use signalr_runtime::ProtocolError;
use signalr_runtime::protocol::{HubMessage, Invocation, Protocol, Value};

use super::{Point, assert_writes, concat, mp, parse_body};
use crate::assert_bytes;
use crate::support::*;

/// The JSON a value is written as.
fn json(value: &Value) -> String {
    let mut out = Vec::new();
    value.write(Protocol::Json, &mut out).unwrap();
    String::from_utf8(out).unwrap()
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
