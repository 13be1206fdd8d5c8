//! MessagePack timestamps, written out as .NET writes a UTC `DateTime` in JSON.

/// The extension type of MessagePack timestamps.
pub(crate) const TIMESTAMP: i8 = -1;

/// A MessagePack timestamp (extension type -1) as .NET writes a UTC `DateTime` in JSON, such as
/// `2024-01-02T03:04:05.5Z`; `None` when malformed or outside the years 0001 to 9999.
pub(crate) fn timestamp_to_iso8601(data: &[u8]) -> Option<String> {
    let (seconds, nanos) = match data.len() {
        4 => (i64::from(u32::from_be_bytes(data.try_into().ok()?)), 0),
        8 => {
            let packed = u64::from_be_bytes(data.try_into().ok()?);
            let seconds = i64::try_from(packed & 0x3_ffff_ffff).ok()?;
            (seconds, u32::try_from(packed >> 34).ok()?)
        }
        12 => {
            let (nanos, seconds) = data.split_at_checked(4)?;
            (
                i64::from_be_bytes(seconds.try_into().ok()?),
                u32::from_be_bytes(nanos.try_into().ok()?),
            )
        }
        _ => return None,
    };
    // The calendar and the text are `DateTime`'s, which holds .NET's range (years 0001-9999).
    crate::types::DateTime::from_unix(seconds, nanos).map(|instant| instant.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timestamp(data: &[u8]) -> Option<String> {
        timestamp_to_iso8601(data)
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(&[0, 0, 0, 0]).unwrap(), "1970-01-01T00:00:00Z");
        // 2024-02-29T12:34:56Z = 1709210096
        assert_eq!(
            timestamp(&1_709_210_096u32.to_be_bytes()).unwrap(),
            "2024-02-29T12:34:56Z"
        );
        // 64-bit form: 500 ms after the same second.
        let packed = (500_000_000u64 << 34) | 1_709_210_096;
        assert_eq!(
            timestamp(&packed.to_be_bytes()).unwrap(),
            "2024-02-29T12:34:56.5Z"
        );
        // 96-bit form, before 1970.
        let mut data = 1u32.to_be_bytes().to_vec();
        data.extend_from_slice(&(-1i64).to_be_bytes());
        assert_eq!(timestamp(&data).unwrap(), "1969-12-31T23:59:59.000000001Z");
        assert_eq!(timestamp(&[1, 2, 3]), None);
        let mut too_late = 0u32.to_be_bytes().to_vec();
        too_late.extend_from_slice(&i64::MAX.to_be_bytes());
        assert_eq!(timestamp(&too_late), None);
    }
}
