//! The one entry point for repairing a path: a backup zip or one XML file,
//! picked by content, each through its own driver (above both: the archive
//! driver imports the file driver's helpers, never this).

use crate::archive::{ArchiveOptions, ArchiveReport, fix_zip, is_zip};
use crate::driver::Progress;
use crate::driver::fix_file;
use crate::error::Error;
use crate::fixer::Options;
use crate::report::Report;
use serde::Serialize;
use std::fmt;
use std::io::Read;
use std::path::Path;

/// What [`fix_path`] repaired: one XML file, or a whole backup zip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Fixed {
    /// An XML file (`entities.xml`, `activeobjects.xml`, a `.pdata`, any XML;
    /// plain, gzip or Zstandard), repaired by [`fix_file`].
    Xml(Box<Report>),
    /// A backup zip (Jira backup, Confluence space or site export), repaired
    /// by [`fix_zip`].
    Zip(Box<ArchiveReport>),
}

impl Fixed {
    /// Number of changes made, all kinds together (for a zip, in all its XML entries).
    pub fn changes(&self) -> u64 {
        match self {
            Fixed::Xml(report) => report.changes(),
            Fixed::Zip(report) => report.changes(),
        }
    }
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fixed::Xml(report) => report.fmt(f),
            Fixed::Zip(report) => report.fmt(f),
        }
    }
}

/// Whether `path` holds a zip: by its first bytes (`PK\x03\x04`, or
/// `PK\x05\x06` for an empty archive), or by a `.zip` name, so that a
/// damaged zip gets the archive's error messages rather than an XML
/// parser's. `-` (standard input) is never a zip: a zip's directory is at
/// its end, so it cannot be read as a stream.
///
/// ```
/// use backup_fix::is_zip_path;
/// let dir = tempfile::tempdir()?;
/// let (xml, zip) = (dir.path().join("entities.xml"), dir.path().join("backup"));
/// std::fs::write(&xml, "<entity-engine-xml/>")?;
/// std::fs::write(&zip, b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0")?;
/// assert!(!is_zip_path(&xml));
/// assert!(is_zip_path(&zip)); // by content, whatever its name
/// assert!(is_zip_path(&dir.path().join("missing.zip"))); // by name
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn is_zip_path(path: &Path) -> bool {
    if path.as_os_str() == "-" {
        return false;
    }
    let mut head = [0u8; 4];
    let sniffed = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .is_ok_and(|n| is_zip(&head[..n]));
    sniffed
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Repairs `input` into `output`, whatever it is: a backup zip (picked by
/// content, see [`is_zip_path`]) goes through [`fix_zip`] with `archive`'s
/// settings, anything else through [`fix_file`] (XML, plain or compressed,
/// `-` for the standard streams). Both write all or nothing: on any error no
/// `output` is left and an existing one is untouched. This is what
/// `backup-fix fix` does.
///
/// ```
/// use backup_fix::Options;
/// use backup_fix::archive::ArchiveOptions;
/// use backup_fix::{Fixed, fix_path};
/// let dir = tempfile::tempdir()?;
/// let (input, output) = (dir.path().join("entities.xml"), dir.path().join("fixed.xml"));
/// std::fs::write(&input, "<entity-engine-xml>\u{1c}</entity-engine-xml>")?;
///
/// let fixed = fix_path(&input, &output, &Options::default(), &ArchiveOptions::default(), &mut |_| {})?;
/// assert!(matches!(fixed, Fixed::Xml(_)));
/// assert_eq!(fixed.changes(), 1);
/// assert_eq!(std::fs::read(&output)?, b"<entity-engine-xml></entity-engine-xml>");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fix_path(
    input: &Path,
    output: &Path,
    options: &Options,
    archive: &ArchiveOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Fixed, Error> {
    if is_zip_path(input) {
        fix_zip(input, output, options, archive, progress).map(|r| Fixed::Zip(Box::new(r)))
    } else {
        fix_file(input, output, options, progress).map(|r| Fixed::Xml(Box::new(r)))
    }
}
