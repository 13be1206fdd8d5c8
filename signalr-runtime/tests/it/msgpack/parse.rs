//! Parsing MessagePack messages: as the JavaScript client writes.

use signalr_runtime::protocol::{Ack, Close, Outcome, Sequence};

use super::{Point, concat, mp, parse, parse_body, result_mp};
use crate::assert_bytes;
use crate::support::*;

#[test]
fn parse_invocation_as_the_js_client_writes_it() {
    // connection.invoke("Echo", "你好"): [1, {}, "0", "Echo", ["你好"]] (no stream ids).
    let wire = concat(&[b"\x12\x95\x01\x80\xa10\xa4Echo\x91\xa6", "你好".as_bytes()]);
    let call = invocation(parse(&wire));
    assert!(call.headers.is_empty());
    assert_eq!(call.invocation_id.as_deref(), Some("0"));
    assert_eq!(call.target, "Echo");
    assert_eq!(call.arguments.len(), 1);
    assert_eq!(call.arguments[0].decode::<String>().unwrap(), "你好");
    assert_eq!(call.stream_ids, None);
}

#[test]
fn parse_non_blocking_invocation_as_the_js_client_writes_it() {
    // connection.send("Send", "a", 1): [1, {}, null, "Send", ["a", 1]].
    let call = invocation(parse_body(b"\x95\x01\x80\xc0\xa4Send\x92\xa1a\x01"));
    assert_eq!(call.invocation_id, None);
    assert_eq!(call.target, "Send");
    assert_eq!(call.arguments[0].decode::<String>().unwrap(), "a");
    assert_eq!(call.arguments[1].decode::<u8>().unwrap(), 1);
}

#[test]
fn parse_invocation_with_stream_ids_as_the_js_client_writes_it() {
    // connection.send("Upload", subject): [1, {}, null, "Upload", [], ["0"]].
    let call = invocation(parse_body(b"\x96\x01\x80\xc0\xa6Upload\x90\x91\xa10"));
    assert_eq!(call.target, "Upload");
    assert!(call.arguments.is_empty());
    assert_eq!(call.stream_ids, Some(strings(&["0"])));
}

#[test]
fn parse_invocation_in_asp_net_core_layout_with_headers() {
    // Six items with an empty stream id array, as ASP.NET Core writes: no streams.
    let call = invocation(parse_body(
        b"\x96\x01\x82\xa1a\xa1b\xa1c\xa1d\xa17\xa3Add\x92\x01\x02\x90",
    ));
    assert_eq!(call.headers, headers(&[("a", "b"), ("c", "d")]));
    assert_eq!(call.invocation_id.as_deref(), Some("7"));
    assert_eq!(call.arguments.len(), 2);
    assert_eq!(call.stream_ids, None);
}

#[test]
fn parse_empty_invocation_id_on_invocation_as_none() {
    let call = invocation(parse_body(b"\x95\x01\x80\xa0\xa1T\x90"));
    assert_eq!(call.invocation_id, None);
}

#[test]
fn parse_tolerates_extra_trailing_items() {
    let call = invocation(parse_body(b"\x97\x01\x80\xa11\xa1T\x90\x90\xa5extra"));
    assert_eq!(call.invocation_id.as_deref(), Some("1"));
    assert_ping(parse_body(b"\x92\x06\xc0"));
    let item = stream_item(parse_body(b"\x95\x02\x80\xa11\x01\x02"));
    assert_eq!(item.item.decode::<u8>().unwrap(), 1);
    assert_eq!(
        close(parse_body(b"\x94\x07\xc0\xc3\x93\x01\x02\x03")),
        Close {
            error: None,
            allow_reconnect: true
        }
    );
}

#[test]
fn parse_integers_of_any_width() {
    // The type and the result kind as uint8 / int16 instead of a positive fixint.
    let call = invocation(parse_body(b"\x95\xcc\x01\x80\xc0\xa1T\x90"));
    assert_eq!(call.target, "T");
    let done = completion(parse_body(b"\x94\xd1\x00\x03\x80\xa11\xd0\x02"));
    assert_void(&done.outcome);
    assert_eq!(
        ack(parse_body(b"\x92\x08\xce\x00\x01\x00\x00")),
        Ack {
            sequence_id: 65_536
        }
    );
}

#[test]
fn parse_stream_item_as_the_js_client_writes_it() {
    // [2, {}, "1", {"x": 1, "y": 2}]
    let item = stream_item(parse_body(b"\x94\x02\x80\xa11\x82\xa1x\x01\xa1y\x02"));
    assert_eq!(item.invocation_id, "1");
    assert!(item.headers.is_empty());
    assert_eq!(item.item.decode::<Point>().unwrap(), Point { x: 1, y: 2 });
}

#[test]
fn parse_stream_item_with_a_null_item() {
    let item = stream_item(parse_body(b"\x94\x02\x81\xa1k\xa1v\xa11\xc0"));
    assert_eq!(item.headers, headers(&[("k", "v")]));
    assert_eq!(item.item.decode::<Option<u8>>().unwrap(), None);
    assert_bytes(&mp(&item.item), b"\xc0");
}

#[test]
fn parse_completion_with_result_as_the_js_client_writes_it() {
    // A client result: [3, {}, "s1", 3, true]
    let done = completion(parse_body(b"\x95\x03\x80\xa2s1\x03\xc3"));
    assert_eq!(done.invocation_id, "s1");
    assert_bytes(&result_mp(&done.outcome), b"\xc3");
    match &done.outcome {
        Outcome::Value(value) => assert!(value.decode::<bool>().unwrap()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn parse_completion_with_null_result_is_a_value() {
    let done = completion(parse_body(b"\x95\x03\x80\xa2s1\x03\xc0"));
    assert_bytes(&result_mp(&done.outcome), b"\xc0");
}

#[test]
fn parse_void_completion_as_the_js_client_writes_it() {
    let done = completion(parse_body(b"\x94\x03\x80\xa2s1\x02"));
    assert_void(&done.outcome);
    // A void completion from a client that adds the unused fifth item anyway.
    assert_void(&completion(parse_body(b"\x95\x03\x80\xa2s1\x02\xc0")).outcome);
}

#[test]
fn parse_completion_with_error_as_the_js_client_writes_it() {
    let done = completion(parse_body(b"\x95\x03\x80\xa2s1\x01\xa4boom"));
    assert_eq!(error_text(&done.outcome), "boom");
    // A nil error is no error at all.
    assert_void(&completion(parse_body(b"\x95\x03\x80\xa2s1\x01\xc0")).outcome);
}

#[test]
fn parse_completion_with_headers() {
    let done = completion(parse_body(b"\x94\x03\x81\xa1a\xa1b\xa3xyz\x02"));
    assert_eq!(done.headers, headers(&[("a", "b")]));
    assert_eq!(done.invocation_id, "xyz");
}

#[test]
fn parse_stream_invocation_as_the_js_client_writes_it() {
    // connection.stream("Counter", 10, 5): [4, {}, "0", "Counter", [10, 5]]
    let call = stream_invocation(parse_body(b"\x95\x04\x80\xa10\xa7Counter\x92\x0a\x05"));
    assert_eq!(call.invocation_id.as_deref(), Some("0"));
    assert_eq!(call.target, "Counter");
    assert_eq!(call.arguments[0].decode::<u32>().unwrap(), 10);
    assert_eq!(call.arguments[1].decode::<u32>().unwrap(), 5);
    assert_eq!(call.stream_ids, None);
}

#[test]
fn parse_stream_invocation_with_everything() {
    let call = stream_invocation(parse_body(
        b"\x96\x04\x81\xa1h\xa11\xa14\xa4Pipe\x90\x92\xa19\xa28a",
    ));
    assert_eq!(call.headers, headers(&[("h", "1")]));
    assert_eq!(call.stream_ids, Some(strings(&["9", "8a"])));
}

#[test]
fn parse_cancel_invocation_as_the_js_client_writes_it() {
    let cancel = cancel(parse_body(b"\x93\x05\x80\xa10"));
    assert_eq!(cancel.invocation_id, "0");
    assert!(cancel.headers.is_empty());
}

#[test]
fn parse_ping_as_the_js_client_writes_it() {
    assert_ping(parse(&[0x02, 0x91, 0x06]));
}

#[test]
fn parse_close_as_the_js_client_writes_it() {
    // connection.stop(): [7, null]
    assert_eq!(close(parse(b"\x03\x92\x07\xc0")), Close::default());
}

#[test]
fn parse_close_variants() {
    assert_eq!(close(parse_body(b"\x93\x07\xc0\xc2")), Close::default());
    assert_eq!(
        close(parse_body(b"\x93\x07\xa4oops\xc3")),
        Close {
            error: Some("oops".to_owned()),
            allow_reconnect: true
        }
    );
    assert_eq!(
        close(parse_body(b"\x92\x07\xa4oops")),
        Close {
            error: Some("oops".to_owned()),
            allow_reconnect: false
        }
    );
    // Just the type: nothing to report.
    assert_eq!(close(parse_body(b"\x91\x07")), Close::default());
}

#[test]
fn parse_ack_and_sequence() {
    assert_eq!(ack(parse_body(b"\x92\x08\x01")), Ack { sequence_id: 1 });
    assert_eq!(
        sequence(parse_body(b"\x92\x09\xcd\x01\x2c")),
        Sequence { sequence_id: 300 }
    );
    assert_eq!(
        sequence(parse_body(b"\x92\x09\xcf\x00\x00\x00\x01\x00\x00\x00\x00")),
        Sequence {
            sequence_id: 1 << 32
        }
    );
}
