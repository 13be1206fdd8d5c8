//! Arguments stay raw until decoded.

use std::collections::BTreeMap;

use serde::Deserialize;
use signalr_runtime::protocol::{HubMessage, Invocation, Value};

use super::{Point, json, jsons, parse, write};
use crate::assert_bytes;
use crate::support::*;

#[derive(Deserialize, Debug, PartialEq)]
struct Flags {
    a: Vec<bool>,
}

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
