//! Makes a client's close frame without a status read as a normal closure (1000).
//!
//! A client that closes without a status code (a browser's `webSocket.close()`) must see the
//! server close with 1000, as ASP.NET Core answers: the official test suite checks it.
//! tungstenite answers a close frame with the same status it received, so this reader rewrites
//! such a frame, on its way in, into one carrying 1000. Everything else passes through as it is.

use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The largest frame header: 2 bytes, an 8-byte length, a 4-byte mask.
const MAX_HEADER: usize = 14;

/// Bytes taken from the socket per read: several small frames, or a good part of a large one,
/// per system call, however small the WebSocket layer's own buffer is.
const READ: usize = 8 * 1024;

/// The largest buffer of read-ahead bytes kept once it is empty.
const KEEP: usize = 1024;

/// Wraps the upgraded connection; see the module documentation.
pub(crate) struct NormalClose<T> {
    inner: T,
    /// Where the next incoming byte belongs.
    state: State,
    /// Bytes read and rewritten but not yet handed to the reader.
    ready: Vec<u8>,
    /// How much of `ready` was handed out already.
    handed: usize,
}

enum State {
    /// Collecting a frame header (held back until complete, so it can be rewritten).
    Header { bytes: [u8; MAX_HEADER], len: usize },
    /// Inside a payload of this many more bytes.
    Payload(u64),
}

impl<T> NormalClose<T> {
    pub(crate) fn new(inner: T) -> Self {
        NormalClose {
            inner,
            state: State::Header {
                bytes: [0; MAX_HEADER],
                len: 0,
            },
            ready: Vec::new(),
            handed: 0,
        }
    }

    /// Runs `input` through the frame tracker into `ready`.
    fn track(&mut self, mut input: &[u8]) {
        while !input.is_empty() {
            match &mut self.state {
                State::Payload(remaining) => {
                    let take = input
                        .len()
                        .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                    let (payload, rest) = input.split_at(take);
                    self.ready.extend_from_slice(payload);
                    *remaining -= take as u64;
                    if *remaining == 0 {
                        self.state = State::Header {
                            bytes: [0; MAX_HEADER],
                            len: 0,
                        };
                    }
                    input = rest;
                }
                State::Header { bytes, len } => {
                    let Some((&byte, rest)) = input.split_first() else {
                        break;
                    };
                    input = rest;
                    if let Some(slot) = bytes.get_mut(*len) {
                        *slot = byte;
                        *len += 1;
                    }
                    let (header, len) = (*bytes, *len);
                    if let Some(payload) = header_complete(header.get(..len).unwrap_or_default()) {
                        self.emit_header(header.get(..len).unwrap_or_default(), payload);
                        self.state = if payload == 0 {
                            State::Header {
                                bytes: [0; MAX_HEADER],
                                len: 0,
                            }
                        } else {
                            State::Payload(payload)
                        };
                    }
                }
            }
        }
    }

    fn emit_header(&mut self, header: &[u8], payload: u64) {
        let (first, mask) = (header.first().copied().unwrap_or(0), header.get(2..6));
        match mask {
            // A masked close frame (opcode 8) with nothing in it: make it say 1000.
            Some(&[m0, m1, m2, m3])
                if first & 0x0f == 0x08 && payload == 0 && header.len() == 6 =>
            {
                self.ready
                    .extend_from_slice(&[first, 0x82, m0, m1, m2, m3, 0x03 ^ m0, 0xe8 ^ m1]);
            }
            _ => self.ready.extend_from_slice(header),
        }
    }
}

/// The payload length, once `header` holds a whole frame header.
fn header_complete(header: &[u8]) -> Option<u64> {
    let (&_, &second) = (header.first()?, header.get(1)?);
    let mask = if second & 0x80 != 0 { 4 } else { 0 };
    let (extension, short) = match second & 0x7f {
        126 => (2, None),
        127 => (8, None),
        length => (0, Some(u64::from(length))),
    };
    if header.len() < 2 + extension + mask {
        return None;
    }
    match short {
        Some(length) => Some(length),
        None => {
            let bytes = header.get(2..2 + extension)?;
            Some(
                bytes
                    .iter()
                    .fold(0u64, |length, &byte| length << 8 | u64::from(byte)),
            )
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for NormalClose<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let this = &mut *self;
            if let Some(waiting) = this
                .ready
                .get(this.handed..)
                .filter(|waiting| !waiting.is_empty())
            {
                let count = waiting.len().min(out.remaining());
                out.put_slice(waiting.get(..count).unwrap_or_default());
                this.handed += count;
                if this.handed == this.ready.len() {
                    this.handed = 0;
                    if this.ready.capacity() > KEEP {
                        // A burst is over: an idle connection should not hold its buffer.
                        this.ready = Vec::new();
                    } else {
                        this.ready.clear();
                    }
                }
                return Poll::Ready(Ok(()));
            }
            // Not zeroed: the socket fills what is read, and only that is looked at.
            let mut scratch = [MaybeUninit::<u8>::uninit(); READ];
            let mut read = ReadBuf::uninit(&mut scratch);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) if read.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => this.track(read.filled()),
                other => return other,
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for NormalClose<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked(chunks: &[&[u8]]) -> Vec<u8> {
        let mut reader = NormalClose::new(tokio::io::empty());
        for chunk in chunks {
            reader.track(chunk);
        }
        reader.ready
    }

    #[test]
    fn an_empty_close_becomes_1000() {
        let close = [0x88, 0x80, 1, 2, 3, 4];
        assert_eq!(
            tracked(&[&close]),
            [0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2]
        );
        // Split anywhere, and after another frame.
        let text = [0x81, 0x82, 0, 0, 0, 0, b'h', b'i'];
        let mut expected = text.to_vec();
        expected.extend_from_slice(&[0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2]);
        assert_eq!(
            tracked(&[&text[..3], &text[3..], &close[..1], &close[1..]]),
            expected
        );
    }

    #[test]
    fn other_frames_pass_unchanged() {
        let close_with_code = [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe9];
        assert_eq!(tracked(&[&close_with_code]), close_with_code);
        let mut long = vec![0x82, 0xfe, 0x01, 0x00, 9, 9, 9, 9];
        long.extend(std::iter::repeat_n(0x88, 256));
        assert_eq!(tracked(&[&long[..5], &long[5..100], &long[100..]]), long);
    }
}
