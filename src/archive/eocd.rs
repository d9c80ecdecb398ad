//! Finds a zip's central directory from its end records (the end of
//! central directory record and, for zip64, its locator and record),
//! without building an index of the entries.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

const EOCD_SIG: &[u8; 4] = b"PK\x05\x06";
const ZIP64_LOCATOR_SIG: &[u8; 4] = b"PK\x06\x07";
const ZIP64_EOCD_SIG: &[u8; 4] = b"PK\x06\x06";
const CENTRAL_SIG: &[u8; 4] = b"PK\x01\x02";

/// Where a zip's central directory is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Directory {
    /// Offset of the first central directory record in the file.
    pub start: u64,
    /// Bytes prepended to the archive (added to recorded offsets).
    pub archive_offset: u64,
    /// Number of entries the end record counts.
    pub count: u64,
    /// The archive comment.
    pub comment: Vec<u8>,
}

fn le16(b: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[at], b[at + 1]]))
}
fn le32(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]))
}
fn le64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// The central directory of the zip in `f` (of `len` bytes), or `None` when
/// the end records are missing or do not lead to a directory.
pub(crate) fn find_directory(f: &mut File, len: u64) -> io::Result<Option<Directory>> {
    let tail_len = len.min(22 + 0xFFFF);
    let mut tail = vec![0u8; tail_len as usize];
    f.seek(SeekFrom::Start(len - tail_len))?;
    f.read_exact(&mut tail)?;
    // The last end record whose comment reaches exactly to the end of the file.
    let Some(at) = (0..tail.len().saturating_sub(21)).rev().find(|&i| {
        &tail[i..i + 4] == EOCD_SIG && i + 22 + le16(&tail, i + 20) as usize == tail.len()
    }) else {
        return Ok(None);
    };
    let eocd = len - tail_len + at as u64;
    let comment = tail[at + 22..].to_vec();
    let (count, size, offset) = (
        le16(&tail, at + 10),
        le32(&tail, at + 12),
        le32(&tail, at + 16),
    );
    let wide = count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF;
    let dir = if wide && at >= 20 && &tail[at - 20..at - 16] == ZIP64_LOCATOR_SIG {
        let eocd64 = le64(&tail, at - 12);
        let mut rec = [0u8; 56];
        if eocd64.saturating_add(56) > len {
            return Ok(None);
        }
        f.seek(SeekFrom::Start(eocd64))?;
        f.read_exact(&mut rec)?;
        if &rec[..4] != ZIP64_EOCD_SIG {
            return Ok(None);
        }
        Directory {
            start: le64(&rec, 48),
            archive_offset: 0,
            count: le64(&rec, 32),
            comment,
        }
    } else {
        // Data prepended to the archive shifts everything by the same amount.
        let Some(start) = eocd.checked_sub(size) else {
            return Ok(None);
        };
        Directory {
            start,
            archive_offset: start.saturating_sub(offset),
            count,
            comment,
        }
    };
    if dir.count > 0 {
        let mut sig = [0u8; 4];
        if dir.start.saturating_add(4) > len {
            return Ok(None);
        }
        f.seek(SeekFrom::Start(dir.start))?;
        f.read_exact(&mut sig)?;
        if &sig != CENTRAL_SIG {
            return Ok(None);
        }
    }
    Ok(Some(dir))
}
