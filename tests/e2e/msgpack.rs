//! The MessagePack hub protocol over a real WebSocket: JSON handshake, then binary frames.

use futures_util::{SinkExt, StreamExt};
use signalr_runtime::HubOptions;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

const MSGPACK_HANDSHAKE: &str = "{\"protocol\":\"messagepack\",\"version\":1}\u{1e}";

/// A keep-alive Ping, which may arrive between any two messages.
const PING: &[u8] = &[0x02, 0x91, 0x06];

/// `body` behind its VarInt length prefix.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body.len();
    loop {
        let low = (rest & 0x7f) as u8;
        rest >>= 7;
        if rest == 0 {
            out.push(low);
            break;
        }
        out.push(low | 0x80);
    }
    out.extend_from_slice(body);
    out
}

/// The next data frame, which must be binary; fails on text, close or after [`PATIENCE`].
async fn recv_bytes(ws: &mut Ws) -> Vec<u8> {
    loop {
        let next = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("timed out waiting for a frame");
        match next.expect("connection ended").expect("transport error") {
            Message::Binary(bytes) => return bytes.to_vec(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }
}

/// The next `count` MessagePack messages (framed), however the server grouped them into
/// frames; keep-alive Pings are skipped.
async fn recv_messages(ws: &mut Ws, count: usize) -> Vec<Vec<u8>> {
    let mut buffer = Vec::new();
    let mut messages = Vec::new();
    while messages.len() < count {
        buffer.extend_from_slice(&recv_bytes(ws).await);
        while let Some(len) = framed_len(&buffer) {
            let message: Vec<u8> = buffer.drain(..len).collect();
            if message != PING {
                messages.push(message);
            }
        }
    }
    assert!(
        buffer.is_empty(),
        "a partial message is left: {buffer:02x?}"
    );
    messages
}

/// The length of the first complete framed message in `buffer`, prefix included.
fn framed_len(buffer: &[u8]) -> Option<usize> {
    let mut len = 0usize;
    for (index, byte) in buffer.iter().enumerate().take(5) {
        len |= usize::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            let total = index + 1 + len;
            return (buffer.len() >= total).then_some(total);
        }
    }
    None
}

/// A MessagePack string: fixstr or str8 header, then the bytes.
fn mp_str(text: &str) -> Vec<u8> {
    let mut out = match text.len() {
        len @ 0..=31 => vec![0xa0 | len as u8],
        len @ 32..=255 => vec![0xd9, len as u8],
        len => panic!("a test string of {len} bytes"),
    };
    out.extend_from_slice(text.as_bytes());
    out
}

async fn send_bytes(ws: &mut Ws, bytes: &[u8]) {
    ws.send(Message::binary(bytes.to_vec())).await.unwrap();
}

/// Connects without negotiation and completes the MessagePack handshake: the request is a text
/// frame (it is JSON), the answer a binary frame (the connection's format from then on).
async fn connect_msgpack(addr: std::net::SocketAddr) -> Ws {
    let mut ws = connect(addr, "").await;
    send(&mut ws, MSGPACK_HANDSHAKE).await;
    assert_eq!(recv_bytes(&mut ws).await, b"{}\x1e");
    ws
}

/// `[1, {}, id, "Echo", [text]]` as the JavaScript client writes it (five items).
fn echo(id: &str, text: &str) -> Vec<u8> {
    let body = [
        b"\x95\x01\x80",
        &mp_str(id)[..],
        b"\xa4Echo\x91",
        &mp_str(text),
    ]
    .concat();
    framed(&body)
}

/// `[3, {}, id, 3, text]`: the completion the server writes for `echo(id, text)`.
fn echoed(id: &str, text: &str) -> Vec<u8> {
    let body = [b"\x95\x03\x80", &mp_str(id)[..], b"\x03", &mp_str(text)].concat();
    framed(&body)
}

#[tokio::test]
async fn the_handshake_answer_and_an_echo_come_back_in_binary_frames() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_msgpack(addr).await;
    // The JS client pings right after its handshake.
    send_bytes(&mut ws, PING).await;
    let call = echo("1", "hi");
    assert_eq!(call, b"\x0e\x95\x01\x80\xa11\xa4Echo\x91\xa2hi");
    send_bytes(&mut ws, &call).await;
    assert_eq!(
        recv_messages(&mut ws, 1).await,
        [b"\x09\x95\x03\x80\xa11\x03\xa2hi".to_vec()]
    );
}

#[tokio::test]
async fn the_protocol_name_ignores_case() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect(addr, "").await;
    send(
        &mut ws,
        "{\"protocol\":\"MessagePack\",\"version\":2}\u{1e}",
    )
    .await;
    assert_eq!(recv_bytes(&mut ws).await, b"{}\x1e");
    send_bytes(&mut ws, &echo("7", "x")).await;
    assert_eq!(recv_messages(&mut ws, 1).await, [echoed("7", "x")]);
}

#[tokio::test]
async fn an_invocation_split_over_two_frames() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_msgpack(addr).await;
    let call = echo("1", "split");
    for cut in [1, 6, call.len() - 1] {
        let (head, tail) = call.split_at(cut);
        send_bytes(&mut ws, head).await;
        send_bytes(&mut ws, tail).await;
        assert_eq!(
            recv_messages(&mut ws, 1).await,
            [echoed("1", "split")],
            "cut after {cut} bytes"
        );
    }
}

#[tokio::test]
async fn a_long_invocation_split_inside_its_two_byte_prefix() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_msgpack(addr).await;
    let text = "L".repeat(300);
    let mut body = b"\x95\x01\x80\xa12\xa4Echo\x91\xda\x01\x2c".to_vec();
    body.extend_from_slice(text.as_bytes());
    let call = framed(&body);
    assert_eq!(&call[..2], [0x80 | (body.len() & 0x7f) as u8, 0x02]);
    send_bytes(&mut ws, &call[..1]).await;
    send_bytes(&mut ws, &call[1..]).await;
    let mut result = b"\x95\x03\x80\xa12\x03\xda\x01\x2c".to_vec();
    result.extend_from_slice(text.as_bytes());
    assert_eq!(recv_messages(&mut ws, 1).await, [framed(&result)]);
}

#[tokio::test]
async fn messages_in_the_handshake_frame_and_packed_in_one_frame() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect(addr, "").await;
    // Whatever follows the handshake's separator is already MessagePack.
    let mut first = MSGPACK_HANDSHAKE.as_bytes().to_vec();
    first.extend_from_slice(&echo("1", "a"));
    send_bytes(&mut ws, &first).await;
    assert_eq!(recv_bytes(&mut ws).await, b"{}\x1e");
    assert_eq!(recv_messages(&mut ws, 1).await, [echoed("1", "a")]);

    let mut packed = echo("2", "b");
    packed.extend_from_slice(PING);
    packed.extend_from_slice(&echo("3", "c"));
    send_bytes(&mut ws, &packed).await;
    let mut answers = recv_messages(&mut ws, 2).await;
    answers.sort();
    assert_eq!(answers, [echoed("2", "b"), echoed("3", "c")]);
}

#[tokio::test]
async fn a_hub_error_and_a_server_to_client_call_in_message_pack() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_msgpack(addr).await;
    // [1, {}, "1", "Fail", ["nope"]]
    send_bytes(&mut ws, &framed(b"\x95\x01\x80\xa11\xa4Fail\x91\xa4nope")).await;
    let error = "An unexpected error occurred invoking 'Fail' on the server. HubException: nope";
    let mut body = b"\x95\x03\x80\xa11\x01".to_vec();
    body.extend_from_slice(&mp_str(error));
    assert_eq!(recv_messages(&mut ws, 1).await, [framed(&body)]);

    // [1, {}, "2", "NotifyCaller", ["hey"]]: the server calls Notified("hey"), then completes.
    send_bytes(
        &mut ws,
        &framed(b"\x95\x01\x80\xa12\xacNotifyCaller\x91\xa3hey"),
    )
    .await;
    assert_eq!(
        recv_messages(&mut ws, 2).await,
        [
            framed(b"\x96\x01\x80\xc0\xa8Notified\x91\xa3hey\x90"),
            framed(b"\x94\x03\x80\xa12\x02"),
        ]
    );
}

#[tokio::test]
async fn a_broadcast_reaches_each_client_in_its_own_protocol() {
    let addr = serve(HubOptions::default()).await;
    let mut json = connect_ready(addr).await;
    let mut binary = connect_msgpack(addr).await;
    // [1, {}, nil, "Shout", ["all"]]: no completion wanted.
    send_bytes(
        &mut binary,
        &framed(b"\x95\x01\x80\xc0\xa5Shout\x91\xa3all"),
    )
    .await;
    assert_eq!(
        recv_messages(&mut binary, 1).await,
        [framed(b"\x96\x01\x80\xc0\xa8Notified\x91\xa3all\x90")]
    );
    assert_eq!(
        recv(&mut json).await,
        "{\"type\":1,\"target\":\"Notified\",\"arguments\":[\"all\"]}\u{1e}"
    );
}

#[tokio::test]
async fn a_close_message_from_the_client_ends_the_connection_cleanly() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_msgpack(addr).await;
    // connection.stop() in the JS client: [7, null]
    send_bytes(&mut ws, b"\x03\x92\x07\xc0").await;
    assert_eq!(
        recv_messages(&mut ws, 1).await,
        [b"\x04\x93\x07\xc0\xc2".to_vec()]
    );
    expect_close(&mut ws).await;
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn malformed_message_pack_closes_with_the_error_in_message_pack() {
    let addr = serve(HubOptions::default().detailed_errors(true)).await;
    let mut ws = connect_msgpack(addr).await;
    // [5, {"": "v"}, "1"]: an empty header key.
    send_bytes(&mut ws, &framed(b"\x93\x05\x81\xa0\xa1v\xa11")).await;
    let error =
        "Connection closed with an error. InvalidDataException: Null or empty key in header.";
    let mut body = b"\x93\x07".to_vec();
    body.extend_from_slice(&mp_str(error));
    body.push(0xc2);
    assert_eq!(recv_messages(&mut ws, 1).await, [framed(&body)]);
    expect_close(&mut ws).await;
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn an_over_long_length_prefix_closes_the_connection() {
    let addr = serve(HubOptions::default().maximum_receive_message_size(128)).await;
    let mut ws = connect_msgpack(addr).await;
    // 300 bytes announced against a 128-byte limit: refused before the body arrives.
    send_bytes(&mut ws, &[0xac, 0x02]).await;
    let error = "Connection closed with an error.";
    let mut body = vec![0x93, 0x07];
    body.extend_from_slice(&mp_str(error));
    body.push(0xc2);
    assert_eq!(recv_messages(&mut ws, 1).await, [framed(&body)]);
    expect_close(&mut ws).await;
}

#[tokio::test]
async fn a_client_result_in_message_pack() {
    let addr = serve(HubOptions::default()).await;
    let mut ws = connect_msgpack(addr).await;
    // [1, {}, "1", "AskCaller", ["ok?"]]: the hub asks this client Confirm("ok?").
    send_bytes(
        &mut ws,
        &framed(b"\x95\x01\x80\xa11\xa9AskCaller\x91\xa3ok?"),
    )
    .await;
    let asked = recv_messages(&mut ws, 1).await.remove(0);
    // [1, {}, id, "Confirm", ["ok?"], []] with the server's own id.
    let body = &asked[1..];
    assert_eq!(&body[..3], b"\x96\x01\x80");
    let id_len = usize::from(body[3] & 0x1f);
    let id = std::str::from_utf8(&body[4..4 + id_len])
        .unwrap()
        .to_owned();
    assert_eq!(&body[4 + id_len..], b"\xa7Confirm\x91\xa3ok?\x90");

    // The client answers true: [3, {}, id, 3, true]; the hub method returns it.
    let answer = [&b"\x95\x03\x80"[..], &mp_str(&id), b"\x03\xc3"].concat();
    send_bytes(&mut ws, &framed(&answer)).await;
    assert_eq!(
        recv_messages(&mut ws, 1).await,
        [framed(b"\x95\x03\x80\xa11\x03\xc3")]
    );
}
