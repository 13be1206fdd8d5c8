//! Golden bytes of the messages the service sends to an application server (and of the ones
//! both sides send, in the service's use).

use bytes::Bytes;
use signalr_runtime::service::protocol::{
    Ack, AckStatus, CloseConnection, ConnectionData, HandshakeResponse, OpenConnection, Ping,
    ServiceError, ServiceEvent, ServiceMessage,
};

use super::{assert_golden, strings};

#[test]
fn handshake_response_accepting_with_a_connection_id() {
    let golden: &[u8] = &[
        0x07, // length: 7 bytes
        0x94, // array of 4
        0x02, // 2: HandshakeResponse
        0xc0, // ErrorMessage: nil, success
        0x80, // ExtensionMembers: empty map
        0xa2, b's', b'1', // ConnectionId "s1"
    ];
    let message = ServiceMessage::HandshakeResponse(HandshakeResponse {
        error_message: None,
        connection_id: Some("s1".into()),
    });
    assert_golden(&message, golden);
}

#[test]
fn handshake_response_refusing() {
    let golden: &[u8] = &[
        0x08, // length: 8 bytes
        0x94, // array of 4
        0x02, // 2: HandshakeResponse
        0xa3, b'b', b'a', b'd', // ErrorMessage "bad"
        0x80, // ExtensionMembers: empty map
        0xc0, // ConnectionId: nil
    ];
    let message = ServiceMessage::HandshakeResponse(HandshakeResponse {
        error_message: Some("bad".into()),
        connection_id: None,
    });
    assert_golden(&message, golden);
}

#[test]
fn keep_alive_ping() {
    let golden: &[u8] = &[
        0x02, // length: 2 bytes
        0x91, // array of 1: no entries
        0x03, // 3: Ping
    ];
    let message = ServiceMessage::Ping(Ping {
        messages: Vec::new(),
    });
    assert_golden(&message, golden);
}

#[test]
fn rebalance_ping() {
    let golden: &[u8] = &[
        0x0f, // length: 15 bytes
        0x93, // array of 3
        0x03, // 3: Ping
        0xa6, b't', b'a', b'r', b'g', b'e', b't', // key "target"
        0xa5, b'i', b'n', b's', b't', b'1', // value: instance id "inst1"
    ];
    let message = ServiceMessage::Ping(Ping {
        messages: strings(&["target", "inst1"]),
    });
    assert_golden(&message, golden);
}

#[test]
fn open_connection_with_claims_headers_and_query() {
    let golden: &[u8] = &[
        0x22, // length: 34 bytes
        0x96, // array of 6
        0x04, // 4: OpenConnection
        0xa2, b'c', b'1', // ConnectionId "c1"
        0x82, // Claims: map of 2, one entry per claim
        0xa4, b'r', b'o', b'l', b'e', // type "role"
        0xa1, b'a', // value "a"
        0xa4, b'r', b'o', b'l', b'e', // type "role" again
        0xa1, b'b', // value "b"
        0x81, // Headers: map of 1
        0xa1, b'h', // name "h"
        0x92, // values: array of 2
        0xa1, b'1', // "1"
        0xa1, b'2', // "2"
        0xa4, b'?', b'q', b'=', b'1', // QueryString "?q=1"
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::OpenConnection(OpenConnection {
        connection_id: "c1".into(),
        claims: vec![("role".into(), "a".into()), ("role".into(), "b".into())],
        headers: vec![("h".into(), strings(&["1", "2"]))],
        query: Some("?q=1".into()),
    });
    assert_golden(&message, golden);
}

#[test]
fn open_connection_of_an_anonymous_client() {
    let golden: &[u8] = &[
        0x09, // length: 9 bytes
        0x96, // array of 6
        0x04, // 4: OpenConnection
        0xa2, b'c', b'1', // ConnectionId "c1"
        0x80, // Claims: empty map
        0x80, // Headers: empty map
        0xc0, // QueryString: nil
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::OpenConnection(OpenConnection {
        connection_id: "c1".into(),
        claims: Vec::new(),
        headers: Vec::new(),
        query: None,
    });
    assert_golden(&message, golden);
}

#[test]
fn close_connection_of_a_client_migrating_out() {
    let golden: &[u8] = &[
        0x1d, // length: 29 bytes
        0x95, // array of 5
        0x05, // 5: CloseConnection
        0xa2, b'c', b'1', // ConnectionId "c1"
        0xc0, // ErrorMessage: nil
        0x81, // Headers: map of 1
        0xb0, // name: fixstr of 16, "Asrs-Migrated-To"
        b'A', b's', b'r', b's', b'-', b'M', b'i', b'g', b'r', b'a', b't', b'e', b'd', b'-', b'T',
        b'o', // (end of the name)
        0x91, // values: array of 1
        0xa2, b's', b'2', // "s2"
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::CloseConnection(CloseConnection {
        connection_id: "c1".into(),
        error_message: None,
        headers: vec![("Asrs-Migrated-To".into(), strings(&["s2"]))],
    });
    assert_golden(&message, golden);
}

#[test]
fn connection_data_from_a_client() {
    let golden: &[u8] = &[
        0x0b, // length: 11 bytes
        0x94, // array of 4
        0x06, // 6: ConnectionData
        0xa2, b'c', b'1', // ConnectionId "c1"
        0xc4, 0x03, b'{', b'}', 0x1e, // Payload: bin8 of 3, a JSON record
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::ConnectionData(ConnectionData {
        connection_id: "c1".into(),
        payload: Bytes::from_static(b"{}\x1e"),
    });
    assert_golden(&message, golden);
}

#[test]
fn ack_ok() {
    let golden: &[u8] = &[
        0x06, // length: 6 bytes
        0x95, // array of 5
        0x14, // 20: Ack
        0x07, // AckId 7
        0x01, // Status 1: Ok
        0xc0, // Message: nil
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::Ack(Ack {
        ack_id: 7,
        status: AckStatus::Ok,
        message: None,
    });
    assert_golden(&message, golden);
}

#[test]
fn ack_not_found_with_a_message() {
    let golden: &[u8] = &[
        0x08, // length: 8 bytes
        0x95, // array of 5
        0x14, // 20: Ack
        0x07, // AckId 7
        0x02, // Status 2: NotFound
        0xa2, b'n', b'o', // Message "no"
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::Ack(Ack {
        ack_id: 7,
        status: AckStatus::NotFound,
        message: Some("no".into()),
    });
    assert_golden(&message, golden);
}

#[test]
fn ack_statuses_by_number() {
    for (code, status) in [
        (0x03, AckStatus::Timeout),
        (0x04, AckStatus::InternalServerError),
        (0x09, AckStatus::Other(9)),
    ] {
        let golden: &[u8] = &[
            0x06, // length: 6 bytes
            0x95, // array of 5
            0x14, // 20: Ack
            0x01, // AckId 1
            code, // Status
            0xc0, // Message: nil
            0x80, // ExtensionMembers: empty map
        ];
        let message = ServiceMessage::Ack(Ack {
            ack_id: 1,
            status,
            message: None,
        });
        assert_golden(&message, golden);
        assert_eq!(status.code(), i32::from(code));
        assert_eq!(AckStatus::from_code(i32::from(code)), status);
    }
}

#[test]
fn service_event() {
    let golden: &[u8] = &[
        0x0f, // length: 15 bytes
        0x96, // array of 6
        0x16, // 22: ServiceEvent
        0x01, // Type 1: Connection
        0xa2, b'c', b'1', // Id "c1"
        0x01, // Kind 1: Invalid
        0xa6, b'b', b'a', b'd', b' ', b'i', b'd', // Message "bad id"
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::ServiceEvent(ServiceEvent {
        object_type: 1,
        id: "c1".into(),
        kind: 1,
        message: "bad id".into(),
    });
    assert_golden(&message, golden);
}

#[test]
fn service_error() {
    let golden: &[u8] = &[
        0x07, // length: 7 bytes
        0x92, // array of 2
        0x0f, // 15: ServiceError
        0xa4, b'b', b'u', b's', b'y', // ErrorMessage "busy"
    ];
    let message = ServiceMessage::ServiceError(ServiceError {
        error_message: "busy".into(),
    });
    assert_golden(&message, golden);
}
