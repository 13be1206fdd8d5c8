//! Reading MessagePack values without copying: one token at a time, straight off the bytes.

use rmp::Marker;

/// One MessagePack item: a scalar, or the header of an array or map whose items follow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Token<'a> {
    Nil,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    F32(f32),
    F64(f64),
    /// The bytes of a string, not yet checked to be UTF-8.
    Str(&'a [u8]),
    Bin(&'a [u8]),
    /// An array header; that many values follow.
    Array(u32),
    /// A map header; that many key-value pairs follow.
    Map(u32),
    /// An extension value: its type and data.
    Ext(i8, &'a [u8]),
}

fn take<'a>(rest: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
    let (head, tail) = rest.split_at_checked(len)?;
    *rest = tail;
    Some(head)
}

fn take_array<const N: usize>(rest: &mut &[u8]) -> Option<[u8; N]> {
    take(rest, N)?.try_into().ok()
}

fn take_len(rest: &mut &[u8], width: usize) -> Option<u32> {
    Some(match width {
        1 => u32::from(u8::from_be_bytes(take_array(rest)?)),
        2 => u32::from(u16::from_be_bytes(take_array(rest)?)),
        _ => u32::from_be_bytes(take_array(rest)?),
    })
}

fn take_data<'a>(rest: &mut &'a [u8], len: u32) -> Option<&'a [u8]> {
    take(rest, usize::try_from(len).ok()?)
}

/// Data behind a big-endian length of `width` bytes.
fn take_sized<'a>(rest: &mut &'a [u8], width: usize) -> Option<&'a [u8]> {
    let len = take_len(rest, width)?;
    take_data(rest, len)
}

fn take_ext<'a>(rest: &mut &'a [u8], len: u32) -> Option<Token<'a>> {
    let kind = i8::from_be_bytes(take_array(rest)?);
    Some(Token::Ext(kind, take_data(rest, len)?))
}

/// Reads one token off the front of `rest`; `None` when the bytes are malformed or end early.
pub(crate) fn read_token<'a>(rest: &mut &'a [u8]) -> Option<Token<'a>> {
    let (&first, tail) = rest.split_first()?;
    *rest = tail;
    Some(match Marker::from_u8(first) {
        Marker::FixPos(value) => Token::Unsigned(u64::from(value)),
        Marker::FixNeg(value) => Token::Signed(i64::from(value)),
        Marker::Null => Token::Nil,
        Marker::True => Token::Bool(true),
        Marker::False => Token::Bool(false),
        Marker::U8 => Token::Unsigned(u64::from(u8::from_be_bytes(take_array(rest)?))),
        Marker::U16 => Token::Unsigned(u64::from(u16::from_be_bytes(take_array(rest)?))),
        Marker::U32 => Token::Unsigned(u64::from(u32::from_be_bytes(take_array(rest)?))),
        Marker::U64 => Token::Unsigned(u64::from_be_bytes(take_array(rest)?)),
        Marker::I8 => Token::Signed(i64::from(i8::from_be_bytes(take_array(rest)?))),
        Marker::I16 => Token::Signed(i64::from(i16::from_be_bytes(take_array(rest)?))),
        Marker::I32 => Token::Signed(i64::from(i32::from_be_bytes(take_array(rest)?))),
        Marker::I64 => Token::Signed(i64::from_be_bytes(take_array(rest)?)),
        Marker::F32 => Token::F32(f32::from_be_bytes(take_array(rest)?)),
        Marker::F64 => Token::F64(f64::from_be_bytes(take_array(rest)?)),
        Marker::FixStr(len) => Token::Str(take_data(rest, u32::from(len))?),
        Marker::Str8 => Token::Str(take_sized(rest, 1)?),
        Marker::Str16 => Token::Str(take_sized(rest, 2)?),
        Marker::Str32 => Token::Str(take_sized(rest, 4)?),
        Marker::Bin8 => Token::Bin(take_sized(rest, 1)?),
        Marker::Bin16 => Token::Bin(take_sized(rest, 2)?),
        Marker::Bin32 => Token::Bin(take_sized(rest, 4)?),
        Marker::FixArray(len) => Token::Array(u32::from(len)),
        Marker::Array16 => Token::Array(take_len(rest, 2)?),
        Marker::Array32 => Token::Array(take_len(rest, 4)?),
        Marker::FixMap(len) => Token::Map(u32::from(len)),
        Marker::Map16 => Token::Map(take_len(rest, 2)?),
        Marker::Map32 => Token::Map(take_len(rest, 4)?),
        Marker::FixExt1 => take_ext(rest, 1)?,
        Marker::FixExt2 => take_ext(rest, 2)?,
        Marker::FixExt4 => take_ext(rest, 4)?,
        Marker::FixExt8 => take_ext(rest, 8)?,
        Marker::FixExt16 => take_ext(rest, 16)?,
        Marker::Ext8 => {
            let len = take_len(rest, 1)?;
            take_ext(rest, len)?
        }
        Marker::Ext16 => {
            let len = take_len(rest, 2)?;
            take_ext(rest, len)?
        }
        Marker::Ext32 => {
            let len = take_len(rest, 4)?;
            take_ext(rest, len)?
        }
        Marker::Reserved => return None,
    })
}

/// Moves `rest` past one whole value, however deeply nested, without recursion.
pub(crate) fn skip_value(rest: &mut &[u8]) -> Option<()> {
    let mut pending: u64 = 1;
    while pending > 0 {
        pending -= 1;
        match read_token(rest)? {
            Token::Array(len) => pending = pending.saturating_add(u64::from(len)),
            Token::Map(len) => pending = pending.saturating_add(2 * u64::from(len)),
            _ => {}
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(bytes: &[u8]) -> Option<Token<'_>> {
        let mut rest = bytes;
        let token = read_token(&mut rest)?;
        assert!(rest.is_empty(), "bytes left over");
        Some(token)
    }

    #[test]
    fn tokens_of_every_width() {
        assert_eq!(token(&[0x05]), Some(Token::Unsigned(5)));
        assert_eq!(token(&[0xff]), Some(Token::Signed(-1)));
        assert_eq!(token(&[0xcc, 0xc8]), Some(Token::Unsigned(200)));
        assert_eq!(token(&[0xcd, 0x01, 0x2c]), Some(Token::Unsigned(300)));
        assert_eq!(token(&[0xce, 0, 1, 0, 0]), Some(Token::Unsigned(65_536)));
        assert_eq!(
            token(&[0xcf, 0, 0, 0, 1, 0, 0, 0, 0]),
            Some(Token::Unsigned(1 << 32))
        );
        assert_eq!(token(&[0xd0, 0x80]), Some(Token::Signed(-128)));
        assert_eq!(token(&[0xd1, 0xff, 0x00]), Some(Token::Signed(-256)));
        assert_eq!(
            token(&[0xd2, 0xff, 0xff, 0xff, 0xff]),
            Some(Token::Signed(-1))
        );
        assert_eq!(
            token(&[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            Some(Token::Signed(i64::MIN))
        );
        assert_eq!(token(&[0xca, 0x3f, 0x80, 0, 0]), Some(Token::F32(1.0)));
        assert_eq!(
            token(&[0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]),
            Some(Token::F64(1.0))
        );
        assert_eq!(token(&[0xa2, b'h', b'i']), Some(Token::Str(b"hi")));
        assert_eq!(token(&[0xd9, 1, b'x']), Some(Token::Str(b"x")));
        assert_eq!(token(&[0xda, 0, 1, b'x']), Some(Token::Str(b"x")));
        assert_eq!(token(&[0xdb, 0, 0, 0, 1, b'x']), Some(Token::Str(b"x")));
        assert_eq!(token(&[0xc4, 2, 1, 2]), Some(Token::Bin(&[1, 2])));
        assert_eq!(token(&[0xc5, 0, 1, 9]), Some(Token::Bin(&[9])));
        assert_eq!(token(&[0xc6, 0, 0, 0, 0]), Some(Token::Bin(&[])));
        assert_eq!(token(&[0xdc, 0, 3]), Some(Token::Array(3)));
        assert_eq!(token(&[0xdd, 0, 1, 0, 0]), Some(Token::Array(65_536)));
        assert_eq!(token(&[0x82]), Some(Token::Map(2)));
        assert_eq!(token(&[0xde, 0, 2]), Some(Token::Map(2)));
        assert_eq!(token(&[0xdf, 0, 0, 0, 2]), Some(Token::Map(2)));
        assert_eq!(token(&[0xd4, 5, 1]), Some(Token::Ext(5, &[1])));
        assert_eq!(token(&[0xd5, 5, 1, 2]), Some(Token::Ext(5, &[1, 2])));
        assert_eq!(token(&[0xc7, 1, 0xff, 7]), Some(Token::Ext(-1, &[7])));
        assert_eq!(token(&[0xc0]), Some(Token::Nil));
        assert_eq!(token(&[0xc2]), Some(Token::Bool(false)));
        assert_eq!(token(&[0xc3]), Some(Token::Bool(true)));
    }

    #[test]
    fn malformed_tokens() {
        assert_eq!(token(&[]), None);
        assert_eq!(token(&[0xc1]), None, "reserved marker");
        assert_eq!(token(&[0xa3, b'a']), None, "string cut short");
        assert_eq!(token(&[0xcd, 0x01]), None, "integer cut short");
        assert_eq!(token(&[0xdb, 0xff, 0xff, 0xff, 0xff]), None);
    }

    #[test]
    fn skipping_nested_values() {
        let mut rest: &[u8] = &[0x92, 0x81, 0xa1, b'k', 0x91, 0xc0, 0x01, 0x07];
        assert_eq!(skip_value(&mut rest), Some(()));
        assert_eq!(rest, [0x07]);
        let mut truncated: &[u8] = &[0x92, 0x01];
        assert_eq!(skip_value(&mut truncated), None);
        // A claimed length far beyond the bytes ends when the bytes do.
        let mut huge: &[u8] = &[0xdd, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(skip_value(&mut huge), None);
    }

    #[test]
    fn deep_nesting_is_skipped_without_recursion() {
        let mut deep = vec![0x91; 100_000];
        deep.push(0xc0);
        let mut rest = &deep[..];
        assert_eq!(skip_value(&mut rest), Some(()));
        assert!(rest.is_empty());
    }
}
