//! Golden bytes of the messages an application server sends to the service.

use bytes::Bytes;
use signalr_runtime::service::protocol::{
    BroadcastData, CloseConnection, CloseConnectionWithAck, ConnectionData, GroupBroadcastData,
    GroupChange, GroupChangeWithAck, HandshakeRequest, MultiConnectionData,
    MultiGroupBroadcastData, MultiUserData, PROTOCOL_VERSION, Ping, ServiceMessage, UserData,
    UserGroupChange,
};

use super::{assert_golden, strings};

fn json_x() -> Vec<(String, Bytes)> {
    vec![("json".into(), Bytes::from_static(b"x"))]
}

#[test]
fn handshake_request_of_a_default_connection() {
    let golden: &[u8] = &[
        0x08, // length: 8 bytes
        0x97, // array of 7
        0x01, // 1: HandshakeRequest
        0x01, // Version 1
        0x00, // ConnectionType 0: Default
        0xa0, // Target "" (none)
        0x01, // MigrationLevel 1: ShutdownOnly
        0x80, // ExtensionMembers: empty map
        0xc2, // AllowStatefulReconnects false
    ];
    let message = ServiceMessage::HandshakeRequest(HandshakeRequest {
        version: PROTOCOL_VERSION,
        connection_type: 0,
        target: None,
        migration_level: 1,
        allow_stateful_reconnects: false,
    });
    assert_golden(&message, golden);
}

#[test]
fn handshake_request_of_an_on_demand_connection() {
    let golden: &[u8] = &[
        0x0a, // length: 10 bytes
        0x97, // array of 7
        0x01, // 1: HandshakeRequest
        0x01, // Version 1
        0x01, // ConnectionType 1: OnDemand
        0xa2, b'i', b'1', // Target "i1"
        0x02, // MigrationLevel 2: Any
        0x80, // ExtensionMembers: empty map
        0xc3, // AllowStatefulReconnects true
    ];
    let message = ServiceMessage::HandshakeRequest(HandshakeRequest {
        version: 1,
        connection_type: 1,
        target: Some("i1".into()),
        migration_level: 2,
        allow_stateful_reconnects: true,
    });
    assert_golden(&message, golden);
}

#[test]
fn ping_asking_for_the_servers() {
    let golden: &[u8] = &[
        0x0b, // length: 11 bytes
        0x93, // array of 3: the type, then the entries as items of their own
        0x03, // 3: Ping
        0xa7, b's', b'e', b'r', b'v', b'e', b'r', b's', // key "servers"
        0xa0, // value "" (EMPTY)
    ];
    let message = ServiceMessage::Ping(Ping {
        messages: strings(&["servers", ""]),
    });
    assert_golden(&message, golden);
}

#[test]
fn close_connection_from_the_server() {
    let golden: &[u8] = &[
        0x0b, // length: 11 bytes
        0x95, // array of 5
        0x05, // 5: CloseConnection
        0xa2, b'c', b'1', // ConnectionId "c1"
        0xa3, b'b', b'y', b'e', // ErrorMessage "bye"
        0x80, // Headers: empty map
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::CloseConnection(CloseConnection {
        connection_id: "c1".into(),
        error_message: Some("bye".into()),
        headers: Vec::new(),
    });
    assert_golden(&message, golden);
}

#[test]
fn connection_data_to_a_client_with_a_two_byte_length_prefix() {
    let payload = [0xab; 200];
    let golden = [
        &[
            0xd0, 0x01, // length: 208 = 0x50 + (1 << 7)
            0x94, // array of 4
            0x06, // 6: ConnectionData
            0xa2, b'c', b'2', // ConnectionId "c2"
            0xc4, 0xc8, // Payload: bin8 of 200 bytes
        ][..],
        &payload, // the 200 bytes
        &[
            0x80, // ExtensionMembers: empty map
        ],
    ]
    .concat();
    let message = ServiceMessage::ConnectionData(ConnectionData {
        connection_id: "c2".into(),
        payload: Bytes::copy_from_slice(&payload),
    });
    assert_golden(&message, &golden);
}

#[test]
fn multi_connection_data() {
    let golden: &[u8] = &[
        0x22, // length: 34 bytes
        0x94, // array of 4
        0x07, // 7: MultiConnectionData
        0x92, // ConnectionList: array of 2
        0xa2, b'c', b'1', // "c1"
        0xa2, b'c', b'2', // "c2"
        0x82, // Payloads: map of 2
        0xa4, b'j', b's', b'o', b'n', // "json"
        0xc4, 0x01, b'x', // bin8 of 1: "x"
        0xab, b'm', b'e', b's', b's', b'a', b'g', b'e', b'p', b'a', b'c',
        b'k', // "messagepack"
        0xc4, 0x01, b'y', // bin8 of 1: "y"
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::MultiConnectionData(MultiConnectionData {
        connection_ids: strings(&["c1", "c2"]),
        payloads: vec![
            ("json".into(), Bytes::from_static(b"x")),
            ("messagepack".into(), Bytes::from_static(b"y")),
        ],
    });
    assert_golden(&message, golden);
}

#[test]
fn user_data() {
    let golden: &[u8] = &[
        0x0f, // length: 15 bytes
        0x94, // array of 4
        0x08, // 8: UserData
        0xa2, b'u', b'1', // UserId "u1"
        0x81, // Payloads: map of 1
        0xa4, b'j', b's', b'o', b'n', // "json"
        0xc4, 0x01, b'x', // bin8 of 1: "x"
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::UserData(UserData {
        user_id: "u1".into(),
        payloads: json_x(),
    });
    assert_golden(&message, golden);
}

#[test]
fn multi_user_data() {
    let golden: &[u8] = &[
        0x13, // length: 19 bytes
        0x94, // array of 4
        0x09, // 9: MultiUserData
        0x92, // UserList: array of 2
        0xa2, b'u', b'1', // "u1"
        0xa2, b'u', b'2', // "u2"
        0x81, // Payloads: map of 1
        0xa4, b'j', b's', b'o', b'n', // "json"
        0xc4, 0x01, b'x', // bin8 of 1: "x"
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::MultiUserData(MultiUserData {
        user_ids: strings(&["u1", "u2"]),
        payloads: json_x(),
    });
    assert_golden(&message, golden);
}

#[test]
fn broadcast_data_to_everyone() {
    let golden: &[u8] = &[
        0x14, // length: 20 bytes
        0x94, // array of 4
        0x0a, // 10: BroadcastData
        0x90, // ExcludedList: empty array
        0x81, // Payloads: map of 1
        0xab, b'm', b'e', b's', b's', b'a', b'g', b'e', b'p', b'a', b'c',
        b'k', // "messagepack"
        0xc4, 0x01, b'z', // bin8 of 1: "z"
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::BroadcastData(BroadcastData {
        excluded: Vec::new(),
        payloads: vec![("messagepack".into(), Bytes::from_static(b"z"))],
    });
    assert_golden(&message, golden);
}

#[test]
fn broadcast_data_excluding_a_connection_without_payloads() {
    let golden: &[u8] = &[
        0x08, // length: 8 bytes
        0x94, // array of 4
        0x0a, // 10: BroadcastData
        0x91, // ExcludedList: array of 1
        0xa2, b'c', b'1', // "c1"
        0x80, // Payloads: empty map
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::BroadcastData(BroadcastData {
        excluded: strings(&["c1"]),
        payloads: Vec::new(),
    });
    assert_golden(&message, golden);
}

#[test]
fn join_group_and_leave_group() {
    for (kind, wrap) in [
        (
            0x0b,
            ServiceMessage::JoinGroup as fn(GroupChange) -> ServiceMessage,
        ),
        (0x0c, ServiceMessage::LeaveGroup),
    ] {
        let golden: &[u8] = &[
            0x09, // length: 9 bytes
            0x94, // array of 4
            kind, // 11: JoinGroup, 12: LeaveGroup
            0xa2, b'c', b'1', // ConnectionId "c1"
            0xa2, b'g', b'1', // GroupName "g1"
            0x80, // ExtensionMembers: empty map
        ];
        let message = wrap(GroupChange {
            connection_id: "c1".into(),
            group: "g1".into(),
        });
        assert_golden(&message, golden);
    }
}

#[test]
fn group_broadcast_data() {
    let golden: &[u8] = &[
        0x15, // length: 21 bytes
        0x97, // array of 7
        0x0d, // 13: GroupBroadcastData
        0xa2, b'g', b'1', // GroupName "g1"
        0x91, // ExcludedList: array of 1
        0xa2, b'c', b'1', // "c1"
        0x81, // Payloads: map of 1
        0xa4, b'j', b's', b'o', b'n', // "json"
        0xc4, 0x01, b'x', // bin8 of 1: "x"
        0x80, // ExtensionMembers: empty map
        0x90, // ExcludedUserList: empty array
        0xc0, // CallerUserId: nil
    ];
    let message = ServiceMessage::GroupBroadcastData(GroupBroadcastData {
        group: "g1".into(),
        excluded: strings(&["c1"]),
        payloads: json_x(),
    });
    assert_golden(&message, golden);
}

#[test]
fn multi_group_broadcast_data() {
    let golden: &[u8] = &[
        0x13, // length: 19 bytes
        0x94, // array of 4
        0x0e, // 14: MultiGroupBroadcastData
        0x92, // GroupList: array of 2
        0xa2, b'g', b'1', // "g1"
        0xa2, b'g', b'2', // "g2"
        0x81, // Payloads: map of 1
        0xa4, b'j', b's', b'o', b'n', // "json"
        0xc4, 0x01, b'x', // bin8 of 1: "x"
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::MultiGroupBroadcastData(MultiGroupBroadcastData {
        groups: strings(&["g1", "g2"]),
        payloads: json_x(),
    });
    assert_golden(&message, golden);
}

#[test]
fn user_join_group_and_user_leave_group() {
    for (kind, wrap) in [
        (
            0x10,
            ServiceMessage::UserJoinGroup as fn(UserGroupChange) -> ServiceMessage,
        ),
        (0x11, ServiceMessage::UserLeaveGroup),
    ] {
        let golden: &[u8] = &[
            0x09, // length: 9 bytes
            0x94, // array of 4
            kind, // 16: UserJoinGroup, 17: UserLeaveGroup
            0xa2, b'u', b'1', // UserId "u1"
            0xa2, b'g', b'1', // GroupName "g1"
            0x80, // ExtensionMembers: empty map
        ];
        let message = wrap(UserGroupChange {
            user_id: "u1".into(),
            group: "g1".into(),
        });
        assert_golden(&message, golden);
    }
}

#[test]
fn join_group_with_ack() {
    let golden: &[u8] = &[
        0x0a, // length: 10 bytes
        0x95, // array of 5
        0x12, // 18: JoinGroupWithAck
        0xa2, b'c', b'1', // ConnectionId "c1"
        0xa2, b'g', b'1', // GroupName "g1"
        0x07, // AckId 7: positive fixint
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::JoinGroupWithAck(GroupChangeWithAck {
        connection_id: "c1".into(),
        group: "g1".into(),
        ack_id: 7,
    });
    assert_golden(&message, golden);
}

#[test]
fn leave_group_with_ack() {
    let golden: &[u8] = &[
        0x0c, // length: 12 bytes
        0x95, // array of 5
        0x13, // 19: LeaveGroupWithAck
        0xa2, b'c', b'1', // ConnectionId "c1"
        0xa2, b'g', b'1', // GroupName "g1"
        0xcd, 0x01, 0x2c, // AckId 300: uint16
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::LeaveGroupWithAck(GroupChangeWithAck {
        connection_id: "c1".into(),
        group: "g1".into(),
        ack_id: 300,
    });
    assert_golden(&message, golden);
}

#[test]
fn close_connection_with_ack_and_a_reason() {
    let golden: &[u8] = &[
        0x0f, // length: 15 bytes
        0x95, // array of 5
        0x1e, // 30: CloseConnectionWithAck
        0xa2, b'c', b'1', // ConnectionId "c1"
        0xa3, b'b', b'y', b'e', // Reason "bye"
        0xce, 0x00, 0x01, 0x11, 0x70, // AckId 70000: uint32
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::CloseConnectionWithAck(CloseConnectionWithAck {
        connection_id: "c1".into(),
        reason: Some("bye".into()),
        ack_id: 70000,
    });
    assert_golden(&message, golden);
}

#[test]
fn close_connection_with_ack_without_a_reason() {
    let golden: &[u8] = &[
        0x09, // length: 9 bytes
        0x95, // array of 5
        0x1e, // 30: CloseConnectionWithAck
        0xa2, b'c', b'1', // ConnectionId "c1"
        0xc0, // Reason: nil
        0xd0, 0xdf, // AckId -33: int8 (below negative fixint's -32)
        0x80, // ExtensionMembers: empty map
    ];
    let message = ServiceMessage::CloseConnectionWithAck(CloseConnectionWithAck {
        connection_id: "c1".into(),
        reason: None,
        ack_id: -33,
    });
    assert_golden(&message, golden);
}
