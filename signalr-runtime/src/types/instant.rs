//! [`DateTime`], .NET's UTC `DateTime`: the instant, its arithmetic and its ISO 8601 text.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use super::calendar::{civil_from_days, parse_iso8601};

pub(super) const NANOS_PER_SECOND: u32 = 1_000_000_000;
pub(super) const SECONDS_PER_DAY: i64 = 86_400;
/// 0001-01-01T00:00:00Z, .NET's `DateTime.MinValue`, in seconds since the Unix epoch.
pub(super) const MIN_SECONDS: i64 = -62_135_596_800;
/// 9999-12-31T23:59:59Z, the last second of .NET's `DateTime.MaxValue`.
pub(super) const MAX_SECONDS: i64 = 253_402_300_799;

/// An instant in UTC, as .NET's `DateTime` with `DateTimeKind.Utc`: an ISO 8601 string in JSON
/// (`2024-02-29T12:34:56.789Z`), the MessagePack timestamp extension in MessagePack (a `Date`
/// in the JavaScript client).
///
/// It holds seconds and nanoseconds since 1970-01-01T00:00:00Z, from the year 0001 to 9999
/// (what a .NET `DateTime` holds); see the [module docs](super) for the exact forms.
///
/// ```
/// use signalr_runtime::protocol::{Protocol, Value};
/// use signalr_runtime::types::DateTime;
///
/// let leap_day = DateTime::from_unix(1_709_210_096, 789_000_000).unwrap();
/// assert_eq!(leap_day.to_string(), "2024-02-29T12:34:56.789Z");
/// assert_eq!(serde_json::to_string(&leap_day).unwrap(), r#""2024-02-29T12:34:56.789Z""#);
///
/// let mut msgpack = Vec::new();
/// Value::new(leap_day).write(Protocol::MessagePack, &mut msgpack).unwrap();
/// assert_eq!(msgpack[..2], [0xd7, 0xff]); // fixext 8, type -1: the 64-bit timestamp
///
/// // Read back from either form, or from any ISO 8601 string with an offset.
/// assert_eq!(Value::from_msgpack(&msgpack).unwrap().decode::<DateTime>().unwrap(), leap_day);
/// assert_eq!("2024-02-29T14:34:56.789+02:00".parse::<DateTime>().unwrap(), leap_day);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    /// Seconds since the Unix epoch, within `MIN_SECONDS..=MAX_SECONDS`. Before `nanos`, so
    /// that the derived order is chronological.
    pub(super) seconds: i64,
    /// Nanoseconds within the second, below one billion.
    pub(super) nanos: u32,
}

impl DateTime {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: DateTime = DateTime {
        seconds: 0,
        nanos: 0,
    };
    /// 0001-01-01T00:00:00Z, the earliest instant (.NET's `DateTime.MinValue`).
    pub const MIN: DateTime = DateTime {
        seconds: MIN_SECONDS,
        nanos: 0,
    };
    /// 9999-12-31T23:59:59.999999999Z, the latest instant (.NET's `DateTime.MaxValue`, to the
    /// nanosecond).
    pub const MAX: DateTime = DateTime {
        seconds: MAX_SECONDS,
        nanos: NANOS_PER_SECOND - 1,
    };

    /// The current time, from the system clock.
    pub fn now() -> Self {
        DateTime::from(SystemTime::now())
    }

    /// `seconds` and `nanos` after 1970-01-01T00:00:00Z (`seconds` negative before it; `nanos`
    /// always counts forward); `None` when `nanos` is a second or more, or the instant is outside
    /// the years 0001 to 9999.
    ///
    /// ```
    /// use signalr_runtime::types::DateTime;
    ///
    /// let before = DateTime::from_unix(-1, 500_000_000).unwrap();
    /// assert_eq!(before.to_string(), "1969-12-31T23:59:59.5Z");
    /// assert!(DateTime::from_unix(0, 1_000_000_000).is_none());
    /// assert!(DateTime::from_unix(i64::MAX, 0).is_none());
    /// ```
    pub const fn from_unix(seconds: i64, nanos: u32) -> Option<Self> {
        if nanos >= NANOS_PER_SECOND || seconds < MIN_SECONDS || seconds > MAX_SECONDS {
            return None;
        }
        Some(DateTime { seconds, nanos })
    }

    /// `millis` milliseconds after 1970-01-01T00:00:00Z, as JavaScript's `Date.getTime()`
    /// counts; `None` outside the years 0001 to 9999.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        let nanos = u32::try_from(millis.rem_euclid(1_000)).ok()? * 1_000_000;
        DateTime::from_unix(millis.div_euclid(1_000), nanos)
    }

    /// Whole seconds since 1970-01-01T00:00:00Z, rounded down (negative before it).
    pub const fn unix_seconds(self) -> i64 {
        self.seconds
    }

    /// Nanoseconds after [`unix_seconds`](Self::unix_seconds), below one billion.
    pub const fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// Milliseconds since 1970-01-01T00:00:00Z, rounded down, as JavaScript's `Date.getTime()`.
    pub const fn unix_millis(self) -> i64 {
        // Within the years 0001 to 9999 this is far from overflowing.
        self.seconds * 1_000 + (self.nanos / 1_000_000) as i64
    }

    /// `duration` later; `None` past 9999.
    pub fn checked_add(self, duration: Duration) -> Option<Self> {
        let seconds = i64::try_from(duration.as_secs()).ok()?;
        let nanos = self.nanos + duration.subsec_nanos();
        let carry = i64::from(nanos / NANOS_PER_SECOND);
        DateTime::from_unix(
            self.seconds.checked_add(seconds)?.checked_add(carry)?,
            nanos % NANOS_PER_SECOND,
        )
    }

    /// `duration` earlier; `None` before the year 0001.
    pub fn checked_sub(self, duration: Duration) -> Option<Self> {
        let seconds = i64::try_from(duration.as_secs()).ok()?;
        let (nanos, borrow) = match self.nanos.checked_sub(duration.subsec_nanos()) {
            Some(nanos) => (nanos, 0),
            None => (self.nanos + NANOS_PER_SECOND - duration.subsec_nanos(), 1),
        };
        DateTime::from_unix(
            self.seconds.checked_sub(seconds)?.checked_sub(borrow)?,
            nanos,
        )
    }

    /// How long after `earlier` this is; `None` when it is before `earlier`.
    pub fn duration_since(self, earlier: DateTime) -> Option<Duration> {
        if self < earlier {
            return None;
        }
        let (seconds, nanos) = if self.nanos >= earlier.nanos {
            (self.seconds - earlier.seconds, self.nanos - earlier.nanos)
        } else {
            (
                self.seconds - earlier.seconds - 1,
                self.nanos + NANOS_PER_SECOND - earlier.nanos,
            )
        };
        Some(Duration::new(u64::try_from(seconds).ok()?, nanos))
    }

    /// Parses an ISO 8601 date and time: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of a
    /// second, and `Z`, an offset or nothing (UTC). [`FromStr`] does the same.
    ///
    /// # Errors
    ///
    /// A [`ParseDateTimeError`] when `text` has another shape, names no real date or time, or
    /// is outside the years 0001 to 9999.
    ///
    /// ```
    /// use signalr_runtime::types::DateTime;
    ///
    /// let instant = DateTime::parse("2024-02-29T12:34:56.7890000+00:00").unwrap();
    /// assert_eq!(instant.to_string(), "2024-02-29T12:34:56.789Z");
    /// assert!(DateTime::parse("2023-02-29T00:00:00Z").is_err()); // not a leap year
    /// ```
    pub fn parse(text: &str) -> Result<Self, ParseDateTimeError> {
        let (seconds, nanos) = parse_iso8601(text).ok_or(ParseDateTimeError {
            out_of_range: false,
        })?;
        DateTime::from_unix(seconds, nanos).ok_or(ParseDateTimeError { out_of_range: true })
    }
}

pub(super) const OUT_OF_RANGE: &str = "date-time outside the years 0001 to 9999";

impl Default for DateTime {
    /// [`DateTime::UNIX_EPOCH`].
    fn default() -> Self {
        DateTime::UNIX_EPOCH
    }
}

impl From<SystemTime> for DateTime {
    /// The same instant, to the nanosecond; times outside the years 0001 to 9999 become
    /// [`DateTime::MIN`] or [`DateTime::MAX`].
    fn from(time: SystemTime) -> Self {
        let clamp = |seconds: Option<i64>, nanos: u32, after: bool| {
            seconds
                .and_then(|seconds| DateTime::from_unix(seconds, nanos))
                .unwrap_or(if after { DateTime::MAX } else { DateTime::MIN })
        };
        match time.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => clamp(
                i64::try_from(after.as_secs()).ok(),
                after.subsec_nanos(),
                true,
            ),
            Err(before) => {
                let before = before.duration();
                let seconds = i64::try_from(before.as_secs()).ok();
                match before.subsec_nanos() {
                    0 => clamp(seconds.map(|seconds| -seconds), 0, false),
                    nanos => clamp(
                        seconds.and_then(|seconds| (-seconds).checked_sub(1)),
                        NANOS_PER_SECOND - nanos,
                        false,
                    ),
                }
            }
        }
    }
}

impl From<DateTime> for SystemTime {
    /// The same instant. Where `SystemTime` cannot go back that far (on Windows, before 1601)
    /// the earliest time it holds is used instead.
    fn from(time: DateTime) -> Self {
        let whole = Duration::from_secs(time.seconds.unsigned_abs());
        let at = if time.seconds >= 0 {
            SystemTime::UNIX_EPOCH.checked_add(whole)
        } else {
            SystemTime::UNIX_EPOCH.checked_sub(whole)
        };
        at.and_then(|at| at.checked_add(Duration::from_nanos(u64::from(time.nanos))))
            .or_else(|| {
                // 1601-01-01T00:00:00Z, where Windows' clock starts.
                SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(11_644_473_600))
            })
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

impl fmt::Display for DateTime {
    /// ISO 8601 in UTC as the JSON hub protocol carries it: `2024-02-29T12:34:56.789Z`, with
    /// only the fractional digits needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(SECONDS_PER_DAY);
        let time = self.seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            time / 3_600,
            time / 60 % 60,
            time % 60
        )?;
        if self.nanos > 0 {
            let mut nanos = self.nanos;
            let mut digits = 9;
            while nanos.is_multiple_of(10) {
                nanos /= 10;
                digits -= 1;
            }
            write!(f, ".{nanos:0digits$}")?;
        }
        f.write_str("Z")
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DateTime({self})")
    }
}

impl FromStr for DateTime {
    type Err = ParseDateTimeError;

    fn from_str(text: &str) -> Result<Self, ParseDateTimeError> {
        DateTime::parse(text)
    }
}

/// Why a text is not a [`DateTime`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseDateTimeError {
    pub(super) out_of_range: bool,
}

impl fmt::Display for ParseDateTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.out_of_range {
            f.write_str(OUT_OF_RANGE)
        } else {
            f.write_str("not an ISO 8601 date and time (YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM])")
        }
    }
}

impl std::error::Error for ParseDateTimeError {}
