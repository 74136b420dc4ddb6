//! `X-Amz-Date` values: ISO 8601 basic format, `YYYYMMDD'T'HHMMSS'Z'`, always UTC.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A request timestamp, to the second, as SigV4 writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AmzDate {
    unix_seconds: i64,
}

impl AmzDate {
    /// Parses `20150830T123600Z`; `None` for anything else (AWS answers with an
    /// IncompleteSignatureException naming the value).
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<i64> {
            let digits = &bytes[range];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(
                digits
                    .iter()
                    .fold(0, |acc, d| acc * 10 + i64::from(d - b'0')),
            )
        };
        let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
        let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        Some(Self {
            unix_seconds: days * 86_400 + hour * 3600 + minute * 60 + second,
        })
    }

    /// The timestamp of a point in time, truncated to the second.
    pub fn from_system_time(time: SystemTime) -> Self {
        let unix_seconds = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            Err(before) => {
                let secs = before.duration().as_secs_f64().ceil();
                -(secs as i64)
            }
        };
        Self { unix_seconds }
    }

    /// This timestamp as a point in time.
    pub fn to_system_time(self) -> SystemTime {
        if self.unix_seconds >= 0 {
            UNIX_EPOCH + Duration::from_secs(self.unix_seconds as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(self.unix_seconds.unsigned_abs())
        }
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.unix_seconds
    }

    /// This timestamp moved by a signed number of seconds.
    pub fn add_seconds(self, seconds: i64) -> Self {
        Self {
            unix_seconds: self.unix_seconds.saturating_add(seconds),
        }
    }

    /// The `YYYYMMDD` date stamp that the credential scope must carry.
    pub fn date_stamp(self) -> String {
        let text = self.to_string();
        text[..text.len() - 8].to_owned()
    }

    /// Whether `stamp` is this timestamp's `YYYYMMDD` (allocates nothing: checked per request).
    pub fn has_date_stamp(self, stamp: &str) -> bool {
        match self.iso_basic() {
            Some(iso) => stamp.as_bytes() == &iso[..8],
            None => stamp == self.date_stamp(),
        }
    }

    /// Appends `YYYYMMDD'T'HHMMSS'Z'` to `out` (the string to sign's date line).
    pub fn push_to(self, out: &mut String) {
        match self.iso_basic() {
            Some(iso) => out.extend(iso.iter().map(|&b| char::from(b))),
            None => out.push_str(&self.to_string()),
        }
    }

    /// The text without formatting machinery, for years 0 to 9999 (every date a request can
    /// carry, since [`AmzDate::parse`] reads four digits); `None` beyond.
    fn iso_basic(self) -> Option<[u8; 16]> {
        let (year, month, day) = civil_from_days(self.unix_seconds.div_euclid(86_400));
        if !(0..=9999).contains(&year) {
            return None;
        }
        let secs = self.unix_seconds.rem_euclid(86_400);
        let mut out = *b"00000000T000000Z";
        let mut put = |at: usize, width: usize, mut value: i64| {
            for i in (at..at + width).rev() {
                // A digit: 0 to 9 fits a byte.
                out[i] = b'0' + u8::try_from(value % 10).unwrap_or(0);
                value /= 10;
            }
        };
        put(0, 4, year);
        put(4, 2, month);
        put(6, 2, day);
        put(9, 2, secs / 3600);
        put(11, 2, secs / 60 % 60);
        put(13, 2, secs % 60);
        Some(out)
    }
}

impl fmt::Display for AmzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(iso) = self.iso_basic() {
            return f.write_str(std::str::from_utf8(&iso).map_err(|_| fmt::Error)?);
        }
        let (year, month, day) = civil_from_days(self.unix_seconds.div_euclid(86_400));
        let secs = self.unix_seconds.rem_euclid(86_400);
        write!(
            f,
            "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_the_signing_suite_timestamp() {
        let date = AmzDate::parse("20150830T123600Z").unwrap();
        assert_eq!(date.unix_seconds(), 1_440_938_160);
        assert_eq!(date.to_string(), "20150830T123600Z");
        assert_eq!(date.date_stamp(), "20150830");
    }

    #[test]
    fn rejects_extended_format_and_impossible_dates() {
        for bad in [
            "2015-08-30T12:36:00Z",
            "20150830T123600",
            "20150230T123600Z",
            "20150830T246000Z",
            "2015083OT123600Z",
            "",
            "Sun, 30 Aug 2015 12:36:00 GMT",
        ] {
            assert_eq!(AmzDate::parse(bad), None, "{bad}");
        }
        assert!(AmzDate::parse("20160229T000000Z").is_some());
    }

    #[test]
    fn dates_beyond_four_digit_years_still_print() {
        let far = AmzDate {
            unix_seconds: 253_402_300_800,
        };
        assert_eq!(far.to_string(), "100000101T000000Z");
        assert_eq!(far.date_stamp(), "100000101");
        assert!(far.has_date_stamp("100000101"));
        let before = AmzDate {
            unix_seconds: -62_167_219_201,
        };
        assert_eq!(before.to_string(), "-0011231T235959Z");
    }

    proptest! {
        #[test]
        fn formatting_then_parsing_is_the_identity(secs in 0i64..253_402_300_799) {
            let date = AmzDate { unix_seconds: secs };
            prop_assert_eq!(AmzDate::parse(&date.to_string()), Some(date));
        }

        #[test]
        fn the_fast_forms_agree_with_the_formatted_one(secs in -100_000_000_000i64..300_000_000_000) {
            let date = AmzDate { unix_seconds: secs };
            let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
            let t = secs.rem_euclid(86_400);
            let formatted = format!(
                "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
                t / 3600,
                t / 60 % 60,
                t % 60
            );
            prop_assert_eq!(date.to_string(), formatted.clone());
            let mut pushed = String::new();
            date.push_to(&mut pushed);
            prop_assert_eq!(&pushed, &formatted);
            let stamp = &formatted[..formatted.len() - 8];
            prop_assert_eq!(date.date_stamp(), stamp);
            prop_assert!(date.has_date_stamp(stamp));
        }
    }
}
