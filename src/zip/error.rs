//! What can go wrong reading a zip, before a command says what it means for
//! its user: an I/O error, a damaged structure, or one damaged entry.

use std::io;

/// A problem reading a zip.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Reading failed.
    Io(io::Error),
    /// The archive's structure is not a valid zip (end records, central directory).
    Format(String),
    /// One entry is damaged (its record, local header or data).
    Entry {
        /// The entry's decoded name.
        entry: String,
        /// What is wrong with it.
        detail: String,
    },
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            ReadError::Format("the file ends early (truncated)".into())
        } else {
            ReadError::Io(e)
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Format(s) => f.write_str(s),
            ReadError::Entry { entry, detail } => write!(f, "entry {entry}: {detail}"),
        }
    }
}

/// A format fault.
pub(crate) fn bad(detail: impl Into<String>) -> ReadError {
    ReadError::Format(detail.into())
}

/// A fault of the entry named `entry`.
pub(crate) fn bad_entry(entry: &str, detail: impl Into<String>) -> ReadError {
    ReadError::Entry {
        entry: entry.to_owned(),
        detail: detail.into(),
    }
}
