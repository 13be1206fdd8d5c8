//! Framing (PROTOCOL.md §4): a VarInt length prefix before each record.

use bytes::BytesMut;
use signalr_runtime::ProtocolError;
use signalr_runtime::protocol::{Ack, Close, Completion, HubMessage, Outcome, Protocol, Value};

use super::{MAX, concat, framed, parse, write};
use crate::assert_bytes;
use crate::support::*;

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
