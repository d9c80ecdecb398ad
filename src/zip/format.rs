//! The zip format itself: record signatures, flags, methods and lengths,
//! little-endian field access, the end records with their zip64 rule, and the
//! headers of entries made from scratch (split's media zips), with the exact
//! on-disk size of each so that a plan's sizes are exact, not estimated.
//!
//! Entries made from scratch are a local header, their data, and (later) a
//! central directory record. No data descriptors are written: the CRC (and,
//! for deflated entries, the compressed size) is patched into the local
//! header after the data. Extra fields: an extended timestamp (`UT`,
//! modification time in UTC) for files from a directory, and zip64
//! sizes/offset only where a value does not fit in 32 bits.

/// Local file header signature.
pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
/// Central directory record signature.
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
/// End of central directory record signature.
pub(crate) const EOCD_SIG: u32 = 0x0605_4b50;
/// Zip64 end of central directory record signature.
pub(crate) const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
/// Data descriptor signature.
pub(crate) const DESCRIPTOR_SIG: u32 = 0x0807_4b50;
/// Zip64 end of central directory locator signature.
pub(crate) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;

/// A 32-bit field holding this value defers to the zip64 extra field.
pub(crate) const MARK32: u64 = 0xFFFF_FFFF;
/// An entry count holding this value defers to the zip64 end record.
pub(crate) const MARK16: u64 = 0xFFFF;

/// Fixed part of a local header.
pub(crate) const LOCAL_FIXED: u64 = 30;
/// Fixed part of a central directory record.
pub(crate) const CENTRAL_FIXED: u64 = 46;
/// End of central directory record (no comment).
pub(crate) const EOCD_LEN: u64 = 22;
/// Zip64 end of central directory record.
pub(crate) const ZIP64_EOCD_LEN: u64 = 56;
/// Zip64 end of central directory locator.
pub(crate) const ZIP64_LOCATOR_LEN: u64 = 20;
/// The extended timestamp extra field (modification time only).
pub(crate) const UT_LEN: u64 = 9;
/// The zip64 extra field in a local header (both sizes).
pub(crate) const ZIP64_LOCAL_LEN: u64 = 20;

/// Compression method: stored.
pub(crate) const STORED: u16 = 0;
/// Compression method: deflate.
pub(crate) const DEFLATED: u16 = 8;
/// Compression method: AES-encrypted (WinZip).
pub(crate) const METHOD_AES: u16 = 99;

/// General purpose flag: the name is UTF-8.
pub(crate) const FLAG_UTF8: u16 = 1 << 11;
/// General purpose flag: sizes and CRC follow the data in a descriptor.
pub(crate) const FLAG_DESCRIPTOR: u16 = 1 << 3;
/// General purpose flag: the entry is encrypted.
pub(crate) const FLAG_ENCRYPTED: u16 = 1;
/// General purpose flag: strong encryption.
pub(crate) const FLAG_STRONG_ENCRYPTION: u16 = 1 << 6;

/// Extra field id of the zip64 extended information.
pub(crate) const ZIP64_EXTRA: u16 = 0x0001;
/// Extra field id of the extended timestamp (`UT`).
pub(crate) const UT_EXTRA: u16 = 0x5455;
/// Extra field id of the Info-ZIP Unicode path.
pub(crate) const UNICODE_PATH_EXTRA: u16 = 0x7075;

/// Version needed to extract zip64 entries.
pub(crate) const VERSION_ZIP64: u16 = 45;
/// Version needed to extract deflated entries and directories.
pub(crate) const VERSION_DEFLATE: u16 = 20;

/// "Version made by": Unix, specification 6.3.
const MADE_BY_UNIX: u16 = (3 << 8) | 63;

/// Whether an entry's sizes need the zip64 extra field. Both sizes then go
/// in it, in the local header and in the central record.
pub(crate) fn sizes_need_zip64(size: u64, csize: u64) -> bool {
    size >= MARK32 || csize >= MARK32
}

/// What decides an entry's header layout and therefore its exact size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Length of the stored name in bytes.
    pub name_len: u64,
    /// Whether the entry carries an extended timestamp.
    pub timestamp: bool,
    /// Whether the sizes go in a zip64 extra field.
    pub zip64_sizes: bool,
}

impl Layout {
    /// Bytes of the local header.
    pub(crate) fn local_len(&self) -> u64 {
        LOCAL_FIXED
            + self.name_len
            + if self.timestamp { UT_LEN } else { 0 }
            + if self.zip64_sizes { ZIP64_LOCAL_LEN } else { 0 }
    }

    /// Bytes of the central directory record of an entry whose local header
    /// starts at `offset`.
    pub(crate) fn central_len(&self, offset: u64) -> u64 {
        let fields = if self.zip64_sizes { 2 } else { 0 } + u64::from(offset >= MARK32);
        CENTRAL_FIXED
            + self.name_len
            + if self.timestamp { UT_LEN } else { 0 }
            + if fields > 0 { 4 + 8 * fields } else { 0 }
    }
}

/// Whether the end of the archive needs the zip64 end record and locator.
pub(crate) fn end_needs_zip64(entries: u64, cd_offset: u64, cd_size: u64) -> bool {
    entries >= MARK16 || cd_offset >= MARK32 || cd_size >= MARK32
}

/// Bytes of the end records for an archive with these totals.
pub(crate) fn end_len(entries: u64, cd_offset: u64, cd_size: u64) -> u64 {
    if end_needs_zip64(entries, cd_offset, cd_size) {
        ZIP64_EOCD_LEN + ZIP64_LOCATOR_LEN + EOCD_LEN
    } else {
        EOCD_LEN
    }
}

/// Everything the headers of one entry say.
#[derive(Clone, Debug)]
pub(crate) struct Header<'a> {
    /// Stored name (directories end in `/`).
    pub name: &'a str,
    /// Compression method.
    pub method: u16,
    /// CRC-32 of the uncompressed data.
    pub crc: u32,
    /// Compressed size.
    pub csize: u64,
    /// Uncompressed size.
    pub size: u64,
    /// MS-DOS time and date.
    pub dos: (u16, u16),
    /// Modification time for the extended timestamp, if any.
    pub mtime: Option<i64>,
    /// External attributes (Unix mode in the high 16 bits).
    pub external: u32,
    /// Whether sizes go in the zip64 extra field.
    pub zip64_sizes: bool,
}

impl Header<'_> {
    /// The layout these values imply.
    pub(crate) fn layout(&self) -> Layout {
        Layout {
            name_len: self.name.len() as u64,
            timestamp: self.mtime.is_some(),
            zip64_sizes: self.zip64_sizes,
        }
    }

    fn flags(&self) -> u16 {
        if self.name.is_ascii() { 0 } else { FLAG_UTF8 }
    }

    fn version_needed(&self, offset64: bool) -> u16 {
        if self.zip64_sizes || offset64 {
            45
        } else if self.method == DEFLATED || self.name.ends_with('/') {
            20
        } else {
            10
        }
    }

    fn ut(&self, out: &mut Vec<u8>) {
        if let Some(mtime) = self.mtime {
            out.extend_from_slice(&0x5455u16.to_le_bytes());
            out.extend_from_slice(&5u16.to_le_bytes());
            out.push(1);
            out.extend_from_slice(&clamp_unix32(mtime).to_le_bytes());
        }
    }

    /// Appends the local header.
    pub(crate) fn write_local(&self, out: &mut Vec<u8>) {
        let layout = self.layout();
        let extra = layout.local_len() - LOCAL_FIXED - layout.name_len;
        put32(out, LOCAL_SIG);
        put16(out, self.version_needed(false));
        put16(out, self.flags());
        put16(out, self.method);
        put16(out, self.dos.0);
        put16(out, self.dos.1);
        put32(out, self.crc);
        let (cs, us) = if self.zip64_sizes {
            (MARK32, MARK32)
        } else {
            (self.csize, self.size)
        };
        put32(out, cs as u32);
        put32(out, us as u32);
        put16(out, self.name.len() as u16);
        put16(out, extra as u16);
        out.extend_from_slice(self.name.as_bytes());
        self.ut(out);
        if self.zip64_sizes {
            put16(out, 1);
            put16(out, 16);
            put64(out, self.size);
            put64(out, self.csize);
        }
    }

    /// Appends the central directory record for a local header at `offset`.
    pub(crate) fn write_central(&self, offset: u64, out: &mut Vec<u8>) {
        let layout = self.layout();
        let offset64 = offset >= MARK32;
        let extra = layout.central_len(offset) - CENTRAL_FIXED - layout.name_len;
        put32(out, CENTRAL_SIG);
        put16(out, MADE_BY_UNIX);
        put16(out, self.version_needed(offset64));
        put16(out, self.flags());
        put16(out, self.method);
        put16(out, self.dos.0);
        put16(out, self.dos.1);
        put32(out, self.crc);
        let (cs, us) = if self.zip64_sizes {
            (MARK32, MARK32)
        } else {
            (self.csize, self.size)
        };
        put32(out, cs as u32);
        put32(out, us as u32);
        put16(out, self.name.len() as u16);
        put16(out, extra as u16);
        put16(out, 0); // comment length
        put16(out, 0); // disk number start
        put16(out, 0); // internal attributes
        put32(out, self.external);
        put32(out, if offset64 { MARK32 } else { offset } as u32);
        out.extend_from_slice(self.name.as_bytes());
        self.ut(out);
        let fields = if self.zip64_sizes { 2u16 } else { 0 } + u16::from(offset64);
        if fields > 0 {
            put16(out, 1);
            put16(out, 8 * fields);
            if self.zip64_sizes {
                put64(out, self.size);
                put64(out, self.csize);
            }
            if offset64 {
                put64(out, offset);
            }
        }
    }

    /// Offset, from the start of the local header, of the CRC field.
    pub(crate) const CRC_AT: u64 = 14;

    /// Offset, from the start of the local header, of the compressed size:
    /// in the fixed part, or in the zip64 extra field.
    pub(crate) fn csize_at(&self) -> u64 {
        if self.zip64_sizes {
            LOCAL_FIXED
                + self.name.len() as u64
                + if self.mtime.is_some() { UT_LEN } else { 0 }
                + 12
        } else {
            18
        }
    }
}

/// Appends the end records (zip64 record and locator when needed).
#[cfg(test)]
pub(crate) fn write_end(entries: u64, cd_offset: u64, cd_size: u64, out: &mut Vec<u8>) {
    write_end_records(entries, cd_offset, cd_size, false, &[], out);
}

/// Appends the end records: the zip64 record and locator when the totals
/// need them (or `force_zip64`), then the classic record with `comment`
/// (cut to 65,535 bytes). Returns whether zip64 records were written.
pub(crate) fn write_end_records(
    entries: u64,
    cd_offset: u64,
    cd_size: u64,
    force_zip64: bool,
    comment: &[u8],
    out: &mut Vec<u8>,
) -> bool {
    let zip64 = force_zip64 || end_needs_zip64(entries, cd_offset, cd_size);
    if zip64 {
        let record_at = cd_offset + cd_size;
        put32(out, ZIP64_EOCD_SIG);
        put64(out, ZIP64_EOCD_LEN - 12);
        put16(out, MADE_BY_UNIX);
        put16(out, 45);
        put32(out, 0);
        put32(out, 0);
        put64(out, entries);
        put64(out, entries);
        put64(out, cd_size);
        put64(out, cd_offset);
        put32(out, ZIP64_LOCATOR_SIG);
        put32(out, 0);
        put64(out, record_at);
        put32(out, 1);
    }
    let wide = |v: u64, mark: u64| if zip64 { mark } else { v.min(mark) };
    let n16 = wide(entries, MARK16) as u16;
    put32(out, EOCD_SIG);
    put16(out, 0);
    put16(out, 0);
    put16(out, n16);
    put16(out, n16);
    put32(out, wide(cd_size, MARK32) as u32);
    put32(out, wide(cd_offset, MARK32) as u32);
    let comment = &comment[..comment.len().min(0xFFFF)];
    put16(out, comment.len() as u16);
    out.extend_from_slice(comment);
    zip64
}

/// External attributes for a regular file or directory with Unix `mode`.
pub(crate) fn external_attributes(mode: u32, dir: bool) -> u32 {
    let kind = if dir { 0o040000 } else { 0o100000 };
    let perm = mode & 0o7777;
    ((kind | perm) << 16) | if dir { 0x10 } else { 0 }
}

/// Seconds since the epoch as the 32-bit value the `UT` field holds
/// (times before 1970 or after 2038 are clamped).
pub(crate) fn clamp_unix32(secs: i64) -> u32 {
    secs.clamp(0, i64::from(i32::MAX)) as u32
}

/// MS-DOS (time, date) of a Unix time, in UTC, clamped to 1980..=2107.
pub(crate) fn dos_datetime(secs: i64) -> (u16, u16) {
    const MIN: i64 = 315_532_800; // 1980-01-01T00:00:00Z
    const MAX: i64 = 4_354_819_198; // 2107-12-31T23:59:58Z
    let secs = secs.clamp(MIN, MAX);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let time = ((rem / 3600) << 11) | (((rem % 3600) / 60) << 5) | ((rem % 60) / 2);
    let date = ((y - 1980) << 9) | (m << 5) | d;
    (time as u16, date as u16)
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub(crate) fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Little-endian reads from a byte slice whose length the caller checked
/// (every caller reads a fixed-size record it has read whole).
pub(crate) fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// See [`le16`].
pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// See [`le16`].
pub(crate) fn le64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, size: u64, mtime: Option<i64>) -> Header<'_> {
        Header {
            name,
            method: STORED,
            crc: 0,
            csize: size,
            size,
            dos: (0, 0),
            mtime,
            external: 0,
            zip64_sizes: sizes_need_zip64(size, size),
        }
    }

    #[test]
    fn written_headers_have_exactly_the_computed_lengths() {
        for (name, size, mtime) in [
            ("a", 0, None),
            (
                "data/attachments/ÄÖ/10000/ÄÖ-1/10100",
                5,
                Some(1_700_000_000),
            ),
            ("big", 5 << 30, Some(0)),
        ] {
            let h = header(name, size, mtime);
            for offset in [0, MARK32 - 1, MARK32, 9 << 30] {
                let mut local = Vec::new();
                h.write_local(&mut local);
                assert_eq!(local.len() as u64, h.layout().local_len(), "{name}");
                let mut central = Vec::new();
                h.write_central(offset, &mut central);
                assert_eq!(
                    central.len() as u64,
                    h.layout().central_len(offset),
                    "{name} at {offset}"
                );
            }
        }
        for (entries, off, size) in [(1, 0, 0), (MARK16, 0, 0), (1, MARK32, 10), (3, 0, MARK32)] {
            let mut end = Vec::new();
            write_end(entries, off, size, &mut end);
            assert_eq!(end.len() as u64, end_len(entries, off, size));
        }
    }

    #[test]
    fn dos_dates_convert_in_utc_and_clamp() {
        // 2021-07-13 10:37:40 UTC
        let (t, d) = dos_datetime(1_626_172_660);
        assert_eq!(d >> 9, 2021 - 1980);
        assert_eq!((d >> 5) & 0xF, 7);
        assert_eq!(d & 0x1F, 13);
        assert_eq!(t >> 11, 10);
        assert_eq!((t >> 5) & 0x3F, 37);
        assert_eq!((t & 0x1F) * 2, 40);
        assert_eq!(dos_datetime(0), dos_datetime(315_532_800));
        assert_eq!(dos_datetime(-5).1 >> 9, 0);
    }

    #[test]
    fn csize_position_points_at_the_field_written() {
        let mut h = header("x", 7, Some(1));
        h.csize = 0x0102_0304;
        let mut local = Vec::new();
        h.write_local(&mut local);
        let at = h.csize_at() as usize;
        assert_eq!(le32(&local, at), 0x0102_0304);
        let mut big = header("yy", 6 << 30, None);
        big.csize = 0x1122_3344_5566;
        let mut local = Vec::new();
        big.write_local(&mut local);
        assert_eq!(le64(&local, big.csize_at() as usize), 0x1122_3344_5566);
    }
}
