//! The Azure SignalR Service protocol (`specs/ServiceProtocol.md` in Azure/azure-signalr; where
//! the specification and the .NET SDK's `ServiceProtocol.cs` differ, the SDK): golden bytes both
//! ways, lenient reads, framing and hostile input.
//!
//! Every golden message is written out byte by byte from the specification's array, with the
//! trailing items the SDK always writes (an empty ExtensionMembers map `0x80`, `nil` for a
//! missing string) and MessagePack's smallest forms. Each golden test checks both directions:
//! the message writes exactly those bytes, and those bytes read as the message.

mod errors;
mod framing;
mod lenient;
mod server_to_service;
mod service_to_server;

use bytes::BytesMut;
use signalr_runtime::service::protocol::{ServiceMessage, parse};

use crate::support::strings;
use crate::{assert_bytes, framed};

/// A generous limit; the tests of the limit pass their own.
const MAX: usize = 1 << 20;

/// Checks that `message` writes exactly `golden` (through `to_bytes` and, after other bytes,
/// through `write`) and that `golden` reads as `message`.
#[track_caller]
fn assert_golden(message: &ServiceMessage, golden: &[u8]) {
    assert_bytes(&message.to_bytes(), golden);
    let mut out = b"before".to_vec();
    message.write(&mut out);
    assert_bytes(&out, &[b"before", golden].concat());
    assert_eq!(&parse_one(golden), message);
}

/// Parses exactly one message that must fill `bytes` completely.
#[track_caller]
fn parse_one(bytes: &[u8]) -> ServiceMessage {
    let mut buffer = BytesMut::from(bytes);
    let message = parse(&mut buffer, MAX)
        .unwrap()
        .expect("a complete message");
    assert!(
        buffer.is_empty(),
        "bytes left over: {:?}",
        buffer[..].escape_ascii().to_string()
    );
    message
}

/// The error text for `bytes`, which must not parse.
#[track_caller]
fn parse_err(bytes: &[u8]) -> String {
    let result = parse(&mut BytesMut::from(bytes), MAX);
    result.expect_err("an error").to_string()
}
