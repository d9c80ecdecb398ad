//! The one zip layer under `fix`, `check` and `split`: the format's
//! constants and records ([`format`]), extra fields, the name policy, the
//! end records, a streaming central-directory reader, local headers read in
//! one forward pass, inflate with the bomb, truncation and CRC checks, one
//! writer with one zip64 policy, and read-back verification.
//!
//! Nothing here holds per-entry state in memory past a small budget: the
//! central directory is streamed from the input, and what must last to the
//! end of a write (the output's central directory, the names seen) spills
//! to disk. The `zip` crate (9.8.1) is not used here: its reader indexes
//! every entry in memory on open and its writer keeps every entry's record
//! until the end, neither of which a million-entry export affords, and its
//! writer cannot take data deflated elsewhere (the repair's parallel blocks).

pub(crate) mod central;
pub(crate) mod data;
pub(crate) mod end;
pub(crate) mod error;
pub(crate) mod extra;
pub(crate) mod format;
pub(crate) mod inflate;
pub(crate) mod local;
pub(crate) mod name;
#[cfg(test)]
mod tests;
pub(crate) mod verify;
pub(crate) mod writer;

pub(crate) use central::{CentralEntry, CentralReader};
pub(crate) use end::{End, find_end};
pub(crate) use error::ReadError;
pub(crate) use local::ZipInput;
