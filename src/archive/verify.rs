//! The read-back check of a written archive: an independent zip reader must
//! find the central directory, every entry with the name, sizes, CRC and
//! offset that were written, and each local header where the directory says.

use crate::archive::error::ArchiveError;
use crate::archive::writer::Written;
use std::fs::File;

fn fail(detail: String) -> ArchiveError {
    ArchiveError::Verify { detail }
}

/// Whether the reader's idea of the method contradicts the written one
/// (methods other than stored and deflate are copied and not compared).
fn method_differs(read: zip::CompressionMethod, written: u16) -> bool {
    match read {
        zip::CompressionMethod::Stored => written != 0,
        zip::CompressionMethod::Deflated => written != 8,
        _ => written == 0 || written == 8,
    }
}

/// Checks the archive in `file` against what the writer recorded.
pub(crate) fn verify(file: &File, written: &[Written]) -> Result<(), ArchiveError> {
    let reader = file
        .try_clone()
        .map_err(|e| fail(format!("cannot reopen the output: {e}")))?;
    let mut archive = zip::ZipArchive::new(reader)
        .map_err(|e| fail(format!("the central directory does not read back: {e}")))?;
    if archive.len() != written.len() {
        return Err(fail(format!(
            "{} entries read back, {} written",
            archive.len(),
            written.len()
        )));
    }
    for (i, w) in written.iter().enumerate() {
        let f = archive
            .by_index_raw(i)
            .map_err(|e| fail(format!("entry {i} does not read back: {e}")))?;
        let name = String::from_utf8_lossy(&w.name);
        if f.name_raw() != w.name.as_slice()
            || f.compressed_size() != w.sizes.compressed
            || f.size() != w.sizes.uncompressed
            || f.crc32() != w.sizes.crc
            || f.header_start() != w.header_offset
            || method_differs(f.compression(), w.method)
        {
            return Err(fail(format!(
                "entry {name} reads back as {:?} ({} bytes, {} compressed, CRC {:08x}, at byte {})",
                String::from_utf8_lossy(f.name_raw()),
                f.size(),
                f.compressed_size(),
                f.crc32(),
                f.header_start()
            )));
        }
    }
    Ok(())
}
