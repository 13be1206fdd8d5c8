//! Errors (PROTOCOL.md §6 parsing rules).

use bytes::BytesMut;
use signalr_runtime::ProtocolError;
use signalr_runtime::protocol::Protocol;

use super::{MAX, framed};

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
