//! The first pass over a backup zip, when a repair needs facts the backup
//! states (the zone for `--tz auto`, the base URL for `--cloud-url`, the page
//! index for Confluence links): `entities.xml` is inflated straight from the
//! zip and read by [`scan_facts`](crate::fixer::scan_facts), which stops as soon
//! as it knows enough.

use super::entry::{SourceEntry, read_local_header};
use super::error::ArchiveError;
use super::inflate::{Fault, Inflater};
use crate::error::Error;
use crate::fixer::{Options, scan_facts_from};
use crate::rules::facts::BackupFacts;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// Compressed bytes read per step.
const READ_SIZE: usize = 256 << 10;

/// Reads `entry` of the zip `file` (of length `len`) for the facts `options`
/// need, starting from what is `known` already (e.g. the descriptor's zone).
pub(crate) fn scan_entry(
    file: &mut File,
    len: u64,
    entry: &SourceEntry,
    options: &Options,
    known: BackupFacts,
) -> Result<BackupFacts, Error> {
    let local = read_local_header(file, entry, len)?;
    file.seek(SeekFrom::Start(local.data_start))?;
    let corrupt = |f: Fault| {
        Error::Archive(ArchiveError::CorruptEntry {
            entry: entry.display.clone(),
            detail: f.describe(),
        })
    };
    let inflater =
        Inflater::new(entry.method, entry.size, entry.crc, READ_SIZE).map_err(corrupt)?;
    let mut reader = EntryReader {
        raw: Read::take(&mut *file, entry.compressed_size),
        inflater: Some(inflater),
        buf: vec![0; READ_SIZE],
        out: Vec::new(),
        pos: 0,
        fault: None,
    };
    let scanned = scan_facts_from(&mut reader, options, known);
    // A damaged entry is reported as such, not as the XML error it causes.
    if let Some(fault) = reader.fault.take() {
        return Err(corrupt(fault));
    }
    scanned.map_err(|e| e.in_entry(&entry.display))
}

/// The inflated content of one entry, as a [`Read`].
struct EntryReader<R> {
    raw: R,
    inflater: Option<Inflater>,
    buf: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    /// Why inflating stopped, when it failed.
    fault: Option<Fault>,
}

impl<R: Read> Read for EntryReader<R> {
    fn read(&mut self, dest: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            self.out.clear();
            self.pos = 0;
            let Some(inflater) = self.inflater.as_mut() else {
                return Ok(0);
            };
            let n = self.raw.read(&mut self.buf)?;
            let out = &mut self.out;
            let mut emit = |chunk: &mut Vec<u8>| {
                out.extend_from_slice(chunk);
                true
            };
            let step = if n == 0 {
                self.inflater
                    .take()
                    .map_or(Ok(()), |inflater| inflater.finish(&mut emit))
            } else {
                inflater.push(&self.buf[..n], &mut emit)
            };
            if let Err(fault) = step {
                let message = fault.describe();
                self.fault = Some(fault);
                self.inflater = None;
                return Err(io::Error::new(io::ErrorKind::InvalidData, message));
            }
        }
        let n = dest.len().min(self.out.len() - self.pos);
        dest[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
