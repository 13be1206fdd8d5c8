//! What readers accept beyond what writers write, as the .NET SDK's reader does: optional trailing
//! items left out, extra items, ExtensionMembers with content, wider integer and string forms.

use bytes::Bytes;
use signalr_runtime::service::protocol::{
    Ack, AckStatus, CloseConnection, ConnectionData, GroupBroadcastData, GroupChange,
    GroupChangeWithAck, HandshakeRequest, HandshakeResponse, OpenConnection, ServiceEvent,
    ServiceMessage,
};

use super::{framed, parse_one, strings};

fn join_c1_g1() -> ServiceMessage {
    ServiceMessage::JoinGroup(GroupChange {
        connection_id: "c1".into(),
        group: "g1".into(),
    })
}

fn data(payload: &'static [u8]) -> ServiceMessage {
    ServiceMessage::ConnectionData(ConnectionData {
        connection_id: "c1".into(),
        payload: Bytes::from_static(payload),
    })
}

#[test]
fn a_handshake_request_of_version_only() {
    // [1, 1]: .NET reads the rest as defaults.
    let message = parse_one(&framed(&[0x92, 0x01, 0x01]));
    let expected = ServiceMessage::HandshakeRequest(HandshakeRequest {
        version: 1,
        connection_type: 0,
        target: None,
        migration_level: 0,
        allow_stateful_reconnects: false,
    });
    assert_eq!(message, expected);
}

#[test]
fn a_nil_handshake_target_is_none() {
    // [1, 1, 1, nil, 0]
    let message = parse_one(&framed(&[0x95, 0x01, 0x01, 0x01, 0xc0, 0x00]));
    let ServiceMessage::HandshakeRequest(request) = message else {
        panic!("{message:?}");
    };
    assert_eq!((request.connection_type, request.target), (1, None));
}

#[test]
fn a_handshake_response_without_its_optional_items() {
    // [2, nil]
    let message = parse_one(&framed(&[0x92, 0x02, 0xc0]));
    let expected = ServiceMessage::HandshakeResponse(HandshakeResponse {
        error_message: None,
        connection_id: None,
    });
    assert_eq!(message, expected);
}

#[test]
fn an_open_connection_of_the_old_three_item_form() {
    // [4, "c1", {"sub": "u1"}]: no headers, no query string.
    let body = [
        0x93, 0x04, 0xa2, b'c', b'1', 0x81, 0xa3, b's', b'u', b'b', 0xa2, b'u', b'1',
    ];
    let expected = ServiceMessage::OpenConnection(OpenConnection {
        connection_id: "c1".into(),
        claims: vec![("sub".into(), "u1".into())],
        headers: Vec::new(),
        query: None,
    });
    assert_eq!(parse_one(&framed(&body)), expected);
}

#[test]
fn a_close_connection_without_headers() {
    // [5, "c1", nil]
    let message = parse_one(&framed(&[0x93, 0x05, 0xa2, b'c', b'1', 0xc0]));
    let expected = ServiceMessage::CloseConnection(CloseConnection {
        connection_id: "c1".into(),
        error_message: None,
        headers: Vec::new(),
    });
    assert_eq!(message, expected);
}

#[test]
fn connection_data_without_extension_members() {
    // [6, "c1", bin "x"]
    let body = [0x93, 0x06, 0xa2, b'c', b'1', 0xc4, 0x01, b'x'];
    assert_eq!(parse_one(&framed(&body)), data(b"x"));
}

#[test]
fn payload_bytes_may_come_as_a_string_or_nil() {
    // MessagePack-CSharp's ReadBytes takes str headers too, and reads nil as empty.
    let as_str = [0x94, 0x06, 0xa2, b'c', b'1', 0xa1, b'x', 0x80];
    assert_eq!(parse_one(&framed(&as_str)), data(b"x"));
    let as_str8 = [0x94, 0x06, 0xa2, b'c', b'1', 0xd9, 0x01, b'x', 0x80];
    assert_eq!(parse_one(&framed(&as_str8)), data(b"x"));
    let nil = [0x94, 0x06, 0xa2, b'c', b'1', 0xc0, 0x80];
    assert_eq!(parse_one(&framed(&nil)), data(b""));
}

#[test]
fn extra_trailing_items_are_skipped() {
    // [11, "c1", "g1", {}, 5, [1, {"a": nil}], "x"]
    let body = [
        0x97, 0x0b, 0xa2, b'c', b'1', 0xa2, b'g', b'1', 0x80, // JoinGroup as written
        0x05, // an integer
        0x92, 0x01, 0x81, 0xa1, b'a', 0xc0, // [1, {"a": nil}]
        0xa1, b'x', // "x"
    ];
    assert_eq!(parse_one(&framed(&body)), join_c1_g1());
}

#[test]
fn extension_members_with_nested_content_are_skipped() {
    let body = [
        0x94, 0x06, 0xa2, b'c', b'1', 0xc4, 0x01, b'x', // [6, "c1", bin "x", ...
        0x83, // ExtensionMembers: map of 3
        0x01, 0xa2, b't', b'1', // 1 (TracingId): "t1"
        0x02, 0xcf, 0, 0, 0, 0, 0, 0, 0x03, 0xe8, // 2 (Ttl): uint64 1000
        0xa1, b'k', // "k":
        0x92, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, // [1.5,
        0x81, 0xc3, 0xd4, 0x01, 0x02, // {true: fixext1}]
    ];
    assert_eq!(parse_one(&framed(&body)), data(b"x"));
}

#[test]
fn deeply_nested_extra_items_cost_no_stack() {
    // [11, "c1", "g1", {}, [[[[...nil...]]]]], 200 000 arrays deep.
    let depth = 200_000;
    let mut body = vec![0x95, 0x0b, 0xa2, b'c', b'1', 0xa2, b'g', b'1', 0x80];
    body.extend(std::iter::repeat_n(0x91, depth));
    body.push(0xc0);
    assert_eq!(parse_one(&framed(&body)), join_c1_g1());
}

#[test]
fn integers_in_any_width_that_fits() {
    for ack_id in [
        &[0x07][..],                        // positive fixint
        &[0xcc, 0x07],                      // uint8
        &[0xd2, 0, 0, 0, 0x07],             // int32
        &[0xcf, 0, 0, 0, 0, 0, 0, 0, 0x07], // uint64
        &[0xd3, 0, 0, 0, 0, 0, 0, 0, 0x07], // int64
    ] {
        // [18, "c1", "g1", ack id, {}], the type itself as uint8
        let body = [
            &[0x95, 0xcc, 0x12, 0xa2, b'c', b'1', 0xa2, b'g', b'1'][..],
            ack_id,
            &[0x80],
        ]
        .concat();
        let expected = ServiceMessage::JoinGroupWithAck(GroupChangeWithAck {
            connection_id: "c1".into(),
            group: "g1".into(),
            ack_id: 7,
        });
        assert_eq!(parse_one(&framed(&body)), expected);
    }
}

#[test]
fn strings_in_wider_forms() {
    // [11, str8 "c1", str16 "g1", {}]
    let body = [
        0x94, 0x0b, 0xd9, 0x02, b'c', b'1', 0xda, 0x00, 0x02, b'g', b'1', 0x80,
    ];
    assert_eq!(parse_one(&framed(&body)), join_c1_g1());
}

#[test]
fn invalid_utf8_is_replaced() {
    // [11, "c\xff", "g1", {}]
    let body = [0x94, 0x0b, 0xa2, b'c', 0xff, 0xa2, b'g', b'1', 0x80];
    let expected = ServiceMessage::JoinGroup(GroupChange {
        connection_id: "c\u{fffd}".into(),
        group: "g1".into(),
    });
    assert_eq!(parse_one(&framed(&body)), expected);
}

#[test]
fn an_ack_with_the_optional_payload() {
    // [20, 7, 1, nil, {}, bin "p"]
    let body = [0x96, 0x14, 0x07, 0x01, 0xc0, 0x80, 0xc4, 0x01, b'p'];
    let expected = ServiceMessage::Ack(Ack {
        ack_id: 7,
        status: AckStatus::Ok,
        message: None,
    });
    assert_eq!(parse_one(&framed(&body)), expected);
}

#[test]
fn group_broadcast_data_with_or_without_the_user_items() {
    let expected = ServiceMessage::GroupBroadcastData(GroupBroadcastData {
        group: "g1".into(),
        excluded: strings(&["c1"]),
        payloads: Vec::new(),
    });
    // [13, "g1", ["c1"], {}]
    let short = [0x94, 0x0d, 0xa2, b'g', b'1', 0x91, 0xa2, b'c', b'1', 0x80];
    assert_eq!(parse_one(&framed(&short)), expected);
    // [13, "g1", ["c1"], {}, {}, ["u9"], "u1"]
    let long = [
        0x97, 0x0d, 0xa2, b'g', b'1', 0x91, 0xa2, b'c', b'1', 0x80, 0x80, 0x91, 0xa2, b'u', b'9',
        0xa2, b'u', b'1',
    ];
    assert_eq!(parse_one(&framed(&long)), expected);
}

#[test]
fn a_service_event_with_a_nil_message_reads_as_empty() {
    // [22, 3, "g1", 2, nil]: no ExtensionMembers either.
    let body = [0x95, 0x16, 0x03, 0xa2, b'g', b'1', 0x02, 0xc0];
    let expected = ServiceMessage::ServiceEvent(ServiceEvent {
        object_type: 3,
        id: "g1".into(),
        kind: 2,
        message: String::new(),
    });
    assert_eq!(parse_one(&framed(&body)), expected);
}
