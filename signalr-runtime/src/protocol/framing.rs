//! Record framing. Text protocols end every message with the ASCII record separator; binary
//! protocols put the message's length in front of it, as a variable-length integer.

use bytes::BytesMut;

use crate::error::ProtocolError;

/// The byte that ends every JSON message and the handshake (ASCII "record separator").
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// Splits the first complete record (without its separator) off `buf`.
///
/// Only the first `max_size` bytes are searched, so a peer cannot make the server buffer an
/// endless record: if they hold no separator and more bytes are waiting, the record is too big.
/// `scanned` remembers how many leading bytes are known to hold no separator, so bytes that
/// arrive one at a time are each looked at once, not once per arrival.
pub(crate) fn take_text_record(
    buf: &mut BytesMut,
    max_size: usize,
    scanned: &mut usize,
) -> Result<Option<BytesMut>, ProtocolError> {
    let window = buf.get(..max_size.saturating_add(1)).unwrap_or(&buf[..]);
    let start = (*scanned).min(window.len());
    let found = window
        .get(start..)
        .and_then(|unscanned| unscanned.iter().position(|&byte| byte == RECORD_SEPARATOR))
        .map(|offset| start + offset);
    match found {
        Some(end) if end <= max_size => {
            *scanned = 0;
            let mut record = buf.split_to(end + 1);
            record.truncate(end);
            Ok(Some(record))
        }
        _ if buf.len() > max_size => Err(ProtocolError::MessageTooLarge { max_size }),
        _ => {
            *scanned = window.len();
            Ok(None)
        }
    }
}

/// The longest length prefix: five bytes of seven bits hold 2^31 - 1, the largest length.
const MAX_PREFIX_LEN: usize = 5;

/// ASP.NET Core's text for a length prefix that is too long or too large.
const OVER_2GB: &str = "Messages over 2GB in size are not supported.";

/// Splits the first complete length-prefixed record (without its prefix) off `buf`.
///
/// The prefix is a little-endian base-128 integer: seven bits per byte, the high bit set on every
/// byte but the last, at most five bytes and at most 2^31 - 1. A length over `max_size` is
/// refused as soon as the prefix is complete, before the body arrives.
pub(crate) fn take_binary_record(
    buf: &mut BytesMut,
    max_size: usize,
) -> Result<Option<BytesMut>, ProtocolError> {
    let mut length: usize = 0;
    let mut prefix_len = 0;
    loop {
        let Some(&byte) = buf.get(prefix_len) else {
            return Ok(None);
        };
        if prefix_len == MAX_PREFIX_LEN - 1 && byte > 0x07 {
            return Err(ProtocolError::InvalidMessagePack(OVER_2GB.to_owned()));
        }
        length |= usize::from(byte & 0x7f) << (7 * prefix_len);
        prefix_len += 1;
        if byte & 0x80 == 0 {
            break;
        }
    }
    if length > max_size {
        return Err(ProtocolError::MessageTooLarge { max_size });
    }
    if buf.len() - prefix_len < length {
        return Ok(None);
    }
    let _prefix = buf.split_to(prefix_len);
    Ok(Some(buf.split_to(length)))
}

/// Appends the length prefix of a binary record of `length` bytes.
///
/// # Errors
///
/// A [`ProtocolError`] when `length` is over 2^31 - 1, which no client would accept.
pub(crate) fn write_length_prefix(length: usize, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    if length > 0x7fff_ffff {
        return Err(ProtocolError::Serialize(OVER_2GB.to_owned()));
    }
    let mut rest = length;
    loop {
        // Seven bits at a time; `as u8` keeps exactly them.
        let low = (rest & 0x7f) as u8;
        rest >>= 7;
        if rest == 0 {
            out.push(low);
            return Ok(());
        }
        out.push(low | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_the_separator() {
        let mut buf = BytesMut::from(&b"{\"type\":6}"[..]);
        assert_eq!(take_text_record(&mut buf, 100, &mut 0).unwrap(), None);
        assert_eq!(buf.len(), 10);
    }

    #[test]
    fn splits_packed_records() {
        let mut buf = BytesMut::from(&b"a\x1ebb\x1ec"[..]);
        assert_eq!(
            &take_text_record(&mut buf, 100, &mut 0).unwrap().unwrap()[..],
            b"a"
        );
        assert_eq!(
            &take_text_record(&mut buf, 100, &mut 0).unwrap().unwrap()[..],
            b"bb"
        );
        assert_eq!(take_text_record(&mut buf, 100, &mut 0).unwrap(), None);
        assert_eq!(&buf[..], b"c");
    }

    #[test]
    fn bytes_already_scanned_are_not_searched_again() {
        let mut buf = BytesMut::from(&b"ab"[..]);
        let mut scanned = 0;
        assert_eq!(take_text_record(&mut buf, 100, &mut scanned).unwrap(), None);
        assert_eq!(scanned, 2);
        buf.extend_from_slice(b"c\x1ed");
        assert_eq!(
            &take_text_record(&mut buf, 100, &mut scanned)
                .unwrap()
                .unwrap()[..],
            b"abc"
        );
        assert_eq!(scanned, 0);
        assert_eq!(&buf[..], b"d");
    }

    #[test]
    fn a_record_of_exactly_the_limit_fits() {
        let mut buf = BytesMut::from(&b"abcd\x1e"[..]);
        assert_eq!(
            &take_text_record(&mut buf, 4, &mut 0).unwrap().unwrap()[..],
            b"abcd"
        );
    }

    #[test]
    fn a_record_over_the_limit_is_refused_before_it_ends() {
        let mut buf = BytesMut::from(&b"abcde"[..]);
        assert_eq!(
            take_text_record(&mut buf, 4, &mut 0),
            Err(ProtocolError::MessageTooLarge { max_size: 4 })
        );
    }

    fn prefix(length: usize) -> Vec<u8> {
        let mut out = Vec::new();
        write_length_prefix(length, &mut out).unwrap();
        out
    }

    #[test]
    fn length_prefixes() {
        assert_eq!(prefix(0), [0x00]);
        assert_eq!(prefix(0x35), [0x35]);
        assert_eq!(prefix(127), [0x7f]);
        assert_eq!(prefix(128), [0x80, 0x01]);
        assert_eq!(prefix(5248), [0x80, 0x29]);
        assert_eq!(prefix(0x7fff_ffff), [0xff, 0xff, 0xff, 0xff, 0x07]);
        assert!(write_length_prefix(0x8000_0000, &mut Vec::new()).is_err());
    }

    #[test]
    fn binary_records_round_trip_through_their_prefix() {
        for length in [0, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            let mut buf = BytesMut::from(&prefix(length)[..]);
            buf.extend_from_slice(&vec![7; length]);
            buf.extend_from_slice(b"next");
            let record = take_binary_record(&mut buf, 100_000).unwrap().unwrap();
            assert_eq!(record.len(), length);
            assert_eq!(&buf[..], b"next");
        }
    }

    #[test]
    fn a_binary_record_waits_for_its_prefix_and_body() {
        let mut buf = BytesMut::from(&[0x80][..]);
        assert_eq!(take_binary_record(&mut buf, 10_000), Ok(None));
        buf.extend_from_slice(&[0x01, 1, 2]);
        assert_eq!(take_binary_record(&mut buf, 10_000), Ok(None));
        assert_eq!(buf.len(), 4);
    }

    #[test]
    fn the_largest_prefix_is_checked_against_the_maximum_not_refused_as_malformed() {
        let mut buf = BytesMut::from(&[0xff, 0xff, 0xff, 0xff, 0x07][..]);
        assert_eq!(
            take_binary_record(&mut buf, usize::MAX),
            Ok(None),
            "2^31 - 1 is a valid length"
        );
        assert_eq!(
            take_binary_record(&mut buf, 10),
            Err(ProtocolError::MessageTooLarge { max_size: 10 })
        );
    }

    #[test]
    fn an_over_long_prefix_is_refused() {
        for bytes in [
            &[0xff, 0xff, 0xff, 0xff, 0x08][..],
            &[0x80, 0x80, 0x80, 0x80, 0x80][..],
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x00][..],
        ] {
            let mut buf = BytesMut::from(bytes);
            assert_eq!(
                take_binary_record(&mut buf, usize::MAX),
                Err(ProtocolError::InvalidMessagePack(OVER_2GB.to_owned()))
            );
        }
    }
}
