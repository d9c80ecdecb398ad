//! The read-back check of a written archive: the end records must lead to
//! the central directory, which must list every entry with the name, sizes,
//! CRC, method and offset that were written, and each local header must be
//! where the directory says, under the same name. It streams through the
//! directory, holding one record at a time, so it costs no memory per entry.

use crate::archive::entry::{LOCAL_HEADER_LEN, LOCAL_SIG, each_central_record};
use crate::archive::eocd::find_directory;
use crate::archive::error::ArchiveError;
use crate::archive::writer::Written;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

fn fail(detail: impl Into<String>) -> ArchiveError {
    ArchiveError::Verify {
        detail: detail.into(),
    }
}

fn le16(b: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

/// Checks the archive at `path` against what was written: `written[i]` is
/// the i-th entry, named `names[i]`.
pub(crate) fn verify<'a>(
    path: &Path,
    written: &[Written],
    mut names: impl Iterator<Item = &'a [u8]>,
) -> Result<(), ArchiveError> {
    let open = || File::open(path).map_err(|e| fail(format!("cannot reopen the output: {e}")));
    let mut dir = open()?;
    let mut headers = open()?;
    let len = dir
        .metadata()
        .map_err(|e| fail(format!("cannot read the output's size: {e}")))?
        .len();
    let Some(found) = find_directory(&mut dir, len)
        .map_err(|e| fail(format!("cannot read the end records: {e}")))?
    else {
        return Err(fail("no end of central directory record"));
    };
    let (start, count) = (found.start, found.count);
    if count != written.len() as u64 {
        return Err(fail(format!(
            "the end record counts {count} entries, {} were written",
            written.len()
        )));
    }
    let mut i = 0usize;
    let seen = each_central_record(&mut dir, start, 0, |e| {
        let (Some(w), Some(name)) = (written.get(i), names.next()) else {
            return Err(fail(
                "the central directory lists more entries than were written",
            ));
        };
        i += 1;
        if *e.name != *name
            || e.crc != w.sizes.crc
            || e.compressed_size != w.sizes.compressed
            || e.size != w.sizes.uncompressed
            || e.header_offset != w.header_offset
            || e.method != w.method
        {
            return Err(fail(format!(
                "entry {} reads back as {} bytes, {} compressed, CRC {:08x}, at byte {}",
                e.display(),
                e.size,
                e.compressed_size,
                e.crc,
                e.header_offset
            )));
        }
        let mut fixed = [0u8; LOCAL_HEADER_LEN as usize];
        let mut local_name = vec![0u8; e.name.len()];
        headers
            .seek(SeekFrom::Start(e.header_offset))
            .and_then(|_| headers.read_exact(&mut fixed))
            .and_then(|()| headers.read_exact(&mut local_name))
            .map_err(|err| {
                fail(format!(
                    "entry {}: cannot read its local header: {err}",
                    e.display()
                ))
            })?;
        if fixed[..4] != LOCAL_SIG.to_le_bytes()
            || *local_name != *e.name
            || le16(&fixed, 26) as usize != e.name.len()
        {
            return Err(fail(format!(
                "entry {}: no matching local header at byte {}",
                e.display(),
                e.header_offset
            )));
        }
        Ok(())
    })?;
    if seen != written.len() {
        return Err(fail(format!(
            "{seen} entries read back, {} written",
            written.len()
        )));
    }
    Ok(())
}
