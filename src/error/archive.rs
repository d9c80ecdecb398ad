//! Typed errors for archives: what is wrong with the zip or one of its
//! entries, named, and what the user can do about it. Defined here, beside
//! [`Error`](crate::Error), so that the error type does not depend on the
//! archive layer that produces them.

/// A problem with a zip archive or one of its entries.
///
/// Every variant names the entry concerned (when there is one) and says what
/// to do. The archive's path is added by [`Error::in_file`](crate::Error::in_file).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The input is not a zip archive at all.
    #[error(
        "not a zip archive ({found}); give a Jira backup zip, a Confluence export zip, or an XML file"
    )]
    NotAZip {
        /// What the first bytes look like instead.
        found: String,
    },
    /// The archive's structure cannot be read: truncated, or the central
    /// directory is damaged.
    #[error("the zip archive is truncated or damaged ({detail}); copy or download it again")]
    Damaged {
        /// What was found to be wrong.
        detail: String,
    },
    /// One entry's data is damaged: a CRC mismatch, a local header that is
    /// not where the directory says, compressed data that ends early.
    #[error("entry {entry}: {detail}; the archive is damaged: copy or download it again")]
    CorruptEntry {
        /// The entry's name.
        entry: String,
        /// What is wrong with it.
        detail: String,
    },
    /// An entry inflates to more than its declared size (a zip bomb, or an
    /// archive written by a tool that cannot record sizes over 4 GiB).
    #[error(
        "entry {entry} inflates past its declared size of {declared} bytes: a zip bomb, or an archive written by a tool that cannot record large sizes; backup-fix stopped rather than fill the disk: re-create the archive with a zip64-capable tool"
    )]
    SizeExceeded {
        /// The entry's name.
        entry: String,
        /// The uncompressed size the central directory declares.
        declared: u64,
    },
    /// An entry is encrypted.
    #[error(
        "entry {entry} is encrypted; backup-fix cannot read password-protected archives: re-create the zip without a password"
    )]
    Encrypted {
        /// The entry's name.
        entry: String,
    },
    /// An entry's name is absolute or climbs out of the archive with `..`.
    #[error(
        "entry {entry} has an unsafe name ({why}); the importer would reject it and unzip would write outside its folder: re-create the archive from the export folder"
    )]
    UnsafeName {
        /// The entry's name, as decoded.
        entry: String,
        /// What makes it unsafe.
        why: &'static str,
    },
    /// An entry that must be repaired uses a compression method this tool cannot inflate.
    #[error(
        "entry {entry} uses compression method {method}, which backup-fix cannot read; re-create the zip with deflate (the default of zip, Java and Windows)"
    )]
    UnsupportedMethod {
        /// The entry's name.
        entry: String,
        /// The zip compression method number.
        method: u16,
    },
    /// The archive holds no `entities.xml`.
    #[error(
        "the archive holds no entities.xml ({entries} entries); a Jira backup or Confluence export has one at its root: check that this is the backup zip and not a media or attachments zip"
    )]
    NoEntities {
        /// Number of entries in the archive.
        entries: usize,
    },
    /// More than one entry could be the `entities.xml` to import.
    #[error(
        "the archive holds two candidate entities.xml: {first} and {second}; the importer needs exactly one: keep one backup per zip"
    )]
    TwoEntities {
        /// The first candidate.
        first: String,
        /// The second candidate.
        second: String,
    },
    /// Two entries of the output would have the same name.
    #[error(
        "two entries are named {name}{}; importers pick one at random: remove the duplicate and zip again",
        if *.after_move { " once the folder is moved to the root" } else { "" }
    )]
    DuplicateName {
        /// The duplicated name.
        name: String,
        /// Whether the duplicate appears only after moving the XML files to the root.
        after_move: bool,
    },
    /// The input must be a seekable file (a zip's directory is at its end).
    #[error(
        "a zip archive must be read from a file, not a pipe or standard input (its directory is at the end); save it to a file first"
    )]
    InputNotSeekable,
    /// The output of an archive repair must be a regular file.
    #[error(
        "a repaired zip must be written to a regular file (it is checked and renamed into place when complete); give a file name, not standard output or a device"
    )]
    OutputNotFile,
    /// The written archive did not read back as expected.
    #[error(
        "the written archive failed its read-back check ({detail}); nothing was written: please report this as a bug"
    )]
    Verify {
        /// What did not match.
        detail: String,
    },
}
