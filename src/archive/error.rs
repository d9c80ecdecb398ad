//! What the zip layer's faults mean for an archive job, as the typed
//! [`ArchiveError`] (defined with the crate's other errors, below the layers
//! that produce them).

pub use crate::error::ArchiveError;
use crate::error::Error;
use crate::zip::ReadError;
use crate::zip::inflate::Fault;

/// The error for a read or format fault.
pub(crate) fn read_error(e: ReadError) -> Error {
    match e {
        ReadError::Io(e) => e.into(),
        ReadError::Format(detail) => ArchiveError::Damaged { detail }.into(),
        ReadError::Entry { entry, detail } => ArchiveError::CorruptEntry { entry, detail }.into(),
    }
}

/// The error for a fault in the data of the entry named `entry`.
pub(crate) fn fault_error(entry: &str, fault: Fault) -> Error {
    let entry = entry.to_owned();
    Error::Archive(match fault {
        Fault::TooLarge { declared } => ArchiveError::SizeExceeded { entry, declared },
        Fault::Method(method) => ArchiveError::UnsupportedMethod { entry, method },
        f => ArchiveError::CorruptEntry {
            entry,
            detail: f.describe(),
        },
    })
}
