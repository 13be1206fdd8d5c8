//! Hostile and broken input: every case is an error, never a panic or a huge allocation.

use bytes::BytesMut;
use signalr_runtime::service::protocol::parse;

use super::{framed, parse_err};

/// Asserts that `bytes` fails to parse with a text containing `part`.
#[track_caller]
fn assert_refused(bytes: &[u8], part: &str) {
    let text = parse_err(bytes);
    assert!(
        text.starts_with("Invalid service message: "),
        "unexpected text {text:?}"
    );
    assert!(text.contains(part), "{text:?} does not contain {part:?}");
}

#[test]
fn a_length_prefix_over_the_limit_is_refused_before_the_body() {
    // 1025 bytes announced (0x81 0x08), none sent.
    let result = parse(&mut BytesMut::from(&[0x81, 0x08][..]), 1024);
    let text = result.unwrap_err().to_string();
    assert_eq!(
        text,
        "Invalid service message: a message over the limit of 1024 bytes"
    );
}

#[test]
fn a_six_byte_prefix_is_refused() {
    assert_refused(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], "over 5 bytes");
}

#[test]
fn a_prefix_over_2_gib_is_refused() {
    // 2^31: 0x80 0x80 0x80 0x80 0x08.
    let result = parse(
        &mut BytesMut::from(&[0x80, 0x80, 0x80, 0x80, 0x08][..]),
        usize::MAX,
    );
    assert!(result.unwrap_err().to_string().contains("2^31 - 1"));
}

#[test]
fn an_empty_message_is_refused() {
    assert_refused(&[0x00], "message: array: the message ends early");
}

#[test]
fn a_message_that_is_not_an_array_is_refused() {
    assert_refused(&framed(&[0x0b]), "expected an array, found FixPos(11)");
}

#[test]
fn a_message_type_that_is_not_an_integer_is_refused() {
    assert_refused(
        &framed(&[0x91, 0xa1, b'x']),
        "message type: expected an integer, found FixStr(1)",
    );
    assert_refused(&framed(&[0x90]), "message type: missing");
}

#[test]
fn a_missing_required_item_is_refused() {
    // [11, "c1"]
    assert_refused(
        &framed(&[0x92, 0x0b, 0xa2, b'c', b'1']),
        "JoinGroup: group: missing, the array ends before it",
    );
}

#[test]
fn a_truncated_message_is_refused() {
    // The array claims 4 items, the frame ends after 2.
    assert_refused(
        &framed(&[0x94, 0x0b, 0xa2, b'c', b'1']),
        "JoinGroup: group: the message ends early",
    );
    // A string longer than the frame.
    assert_refused(
        &framed(&[0x94, 0x0b, 0xa5, b'c', b'1']),
        "JoinGroup: connection id: the message ends early",
    );
    // A payload longer than the frame.
    assert_refused(
        &framed(&[0x94, 0x06, 0xa2, b'c', b'1', 0xc4, 0x09, b'x', 0x80]),
        "ConnectionData: payload: the message ends early",
    );
}

#[test]
fn a_wrong_type_is_refused() {
    // [11, 1, "g", {}]
    assert_refused(
        &framed(&[0x94, 0x0b, 0x01, 0xa1, b'g', 0x80]),
        "JoinGroup: connection id: expected a string, found FixPos(1)",
    );
    // [1, 1, 0, "", 0, {}, 1]: a number for a boolean.
    assert_refused(
        &framed(&[0x97, 0x01, 0x01, 0x00, 0xa0, 0x00, 0x80, 0x01]),
        "HandshakeRequest: allow stateful reconnects: expected a boolean",
    );
    // [7, "c1", {}, {}]: a string for the connection list.
    assert_refused(
        &framed(&[0x94, 0x07, 0xa2, b'c', b'1', 0x80, 0x80]),
        "MultiConnectionData: connection ids: expected an array",
    );
    // [6, "c1", 5, {}]: a number for the payload.
    assert_refused(
        &framed(&[0x94, 0x06, 0xa2, b'c', b'1', 0x05, 0x80]),
        "ConnectionData: payload: expected bytes",
    );
    // [11, "c1", "g1", []]: ExtensionMembers that are not a map.
    assert_refused(
        &framed(&[0x94, 0x0b, 0xa2, b'c', b'1', 0xa2, b'g', b'1', 0x90]),
        "JoinGroup: extension members: expected a map",
    );
}

#[test]
fn nil_where_a_string_is_required_is_refused() {
    // [11, nil, "g1", {}]
    assert_refused(
        &framed(&[0x94, 0x0b, 0xc0, 0xa2, b'g', b'1', 0x80]),
        "JoinGroup: connection id: expected a string, found nil",
    );
    // [4, "c1", {nil: "x"}]: a claim without a type.
    assert_refused(
        &framed(&[0x93, 0x04, 0xa2, b'c', b'1', 0x81, 0xc0, 0xa1, b'x']),
        "OpenConnection: claim type: expected a string, found nil",
    );
}

#[test]
fn an_integer_outside_int32_is_refused() {
    // [18, "c1", "g1", uint32 0xffffffff, {}]
    let body = [
        0x95, 0x12, 0xa2, b'c', b'1', 0xa2, b'g', b'1', 0xce, 0xff, 0xff, 0xff, 0xff, 0x80,
    ];
    assert_refused(
        &framed(&body),
        "JoinGroupWithAck: ack id: the integer is not an Int32",
    );
}

#[test]
fn bytes_after_the_array_are_refused() {
    assert_refused(
        &framed(&[0x91, 0x03, 0xc0]),
        "Ping: array: 1 bytes after it",
    );
}

#[test]
fn a_reserved_marker_in_extra_items_is_refused() {
    let body = [0x95, 0x0b, 0xa2, b'c', b'1', 0xa2, b'g', b'1', 0x80, 0xc1];
    assert_refused(
        &framed(&body),
        "extra items: the message ends early or is malformed",
    );
}

#[test]
fn huge_claimed_counts_fail_at_once() {
    // Extra item: an array32 claiming 2^32 - 1 items in a frame of a few bytes.
    let body = [
        0x95, 0x0b, 0xa2, b'c', b'1', 0xa2, b'g', b'1', 0x80, 0xdd, 0xff, 0xff, 0xff, 0xff,
    ];
    assert_refused(
        &framed(&body),
        "extra items: the message ends early or is malformed",
    );
    // An excluded list claiming 2^32 - 1 ids: read one by one, nothing reserved for them.
    let body = [0x94, 0x0a, 0xdd, 0xff, 0xff, 0xff, 0xff, 0xa1, b'x'];
    assert_refused(
        &framed(&body),
        "BroadcastData: excluded ids: the message ends early",
    );
    // ExtensionMembers claiming 2^32 - 1 entries.
    let body = [
        0x94, 0x0b, 0xa2, b'c', b'1', 0xa2, b'g', b'1', 0xdf, 0xff, 0xff, 0xff, 0xff,
    ];
    assert_refused(
        &framed(&body),
        "extension members: the message ends early or is malformed",
    );
}

#[test]
fn a_malformed_message_is_taken_off_the_buffer() {
    let mut buffer = BytesMut::from(&framed(&[0x90])[..]);
    buffer.extend_from_slice(&[0x02, 0x91, 0x03]);
    assert!(parse(&mut buffer, 1024).is_err());
    assert_eq!(&buffer[..], &[0x02, 0x91, 0x03]);
}
