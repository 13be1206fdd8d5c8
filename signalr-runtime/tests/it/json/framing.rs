//! Framing (PROTOCOL.md §4): records end with the record separator.

use bytes::BytesMut;
use signalr_runtime::ProtocolError;
use signalr_runtime::protocol::{Ack, Close, HubMessage, Protocol, RECORD_SEPARATOR};

use super::{MAX, parse, parse_err};
use crate::assert_bytes;
use crate::support::*;

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
