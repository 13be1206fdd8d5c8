//! Civil-date math for [`DateTime`](super::DateTime): ISO 8601 parsing and proleptic Gregorian
//! days.

use super::instant::SECONDS_PER_DAY;

/// Parses ISO 8601 (see [`DateTime::parse`]) into seconds and nanoseconds since the Unix epoch,
/// unchecked against the years 0001 to 9999.
pub(super) fn parse_iso8601(text: &str) -> Option<(i64, u32)> {
    let mut text = Cursor(text.as_bytes());
    let year = text.digits(4)?;
    text.expect(b'-')?;
    let month = text.digits(2)?;
    text.expect(b'-')?;
    let day = text.digits(2)?;
    if !matches!(text.next()?, b'T' | b't' | b' ') {
        return None;
    }
    let hour = text.digits(2)?;
    text.expect(b':')?;
    let minute = text.digits(2)?;
    text.expect(b':')?;
    let second = text.digits(2)?;
    let mut nanos = 0;
    if text.eat(b'.') || text.eat(b',') {
        // Digits past the ninth are read and cut off, not counted: a peer's string of any
        // length cannot overflow the count.
        let mut digits = 0;
        while let Some(digit) = text.digit() {
            if digits < 9 {
                nanos = nanos * 10 + digit;
                digits += 1;
            }
        }
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }
    let offset = match text.next() {
        None | Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hours = text.digits(2)?;
            text.eat(b':');
            let minutes = if text.0.is_empty() {
                0
            } else {
                text.digits(2)?
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3_600 + minutes * 60;
            if sign == b'+' { offset } else { -offset }
        }
        Some(_) => return None,
    };
    let valid = text.0.is_empty()
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    let seconds =
        days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3_600 + minute * 60 + second
            - offset;
    Some((seconds, u32::try_from(nanos).ok()?))
}

/// What is left of a text being parsed.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let ate = self.0.first() == Some(&byte);
        if ate {
            self.next();
        }
        ate
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    fn digit(&mut self) -> Option<i64> {
        let digit = self.0.first().filter(|byte| byte.is_ascii_digit())?;
        let value = i64::from(digit - b'0');
        self.next();
        Some(value)
    }

    /// Exactly `count` digits, as a number.
    fn digits(&mut self, count: usize) -> Option<i64> {
        (0..count).try_fold(0, |value, _| Some(value * 10 + self.digit()?))
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(super) fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub(super) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day since 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub(super) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}
