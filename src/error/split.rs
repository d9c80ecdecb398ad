//! Typed errors of `split`: what went wrong, with which file, and what to do.
//! Defined here, beside [`Error`](crate::Error), which carries one when
//! `check` lists attachments, so that the error type does not depend on the
//! split job.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Everything that can stop a split.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// Reading or writing a file failed.
    #[error("{}: {op}: {cause}", path.display())]
    Io {
        /// What was being done ("reading", "writing the zip", ...).
        op: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The cause (part of the message, so not also the error's `source`).
        cause: io::Error,
    },
    /// SOURCE does not exist.
    #[error(
        "{}: no such file or directory; give a Jira home directory, its data/attachments directory, or a media zip",
        path.display()
    )]
    SourceNotFound {
        /// The path given.
        path: PathBuf,
    },
    /// SOURCE is neither a directory nor a zip file.
    #[error(
        "{}: not a directory or a zip file; give a Jira home directory, its data/attachments directory, or a media zip",
        path.display()
    )]
    NotASource {
        /// The path given.
        path: PathBuf,
    },
    /// SOURCE is a backup or a Confluence home, not Jira attachments.
    #[error(
        "{}: this is {what}, not Jira attachments; split makes media zips from a Jira home, its data/attachments directory, or a media zip. {advice}",
        path.display()
    )]
    NotAttachments {
        /// The path given.
        path: PathBuf,
        /// What it is ("a Jira backup zip (it holds entities.xml)").
        what: String,
        /// What to do instead.
        advice: &'static str,
    },
    /// SOURCE holds nothing to put in a media zip.
    #[error(
        "{}: no attachments, avatars or logos found; give a Jira home directory (with data/attachments), a data/attachments directory, or a media zip",
        path.display()
    )]
    NothingToSplit {
        /// The path given.
        path: PathBuf,
    },
    /// The output directory lies inside the tree being zipped.
    #[error(
        "{}: the output directory is inside {}, which is being zipped; choose an output directory outside it",
        outdir.display(),
        inside.display()
    )]
    OutputInsideSource {
        /// The output directory.
        outdir: PathBuf,
        /// The source directory that contains it.
        inside: PathBuf,
    },
    /// Options that contradict each other.
    #[error("{0}")]
    InvalidOptions(String),
    /// The backup given with `--backup` could not be read for the cross-check.
    #[error("--backup {}: {cause}", path.display())]
    Backup {
        /// The backup given.
        path: PathBuf,
        /// What went wrong.
        cause: Box<crate::Error>,
    },
    /// Files too large for a zip of at most `max_size` bytes.
    #[error(
        "{} larger than --max-size ({max_size} bytes with its zip headers): {}; raise --max-size, or pass --allow-oversize to put each alone in its own zip",
        if files.len() == 1 { "a file is" } else { "files are" },
        List(files)
    )]
    Oversize {
        /// The stored names and sizes (at most the first 20).
        files: Vec<(String, u64)>,
        /// The limit.
        max_size: u64,
    },
    /// Files or directories that cannot be read.
    #[error(
        "{count} file(s) or directories cannot be read: {}; fix their permissions (or run as a user who can read them), or pass --skip-unreadable to leave them out",
        Examples(examples)
    )]
    Unreadable {
        /// How many.
        count: u64,
        /// The first few, with their cause.
        examples: Vec<String>,
    },
    /// A file name that is not valid UTF-8 cannot be stored "as on disk" in UTF-8.
    #[error(
        "{count} file name(s) are not valid UTF-8: {}; rename them to UTF-8 (e.g. convmv -f latin1 -t utf8 --notest -r DIR) and run again",
        Examples(examples)
    )]
    NonUtf8Names {
        /// How many.
        count: u64,
        /// The first few (lossily decoded).
        examples: Vec<String>,
    },
    /// A file changed between planning and writing.
    #[error(
        "{}: changed while backup-fix was running ({what}); stop whatever writes to SOURCE and run again (complete zips are kept)",
        path.display()
    )]
    Changed {
        /// The file.
        path: PathBuf,
        /// What changed.
        what: String,
    },
    /// A source zip that cannot be read.
    #[error("{}: not a readable zip: {reason}; check that the file is complete (copy it again)", path.display())]
    BadZip {
        /// The zip.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An entry of a source zip that cannot go into a media zip.
    #[error("{}: entry {entry:?}: {reason}", path.display())]
    UnsupportedEntry {
        /// The zip.
        path: PathBuf,
        /// The entry's name.
        entry: String,
        /// Why, and what to do.
        reason: String,
    },
    /// The output directory holds a media zip this plan does not produce.
    #[error(
        "{}: left over from another run (this plan writes {planned} zip(s)); move it away or choose another output directory",
        path.display()
    )]
    StrayZip {
        /// The zip.
        path: PathBuf,
        /// How many zips the plan has.
        planned: usize,
    },
    /// Another split is writing to the same output directory.
    #[error(
        "{}: another backup-fix split is writing to this directory; wait for it to finish",
        outdir.display()
    )]
    Locked {
        /// The output directory.
        outdir: PathBuf,
    },
    /// A zip just written did not pass verification.
    #[error(
        "{}: the written zip failed verification: {reason}; the disk may be faulty or full: check it and run again",
        path.display()
    )]
    Verify {
        /// The zip.
        path: PathBuf,
        /// What did not match.
        reason: String,
    },
    /// A zip is not what it should be (from [`verify_zip`](crate::split::verify_zip)).
    #[error("{}: {reason}", path.display())]
    Invalid {
        /// The zip.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A zip's writing stopped because another zip's failed first (that
    /// error is the one returned); not a [`Cancel`](crate::Cancel).
    #[error("cancelled; run again with the same arguments to resume")]
    Cancelled,
    /// The run was stopped through [`SplitOptions::cancel`](crate::split::SplitOptions::cancel)
    /// (Ctrl-C). Complete zips are kept, the zip being written was removed.
    /// [`is_interrupted`](Self::is_interrupted) also sees a stop in the
    /// backup read for `--backup`.
    #[error(
        "interrupted; the zips already complete are kept: run again with the same arguments to resume"
    )]
    Interrupted,
}

impl SplitError {
    /// An I/O error while doing `op` on `path`.
    pub(crate) fn io(op: &'static str, path: &Path, source: io::Error) -> SplitError {
        SplitError::Io {
            op,
            path: path.to_path_buf(),
            cause: source,
        }
    }

    /// Whether the run was stopped through its [`Cancel`](crate::Cancel)
    /// token (Ctrl-C): [`SplitError::Interrupted`], or the library's
    /// [`Error::Interrupted`](crate::Error::Interrupted) met while reading
    /// the `--backup`, as [`Error::is_interrupted`](crate::Error::is_interrupted) says.
    pub fn is_interrupted(&self) -> bool {
        match self {
            SplitError::Interrupted => true,
            SplitError::Backup { cause, .. } => cause.is_interrupted(),
            _ => false,
        }
    }

    /// Whether the error is about the options rather than the data.
    pub fn is_usage(&self) -> bool {
        matches!(self, SplitError::InvalidOptions(_))
    }
}

struct List<'a>(&'a [(String, u64)]);

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, size)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name} ({size} bytes)")?;
        }
        Ok(())
    }
}

struct Examples<'a>(&'a [String]);

impl fmt::Display for Examples<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(e)?;
        }
        Ok(())
    }
}

impl From<crate::cancel::Interrupted> for SplitError {
    fn from(_: crate::cancel::Interrupted) -> Self {
        SplitError::Interrupted
    }
}
