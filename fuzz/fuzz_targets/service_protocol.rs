//! The Azure SignalR Service protocol reader (`signalr_runtime::service::protocol::parse`), which
//! reads what the service sends a server.
//!
//! Input: a settings byte, then a stream. The low seven bits of the settings byte are the length
//! of the pieces the stream arrives in (0: all at once); the high bit sets a small message-size
//! limit (64 bytes) instead of 1 MiB. The same bytes are also read as the body of one message,
//! framed here, so that a mutated body needs no matching length prefix.
//!
//! Invariants: the stream read in pieces gives the messages, and the error, it gives read whole;
//! every message read, written again (by `to_bytes` and by `write`, the same bytes), reads back
//! as itself.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use signalr_runtime::service::protocol::{ServiceMessage, ServiceProtocolError, parse};

/// The messages a stream gave, and the error that ended it, if any.
type Outcome = (Vec<ServiceMessage>, Option<ServiceProtocolError>);

fuzz_target!(|data: &[u8]| {
    let Some((&settings, stream)) = data.split_first() else {
        return;
    };
    let max = if settings & 0x80 != 0 { 64 } else { 1 << 20 };
    let piece = match usize::from(settings & 0x7f) {
        0 => stream.len().max(1),
        piece => piece,
    };

    let whole = read(stream, stream.len().max(1), max);
    let pieces = read(stream, piece, max);
    assert!(
        whole == pieces,
        "read whole: {whole:?}\nread in pieces of {piece}: {pieces:?}"
    );
    for message in &whole.0 {
        round_trip(message);
    }

    let (messages, _) = read(&framed(stream), usize::MAX, usize::MAX);
    for message in &messages {
        round_trip(message);
    }
});

/// Reads `stream` as it arrives in pieces of `piece` bytes, until it ends or fails.
fn read(stream: &[u8], piece: usize, max: usize) -> Outcome {
    let mut buffer = BytesMut::new();
    let mut messages = Vec::new();
    for chunk in stream.chunks(piece) {
        buffer.extend_from_slice(chunk);
        loop {
            match parse(&mut buffer, max) {
                Ok(Some(message)) => messages.push(message),
                Ok(None) => break,
                Err(error) => return (messages, Some(error)),
            }
        }
    }
    (messages, None)
}

/// Writes `message` and reads it back.
fn round_trip(message: &ServiceMessage) {
    let bytes = message.to_bytes();
    let mut out = vec![0xee];
    message.write(&mut out);
    assert!(
        out[1..] == bytes[..],
        "write and to_bytes differ for {message:?}"
    );
    let mut buffer = BytesMut::from(&bytes[..]);
    match parse(&mut buffer, usize::MAX) {
        Ok(Some(back)) if back == *message && buffer.is_empty() => {}
        other => panic!("{message:?} written as {bytes:?} reads back as {other:?}"),
    }
}

/// `body` behind its length prefix.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5);
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
