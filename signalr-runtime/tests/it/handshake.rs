//! The handshake (PROTOCOL.md §5): the request the clients send, the responses the server writes.

use bytes::BytesMut;
use signalr_runtime::ProtocolError;
use signalr_runtime::protocol::{
    HandshakeRequest, HubMessage, Protocol, RECORD_SEPARATOR, parse_handshake_request,
    write_handshake_response,
};

use crate::assert_bytes;

fn request(protocol: &str, version: i64) -> HandshakeRequest {
    HandshakeRequest {
        protocol: protocol.to_owned(),
        version,
    }
}

#[test]
fn parse_the_js_clients_request() {
    assert_eq!(
        parse_handshake_request(b"{\"protocol\":\"json\",\"version\":1}").unwrap(),
        request("json", 1)
    );
    // With stateful reconnect the JS client asks for version 2.
    assert_eq!(
        parse_handshake_request(b"{\"protocol\":\"json\",\"version\":2}").unwrap(),
        request("json", 2)
    );
}

#[test]
fn parse_a_request_in_another_order() {
    assert_eq!(
        parse_handshake_request(b"{\"version\":0,\"protocol\":\"messagepack\"}").unwrap(),
        request("messagepack", 0)
    );
}

#[test]
fn parse_a_request_with_extra_properties_and_whitespace() {
    assert_eq!(
        parse_handshake_request(
            b" { \"extra\" : [1, {\"a\": null}], \"protocol\" : \"json\",\n\"x\":\"y\", \
              \"version\" : 1 } "
        )
        .unwrap(),
        request("json", 1)
    );
}

#[test]
fn the_protocol_name_is_kept_as_sent() {
    // Matching is Protocol::from_name's job (case-insensitive); the request keeps the text.
    let parsed = parse_handshake_request(b"{\"protocol\":\"JSON\",\"version\":1}").unwrap();
    assert_eq!(parsed, request("JSON", 1));
    assert_eq!(Protocol::from_name(&parsed.protocol), Some(Protocol::Json));
    assert_eq!(Protocol::from_name("xyz"), None);
}

#[test]
fn parse_an_unknown_protocol_and_a_high_version() {
    // Refusing them is the caller's decision, with the texts of §5.
    assert_eq!(
        parse_handshake_request(b"{\"protocol\":\"xyz\",\"version\":99}").unwrap(),
        request("xyz", 99)
    );
}

#[test]
fn missing_protocol() {
    for record in [
        &b"{\"version\":1}"[..],
        b"{\"protocol\":null,\"version\":1}",
        b"{}",
    ] {
        let error = parse_handshake_request(record).unwrap_err();
        assert_eq!(error, ProtocolError::MissingProperty("protocol"));
        assert_eq!(error.to_string(), "Missing required property 'protocol'.");
    }
}

#[test]
fn missing_version() {
    for record in [
        &b"{\"protocol\":\"json\"}"[..],
        b"{\"version\":null,\"protocol\":\"json\"}",
    ] {
        let error = parse_handshake_request(record).unwrap_err();
        assert_eq!(error, ProtocolError::MissingProperty("version"));
        assert_eq!(error.to_string(), "Missing required property 'version'.");
    }
}

#[test]
fn invalid_requests() {
    for record in [
        &b""[..],
        b"{",
        b"not json",
        b"{\"protocol\":\"json\",\"version\":1}\x1e",
        b"{\"protocol\":\"json\",\"version\":\"1\"}",
        b"{\"protocol\":1,\"version\":1}",
        b"{\"protocol\":\"json\",\"version\":1,}",
        b"{\"protocol\":\"json\",\"version\":1} /* c */",
        b"null",
    ] {
        let error = parse_handshake_request(record).unwrap_err();
        let ProtocolError::InvalidJson(detail) = &error else {
            panic!(
                "expected InvalidJson for b\"{}\", got {error:?}",
                record.escape_ascii()
            );
        };
        assert_eq!(error.to_string(), format!("Error reading JSON: {detail}"));
    }
}

#[test]
fn write_success() {
    let mut out = Vec::new();
    write_handshake_response(None, &mut out);
    assert_bytes(&out, b"{}\x1e");
}

#[test]
fn write_error() {
    let mut out = Vec::new();
    write_handshake_response(Some("The protocol 'xyz' is not supported."), &mut out);
    assert_bytes(
        &out,
        b"{\"error\":\"The protocol 'xyz' is not supported.\"}\x1e",
    );
}

#[test]
fn write_the_other_error_texts() {
    for (text, expected) in [
        (
            "The server does not support version 3 of the 'json' protocol.",
            &b"{\"error\":\"The server does not support version 3 of the 'json' protocol.\"}\x1e"[..],
        ),
        (
            "Handshake was canceled.",
            b"{\"error\":\"Handshake was canceled.\"}\x1e",
        ),
    ] {
        let mut out = Vec::new();
        write_handshake_response(Some(text), &mut out);
        assert_bytes(&out, expected);
    }
}

#[test]
fn write_an_error_that_needs_escaping() {
    let mut out = Vec::new();
    write_handshake_response(
        Some("The protocol 'a\"b\\\u{1e}é' is not supported."),
        &mut out,
    );
    assert_bytes(
        &out,
        "{\"error\":\"The protocol 'a\\\"b\\\\\\u001eé' is not supported.\"}\x1e".as_bytes(),
    );
    assert_eq!(
        out.iter().filter(|&&b| b == RECORD_SEPARATOR).count(),
        1,
        "the only record separator ends the response"
    );
}

#[test]
fn write_appends() {
    let mut out = b"x".to_vec();
    write_handshake_response(None, &mut out);
    write_handshake_response(Some("e"), &mut out);
    assert_bytes(&out, b"x{}\x1e{\"error\":\"e\"}\x1e");
}

#[test]
fn the_response_has_no_type_property() {
    // The JS client rejects a handshake response with `type` ("Expected a handshake response").
    for error in [None, Some("e")] {
        let mut out = Vec::new();
        write_handshake_response(error, &mut out);
        let record = out.strip_suffix(&[RECORD_SEPARATOR]).unwrap();
        let value: serde_json::Value = serde_json::from_slice(record).unwrap();
        assert!(value.get("type").is_none());
    }
}

#[test]
fn hub_messages_may_follow_the_handshake_in_the_same_chunk() {
    // The JS client sends its handshake and an immediate Ping; they may arrive together.
    let chunk = b"{\"protocol\":\"json\",\"version\":1}\x1e{\"type\":6}\x1e";
    let end = chunk.iter().position(|&b| b == RECORD_SEPARATOR).unwrap();
    assert_eq!(
        parse_handshake_request(&chunk[..end]).unwrap(),
        request("json", 1)
    );
    let mut rest = BytesMut::from(&chunk[end + 1..]);
    let message = Protocol::Json.parse(&mut rest, 32 * 1024).unwrap();
    assert!(matches!(message, Some(HubMessage::Ping)), "{message:?}");
    assert!(rest.is_empty());
}

#[test]
fn a_handshake_must_be_an_object() {
    assert_eq!(
        parse_handshake_request(br#"["json",1]"#),
        Err(ProtocolError::InvalidJson(
            "expected a JSON object".to_owned()
        ))
    );
}

#[test]
fn message_pack_follows_a_json_handshake_in_the_same_chunk() {
    // The handshake is JSON for every protocol; what follows its separator is MessagePack.
    let chunk = b"{\"protocol\":\"messagepack\",\"version\":1}\x1e\x02\x91\x06";
    let end = chunk.iter().position(|&b| b == RECORD_SEPARATOR).unwrap();
    let parsed = parse_handshake_request(&chunk[..end]).unwrap();
    assert_eq!(parsed, request("messagepack", 1));
    assert_eq!(
        Protocol::from_name(&parsed.protocol),
        Some(Protocol::MessagePack)
    );
    let mut rest = BytesMut::from(&chunk[end + 1..]);
    let message = Protocol::MessagePack.parse(&mut rest, 32 * 1024).unwrap();
    assert!(matches!(message, Some(HubMessage::Ping)), "{message:?}");
    assert!(rest.is_empty());
}
