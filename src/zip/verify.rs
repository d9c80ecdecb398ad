//! The read-back check of a written archive: the end records must lead to
//! the central directory, whose records must fold into the digest the
//! writer kept (same names, methods, CRCs, sizes and offsets, in the same
//! order, as many), and each local header must be where the directory says,
//! under the same name. It streams through the directory and the file in one
//! forward pass each, so it costs no memory per entry.

use crate::zip::ReadError;
use crate::zip::central::CentralReader;
use crate::zip::end::find_end;
use crate::zip::local::{ZipInput, read_local};
use crate::zip::writer::{Digest, Written, digest_entry};
use std::fs::File;
use std::hash::Hasher;
use std::path::Path;

/// Entries between two progress reports.
const PROGRESS_EVERY: u64 = 4096;

/// Checks the archive at `path` against the `expected` digest of what was
/// written, telling `progress` how far through the file it is (bytes, of
/// the file's length). The error says what did not match.
pub(crate) fn verify(
    path: &Path,
    expected: Digest,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(), String> {
    let open = || File::open(path).map_err(|e| format!("cannot reopen the output: {e}"));
    let mut file = open()?;
    let len = file
        .metadata()
        .map_err(|e| format!("cannot read the output's size: {e}"))?
        .len();
    let end = find_end(&mut file, len).map_err(|e| format!("its end records: {e}"))?;
    if end.entries != expected.count {
        return Err(format!(
            "the end record counts {} entries, {} were written",
            end.entries, expected.count
        ));
    }
    let mut central = CentralReader::new(open()?, &end).map_err(|e| e.to_string())?;
    let mut headers = ZipInput::new(file, len);
    let mut digest = std::hash::DefaultHasher::new();
    let mut seen = 0u64;
    while let Some(e) = central.next_entry().map_err(|e| e.to_string())? {
        seen += 1;
        if seen.is_multiple_of(PROGRESS_EVERY) {
            progress(e.header_offset, len);
        }
        let w = Written {
            header_offset: e.header_offset,
            sizes: crate::zip::writer::Sizes {
                crc: e.crc,
                compressed: e.compressed_size,
                uncompressed: e.size,
            },
            method: e.method,
        };
        digest_entry(&mut digest, &e.name, &w);
        let local = headers
            .goto(e.header_offset)
            .map_err(ReadError::from)
            .and_then(|()| read_local(&mut headers, e.header_offset))
            .map_err(|err| format!("entry {}: cannot read its local header: {err}", e.display()))?;
        if *local.name != *e.name {
            return Err(format!(
                "entry {}: no matching local header at byte {}",
                e.display(),
                e.header_offset
            ));
        }
    }
    progress(len, len);
    let found = Digest {
        count: central.count(),
        hash: digest.finish(),
    };
    if found != expected {
        return Err(format!(
            "the {} entries read back differ from the {} written (names, sizes, CRCs or offsets)",
            found.count, expected.count
        ));
    }
    Ok(())
}
