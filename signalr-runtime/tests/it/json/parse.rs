//! Parsing JSON messages: as the JavaScript client writes (`type` last), other orders, unknown
//! properties.

use signalr_runtime::protocol::{Ack, Close, Outcome, Sequence};

use super::{Point, json, jsons, parse, result_json};
use crate::support::*;

#[test]
fn parse_invocation_as_the_js_client_writes_it() {
    let call = invocation(parse(
        "{\"target\":\"Echo\",\"arguments\":[\"你好\"],\"invocationId\":\"0\",\"type\":1}\x1e"
            .as_bytes(),
    ));
    assert_eq!(call.target, "Echo");
    assert_eq!(call.invocation_id.as_deref(), Some("0"));
    assert_eq!(jsons(&call.arguments), ["\"你好\""]);
    assert_eq!(call.arguments[0].decode::<String>().unwrap(), "你好");
    assert!(call.headers.is_empty());
    assert_eq!(call.stream_ids, None);
}

#[test]
fn parse_non_blocking_invocation_as_the_js_client_writes_it() {
    let call = invocation(parse(
        b"{\"target\":\"Send\",\"arguments\":[\"user\",\"hello\"],\"type\":1}\x1e",
    ));
    assert_eq!(call.target, "Send");
    assert_eq!(call.invocation_id, None);
    assert_eq!(jsons(&call.arguments), ["\"user\"", "\"hello\""]);
    assert_eq!(call.stream_ids, None);
}

#[test]
fn parse_invocation_with_stream_ids_as_the_js_client_writes_it() {
    let call = invocation(parse(
        b"{\"target\":\"Upload\",\"arguments\":[\"file\"],\"invocationId\":\"1\",\
          \"streamIds\":[\"0\",\"2\"],\"type\":1}\x1e",
    ));
    assert_eq!(call.target, "Upload");
    assert_eq!(call.invocation_id.as_deref(), Some("1"));
    assert_eq!(jsons(&call.arguments), ["\"file\""]);
    assert_eq!(call.stream_ids, Some(strings(&["0", "2"])));
}

#[test]
fn parse_invocation_in_canonical_order_with_headers() {
    let call = invocation(parse(
        b"{\"type\":1,\"headers\":{\"a\":\"1\",\"b\":\"\"},\"invocationId\":\"9\",\
          \"target\":\"T\",\"arguments\":[],\"streamIds\":[]}\x1e",
    ));
    assert_eq!(call.headers, headers(&[("a", "1"), ("b", "")]));
    assert_eq!(call.invocation_id.as_deref(), Some("9"));
    assert_eq!(call.target, "T");
    assert!(call.arguments.is_empty());
    assert_eq!(call.stream_ids, Some(Vec::new()));
}

#[test]
fn parse_invocation_ignores_unknown_properties() {
    let call = invocation(parse(
        b"{\"arguments\":[1],\"unknown\":{\"nested\":[1,\"x\",{\"type\":3}]},\"type\":1,\
          \"extra\":null,\"target\":\"T\",\"nonblocking\":true,\"invocationId\":\"4\"}\x1e",
    ));
    assert_eq!(call.target, "T");
    assert_eq!(call.invocation_id.as_deref(), Some("4"));
    assert_eq!(jsons(&call.arguments), ["1"]);
}

#[test]
fn parse_tolerates_whitespace_around_and_inside() {
    let call = invocation(parse(
        b" \r\n{ \"type\" : 1 ,\n\t\"target\" : \"T\" , \"arguments\" : [ 1 , 2 ] }\n\x1e",
    ));
    assert_eq!(call.target, "T");
    assert_eq!(jsons(&call.arguments), ["1", "2"]);
}

#[test]
fn parse_empty_invocation_id_on_invocation_as_none() {
    let call = invocation(parse(
        b"{\"target\":\"T\",\"arguments\":[],\"invocationId\":\"\",\"type\":1}\x1e",
    ));
    assert_eq!(call.invocation_id, None);
}

#[test]
fn parse_null_invocation_id_on_invocation_as_none() {
    let call = invocation(parse(
        b"{\"target\":\"T\",\"arguments\":[],\"invocationId\":null,\"type\":1}\x1e",
    ));
    assert_eq!(call.invocation_id, None);
}

#[test]
fn parse_stream_item_as_the_js_client_writes_it() {
    let item = stream_item(parse(
        b"{\"item\":\"chunk\",\"invocationId\":\"1\",\"type\":2}\x1e",
    ));
    assert_eq!(item.invocation_id, "1");
    assert_eq!(json(&item.item), "\"chunk\"");
    assert!(item.headers.is_empty());
}

#[test]
fn parse_stream_item_in_other_orders_with_headers_and_unknown_properties() {
    let item = stream_item(parse(
        b"{\"type\":2,\"x\":[{}],\"headers\":{\"k\":\"v\"},\"item\":{\"x\":1,\"y\":2},\
          \"invocationId\":\"7\"}\x1e",
    ));
    assert_eq!(item.invocation_id, "7");
    assert_eq!(item.headers, headers(&[("k", "v")]));
    assert_eq!(item.item.decode::<Point>().unwrap(), Point { x: 1, y: 2 });
}

#[test]
fn parse_stream_item_with_a_null_item() {
    let item = stream_item(parse(
        b"{\"invocationId\":\"1\",\"item\":null,\"type\":2}\x1e",
    ));
    assert_eq!(item.invocation_id, "1");
    assert_eq!(json(&item.item), "null");
    assert_eq!(item.item.decode::<Option<u32>>().unwrap(), None);
}

#[test]
fn parse_completion_with_result_as_the_js_client_writes_it() {
    let done = completion(parse(
        b"{\"invocationId\":\"1\",\"result\":5,\"type\":3}\x1e",
    ));
    assert_eq!(done.invocation_id, "1");
    assert_eq!(result_json(&done.outcome), "5");
    assert!(done.headers.is_empty());
}

#[test]
fn parse_completion_with_null_result_is_a_value() {
    let done = completion(parse(
        b"{\"invocationId\":\"1\",\"result\":null,\"type\":3}\x1e",
    ));
    assert_eq!(result_json(&done.outcome), "null");
}

#[test]
fn parse_completion_without_result_is_void() {
    let done = completion(parse(b"{\"invocationId\":\"1\",\"type\":3}\x1e"));
    assert_eq!(done.invocation_id, "1");
    assert_void(&done.outcome);
}

#[test]
fn parse_completion_with_error() {
    let done = completion(parse(
        b"{\"invocationId\":\"1\",\"error\":\"Client failed.\",\"type\":3}\x1e",
    ));
    assert_eq!(error_text(&done.outcome), "Client failed.");
}

#[test]
fn parse_completion_with_null_error_is_void() {
    let done = completion(parse(
        b"{\"invocationId\":\"1\",\"error\":null,\"type\":3}\x1e",
    ));
    assert_void(&done.outcome);
}

#[test]
fn parse_completion_in_canonical_order_with_headers_and_unknown_properties() {
    let done = completion(parse(
        b"{\"type\":3,\"headers\":{\"h\":\"x\"},\"invocationId\":\"8\",\"future\":[1],\
          \"result\":[\"a\",\"b\"]}\x1e",
    ));
    assert_eq!(done.invocation_id, "8");
    assert_eq!(done.headers, headers(&[("h", "x")]));
    match &done.outcome {
        Outcome::Value(value) => assert_eq!(value.decode::<Vec<String>>().unwrap(), ["a", "b"]),
        other => panic!("expected a result, got {other:?}"),
    }
}

#[test]
fn parse_stream_invocation_as_the_js_client_writes_it() {
    let call = stream_invocation(parse(
        b"{\"target\":\"Counter\",\"arguments\":[10,500],\"invocationId\":\"2\",\"type\":4}\x1e",
    ));
    assert_eq!(call.target, "Counter");
    assert_eq!(call.invocation_id.as_deref(), Some("2"));
    assert_eq!(jsons(&call.arguments), ["10", "500"]);
    assert_eq!(call.stream_ids, None);
}

#[test]
fn parse_stream_invocation_in_other_orders_with_everything() {
    let call = stream_invocation(parse(
        b"{\"streamIds\":[\"3\"],\"type\":4,\"what\":\"ever\",\"invocationId\":\"2\",\
          \"headers\":{\"k\":\"v\"},\"arguments\":[],\"target\":\"Pipe\"}\x1e",
    ));
    assert_eq!(call.target, "Pipe");
    assert_eq!(call.invocation_id.as_deref(), Some("2"));
    assert!(call.arguments.is_empty());
    assert_eq!(call.stream_ids, Some(strings(&["3"])));
    assert_eq!(call.headers, headers(&[("k", "v")]));
}

#[test]
fn parse_cancel_invocation_as_the_js_client_writes_it() {
    let cancel = cancel(parse(b"{\"invocationId\":\"2\",\"type\":5}\x1e"));
    assert_eq!(cancel.invocation_id, "2");
    assert!(cancel.headers.is_empty());
}

#[test]
fn parse_cancel_invocation_with_headers_and_unknown_properties() {
    let cancel = cancel(parse(
        b"{\"type\":5,\"target\":\"ignored\",\"headers\":{\"a\":\"b\"},\"invocationId\":\"3\"}\x1e",
    ));
    assert_eq!(cancel.invocation_id, "3");
    assert_eq!(cancel.headers, headers(&[("a", "b")]));
}

#[test]
fn parse_ping() {
    assert_ping(parse(b"{\"type\":6}\x1e"));
    assert_ping(parse(b"{\"future\":{\"a\":[1]},\"type\":6}\x1e"));
}

#[test]
fn parse_close_as_the_js_client_writes_it() {
    assert_eq!(close(parse(b"{\"type\":7}\x1e")), Close::default());
}

#[test]
fn parse_close_with_error_and_allow_reconnect() {
    let message = parse(
        b"{\"error\":\"Connection closed with an error.\",\"allowReconnect\":true,\"type\":7}\x1e",
    );
    assert_eq!(
        close(message),
        Close {
            error: Some("Connection closed with an error.".to_owned()),
            allow_reconnect: true,
        }
    );
}

#[test]
fn parse_close_variants() {
    assert_eq!(
        close(parse(b"{\"type\":7,\"error\":\"bye\"}\x1e")),
        Close {
            error: Some("bye".to_owned()),
            allow_reconnect: false,
        }
    );
    assert_eq!(
        close(parse(b"{\"allowReconnect\":true,\"type\":7}\x1e")),
        Close {
            error: None,
            allow_reconnect: true,
        }
    );
    assert_eq!(
        close(parse(
            b"{\"allowReconnect\":false,\"error\":null,\"x\":1,\"type\":7}\x1e"
        )),
        Close::default()
    );
}

#[test]
fn parse_ack() {
    assert_eq!(
        ack(parse(b"{\"sequenceId\":3,\"type\":8}\x1e")),
        Ack { sequence_id: 3 }
    );
    assert_eq!(
        ack(parse(b"{\"type\":8,\"x\":\"y\",\"sequenceId\":0}\x1e")),
        Ack { sequence_id: 0 }
    );
}

#[test]
fn parse_sequence() {
    assert_eq!(
        sequence(parse(b"{\"sequenceId\":1,\"type\":9}\x1e")),
        Sequence { sequence_id: 1 }
    );
    assert_eq!(
        sequence(parse(
            b"{\"type\":9,\"sequenceId\":18446744073709551615}\x1e"
        )),
        Sequence {
            sequence_id: u64::MAX
        }
    );
}
