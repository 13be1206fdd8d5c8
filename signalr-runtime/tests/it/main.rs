//! Golden-byte tests of the wire protocol: exactly what the server writes, and what it accepts
//! from the official clients.

// Tests fail by panicking; the library's no-panic lints are meant for library code only.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod handshake;
mod json;
mod msgpack;
#[cfg(feature = "service")]
mod service_protocol;
mod support;

/// Asserts that `actual` is exactly `expected`, showing both escaped when they differ.
#[track_caller]
fn assert_bytes(actual: &[u8], expected: &[u8]) {
    assert!(
        actual == expected,
        "bytes differ\n  actual: b\"{}\"\nexpected: b\"{}\"",
        actual.escape_ascii(),
        expected.escape_ascii()
    );
}

/// `body` behind the binary framing's length prefix (seven bits per byte, least significant
/// first), computed here independently of the library, for bodies the tests build up.
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
