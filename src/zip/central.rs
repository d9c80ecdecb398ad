//! The central directory as a stream: one [`CentralEntry`] at a time, read
//! through a large buffer, so that a zip of millions of entries is read in
//! bounded memory and at the speed of the disk. Each record is kept raw
//! where a copy must keep it (name bytes, flags, timestamps, attributes,
//! extra fields, comment) and decoded where a decision needs it (zip64
//! sizes and offset, the name as text).

use crate::zip::end::End;
use crate::zip::error::{ReadError, bad, bad_entry};
use crate::zip::extra;
use crate::zip::format::{
    CENTRAL_FIXED, CENTRAL_SIG, FLAG_ENCRYPTED, FLAG_STRONG_ENCRYPTION, FLAG_UTF8, METHOD_AES,
    UNICODE_PATH_EXTRA, UT_EXTRA, ZIP64_EXTRA, le16, le32,
};
use crate::zip::name;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

/// One entry as the central directory describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CentralEntry {
    /// The name as stored.
    pub name: Box<[u8]>,
    /// The decoded name (CP437 names decoded, the Info-ZIP Unicode path
    /// when it matches). Entries are streamed, one at a time: holding the
    /// text beside the bytes costs nothing per archive and saves checking
    /// the bytes are UTF-8 at every look.
    display: Box<str>,
    /// "Version made by" (high byte: the system whose attributes these are).
    pub version_made_by: u16,
    /// Version needed to extract.
    pub version_needed: u16,
    /// General purpose flags.
    pub flags: u16,
    /// Compression method.
    pub method: u16,
    /// MS-DOS time.
    pub time: u16,
    /// MS-DOS date.
    pub date: u16,
    /// CRC-32 of the uncompressed data.
    pub crc: u32,
    /// Compressed size (from the zip64 field when there is one).
    pub compressed_size: u64,
    /// Uncompressed size (from the zip64 field when there is one).
    pub size: u64,
    /// Internal attributes.
    pub internal_attr: u16,
    /// External attributes.
    pub external_attr: u32,
    /// Where the local header starts in the file (prepended data included).
    pub header_offset: u64,
    /// The central extra fields, without the zip64 field (rewritten on output).
    pub central_extra: Box<[u8]>,
    /// The entry comment as stored.
    pub comment: Box<[u8]>,
    /// Modification time from an extended timestamp field, if present.
    pub mtime: Option<i64>,
    /// Whether the sizes came from a zip64 extra field.
    pub zip64_sizes: bool,
}

impl CentralEntry {
    /// The name decoded for people and for path checks.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// A deflated file entry of this UTF-8 name, otherwise empty.
    #[cfg(test)]
    pub fn named(name: &str) -> CentralEntry {
        CentralEntry {
            name: name.as_bytes().into(),
            display: name.into(),
            version_made_by: 20,
            version_needed: 20,
            method: 8,
            ..CentralEntry::default()
        }
    }

    /// Sets the decoded name.
    #[cfg(test)]
    pub fn set_display(&mut self, display: String) {
        self.display = display.into_boxed_str();
    }

    /// A directory entry (its name ends in a slash).
    pub fn is_dir(&self) -> bool {
        self.name.ends_with(b"/") || self.name.ends_with(b"\\")
    }

    /// Whether the entry is encrypted.
    pub fn encrypted(&self) -> bool {
        self.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 || self.method == METHOD_AES
    }
}

/// A source of central directory records, in order: the file's directory,
/// or (in tests) a list.
pub(crate) trait Entries {
    /// The next record, or `None` after the last.
    fn next_entry(&mut self) -> Result<Option<CentralEntry>, ReadError>;
    /// Records read so far.
    fn count(&self) -> u64;
}

impl Entries for CentralReader {
    fn next_entry(&mut self) -> Result<Option<CentralEntry>, ReadError> {
        CentralReader::next_entry(self)
    }
    fn count(&self) -> u64 {
        CentralReader::count(self)
    }
}

/// Streams the central directory records of a zip, in order.
pub(crate) struct CentralReader {
    input: BufReader<File>,
    archive_offset: u64,
    /// Records the end record announces and that are still to come.
    left: u64,
    /// Records read so far.
    read: u64,
    var: Vec<u8>,
}

impl CentralReader {
    /// Starts reading the central directory `end` describes from `file`
    /// (a handle of its own: reading moves its position).
    pub(crate) fn new(mut file: File, end: &End) -> Result<CentralReader, ReadError> {
        file.seek(SeekFrom::Start(end.cd_offset))?;
        Ok(CentralReader {
            input: BufReader::with_capacity(256 << 10, file),
            archive_offset: end.archive_offset,
            left: end.entries,
            read: 0,
            var: Vec::new(),
        })
    }

    /// Records read so far.
    pub(crate) fn count(&self) -> u64 {
        self.read
    }

    /// The next record, or `None` after the last one the end record counts.
    pub(crate) fn next_entry(&mut self) -> Result<Option<CentralEntry>, ReadError> {
        if self.left == 0 {
            return Ok(None);
        }
        let n = self.read + 1;
        let short = |e: io::Error| match e.kind() {
            io::ErrorKind::UnexpectedEof => bad(format!(
                "the end record counts {} entries but the central directory ends after {}",
                self.read + self.left,
                self.read
            )),
            _ => ReadError::Io(e),
        };
        let mut fixed = [0u8; CENTRAL_FIXED as usize];
        self.input.read_exact(&mut fixed).map_err(short)?;
        if le32(&fixed, 0) != CENTRAL_SIG {
            return Err(bad(format!(
                "central directory record {n} of {} is not where it should be (bad signature): the directory is damaged",
                self.read + self.left
            )));
        }
        let name_len = usize::from(le16(&fixed, 28));
        let extra_len = usize::from(le16(&fixed, 30));
        let comment_len = usize::from(le16(&fixed, 32));
        self.var.resize(name_len + extra_len + comment_len, 0);
        self.input.read_exact(&mut self.var).map_err(short)?;
        self.left -= 1;
        self.read += 1;
        let (name, rest) = self.var.split_at(name_len);
        let (extra_raw, comment) = rest.split_at(extra_len);
        let flags = le16(&fixed, 8);
        let mut size = u64::from(le32(&fixed, 24));
        let mut compressed_size = u64::from(le32(&fixed, 20));
        let mut header_offset = u64::from(le32(&fixed, 42));
        // Most names are UTF-8 (flagged or not): decoded, they are their bytes.
        let mut display: Box<str> = match std::str::from_utf8(name) {
            Ok(text) => text.into(),
            Err(_) => name::decode(name, flags & FLAG_UTF8 != 0).into(),
        };
        let shown = |d: &str| d.to_owned();
        let Some(fields) = extra::fields(extra_raw) else {
            return Err(bad_entry(
                &shown(&display),
                "its extra fields in the central directory are malformed",
            ));
        };
        let mut mtime = None;
        let mut zip64_sizes = false;
        let mut unicode = None;
        for (id, data) in &fields {
            match *id {
                ZIP64_EXTRA => {
                    zip64_sizes = size == crate::zip::format::MARK32
                        || compressed_size == crate::zip::format::MARK32;
                    if !extra::apply_zip64(
                        data,
                        &mut size,
                        &mut compressed_size,
                        &mut header_offset,
                    ) {
                        return Err(bad_entry(
                            &shown(&display),
                            "its zip64 extra field is too short",
                        ));
                    }
                }
                UT_EXTRA => mtime = extra::ut_mtime(data),
                // Accepted only when it agrees with the stored name on being
                // a directory, so that every command sees the same kind of entry.
                UNICODE_PATH_EXTRA => {
                    let dir = |b: &[u8]| b.ends_with(b"/") || b.ends_with(b"\\");
                    unicode =
                        extra::unicode_path(data, name).filter(|u| dir(u.as_bytes()) == dir(name));
                }
                _ => {}
            }
        }
        // The Info-ZIP Unicode path wins when it matches the stored name.
        if let Some(u) = unicode {
            display = u.into();
        }
        let header_offset = header_offset
            .checked_add(self.archive_offset)
            .ok_or_else(|| {
                bad_entry(&shown(&display), "its local header offset is out of range")
            })?;
        let central_extra = if fields.iter().any(|f| f.0 == ZIP64_EXTRA) {
            extra::strip(extra_raw, &extra::OWNED).into_boxed_slice()
        } else {
            extra_raw.into()
        };
        let entry = CentralEntry {
            name: name.into(),
            display,
            version_made_by: le16(&fixed, 4),
            version_needed: le16(&fixed, 6),
            flags,
            method: le16(&fixed, 10),
            time: le16(&fixed, 12),
            date: le16(&fixed, 14),
            crc: le32(&fixed, 16),
            compressed_size,
            size,
            internal_attr: le16(&fixed, 36),
            external_attr: le32(&fixed, 38),
            header_offset,
            central_extra,
            comment: comment.into(),
            mtime,
            zip64_sizes,
        };
        Ok(Some(entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoded_name_keeps_the_stored_bytes() {
        let mut e = CentralEntry::named("");
        e.name = b"M\x84rz.txt"[..].into();
        e.set_display(name::decode(&e.name, false));
        assert_eq!(e.display(), "März.txt");
        assert_eq!(
            &*e.name, b"M\x84rz.txt",
            "the stored bytes stay as they were"
        );
    }
}
