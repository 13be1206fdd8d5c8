//! Record framing for text protocols: every message ends with the ASCII record separator.

use bytes::BytesMut;

use crate::error::ProtocolError;

/// The byte that ends every JSON message and the handshake (ASCII "record separator").
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// Splits the first complete record (without its separator) off `buf`.
///
/// Only the first `max_size` bytes are searched, so a peer cannot make the server buffer an
/// endless record: if they hold no separator and more bytes are waiting, the record is too big.
pub(crate) fn take_text_record(
    buf: &mut BytesMut,
    max_size: usize,
) -> Result<Option<BytesMut>, ProtocolError> {
    let window = buf.get(..max_size.saturating_add(1)).unwrap_or(&buf[..]);
    match window.iter().position(|&byte| byte == RECORD_SEPARATOR) {
        Some(end) if end <= max_size => {
            let mut record = buf.split_to(end + 1);
            record.truncate(end);
            Ok(Some(record))
        }
        _ if buf.len() > max_size => Err(ProtocolError::MessageTooLarge { max_size }),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_the_separator() {
        let mut buf = BytesMut::from(&b"{\"type\":6}"[..]);
        assert_eq!(take_text_record(&mut buf, 100).unwrap(), None);
        assert_eq!(buf.len(), 10);
    }

    #[test]
    fn splits_packed_records() {
        let mut buf = BytesMut::from(&b"a\x1ebb\x1ec"[..]);
        assert_eq!(&take_text_record(&mut buf, 100).unwrap().unwrap()[..], b"a");
        assert_eq!(
            &take_text_record(&mut buf, 100).unwrap().unwrap()[..],
            b"bb"
        );
        assert_eq!(take_text_record(&mut buf, 100).unwrap(), None);
        assert_eq!(&buf[..], b"c");
    }

    #[test]
    fn a_record_of_exactly_the_limit_fits() {
        let mut buf = BytesMut::from(&b"abcd\x1e"[..]);
        assert_eq!(
            &take_text_record(&mut buf, 4).unwrap().unwrap()[..],
            b"abcd"
        );
    }

    #[test]
    fn a_record_over_the_limit_is_refused_before_it_ends() {
        let mut buf = BytesMut::from(&b"abcde"[..]);
        assert_eq!(
            take_text_record(&mut buf, 4),
            Err(ProtocolError::MessageTooLarge { max_size: 4 })
        );
    }
}
