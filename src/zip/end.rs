//! Finds a zip's central directory from its end records (the end of central
//! directory record and, for zip64, its locator and record), without
//! building an index of the entries. Data prepended to the archive (a
//! self-extractor's stub) shifts every recorded offset by the same amount,
//! which is worked out here once.

use crate::zip::error::{ReadError, bad};
use crate::zip::format::{
    CENTRAL_SIG, EOCD_LEN, EOCD_SIG, MARK16, MARK32, ZIP64_EOCD_LEN, ZIP64_EOCD_SIG,
    ZIP64_LOCATOR_LEN, ZIP64_LOCATOR_SIG, le16, le32, le64,
};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// Where a zip's central directory is, from its end records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct End {
    /// Offset of the first central directory record in the file.
    pub cd_offset: u64,
    /// Size of the central directory in bytes.
    pub cd_size: u64,
    /// Number of entries the end record counts.
    pub entries: u64,
    /// Bytes prepended to the archive (added to recorded offsets).
    pub archive_offset: u64,
    /// Offset of the first end record (zip64 record, or the classic one).
    pub end_at: u64,
    /// The archive comment.
    pub comment: Vec<u8>,
}

/// The end records of the zip in `f`, of `len` bytes.
pub(crate) fn find_end(f: &mut File, len: u64) -> Result<End, ReadError> {
    if len < EOCD_LEN {
        return Err(bad(
            "too short to be a zip (no end of central directory record)",
        ));
    }
    let tail_len = len.min(EOCD_LEN + 0xFFFF);
    let mut tail = vec![0u8; tail_len as usize];
    f.seek(SeekFrom::Start(len - tail_len))?;
    f.read_exact(&mut tail)?;
    // The last end record whose comment reaches exactly to the end of the file.
    let at = (0..=tail.len() - EOCD_LEN as usize)
        .rev()
        .find(|&i| {
            le32(&tail, i) == EOCD_SIG
                && i + EOCD_LEN as usize + usize::from(le16(&tail, i + 20)) == tail.len()
        })
        .ok_or_else(|| {
            bad("its end record and central directory, at the end of the file, are missing (the file is truncated or not a zip)")
        })?;
    let eocd_at = len - tail_len + at as u64;
    let comment = tail[at + EOCD_LEN as usize..].to_vec();
    let e = &tail[at..];
    let (entries, cd_size, cd_offset) = (
        u64::from(le16(e, 10)),
        u64::from(le32(e, 12)),
        u64::from(le32(e, 16)),
    );
    let wants64 = entries == MARK16 || cd_size == MARK32 || cd_offset == MARK32;
    let mut locator = None;
    if eocd_at >= ZIP64_LOCATOR_LEN {
        let mut loc = [0u8; ZIP64_LOCATOR_LEN as usize];
        f.seek(SeekFrom::Start(eocd_at - ZIP64_LOCATOR_LEN))?;
        f.read_exact(&mut loc)?;
        if le32(&loc, 0) == ZIP64_LOCATOR_SIG {
            locator = Some(le64(&loc, 8));
        }
    }
    let end = match locator {
        Some(recorded) => {
            // The locator's offset is shifted by prepended data like the rest:
            // the record sits right before the locator in a well-formed zip.
            let expected = eocd_at.saturating_sub(ZIP64_LOCATOR_LEN + ZIP64_EOCD_LEN);
            let at = if read_sig(f, recorded, len)? == Some(ZIP64_EOCD_SIG) {
                recorded
            } else if read_sig(f, expected, len)? == Some(ZIP64_EOCD_SIG) {
                expected
            } else {
                return Err(bad("the zip64 end of central directory record is missing"));
            };
            let mut rec = [0u8; ZIP64_EOCD_LEN as usize];
            f.seek(SeekFrom::Start(at))?;
            f.read_exact(&mut rec)?;
            let (cd_size, cd_offset) = (le64(&rec, 40), le64(&rec, 48));
            let start = at.checked_sub(cd_size).ok_or_else(|| {
                bad("the zip64 end record gives a central directory larger than the file")
            })?;
            End {
                cd_offset: start,
                cd_size,
                entries: le64(&rec, 32),
                archive_offset: start.saturating_sub(cd_offset),
                end_at: at,
                comment,
            }
        }
        None if wants64 => {
            return Err(bad("the end record needs a zip64 record, which is missing"));
        }
        None => {
            let start = eocd_at.checked_sub(cd_size).ok_or_else(|| {
                bad("the end record gives a central directory larger than the file")
            })?;
            End {
                cd_offset: start,
                cd_size,
                entries,
                archive_offset: start.saturating_sub(cd_offset),
                end_at: eocd_at,
                comment,
            }
        }
    };
    if end.entries > 0 && read_sig(f, end.cd_offset, len)? != Some(CENTRAL_SIG) {
        return Err(bad(format!(
            "its central directory is not where the end record puts it (byte {})",
            end.cd_offset
        )));
    }
    Ok(end)
}

/// The signature at `at`, if four bytes fit there.
fn read_sig(f: &mut File, at: u64, len: u64) -> Result<Option<u32>, ReadError> {
    if at.saturating_add(4) > len {
        return Ok(None);
    }
    let mut sig = [0u8; 4];
    f.seek(SeekFrom::Start(at))?;
    f.read_exact(&mut sig)?;
    Ok(Some(u32::from_le_bytes(sig)))
}
