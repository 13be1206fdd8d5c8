//! MessagePack timestamps, written out as .NET writes a UTC `DateTime` in JSON.

/// The extension type of MessagePack timestamps.
pub(crate) use crate::types::TIMESTAMP;

/// A MessagePack timestamp (extension type -1) as .NET writes a UTC `DateTime` in JSON, such as
/// `2024-01-02T03:04:05.5Z`; `None` when malformed or outside the years 0001 to 9999.
pub(crate) fn timestamp_to_iso8601(data: &[u8]) -> Option<String> {
    // Read, checked and written out by `DateTime`: one timestamp reader and one calendar.
    crate::types::DateTime::from_timestamp(data)
        .ok()
        .map(|instant| instant.to_string())
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
        // What a peer may send but no `DateTime` holds: seconds at either end of i64 and
        // nanoseconds of a second or more (the 64-bit form's 30 bits reach 1 073 741 823).
        for (seconds, nanos) in [
            (i64::MAX, 0),
            (i64::MIN, 0),
            (0, 1_000_000_000),
            (0, u32::MAX),
        ] {
            let mut data = nanos.to_be_bytes().to_vec();
            data.extend_from_slice(&seconds.to_be_bytes());
            assert_eq!(timestamp(&data), None, "{seconds} s {nanos} ns");
        }
        assert_eq!(
            timestamp(&((1_000_000_000u64 << 34) | 1).to_be_bytes()),
            None
        );
        assert_eq!(timestamp(&u64::MAX.to_be_bytes()), None);
    }
}
