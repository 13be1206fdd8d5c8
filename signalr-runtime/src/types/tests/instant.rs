//! [`DateTime`], the [`date_time`] helpers and the calendar math.

use std::time::{Duration, SystemTime};

use bytes::BytesMut;
use serde::Deserialize;

use super::*;
use crate::types::calendar::{civil_from_days, days_from_civil, days_in_month};
use crate::types::date_time;
use crate::types::instant::{
    MAX_SECONDS, MIN_SECONDS, NANOS_PER_SECOND, OUT_OF_RANGE, SECONDS_PER_DAY,
};

/// 2024-02-29T12:34:56Z.
const LEAP_DAY: i64 = 1_709_210_096;

#[test]
fn date_time_golden_bytes() {
    // Whole seconds that fit 32 bits: fixext 4, type -1.
    let whole = at(LEAP_DAY, 0);
    assert_eq!(
        completion(Protocol::Json, whole),
        json_completion("\"2024-02-29T12:34:56Z\"")
    );
    assert_eq!(
        completion(Protocol::MessagePack, whole),
        msgpack_completion(&[0xd6, 0xff, 0x65, 0xe0, 0x79, 0xf0])
    );

    // With milliseconds: fixext 8, nanoseconds in the top 30 bits, seconds in the low 34.
    let millis = at(LEAP_DAY, 789_000_000);
    let packed = (789_000_000u64 << 34) | LEAP_DAY as u64;
    let mut ext = vec![0xd7, 0xff];
    ext.extend_from_slice(&packed.to_be_bytes());
    assert_eq!(
        completion(Protocol::Json, millis),
        json_completion("\"2024-02-29T12:34:56.789Z\"")
    );
    assert_eq!(
        completion(Protocol::MessagePack, millis),
        msgpack_completion(&ext)
    );

    // Before 1970: ext 8 of 12 bytes, nanoseconds then signed seconds.
    let before = at(-1, 1);
    let mut ext = vec![0xc7, 12, 0xff];
    ext.extend_from_slice(&1u32.to_be_bytes());
    ext.extend_from_slice(&(-1i64).to_be_bytes());
    assert_eq!(
        completion(Protocol::Json, before),
        json_completion("\"1969-12-31T23:59:59.000000001Z\"")
    );
    assert_eq!(
        completion(Protocol::MessagePack, before),
        msgpack_completion(&ext)
    );

    // The epoch itself: 32-bit zero.
    assert_eq!(
        completion(Protocol::MessagePack, DateTime::UNIX_EPOCH),
        msgpack_completion(&[0xd6, 0xff, 0, 0, 0, 0])
    );
}

#[test]
fn date_time_timestamp_forms_by_range() {
    // (instant, its ISO form, the length of its timestamp data)
    let cases = [
        // 2038-01-19T03:14:08Z: past i32, still unsigned 32-bit.
        (at(1 << 31, 0), "2038-01-19T03:14:08Z", 4),
        (at(1 << 31, 5), "2038-01-19T03:14:08.000000005Z", 8),
        // 2106-02-07T06:28:15Z: the last second of the 32-bit form.
        (at(u32::MAX.into(), 0), "2106-02-07T06:28:15Z", 4),
        (at(i64::from(u32::MAX) + 1, 0), "2106-02-07T06:28:16Z", 8),
        // 2514-05-30T01:53:03Z: the last second of the 64-bit form.
        (
            at((1 << 34) - 1, 999_999_999),
            "2514-05-30T01:53:03.999999999Z",
            8,
        ),
        (at(1 << 34, 0), "2514-05-30T01:53:04Z", 12),
        (DateTime::MAX, "9999-12-31T23:59:59.999999999Z", 12),
        (DateTime::MIN, "0001-01-01T00:00:00Z", 12),
        (at(-1, 0), "1969-12-31T23:59:59Z", 12),
        // 1900 was not a leap year; 2000 was.
        (at(-2_203_891_200, 0), "1900-03-01T00:00:00Z", 12),
        (at(951_782_400, 100), "2000-02-29T00:00:00.0000001Z", 8),
    ];
    for (instant, iso, data_len) in cases {
        assert_eq!(instant.to_string(), iso);
        assert_eq!(instant.timestamp_data().len(), data_len, "{iso}");
        let mut json = Vec::new();
        Value::new(instant)
            .write(Protocol::Json, &mut json)
            .unwrap();
        assert_eq!(json, format!("\"{iso}\"").into_bytes());
        let mut msgpack = Vec::new();
        Value::new(instant)
            .write(Protocol::MessagePack, &mut msgpack)
            .unwrap();
        assert_eq!(msgpack, instant.to_msgpack());
        assert_eq!(msgpack.len(), data_len + if data_len == 12 { 3 } else { 2 });
        assert_eq!(round_trip(Protocol::Json, instant), instant, "{iso}");
        assert_eq!(round_trip(Protocol::MessagePack, instant), instant, "{iso}");
        assert_eq!(iso.parse::<DateTime>().unwrap(), instant);
    }
}

#[test]
fn date_time_fraction_digits() {
    for (nanos, iso) in [
        (0, "2024-02-29T12:34:56Z"),
        (500_000_000, "2024-02-29T12:34:56.5Z"),
        (789_000_000, "2024-02-29T12:34:56.789Z"),
        (123_456_700, "2024-02-29T12:34:56.1234567Z"),
        (1, "2024-02-29T12:34:56.000000001Z"),
        (999_999_999, "2024-02-29T12:34:56.999999999Z"),
    ] {
        assert_eq!(at(LEAP_DAY, nanos).to_string(), iso);
    }
}

#[test]
fn date_time_parses_iso_8601() {
    let expected = at(LEAP_DAY, 789_000_000);
    for text in [
        "2024-02-29T12:34:56.789Z",
        "2024-02-29T12:34:56.7890000Z",
        "2024-02-29T12:34:56.789000000001Z",
        "2024-02-29T12:34:56.7890000+00:00",
        "2024-02-29T14:34:56.789+02:00",
        "2024-02-29T14:34:56.789+0200",
        "2024-02-29T14:34:56.789+02",
        "2024-02-29T07:04:56.789-05:30",
        "2024-03-01T00:04:56.789+11:30",
        "2024-02-29t12:34:56.789z",
        "2024-02-29 12:34:56,789",
        "2024-02-29T12:34:56.789",
    ] {
        assert_eq!(DateTime::parse(text), Ok(expected), "{text}");
    }
    for text in [
        "",
        "2024-02-29",
        "2024-02-29T12:34Z",
        "2024-2-29T12:34:56Z",
        "2024-02-29T12:34:56.Z",
        "2024-02-29T12:34:56ZZ",
        "2024-02-29T12:34:56+2:00",
        "2024-02-29T12:34:56+24:00",
        "2024-02-29T12:34:56 ",
        "2023-02-29T12:34:56Z",
        "2024-04-31T12:34:56Z",
        "2024-13-01T12:34:56Z",
        "2024-00-01T12:34:56Z",
        "2024-02-00T12:34:56Z",
        "2024-02-29T24:00:00Z",
        "2024-02-29T12:60:00Z",
        "2024-02-29T12:34:60Z",
        "+2024-02-29T12:34:56Z",
        "２０２４-02-29T12:34:56Z",
    ] {
        let error = DateTime::parse(text).unwrap_err();
        assert!(!error.out_of_range, "{text}");
    }
    for text in [
        "0000-12-31T23:59:59Z",
        "0001-01-01T00:00:00+00:01",
        "9999-12-31T23:59:59-00:01",
    ] {
        let error = DateTime::parse(text).unwrap_err();
        assert!(error.out_of_range, "{text}");
        assert_eq!(error.to_string(), OUT_OF_RANGE);
    }
    // A fraction of any length is cut off at the ninth digit.
    let long = format!("2024-02-29T12:34:56.789{}9Z", "0".repeat(100_000));
    assert_eq!(DateTime::parse(&long), Ok(expected));
    // An offset may bring a date outside the range back into it.
    assert_eq!(
        DateTime::parse("0000-12-31T23:00:00-01:00"),
        Ok(DateTime::MIN)
    );
}

#[test]
fn date_time_reads_client_values() {
    let expected = at(LEAP_DAY, 789_000_000);
    // JSON: what JavaScript's `Date.toJSON()` and .NET write.
    for json in [
        r#""2024-02-29T12:34:56.789Z""#,
        r#""2024-02-29T12:34:56.7890000Z""#,
    ] {
        assert_eq!(
            Value::from_json(json)
                .unwrap()
                .decode::<DateTime>()
                .unwrap(),
            expected
        );
    }
    // MessagePack: the 64-bit timestamp @msgpack/msgpack writes for a `Date` with
    // milliseconds, and the same instant as a string.
    let mut ext = vec![0xd7, 0xff];
    ext.extend_from_slice(&((789_000_000u64 << 34) | LEAP_DAY as u64).to_be_bytes());
    let mut string = vec![0xb8];
    string.extend_from_slice(b"2024-02-29T12:34:56.789Z");
    // The 96-bit form for an instant that fits 32 bits is valid too.
    let mut wide = vec![0xc7, 12, 0xff];
    wide.extend_from_slice(&0u32.to_be_bytes());
    wide.extend_from_slice(&LEAP_DAY.to_be_bytes());
    for (msgpack, instant) in [(ext, expected), (string, expected), (wide, at(LEAP_DAY, 0))] {
        assert_eq!(
            Value::from_msgpack(&msgpack)
                .unwrap()
                .decode::<DateTime>()
                .unwrap(),
            instant,
            "{msgpack:x?}"
        );
    }
}

#[test]
fn date_time_refuses_other_values() {
    let refused: [&[u8]; 8] = [
        // Another extension type.
        &[0xd6, 0x05, 0, 0, 0, 0],
        // A timestamp of a length the spec does not have.
        &[0xd5, 0xff, 0, 0],
        // Nanoseconds of a second or more (64-bit and 96-bit forms).
        &[0xd7, 0xff, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0],
        &[
            0xc7, 12, 0xff, 0x3b, 0x9a, 0xca, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        &[
            0xc7, 12, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        // Past 9999 and before 0001 in the 96-bit form: i64::MAX and i64::MIN seconds.
        &[
            0xc7, 12, 0xff, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
        &[0xc7, 12, 0xff, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0],
        // A number.
        &[0x2a],
    ];
    for msgpack in refused {
        let raw = Value::from_msgpack(msgpack).unwrap();
        assert!(raw.decode::<DateTime>().is_err(), "{raw:?}");
    }
    for json in [r#""yesterday""#, "0", "null", r#""10000-01-01T00:00:00Z""#] {
        assert!(
            Value::from_json(json)
                .unwrap()
                .decode::<DateTime>()
                .is_err(),
            "{json}"
        );
    }
}

#[test]
fn date_time_arguments_of_an_invocation() {
    // `[1, {}, "7", "Echo", [bin, timestamp]]` as the JavaScript client sends it.
    let mut body = vec![
        0x95, 0x01, 0x80, 0xa1, b'7', 0xa4, b'E', b'c', b'h', b'o', 0x92,
    ];
    body.extend_from_slice(&[0xc4, 2, 0xca, 0xfe]);
    body.extend_from_slice(&[0xd6, 0xff]);
    body.extend_from_slice(&(LEAP_DAY as u32).to_be_bytes());
    let mut msgpack = BytesMut::from(&[u8::try_from(body.len()).unwrap()][..]);
    msgpack.extend_from_slice(&body);
    let mut json = BytesMut::from(
        &br#"{"type":1,"invocationId":"7","target":"Echo","arguments":["yv4=","2024-02-29T12:34:56Z"]}"#[..],
    );
    json.extend_from_slice(b"\x1e");
    for (protocol, mut buf) in [(Protocol::MessagePack, msgpack), (Protocol::Json, json)] {
        let Some(HubMessage::Invocation(call)) = protocol.parse(&mut buf, 1 << 16).unwrap() else {
            panic!("{protocol:?}: not an invocation");
        };
        assert_eq!(
            call.arguments[0].decode::<Binary>().unwrap(),
            Binary::from([0xca, 0xfe]),
            "{protocol:?}"
        );
        assert_eq!(
            call.arguments[1].decode::<DateTime>().unwrap(),
            at(LEAP_DAY, 0),
            "{protocol:?}"
        );
    }
}

#[test]
fn date_time_outside_the_runtime() {
    let instant = at(LEAP_DAY, 789_000_000);
    assert_eq!(
        serde_json::to_string(&instant).unwrap(),
        r#""2024-02-29T12:34:56.789Z""#
    );
    // Serializers that are not human-readable: the timestamp extension itself.
    let msgpack = rmp_serde::to_vec(&instant).unwrap();
    assert_eq!(msgpack, instant.to_msgpack());
    assert_eq!(
        rmp_serde::from_slice::<DateTime>(&msgpack).unwrap(),
        instant
    );
    let before = at(-86_400 * 365, 0);
    let msgpack = rmp_serde::to_vec(&before).unwrap();
    assert_eq!(msgpack[..3], [0xc7, 12, 0xff]);
    assert_eq!(rmp_serde::from_slice::<DateTime>(&msgpack).unwrap(), before);
}

#[test]
fn date_time_matches_the_runtimes_transcoding() {
    // JSON is the timestamp data written, read back by the runtime's transcoding to ISO 8601
    // (which `Display` writes out); across the whole range and every fraction length that must
    // give the instant's own text, which parses back to it.
    let mut seconds = MIN_SECONDS;
    let mut nanos = 0u32;
    while seconds <= MAX_SECONDS {
        let instant = at(seconds, nanos);
        assert_eq!(
            serde_json::to_string(&instant).unwrap(),
            format!("\"{instant}\"")
        );
        assert_eq!(instant.to_string().parse::<DateTime>().unwrap(), instant);
        seconds += 9_876_543 + i64::from(nanos % 86_400);
        nanos = (nanos + 123_456_789) % NANOS_PER_SECOND;
        nanos -= nanos % 10u32.pow(nanos % 9);
    }
}

#[test]
fn calendar_round_trips() {
    let first = MIN_SECONDS.div_euclid(SECONDS_PER_DAY);
    let last = MAX_SECONDS.div_euclid(SECONDS_PER_DAY);
    assert_eq!(civil_from_days(first), (1, 1, 1));
    assert_eq!(civil_from_days(last), (9999, 12, 31));
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    let mut expected = (1, 1, 1);
    for days in first..=last {
        let date = civil_from_days(days);
        assert_eq!(date, expected);
        assert_eq!(days_from_civil(date.0, date.1, date.2), days);
        expected = if date.2 < days_in_month(date.0, date.1) {
            (date.0, date.1, date.2 + 1)
        } else if date.1 < 12 {
            (date.0, date.1 + 1, 1)
        } else {
            (date.0 + 1, 1, 1)
        };
    }
}

#[test]
fn date_time_system_time() {
    use std::time::UNIX_EPOCH;

    for (instant, time) in [
        (at(0, 0), UNIX_EPOCH),
        (
            at(LEAP_DAY, 789_000_001),
            UNIX_EPOCH + Duration::new(LEAP_DAY as u64, 789_000_001),
        ),
        (
            at(-2, 750_000_000),
            UNIX_EPOCH - Duration::from_millis(1_250),
        ),
        (at(-5, 0), UNIX_EPOCH - Duration::from_secs(5)),
    ] {
        assert_eq!(DateTime::from(time), instant);
        assert_eq!(SystemTime::from(instant), time);
    }
    let now = DateTime::now();
    assert!(now > at(LEAP_DAY, 0) && now < at(4_102_444_800, 0), "{now}");
    // Outside .NET's range: clamped.
    if let Some(far) = UNIX_EPOCH.checked_add(Duration::from_secs(1 << 40)) {
        assert_eq!(DateTime::from(far), DateTime::MAX);
    }
    if let Some(early) = UNIX_EPOCH.checked_sub(Duration::from_secs(1 << 40)) {
        assert_eq!(DateTime::from(early), DateTime::MIN);
    }
}

#[test]
fn date_time_arithmetic_and_accessors() {
    let instant = at(-2, 750_000_000);
    assert_eq!(instant.unix_seconds(), -2);
    assert_eq!(instant.subsec_nanos(), 750_000_000);
    assert_eq!(instant.unix_millis(), -1_250);
    assert_eq!(DateTime::from_unix_millis(-1_250), Some(instant));
    assert_eq!(
        DateTime::from_unix_millis(1_709_210_096_789),
        Some(at(LEAP_DAY, 789_000_000))
    );
    assert_eq!(DateTime::from_unix_millis(i64::MAX), None);
    assert_eq!(
        instant.checked_add(Duration::from_millis(1_250)),
        Some(DateTime::UNIX_EPOCH)
    );
    assert_eq!(
        DateTime::UNIX_EPOCH.checked_sub(Duration::from_millis(1_250)),
        Some(instant)
    );
    assert_eq!(
        DateTime::UNIX_EPOCH.duration_since(instant),
        Some(Duration::from_millis(1_250))
    );
    assert_eq!(instant.duration_since(DateTime::UNIX_EPOCH), None);
    assert_eq!(DateTime::MAX.checked_add(Duration::from_nanos(1)), None);
    assert_eq!(DateTime::MIN.checked_sub(Duration::from_nanos(1)), None);
    assert_eq!(DateTime::MAX.checked_add(Duration::MAX), None);
    assert!(at(-1, 999_999_999) < DateTime::UNIX_EPOCH);
    assert_eq!(DateTime::default(), DateTime::UNIX_EPOCH);
    assert_eq!(
        format!("{:?}", at(LEAP_DAY, 0)),
        "DateTime(2024-02-29T12:34:56Z)"
    );
}

#[test]
fn date_time_helper_for_other_types() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Event {
        #[serde(with = "date_time")]
        at: SystemTime,
        #[serde(with = "date_time")]
        instant: DateTime,
    }
    let event = Event {
        at: SystemTime::UNIX_EPOCH + Duration::from_millis(1_500),
        instant: DateTime::UNIX_EPOCH,
    };
    let mut msgpack = Vec::new();
    Value::new(event)
        .write(Protocol::MessagePack, &mut msgpack)
        .unwrap();
    let mut expected = vec![0x82, 0xa2, b'a', b't', 0xd7, 0xff];
    expected.extend_from_slice(&((500_000_000u64 << 34) | 1).to_be_bytes());
    expected.extend_from_slice(&[0xa7, b'i', b'n', b's', b't', b'a', b'n', b't']);
    expected.extend_from_slice(&[0xd6, 0xff, 0, 0, 0, 0]);
    assert_eq!(msgpack, expected);
    let back: Event = Value::from_msgpack(&msgpack).unwrap().decode().unwrap();
    assert_eq!(
        back.at,
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_500)
    );
    assert_eq!(back.instant, DateTime::UNIX_EPOCH);
}
