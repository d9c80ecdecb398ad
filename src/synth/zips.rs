//! Zips of chosen entries, byte for byte as asked, for tests and fuzzing:
//! odd names (a root `/` entry, CP437 names without the UTF-8 flag, an
//! Info-ZIP Unicode path, unsafe names), stored or deflated data, data
//! descriptors, zip64 records. They are written by the crate's own zip
//! writer, the one `fix` uses.

use crate::zip::extra;
use crate::zip::format::{DEFLATED, FLAG_UTF8, STORED, UNICODE_PATH_EXTRA, VERSION_DEFLATE};
use crate::zip::writer::{EntryMeta, Sizes, ZipOut};
use std::io::{self, Seek, Write};

/// One entry to write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZipEntrySpec {
    /// The name as stored (directories end in `/`).
    pub name: Vec<u8>,
    /// The uncompressed content.
    pub data: Vec<u8>,
    /// Deflate the data (otherwise stored).
    pub deflate: bool,
    /// Set the UTF-8 flag (bit 11).
    pub utf8_flag: bool,
    /// An Info-ZIP Unicode path extra field for this name.
    pub unicode_path: Option<String>,
    /// Put the CRC and sizes in a data descriptor after the data (bit 3).
    pub data_descriptor: bool,
}

impl ZipEntrySpec {
    /// A deflated file entry of this UTF-8 name (flagged when not ASCII).
    pub fn file(name: &str, data: &[u8]) -> Self {
        ZipEntrySpec {
            name: name.as_bytes().to_vec(),
            data: data.to_vec(),
            deflate: true,
            utf8_flag: !name.is_ascii(),
            ..Default::default()
        }
    }

    /// A directory entry (`name` ends in `/`).
    pub fn dir(name: &str) -> Self {
        ZipEntrySpec {
            name: name.as_bytes().to_vec(),
            utf8_flag: !name.is_ascii(),
            ..Default::default()
        }
    }

    /// This entry with a data descriptor.
    pub fn described(mut self) -> Self {
        self.data_descriptor = true;
        self
    }

    /// This entry stored instead of deflated.
    pub fn stored(mut self) -> Self {
        self.deflate = false;
        self
    }
}

/// Writes `entries` as a zip to `w`, with zip64 records for every entry when
/// `force_zip64`. Returns the zip's size.
///
/// ```
/// use backup_fix::synth::{ZipEntrySpec, write_zip};
/// let mut zip = std::io::Cursor::new(Vec::new());
/// let entries = [ZipEntrySpec::dir("/"), ZipEntrySpec::file("entities.xml", b"<a/>").described()];
/// let size = write_zip(&entries, false, &mut zip)?;
/// assert_eq!(size, zip.get_ref().len() as u64);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_zip<W: Write + Seek>(
    entries: &[ZipEntrySpec],
    force_zip64: bool,
    w: W,
) -> io::Result<u64> {
    let mut z = ZipOut::new(w, force_zip64, &std::env::temp_dir(), 4 << 20);
    for e in entries {
        let dir = e.name.ends_with(b"/");
        let method = if e.deflate && !dir { DEFLATED } else { STORED };
        let packed = if method == DEFLATED {
            let mut enc =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
            enc.write_all(&e.data)?;
            enc.finish()?
        } else {
            e.data.clone()
        };
        let mut local_extra = Vec::new();
        if let Some(path) = &e.unicode_path {
            let mut field = vec![1];
            field.extend_from_slice(&crc32fast::hash(&e.name).to_le_bytes());
            field.extend_from_slice(path.as_bytes());
            extra::push(&mut local_extra, UNICODE_PATH_EXTRA, &field);
        }
        let meta = EntryMeta {
            name: e.name.clone(),
            version_made_by: (3 << 8) | 63,
            version_needed: VERSION_DEFLATE,
            flags: if e.utf8_flag { FLAG_UTF8 } else { 0 },
            method,
            time: 0x6000,
            date: 0x5A21,
            internal_attr: 0,
            external_attr: if dir {
                (0o40755 << 16) | 0x10
            } else {
                0o100644 << 16
            },
            central_extra: local_extra.clone(),
            local_extra,
            comment: Vec::new(),
        };
        let sizes = Sizes {
            crc: crc32fast::hash(&e.data),
            compressed: packed.len() as u64,
            uncompressed: e.data.len() as u64,
        };
        if e.data_descriptor {
            z.begin_described(meta)?;
        } else {
            z.begin_copy(meta, sizes)?;
        }
        z.data(&packed)?;
        z.end(sizes)?;
    }
    let (mut w, _, _) = z.finish(&[])?;
    w.flush()?;
    w.stream_position()
}
