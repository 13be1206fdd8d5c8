//! Framing: messages packed together, split apart, skipped; the length limit.

use bytes::{Bytes, BytesMut};
use signalr_runtime::service::protocol::{
    ConnectionData, GroupChange, Ping, ServiceMessage, parse,
};

use super::{MAX, framed, parse_one};

/// `[11, "c1", "g1", {}]` behind its length prefix.
const JOIN: &[u8] = &[0x09, 0x94, 0x0b, 0xa2, b'c', b'1', 0xa2, b'g', b'1', 0x80];

/// `[3]` behind its length prefix.
const PING: &[u8] = &[0x02, 0x91, 0x03];

fn join() -> ServiceMessage {
    ServiceMessage::JoinGroup(GroupChange {
        connection_id: "c1".into(),
        group: "g1".into(),
    })
}

fn ping() -> ServiceMessage {
    ServiceMessage::Ping(Ping {
        messages: Vec::new(),
    })
}

#[test]
fn two_messages_in_one_buffer() {
    let mut buffer = BytesMut::from(&[JOIN, PING][..].concat()[..]);
    assert_eq!(parse(&mut buffer, MAX).unwrap(), Some(join()));
    assert_eq!(&buffer[..], PING);
    assert_eq!(parse(&mut buffer, MAX).unwrap(), Some(ping()));
    assert_eq!(parse(&mut buffer, MAX).unwrap(), None);
    assert!(buffer.is_empty());
}

#[test]
fn a_message_split_in_three_chunks() {
    // ConnectionData of 200 bytes behind a two-byte prefix (0xd0 0x01), split inside the prefix
    // and inside the payload.
    let body = [
        &[0x94, 0x06, 0xa2, b'c', b'2', 0xc4, 0xc8][..],
        &[0xab; 200],
        &[0x80],
    ]
    .concat();
    let wire = framed(&body);
    assert_eq!(&wire[..2], &[0xd0, 0x01]);
    let (first, rest) = wire.split_at(1);
    let (second, third) = rest.split_at(100);

    let mut buffer = BytesMut::new();
    for chunk in [first, second] {
        buffer.extend_from_slice(chunk);
        let before = buffer.len();
        assert_eq!(parse(&mut buffer, MAX).unwrap(), None);
        assert_eq!(
            buffer.len(),
            before,
            "nothing is taken from an incomplete message"
        );
    }
    buffer.extend_from_slice(third);
    let expected = ServiceMessage::ConnectionData(ConnectionData {
        connection_id: "c2".into(),
        payload: Bytes::from_static(&[0xab; 200]),
    });
    assert_eq!(parse(&mut buffer, MAX).unwrap(), Some(expected));
    assert!(buffer.is_empty());
}

#[test]
fn unknown_message_types_are_skipped() {
    // [38, "c1", {}] (ConnectionReconnect, which this implementation does not read), [99, and
    // bytes that are not MessagePack], then a JoinGroup.
    let unknown = framed(&[0x93, 0x26, 0xa2, b'c', b'1', 0x80]);
    let future = framed(&[0x92, 0x63, 0xc1, 0xc1, 0xc1]);
    let wire = [&unknown[..], &future, JOIN].concat();
    let mut buffer = BytesMut::from(&wire[..]);
    assert_eq!(parse(&mut buffer, MAX).unwrap(), Some(join()));
    assert!(buffer.is_empty());

    // Alone, an unknown message is consumed and nothing is returned.
    let mut buffer = BytesMut::from(&unknown[..]);
    assert_eq!(parse(&mut buffer, MAX).unwrap(), None);
    assert!(buffer.is_empty());
}

#[test]
fn an_unknown_message_before_an_incomplete_one_is_still_consumed() {
    let unknown = framed(&[0x92, 0x26, 0xc0]);
    let wire = [&unknown[..], &JOIN[..4]].concat();
    let mut buffer = BytesMut::from(&wire[..]);
    assert_eq!(parse(&mut buffer, MAX).unwrap(), None);
    assert_eq!(&buffer[..], &JOIN[..4]);
}

#[test]
fn a_message_of_exactly_the_limit_fits() {
    let mut buffer = BytesMut::from(JOIN);
    assert_eq!(parse(&mut buffer, 9).unwrap(), Some(join()));
}

#[test]
fn a_five_byte_prefix_is_read() {
    // 9 written in five bytes, as .NET's reader accepts.
    let wire = [&[0x89, 0x80, 0x80, 0x80, 0x00][..], &JOIN[1..]].concat();
    assert_eq!(parse_one(&wire), join());
}

#[test]
fn an_incomplete_prefix_waits() {
    let mut buffer = BytesMut::from(&[0x80, 0x80, 0x80, 0x80][..]);
    assert_eq!(parse(&mut buffer, usize::MAX).unwrap(), None);
    assert_eq!(buffer.len(), 4);
    let mut empty = BytesMut::new();
    assert_eq!(parse(&mut empty, MAX).unwrap(), None);
}
