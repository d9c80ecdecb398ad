//! One entry's content as a stream: [`open_entry`] inflates it from the zip
//! on demand (checking its size and CRC at the end), for `check` and for the
//! first pass a repair needs when it uses facts the backup states (the zone
//! for `--tz auto`, the base URL for `--cloud-url`, the page index for
//! Confluence links), which [`scan_entry`] runs over `entities.xml`.

use super::error::{fault_error, read_error};
use crate::driver::files::Ticking;
use crate::error::Error;
use crate::fixer::{Options, scan_facts_from};
use crate::rules::facts::BackupFacts;
use crate::zip::inflate::{Fault, Inflater};
use crate::zip::{CentralEntry, ZipInput};
use std::io::{self, Read};

/// Compressed bytes read per step.
const READ_SIZE: usize = 256 << 10;

/// Reads `entry` of the zip `input` for the facts `options`
/// need, starting from what is `known` already (e.g. the descriptor's zone).
pub(crate) fn scan_entry(
    input: &mut ZipInput,
    entry: &CentralEntry,
    options: &Options,
    known: BackupFacts,
    progress: &mut dyn FnMut(u64),
) -> Result<BackupFacts, Error> {
    let mut reader = open_entry(input, entry)?;
    let mut done = 0u64;
    let ticking = Ticking {
        inner: &mut reader,
        tick: |n| {
            done += n as u64;
            progress(done);
        },
    };
    let scanned = scan_facts_from(ticking, options, known);
    // A damaged entry is reported as such, not as the XML error it causes.
    if let Some(damage) = reader.damage(entry.display()) {
        return Err(damage);
    }
    scanned.map_err(|e| e.in_entry(entry.display()))
}

/// The inflated content of `entry`, read from the zip `input` as a
/// [`Read`]. Its size and CRC are checked when it is read to the end; see
/// [`EntryReader::damage`] for why a read failed.
pub(crate) fn open_entry<'f>(
    input: &'f mut ZipInput,
    entry: &CentralEntry,
) -> Result<EntryReader<io::Take<&'f mut ZipInput>>, Error> {
    input.local_header(entry).map_err(read_error)?;
    let inflater = Inflater::new(entry.method, entry.size, entry.crc, READ_SIZE)
        .map_err(|f| fault_error(entry.display(), f))?;
    Ok(EntryReader {
        raw: Read::take(input, entry.compressed_size),
        inflater: Some(inflater),
        buf: vec![0; READ_SIZE],
        out: Vec::new(),
        pos: 0,
        fault: None,
    })
}

/// The inflated content of one entry, as a [`Read`].
pub(crate) struct EntryReader<R> {
    raw: R,
    inflater: Option<Inflater>,
    buf: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    /// Why inflating stopped, when it failed.
    fault: Option<Fault>,
}

impl<R> EntryReader<R> {
    /// The damage (bad deflate data, wrong size or CRC) that made a read of
    /// the entry named `entry` fail, if that is why it failed.
    pub(crate) fn damage(&mut self, entry: &str) -> Option<Error> {
        self.fault.take().map(|f| fault_error(entry, f))
    }
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
