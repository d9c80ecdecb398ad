//! An entry's data read raw from the archive and checked on the way: every
//! chunk of compressed bytes is handed on (to a copy, or to nothing) while it
//! is inflated beside to check the size and CRC-32 the directory records.
//! The one loop `fix` (raw copies) and `check` (every entry) share.

use crate::cancel::{Cancel, Interrupted};
use crate::zip::central::CentralEntry;
use crate::zip::error::{ReadError, bad_entry};
use crate::zip::inflate::{Fault, Inflater, Spare};
use crate::zip::local::ZipInput;
use std::io::{self, Read};

/// Inflated bytes produced per step of a check (and discarded).
const CHECK_CHUNK: usize = 64 << 10;

/// What reading an entry's data found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Checked {
    /// Inflated, and size and CRC-32 match.
    Yes,
    /// Not checked: a directory, or a method that cannot be inflated here.
    No,
}

/// Why an entry's data could not be read or handed on.
#[derive(Debug)]
pub(crate) enum DataError {
    /// Reading the input failed, or its data is damaged.
    Read(ReadError),
    /// The data is not what the directory says (CRC, size, deflate stream).
    Fault(Fault),
    /// Handing the bytes on failed (the output).
    Sink(io::Error),
    /// The job's [`Cancel`] token was set.
    Interrupted,
}

impl From<Interrupted> for DataError {
    fn from(_: Interrupted) -> Self {
        DataError::Interrupted
    }
}

/// Reads the data of `e` (the input is at its start, after its local
/// header), hands each raw chunk to `sink`, and, when `verify`, inflates it
/// to check it. `buf` is the read buffer; `spare` the reusable inflate state;
/// `cancel` is looked at before each chunk.
pub(crate) fn read_data(
    input: &mut ZipInput,
    e: &CentralEntry,
    verify: bool,
    buf: &mut [u8],
    spare: &mut Spare,
    cancel: &Cancel,
    sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> Result<Checked, DataError> {
    // A directory entry that claims data (Java writes an empty deflate
    // stream for each) is checked like any other; one without has nothing
    // to check.
    let claims = e.compressed_size > 0 || e.size > 0 || e.crc != 0;
    let mut inflater = if verify && (!e.is_dir() || claims) {
        Inflater::reusing(e.method, e.size, e.crc, CHECK_CHUNK, spare).ok()
    } else {
        None
    };
    let checked = if inflater.is_some() {
        Checked::Yes
    } else {
        Checked::No
    };
    let mut discard = |_: &mut Vec<u8>| true;
    let mut copy = || -> Result<(), DataError> {
        let mut remaining = e.compressed_size;
        while remaining > 0 {
            cancel.check()?;
            let n = remaining.min(buf.len() as u64) as usize;
            input.read_exact(&mut buf[..n]).map_err(|err| {
                DataError::Read(bad_entry(
                    e.display(),
                    format!("its data cannot be read: {err}"),
                ))
            })?;
            remaining -= n as u64;
            if let Some(inf) = inflater.as_mut() {
                inf.push(&buf[..n], &mut discard)
                    .map_err(DataError::Fault)?;
            }
            sink(&buf[..n]).map_err(DataError::Sink)?;
        }
        Ok(())
    };
    let copied = copy();
    // The inflate state goes back to `spare` whatever happened.
    match (copied, inflater) {
        (Ok(()), Some(inf)) => inf
            .finish_into(&mut discard, spare)
            .map_err(DataError::Fault)?,
        (Err(err), Some(inf)) => {
            inf.abandon(spare);
            return Err(err);
        }
        (copied, None) => copied?,
    }
    Ok(checked)
}
