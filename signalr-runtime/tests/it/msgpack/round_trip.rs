//! Round trips: write, then parse, gives the same fields.

use bytes::BytesMut;
use signalr_runtime::ProtocolError;
use signalr_runtime::protocol::{
    Ack, CancelInvocation, Close, Completion, Headers, HubMessage, Invocation, Outcome, Protocol,
    Sequence, StreamItem, Value,
};

use super::{Point, parse, result_mp, write};
use crate::assert_bytes;
use crate::support::*;

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
            Value::new("text"),
            Value::new(Point { x: 3, y: 4 }),
            Value::new(serde_bytes::ByteBuf::from(vec![9, 8])),
            Value::new(Some(1.25f64)),
        ],
        stream_ids: Some(strings(&["s"])),
    };
    let got = invocation(round_trip(&HubMessage::Invocation(sent)));
    assert_eq!(got.headers, headers(&[("a", "b")]));
    assert_eq!(got.invocation_id.as_deref(), Some("12"));
    assert_eq!(got.target, "Send");
    assert_eq!(got.arguments[0].decode::<String>().unwrap(), "text");
    assert_eq!(
        got.arguments[1].decode::<Point>().unwrap(),
        Point { x: 3, y: 4 }
    );
    assert_eq!(
        got.arguments[2]
            .decode::<serde_bytes::ByteBuf>()
            .unwrap()
            .as_ref(),
        [9, 8]
    );
    assert_eq!(
        got.arguments[3].decode::<Option<f64>>().unwrap(),
        Some(1.25)
    );
    assert_eq!(got.stream_ids, Some(strings(&["s"])));

    let non_blocking = invocation(round_trip(&HubMessage::Invocation(Invocation::new(
        "N",
        Vec::new(),
    ))));
    assert_eq!(non_blocking.invocation_id, None);
    assert!(non_blocking.arguments.is_empty());
    assert_eq!(non_blocking.stream_ids, None);
}

#[test]
fn round_trip_stream_item() {
    let sent = StreamItem {
        headers: Headers::new(),
        invocation_id: "1".to_owned(),
        item: Value::new(vec![1u16, 300]),
    };
    let got = stream_item(round_trip(&HubMessage::StreamItem(sent)));
    assert_eq!(got.invocation_id, "1");
    assert_eq!(got.item.decode::<Vec<u16>>().unwrap(), [1, 300]);
}

#[test]
fn round_trip_completion() {
    let void = completion(round_trip(&HubMessage::Completion(Completion::new(
        "1",
        Outcome::Void,
    ))));
    assert_void(&void.outcome);

    let value = completion(round_trip(&HubMessage::Completion(Completion::new(
        "2",
        Outcome::Value(Value::new("ok")),
    ))));
    assert_eq!(value.invocation_id, "2");
    match &value.outcome {
        Outcome::Value(result) => assert_eq!(result.decode::<String>().unwrap(), "ok"),
        other => panic!("{other:?}"),
    }

    let null = completion(round_trip(&HubMessage::Completion(Completion::new(
        "3",
        Outcome::Value(Value::new(())),
    ))));
    assert_bytes(&result_mp(&null.outcome), b"\xc0");

    let failed = completion(round_trip(&HubMessage::Completion(Completion {
        headers: headers(&[("h", "v")]),
        ..Completion::new("4", Outcome::Error("bad".to_owned()))
    })));
    assert_eq!(error_text(&failed.outcome), "bad");
    assert_eq!(failed.headers, headers(&[("h", "v")]));
}

#[test]
fn round_trip_stream_invocation() {
    let sent = Invocation {
        invocation_id: Some("5".to_owned()),
        ..Invocation::new("Counter", vec![Value::new(3)])
    };
    let got = stream_invocation(round_trip(&HubMessage::StreamInvocation(sent)));
    assert_eq!(got.invocation_id.as_deref(), Some("5"));
    assert_eq!(got.target, "Counter");
    assert_eq!(got.arguments[0].decode::<i32>().unwrap(), 3);
}

#[test]
fn round_trip_cancel_invocation() {
    let sent = CancelInvocation {
        headers: headers(&[("a", "b")]),
        invocation_id: "6".to_owned(),
    };
    let got = cancel(round_trip(&HubMessage::CancelInvocation(sent)));
    assert_eq!(got.invocation_id, "6");
    assert_eq!(got.headers, headers(&[("a", "b")]));
}

#[test]
fn round_trip_ping_close_ack_and_sequence() {
    assert_ping(round_trip(&HubMessage::Ping));
    for sent in [
        Close::default(),
        Close {
            error: Some("e".to_owned()),
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
    for id in [0, 1, 127, 128, 1 << 40, u64::MAX] {
        assert_eq!(
            ack(round_trip(&HubMessage::Ack(Ack { sequence_id: id }))),
            Ack { sequence_id: id }
        );
        assert_eq!(
            sequence(round_trip(&HubMessage::Sequence(Sequence {
                sequence_id: id
            }))),
            Sequence { sequence_id: id }
        );
    }
}

/// Found by the fuzz target `hub_msgpack` (FUZZING.md): a Close whose error is the empty string
/// is written with a nil error, as ASP.NET Core writes it, so it reads back without an error.
/// The input is the fuzzer's, byte for byte: the Close record, then a length prefix over the
/// limit.
#[test]
fn a_close_with_an_empty_error_comes_back_without_one() {
    let input = b"\x03\x92\x07\xa0\xc0\x91\x10\xcb\xa1\x58\x92\x07\xc0\x03\x92\x07\xc0";
    let mut buf = BytesMut::from(&input[..]);
    let read = close(
        Protocol::MessagePack
            .parse(&mut buf, 32 * 1024)
            .unwrap()
            .unwrap(),
    );
    assert_eq!(
        read,
        Close {
            error: Some(String::new()),
            allow_reconnect: false,
        }
    );
    assert_eq!(
        Protocol::MessagePack
            .parse(&mut buf, 32 * 1024)
            .unwrap_err(),
        ProtocolError::MessageTooLarge {
            max_size: 32 * 1024
        }
    );
    let written = write(&HubMessage::Close(read));
    assert_bytes(&written, b"\x04\x93\x07\xc0\xc2");
    assert_eq!(close(parse(&written)), Close::default());
}
