//! WebSocket protocol violations close with the code RFC 6455 §7.4.1 gives them, after a
//! SignalR Close that carries an error; the server goes on serving everyone else.

use std::net::SocketAddr;

use signalr_runtime::HubOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

const TEXT: u8 = 0x1;
const FIN: u8 = 0x80;
const RSV1: u8 = 0x40;
const MASK: [u8; 4] = [0x12, 0x34, 0x56, 0x78];

/// One client frame: `first` is the FIN/RSV/opcode byte; masked as clients must, unless not.
fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![first];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | len as u8),
        len => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
    }
    if masked {
        out.extend_from_slice(&MASK);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// A raw WebSocket to the test hub, past the upgrade and the SignalR handshake.
async fn raw_socket(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /hub HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "upgraded");
    stream
        .write_all(&frame(FIN | TEXT, HANDSHAKE.as_bytes(), true))
        .await
        .unwrap();
    let (texts, _) = read_frames(&mut stream, 1).await;
    assert_eq!(texts, ["{}\u{1e}"]);
    stream
}

/// Reads server frames until `texts` text frames arrived or a close frame did: the texts, and
/// the close code if the server closed.
async fn read_frames(stream: &mut TcpStream, texts: usize) -> (Vec<String>, Option<u16>) {
    let mut found = Vec::new();
    let read = async {
        while found.len() < texts {
            let mut head = [0u8; 2];
            stream.read_exact(&mut head).await.unwrap();
            let len = match head[1] & 0x7f {
                126 => u64::from(stream.read_u16().await.unwrap()),
                127 => stream.read_u64().await.unwrap(),
                len => u64::from(len),
            };
            let mut payload = vec![0u8; len as usize];
            stream.read_exact(&mut payload).await.unwrap();
            match head[0] & 0x0f {
                0x1 => found.push(String::from_utf8(payload).unwrap()),
                0x8 => return Some(u16::from_be_bytes([payload[0], payload[1]])),
                _ => {}
            }
        }
        None
    };
    let code = tokio::time::timeout(PATIENCE, read)
        .await
        .expect("the server answered in time");
    (found, code)
}

/// Sends `bad` after the handshake and returns what the server sent before its close frame,
/// and the close code.
async fn close_after(bad: &[u8]) -> (Vec<String>, Option<u16>) {
    let addr = serve(HubOptions::default()).await;
    let mut stream = raw_socket(addr).await;
    stream.write_all(bad).await.unwrap();
    let outcome = read_frames(&mut stream, usize::MAX).await;
    assert_server_healthy(addr).await;
    outcome
}

/// Asserts a SignalR Close with an error, then the close code `code`.
fn assert_closed_with(outcome: (Vec<String>, Option<u16>), code: u16) {
    let (texts, found) = outcome;
    assert_eq!(found, Some(code), "close code");
    let close = texts
        .last()
        .expect("a SignalR Close before the close frame");
    assert!(
        close.starts_with("{\"type\":7,\"error\":\"Connection closed with an error.\""),
        "{close}"
    );
}

#[tokio::test]
async fn text_that_is_not_utf8_closes_with_1007() {
    assert_closed_with(
        close_after(&frame(FIN | TEXT, &[0xff, 0xfe], true)).await,
        1007,
    );
}

#[tokio::test]
async fn reserved_bits_close_with_1002() {
    assert_closed_with(
        close_after(&frame(FIN | RSV1 | TEXT, b"{}", true)).await,
        1002,
    );
}

#[tokio::test]
async fn an_unmasked_client_frame_closes_with_1002() {
    assert_closed_with(close_after(&frame(FIN | TEXT, b"{}", false)).await, 1002);
}

#[tokio::test]
async fn a_reserved_opcode_closes_with_1002() {
    assert_closed_with(close_after(&frame(FIN | 0x3, b"{}", true)).await, 1002);
}

#[tokio::test]
async fn a_frame_claiming_two_to_the_63_bytes_closes_with_1009() {
    let mut bad = vec![FIN | TEXT, 0x80 | 127];
    bad.extend_from_slice(&(1u64 << 63).to_be_bytes());
    bad.extend_from_slice(&MASK);
    assert_closed_with(close_after(&bad).await, 1009);
}
