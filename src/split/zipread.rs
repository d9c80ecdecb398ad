//! Reading a zip's end records and central directory as a stream, one
//! record at a time, so that a zip with millions of entries is read in
//! bounded memory. Used for source zips and for verifying written zips.
//! Accepts zip64 and Java-style zips (zip64 extra fields, data descriptors).

use crate::split::format::{
    CENTRAL_FIXED, CENTRAL_SIG, EOCD_LEN, EOCD_SIG, LOCAL_FIXED, LOCAL_SIG, MARK16, MARK32,
    ZIP64_EOCD_SIG, ZIP64_LOCATOR_LEN, ZIP64_LOCATOR_SIG, le16, le32, le64,
};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

/// Where the central directory is, from the end records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct End {
    /// Number of entries.
    pub entries: u64,
    /// Offset of the central directory.
    pub cd_offset: u64,
    /// Size of the central directory.
    pub cd_size: u64,
    /// Offset of the first end record (zip64 record, or the classic one).
    pub end_at: u64,
}

/// A problem reading a zip: an I/O error or a format fault.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Reading failed.
    Io(io::Error),
    /// The bytes are not a valid zip.
    Format(String),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            ReadError::Format("the file ends early (truncated)".into())
        } else {
            ReadError::Io(e)
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Format(s) => f.write_str(s),
        }
    }
}

fn bad(s: impl Into<String>) -> ReadError {
    ReadError::Format(s.into())
}

/// Reads the end records of a zip of `len` bytes.
pub(crate) fn read_end(file: &mut File, len: u64) -> Result<End, ReadError> {
    if len < EOCD_LEN {
        return Err(bad(
            "too short to be a zip (no end of central directory record)",
        ));
    }
    let tail_len = len.min(EOCD_LEN + 0xFFFF);
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(len - tail_len))?;
    file.read_exact(&mut tail)?;
    let base = len - tail_len;
    let mut found = None;
    let mut i = tail.len() - EOCD_LEN as usize;
    loop {
        if le32(&tail, i) == EOCD_SIG {
            let comment = u64::from(le16(&tail, i + 20));
            if base + i as u64 + EOCD_LEN + comment == len {
                found = Some(i);
                break;
            }
        }
        if i == 0 {
            break;
        }
        i -= 1;
    }
    let i = found.ok_or_else(|| {
        bad("no end of central directory record (the file is truncated or not a zip)")
    })?;
    let eocd_at = base + i as u64;
    let e = &tail[i..];
    let mut end = End {
        entries: u64::from(le16(e, 10)),
        cd_size: u64::from(le32(e, 12)),
        cd_offset: u64::from(le32(e, 16)),
        end_at: eocd_at,
    };
    let wants64 = end.entries == MARK16 || end.cd_size == MARK32 || end.cd_offset == MARK32;
    if eocd_at >= ZIP64_LOCATOR_LEN {
        let mut loc = [0u8; ZIP64_LOCATOR_LEN as usize];
        file.seek(SeekFrom::Start(eocd_at - ZIP64_LOCATOR_LEN))?;
        file.read_exact(&mut loc)?;
        if le32(&loc, 0) == ZIP64_LOCATOR_SIG {
            let at = le64(&loc, 8);
            let mut rec = [0u8; 56];
            if at.checked_add(56).is_none_or(|e| e > eocd_at) {
                return Err(bad("the zip64 end record locator points outside the file"));
            }
            file.seek(SeekFrom::Start(at))?;
            file.read_exact(&mut rec)?;
            if le32(&rec, 0) != ZIP64_EOCD_SIG {
                return Err(bad("the zip64 end of central directory record is missing"));
            }
            end = End {
                entries: le64(&rec, 32),
                cd_size: le64(&rec, 40),
                cd_offset: le64(&rec, 48),
                end_at: at,
            };
        } else if wants64 {
            return Err(bad("the end record needs a zip64 record, which is missing"));
        }
    }
    if end
        .cd_offset
        .checked_add(end.cd_size)
        .is_none_or(|e| e > end.end_at)
    {
        return Err(bad("the central directory lies outside the file"));
    }
    Ok(end)
}

/// One central directory record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CentralEntry {
    /// The name as stored.
    pub name: Vec<u8>,
    /// "Version made by".
    pub made_by: u16,
    /// General purpose flags.
    pub flags: u16,
    /// Compression method.
    pub method: u16,
    /// MS-DOS time and date.
    pub dos: (u16, u16),
    /// CRC-32.
    pub crc: u32,
    /// Compressed size.
    pub csize: u64,
    /// Uncompressed size.
    pub size: u64,
    /// Offset of the local header.
    pub offset: u64,
    /// External attributes.
    pub external: u32,
    /// Modification time from an extended timestamp extra field, if present.
    pub mtime: Option<i64>,
    /// Whether the sizes came from a zip64 extra field.
    pub zip64_sizes: bool,
}

/// Streams central directory records.
pub(crate) struct CentralReader {
    input: BufReader<File>,
    left: u64,
}

impl CentralReader {
    /// Starts reading the central directory described by `end`.
    pub(crate) fn new(mut file: File, end: &End) -> Result<CentralReader, ReadError> {
        file.seek(SeekFrom::Start(end.cd_offset))?;
        Ok(CentralReader {
            input: BufReader::with_capacity(64 << 10, file),
            left: end.entries,
        })
    }

    /// The next record, or `None` after the last.
    pub(crate) fn next_entry(&mut self) -> Result<Option<CentralEntry>, ReadError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let mut fixed = [0u8; CENTRAL_FIXED as usize];
        self.input.read_exact(&mut fixed)?;
        if le32(&fixed, 0) != CENTRAL_SIG {
            return Err(bad("a central directory record has a bad signature"));
        }
        let name_len = le16(&fixed, 28) as usize;
        let extra_len = le16(&fixed, 30) as usize;
        let comment_len = le16(&fixed, 32) as usize;
        let mut name = vec![0u8; name_len];
        self.input.read_exact(&mut name)?;
        let mut extra = vec![0u8; extra_len];
        self.input.read_exact(&mut extra)?;
        io::copy(
            &mut (&mut self.input).take(comment_len as u64),
            &mut io::sink(),
        )?;
        let mut e = CentralEntry {
            name,
            made_by: le16(&fixed, 4),
            flags: le16(&fixed, 8),
            method: le16(&fixed, 10),
            dos: (le16(&fixed, 12), le16(&fixed, 14)),
            crc: le32(&fixed, 16),
            csize: u64::from(le32(&fixed, 20)),
            size: u64::from(le32(&fixed, 24)),
            offset: u64::from(le32(&fixed, 42)),
            external: le32(&fixed, 38),
            mtime: None,
            zip64_sizes: false,
        };
        parse_extra(&extra, &mut e)?;
        Ok(Some(e))
    }
}

fn parse_extra(extra: &[u8], e: &mut CentralEntry) -> Result<(), ReadError> {
    let mut i = 0;
    while i + 4 <= extra.len() {
        let id = le16(extra, i);
        let len = le16(extra, i + 2) as usize;
        let body = extra
            .get(i + 4..i + 4 + len)
            .ok_or_else(|| bad("an extra field runs past its record"))?;
        match id {
            0x0001 => {
                let mut at = 0;
                let mut take = |field: &mut u64| -> Result<(), ReadError> {
                    if *field == MARK32 {
                        let v = body
                            .get(at..at + 8)
                            .ok_or_else(|| bad("a zip64 extra field is too short"))?;
                        *field = le64(v, 0);
                        at += 8;
                    }
                    Ok(())
                };
                let sizes = e.size == MARK32 || e.csize == MARK32;
                take(&mut e.size)?;
                take(&mut e.csize)?;
                take(&mut e.offset)?;
                e.zip64_sizes = sizes;
            }
            0x5455 if !body.is_empty() && body[0] & 1 == 1 && body.len() >= 5 => {
                e.mtime = Some(i64::from(le32(body, 1)));
            }
            _ => {}
        }
        i += 4 + len;
    }
    Ok(())
}

/// The parts of a local header needed to find and check an entry's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LocalHeader {
    /// Bytes of the header (where the data starts, relative to it).
    pub len: u64,
    /// The name as stored.
    pub name: Vec<u8>,
    /// General purpose flags.
    pub flags: u16,
    /// Compression method.
    pub method: u16,
    /// CRC-32 (zero when a data descriptor follows).
    pub crc: u32,
}

/// Reads a local header from the current position of `r`.
pub(crate) fn read_local(r: &mut impl Read) -> Result<LocalHeader, ReadError> {
    let mut fixed = [0u8; LOCAL_FIXED as usize];
    r.read_exact(&mut fixed)?;
    if le32(&fixed, 0) != LOCAL_SIG {
        return Err(bad("a local file header has a bad signature"));
    }
    let name_len = u64::from(le16(&fixed, 26));
    let extra_len = u64::from(le16(&fixed, 28));
    let mut name = vec![0u8; name_len as usize];
    r.read_exact(&mut name)?;
    io::copy(&mut r.take(extra_len), &mut io::sink())?;
    Ok(LocalHeader {
        len: LOCAL_FIXED + name_len + extra_len,
        name,
        flags: le16(&fixed, 6),
        method: le16(&fixed, 8),
        crc: le32(&fixed, 14),
    })
}
