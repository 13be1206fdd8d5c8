//! Round trips: write, then parse, gives the same fields.

use signalr_runtime::protocol::{
    Ack, CancelInvocation, Close, Completion, HubMessage, Invocation, Outcome, Sequence,
    StreamItem, Value,
};

use super::{Point, jsons, parse, result_json, write};
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
            Value::new("你好"),
            Value::new(Point { x: 5, y: 6 }),
            Value::new(()),
        ],
        stream_ids: Some(strings(&["1"])),
    };
    let got = invocation(round_trip(&HubMessage::Invocation(sent)));
    assert_eq!(got.headers, headers(&[("a", "b")]));
    assert_eq!(got.invocation_id.as_deref(), Some("12"));
    assert_eq!(got.target, "Send");
    assert_eq!(
        jsons(&got.arguments),
        ["\"你好\"", "{\"x\":5,\"y\":6}", "null"]
    );
    assert_eq!(
        got.arguments[1].decode::<Point>().unwrap(),
        Point { x: 5, y: 6 }
    );
    assert_eq!(got.stream_ids, Some(strings(&["1"])));

    let got = invocation(round_trip(&HubMessage::Invocation(Invocation::new(
        "Bare",
        Vec::new(),
    ))));
    assert!(got.headers.is_empty());
    assert_eq!(got.invocation_id, None);
    assert_eq!(got.target, "Bare");
    assert!(got.arguments.is_empty());
    assert_eq!(got.stream_ids, None);
}

#[test]
fn round_trip_stream_item() {
    let sent = StreamItem {
        headers: headers(&[("k", "v")]),
        invocation_id: "3".to_owned(),
        item: Value::new(vec![1, 2]),
    };
    let got = stream_item(round_trip(&HubMessage::StreamItem(sent)));
    assert_eq!(got.headers, headers(&[("k", "v")]));
    assert_eq!(got.invocation_id, "3");
    assert_eq!(got.item.decode::<Vec<i32>>().unwrap(), [1, 2]);
}

#[test]
fn round_trip_completion() {
    let got = completion(round_trip(&HubMessage::Completion(Completion::new(
        "1",
        Outcome::Void,
    ))));
    assert_eq!(got.invocation_id, "1");
    assert!(got.headers.is_empty());
    assert_void(&got.outcome);

    let got = completion(round_trip(&HubMessage::Completion(Completion::new(
        "2",
        Outcome::Value(Value::new("r")),
    ))));
    assert_eq!(result_json(&got.outcome), "\"r\"");

    let got = completion(round_trip(&HubMessage::Completion(Completion::new(
        "3",
        Outcome::Value(Value::new(None::<u8>)),
    ))));
    assert_eq!(result_json(&got.outcome), "null");

    let sent = Completion {
        headers: headers(&[("x", "y")]),
        ..Completion::new("4", Outcome::Error("failed \"badly\"".to_owned()))
    };
    let got = completion(round_trip(&HubMessage::Completion(sent)));
    assert_eq!(got.invocation_id, "4");
    assert_eq!(got.headers, headers(&[("x", "y")]));
    assert_eq!(error_text(&got.outcome), "failed \"badly\"");
}

#[test]
fn round_trip_stream_invocation() {
    let sent = Invocation {
        headers: headers(&[("a", "b")]),
        invocation_id: Some("5".to_owned()),
        target: "Counter".to_owned(),
        arguments: vec![Value::new(10u32), Value::new(500u64)],
        stream_ids: Some(Vec::new()),
    };
    let got = stream_invocation(round_trip(&HubMessage::StreamInvocation(sent)));
    assert_eq!(got.headers, headers(&[("a", "b")]));
    assert_eq!(got.invocation_id.as_deref(), Some("5"));
    assert_eq!(got.target, "Counter");
    assert_eq!(jsons(&got.arguments), ["10", "500"]);
    assert_eq!(got.stream_ids, Some(Vec::new()));
}

#[test]
fn round_trip_cancel_invocation() {
    let sent = CancelInvocation {
        headers: headers(&[("a", "b")]),
        invocation_id: "6".to_owned(),
    };
    let got = cancel(round_trip(&HubMessage::CancelInvocation(sent)));
    assert_eq!(got.headers, headers(&[("a", "b")]));
    assert_eq!(got.invocation_id, "6");
}

#[test]
fn round_trip_ping() {
    assert_ping(round_trip(&HubMessage::Ping));
}

#[test]
fn round_trip_close() {
    for sent in [
        Close::default(),
        Close {
            error: Some("Connection closed with an error.".to_owned()),
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
}

#[test]
fn round_trip_ack_and_sequence() {
    for sequence_id in [0, 1, 394, u64::MAX] {
        assert_eq!(
            ack(round_trip(&HubMessage::Ack(Ack { sequence_id }))),
            Ack { sequence_id }
        );
        assert_eq!(
            sequence(round_trip(&HubMessage::Sequence(Sequence { sequence_id }))),
            Sequence { sequence_id }
        );
    }
}
