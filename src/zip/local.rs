//! Reading entries' local headers and data from the archive file in one
//! forward pass: [`ZipInput`] buffers the file and seeks only when an entry
//! is not where the previous one ended, so a million small entries cost a
//! million parses, not a million system calls.

use crate::zip::central::CentralEntry;
use crate::zip::error::{ReadError, bad, bad_entry};
use crate::zip::extra;
use crate::zip::format::{LOCAL_FIXED, LOCAL_SIG, le16, le32};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

/// Size of the read buffer.
const BUFFER: usize = 1 << 20;

/// What the local header of an entry says, as far as reading and copying need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LocalHeader {
    /// Where the entry's data starts in the file.
    pub data_start: u64,
    /// The local extra fields, without the zip64 field.
    pub extra: Vec<u8>,
    /// The name as stored in the local header.
    pub name: Vec<u8>,
    /// General purpose flags.
    pub flags: u16,
    /// Compression method.
    pub method: u16,
    /// CRC-32 (zero when a data descriptor follows).
    pub crc: u32,
}

/// Reads the local header that starts at the current position of `r`, at
/// byte `at` of the file.
pub(crate) fn read_local(r: &mut impl Read, at: u64) -> Result<LocalHeader, ReadError> {
    let mut fixed = [0u8; LOCAL_FIXED as usize];
    r.read_exact(&mut fixed)?;
    if le32(&fixed, 0) != LOCAL_SIG {
        return Err(bad("there is no local header (bad signature)"));
    }
    let name_len = usize::from(le16(&fixed, 26));
    let extra_len = usize::from(le16(&fixed, 28));
    let mut var = vec![0u8; name_len + extra_len];
    r.read_exact(&mut var)?;
    let extra = if extra_len == 0 {
        Vec::new()
    } else {
        extra::strip(&var[name_len..], &extra::OWNED)
    };
    var.truncate(name_len);
    Ok(LocalHeader {
        data_start: at + LOCAL_FIXED + (name_len + extra_len) as u64,
        extra,
        name: var,
        flags: le16(&fixed, 6),
        method: le16(&fixed, 8),
        crc: le32(&fixed, 14),
    })
}

/// The archive file, read forward through a buffer.
pub(crate) struct ZipInput {
    file: BufReader<File>,
    /// Position in the file of the next byte `file` returns.
    pos: u64,
    len: u64,
}

impl ZipInput {
    /// Reads `file`, of `len` bytes.
    pub(crate) fn new(file: File, len: u64) -> ZipInput {
        ZipInput {
            file: BufReader::with_capacity(BUFFER, file),
            pos: u64::MAX,
            len,
        }
    }

    /// The file's length.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Moves to `at` (an entry's local header or data), within the buffer
    /// when it can.
    pub(crate) fn goto(&mut self, at: u64) -> io::Result<()> {
        if at == self.pos {
            return Ok(());
        }
        let ahead = at.wrapping_sub(self.pos);
        if self.pos != u64::MAX && at > self.pos && ahead <= self.file.buffer().len() as u64 {
            self.file.seek_relative(ahead as i64)?;
        } else {
            self.file.seek(SeekFrom::Start(at))?;
        }
        self.pos = at;
        Ok(())
    }

    /// Reads the local header of `entry`, checks it is where the directory
    /// says and that the data fits in the file, and leaves the input at the
    /// start of the data.
    pub(crate) fn local_header(&mut self, entry: &CentralEntry) -> Result<LocalHeader, ReadError> {
        let corrupt = |detail: String| bad_entry(entry.display(), detail);
        let at = entry.header_offset;
        let file_len = self.len;
        if at.saturating_add(LOCAL_FIXED) > file_len {
            return Err(corrupt(format!(
                "the central directory puts its local header at byte {at}, past the end of the {file_len}-byte file (bad offsets or a truncated archive)"
            )));
        }
        self.goto(at)
            .map_err(|e| corrupt(format!("cannot read its local header at byte {at}: {e}")))?;
        let local = read_local(self, at).map_err(|e| match e {
            ReadError::Format(why) if why.starts_with("there is no local header") => corrupt(format!(
                "there is no local header at byte {at} where the central directory puts it (bad offsets)"
            )),
            ReadError::Format(why) => corrupt(format!("its local header at byte {at}: {why}")),
            other => corrupt(format!("cannot read its local header at byte {at}: {other}")),
        })?;
        let data_start = local.data_start;
        let end = data_start.checked_add(entry.compressed_size);
        if end.is_none_or(|end| end > file_len) {
            return Err(corrupt(format!(
                "its {} bytes of data starting at byte {data_start} run past the end of the {file_len}-byte file (a truncated archive)",
                entry.compressed_size
            )));
        }
        Ok(local)
    }
}

impl Read for ZipInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.pos = self.pos.wrapping_add(n as u64);
        Ok(n)
    }
}
