//! [`Binary`] and the [`base64`] helpers.

use bytes::Bytes;
use serde::Deserialize;

use super::*;
use crate::types::base64;

#[test]
fn binary_golden_bytes() {
    let bytes = Binary::from(vec![1, 2, 3]);
    assert_eq!(
        completion(Protocol::Json, bytes.clone()),
        json_completion("\"AQID\"")
    );
    assert_eq!(
        completion(Protocol::MessagePack, bytes),
        msgpack_completion(&[0xc4, 0x03, 1, 2, 3])
    );
    // Empty: "" and bin 8 of length 0.
    assert_eq!(
        completion(Protocol::Json, Binary::new()),
        json_completion("\"\"")
    );
    assert_eq!(
        completion(Protocol::MessagePack, Binary::new()),
        msgpack_completion(&[0xc4, 0x00])
    );
}

#[test]
fn binary_uses_the_bin_form_its_length_needs() {
    for (len, header) in [
        (255, vec![0xc4, 0xff]),
        (256, vec![0xc5, 0x01, 0x00]),
        (65_535, vec![0xc5, 0xff, 0xff]),
        (65_536, vec![0xc6, 0x00, 0x01, 0x00, 0x00]),
    ] {
        let bytes: Binary = (0..len).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        Value::new(bytes.clone())
            .write(Protocol::MessagePack, &mut out)
            .unwrap();
        assert_eq!(out[..header.len()], header[..], "length {len}");
        assert_eq!(&out[header.len()..], &bytes[..]);
        assert_eq!(round_trip(Protocol::MessagePack, bytes.clone()), bytes);
        assert_eq!(round_trip(Protocol::Json, bytes.clone()), bytes);
    }
}

#[test]
fn binary_nested_in_structs_and_collections() {
    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    struct Message {
        data: Binary,
        #[serde(with = "base64")]
        plain: Vec<u8>,
        #[serde(with = "base64")]
        shared: Bytes,
        many: Vec<Binary>,
        maybe: Option<Binary>,
    }
    let message = Message {
        data: Binary::from([0xff, 0x00]),
        plain: b"hi".to_vec(),
        shared: Bytes::from_static(b"abc"),
        many: vec![Binary::from(&b"a"[..]), Binary::new()],
        maybe: None,
    };
    let mut json = Vec::new();
    Value::new(message.clone())
        .write(Protocol::Json, &mut json)
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&json).unwrap(),
        r#"{"data":"/wA=","plain":"aGk=","shared":"YWJj","many":["YQ==",""],"maybe":null}"#
    );
    let mut msgpack = Vec::new();
    Value::new(message.clone())
        .write(Protocol::MessagePack, &mut msgpack)
        .unwrap();
    let mut expected = vec![0x85];
    expected.extend_from_slice(&[0xa4, b'd', b'a', b't', b'a', 0xc4, 2, 0xff, 0x00]);
    expected.extend_from_slice(&[0xa5, b'p', b'l', b'a', b'i', b'n', 0xc4, 2, b'h', b'i']);
    expected.extend_from_slice(&[0xa6, b's', b'h', b'a', b'r', b'e', b'd', 0xc4, 3]);
    expected.extend_from_slice(b"abc");
    expected.extend_from_slice(&[0xa4, b'm', b'a', b'n', b'y', 0x92, 0xc4, 1, b'a', 0xc4, 0]);
    expected.extend_from_slice(&[0xa5, b'm', b'a', b'y', b'b', b'e', 0xc0]);
    assert_eq!(msgpack, expected);
    assert_eq!(round_trip(Protocol::Json, message.clone()), message);
    assert_eq!(round_trip(Protocol::MessagePack, message.clone()), message);
}

#[test]
fn binary_reads_every_form() {
    let expected = Binary::from(vec![1, 2, 3]);
    // JSON: padded or unpadded base64, or numbers.
    for (json, want) in [
        (r#""AQID""#, &[1, 2, 3][..]),
        (r#""AQI=""#, &[1, 2]),
        (r#""AQI""#, &[1, 2]),
        ("[1,2,3]", &[1, 2, 3]),
    ] {
        let decoded: Binary = Value::from_json(json).unwrap().decode().unwrap();
        assert_eq!(decoded, Binary::from(want), "{json}");
    }
    // MessagePack: bin, a base64 string, an array of numbers.
    for msgpack in [
        &[0xc4, 3, 1, 2, 3][..],
        &[0xa4, b'A', b'Q', b'I', b'D'][..],
        &[0x93, 1, 2, 3][..],
    ] {
        let decoded: Binary = Value::from_msgpack(msgpack).unwrap().decode().unwrap();
        assert_eq!(decoded, expected);
    }
    // Not bytes.
    for json in [
        r#""not base64!""#,
        "[256]",
        "[-1]",
        "42",
        "null",
        r#"{"0":1}"#,
    ] {
        assert!(
            Value::from_json(json).unwrap().decode::<Binary>().is_err(),
            "{json}"
        );
    }
}

#[test]
fn binary_outside_the_runtime() {
    let bytes = Binary::from(vec![1, 2, 3]);
    // Human-readable serializers: base64.
    assert_eq!(serde_json::to_string(&bytes).unwrap(), r#""AQID""#);
    // Serializers that are not: bytes (rmp-serde's default: `bin`).
    let msgpack = rmp_serde::to_vec(&bytes).unwrap();
    assert_eq!(msgpack, [0xc4, 3, 1, 2, 3]);
    assert_eq!(rmp_serde::from_slice::<Binary>(&msgpack).unwrap(), bytes);
}

#[test]
fn binary_conveniences() {
    let mut bytes = Binary::from(&b"ab"[..]);
    bytes.push(b'c');
    assert_eq!(bytes.as_ref(), b"abc");
    assert_eq!(bytes.len(), 3);
    assert_eq!(Vec::from(bytes.clone()), b"abc");
    assert_eq!(Bytes::from(bytes.clone()), Bytes::from_static(b"abc"));
    assert_eq!(Binary::from(Bytes::from_static(b"abc")), bytes);
    assert_eq!(bytes.clone().into_iter().collect::<Vec<_>>(), b"abc");
    assert_eq!(bytes.into_vec(), b"abc");
}
