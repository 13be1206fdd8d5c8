//! Record framing for text protocols: every message ends with the ASCII record separator.

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
}
