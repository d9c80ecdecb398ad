//! Typed errors: what went wrong, where, and what the user can do about it.

mod archive;
#[cfg(feature = "split")]
mod split;

pub use archive::ArchiveError;
#[cfg(feature = "split")]
pub use split::SplitError;

use crate::location::Location;
use std::path::PathBuf;

/// Everything that can stop a repair.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The XML is broken in a way that removing characters cannot cure.
    #[error("{location}: {kind}")]
    Malformed {
        /// What is wrong.
        kind: Malformed,
        /// Where the problem was found.
        location: Location,
    },
    /// A single tag (or other unit that must be held whole) is larger than the memory limit.
    #[error(
        "{location}: a single {what} is larger than the {limit}-byte limit; if the file is genuine, raise the limit (--max-tag-size)"
    )]
    TokenTooLarge {
        /// What was too large ("start tag", "processing instruction", ...).
        what: &'static str,
        /// The limit in bytes.
        limit: usize,
        /// Where the unit starts.
        location: Location,
    },
    /// More than [`MAX_NUL_RUN`](crate::MAX_NUL_RUN) NUL bytes in a row: a
    /// damaged copy (a copy that crashed leaves the rest of the file NUL),
    /// which removing characters would turn into a silently shorter file.
    #[error(
        "from byte {} the file holds only NUL bytes (more than 1 MiB in a row): the copy is damaged; copy or export it again",
        location.offset
    )]
    NulRun {
        /// Where the run starts.
        location: Location,
    },
    /// The XML declaration names an encoding this tool cannot read.
    #[error(
        "{location}: the XML declaration names encoding {label:?}, which backup-fix cannot read; convert the file to UTF-8 first (e.g. iconv -f {label} -t UTF-8)"
    )]
    UnsupportedEncoding {
        /// The encoding name as written in the file.
        label: String,
        /// Where the declaration is.
        location: Location,
    },
    /// A `--map-url`/`--cloud-url` value that cannot be used.
    #[error("--map-url {spec:?}: {why}")]
    BadUrlMapping {
        /// The mapping as given.
        spec: String,
        /// What is wrong with it.
        why: String,
    },
    /// A `--drop-app-data` value that names no app or table.
    #[error(
        "--drop-app-data {given:?}: {why}; give an app's prefix such as AO_60DB71 or one table such as AO_60DB71_SPRINT (backup-fix check lists the prefixes a backup holds)"
    )]
    BadAppDataSelector {
        /// The value as given.
        given: String,
        /// What is wrong with it.
        why: String,
    },
    /// A time zone name the bundled tz database does not know.
    #[error(
        "unknown time zone {zone:?} (from {source_of}); use an IANA name such as Europe/Berlin, America/Sao_Paulo or Asia/Kolkata"
    )]
    UnknownZone {
        /// The name.
        zone: String,
        /// Where it came from: `--tz`, or the part of the backup that states it.
        source_of: String,
    },
    /// An explicit `--tz ZONE` on a backup that states its zone is UTC: most
    /// likely one that `--tz` converted already, which a second run would
    /// shift again.
    #[error(
        "--tz {zone}: the backup states its zone is {stated} ({source_of}), so its timestamps are most likely UTC already (a backup that fix --tz converted says so); converting again would shift every timestamp a second time. If the server really wrote local {zone} times while stating UTC, add --tz-ignore-stated"
    )]
    ZoneAlreadyUtc {
        /// The zone given with `--tz`.
        zone: String,
        /// The zone the backup states.
        stated: String,
        /// Where the backup states it.
        source_of: String,
    },
    /// A rule needs a fact the backup does not state where it is needed.
    #[error("{}{what}", at_byte(*offset))]
    MissingFact {
        /// What is missing and the flag to use instead.
        what: String,
        /// Input offset where it was needed (0 when found missing before
        /// reading, after a first pass over the whole backup).
        offset: u64,
    },
    /// `write` or `finish` was called after the fixer had failed or finished.
    #[error("the fixer was used after it {0}; create a new one for each input")]
    Finished(&'static str),
    /// The run was stopped through its [`Cancel`](crate::Cancel) token
    /// (Ctrl-C); its temporary output was removed.
    #[error("interrupted; nothing was written (run it again to start over)")]
    Interrupted,
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// An error while processing a named file.
    ///
    /// The message includes the cause's, so the cause is not also given as
    /// [`source`](std::error::Error::source) (printing the chain would say
    /// it twice); it is the `cause` field.
    #[error("{}: {cause}", path.display())]
    File {
        /// The file being read or written.
        path: PathBuf,
        /// What went wrong.
        cause: Box<Error>,
    },
    /// A problem with a zip archive or one of its entries.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// An error while repairing one entry of an archive.
    ///
    /// As for [`Error::File`], the message includes the `cause`'s.
    #[error("entry {entry}: {cause}")]
    InEntry {
        /// The entry's name.
        entry: String,
        /// What went wrong.
        cause: Box<Error>,
    },
    /// The backup given for the attachments cross-check is not a Jira backup.
    #[cfg(feature = "check")]
    #[error(
        "{}: not a Jira backup (its entities.xml is not Jira's entity-engine-xml); the attachments cross-check needs the Jira backup zip",
        path.display()
    )]
    NotJiraBackup {
        /// The backup given.
        path: PathBuf,
    },
    /// A Jira home given to `check` holds no usable backup zip in `export/`.
    #[cfg(feature = "check")]
    #[error(
        "{}: no usable backup zip in this Jira home's export folder ({failed} failed backups skipped); give the backup zip itself, with --attachments for the home",
        export.display()
    )]
    NoBackupInHome {
        /// The home's `export/` folder.
        export: PathBuf,
        /// Failed (0-byte) backups skipped.
        failed: usize,
    },
    /// The attachments (a Jira home, `data/attachments` or a media zip) could not be listed.
    #[cfg(feature = "check")]
    #[error("{}: {cause}", path.display())]
    Attachments {
        /// The attachments given.
        path: PathBuf,
        /// What went wrong.
        cause: Box<SplitError>,
    },
    /// The output path names the input file.
    #[error(
        "{}: output would overwrite the input; choose another -o path (backup-fix never modifies its input)",
        path.display()
    )]
    OutputIsInput {
        /// The path given for both.
        path: PathBuf,
    },
}

/// "byte N: " for a place in the input, nothing before its start.
fn at_byte(offset: u64) -> String {
    if offset == 0 {
        String::new()
    } else {
        format!("byte {offset}: ")
    }
}

impl Error {
    /// Whether the run was stopped through its [`Cancel`](crate::Cancel)
    /// token (Ctrl-C), looking through the file, entry or attachments
    /// listing it happened in.
    pub fn is_interrupted(&self) -> bool {
        match self {
            Error::Interrupted => true,
            Error::File { cause, .. } | Error::InEntry { cause, .. } => cause.is_interrupted(),
            #[cfg(feature = "check")]
            Error::Attachments { cause, .. } => cause.is_interrupted(),
            _ => false,
        }
    }

    /// Whether the error is about how the command was asked (options that
    /// contradict the backup), looking through the file and entry it
    /// happened in: the command line exits 2 for these.
    pub fn is_usage(&self) -> bool {
        match self {
            Error::ZoneAlreadyUtc { .. } => true,
            Error::File { cause, .. } | Error::InEntry { cause, .. } => cause.is_usage(),
            _ => false,
        }
    }

    /// Wraps the error with the path of the file it concerns.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        match self {
            e @ (Error::File { .. } | Error::OutputIsInput { .. }) => e,
            e => Error::File {
                path: path.into(),
                cause: Box::new(e),
            },
        }
    }

    /// Wraps the error with the name of the archive entry it concerns.
    pub fn in_entry(self, entry: impl Into<String>) -> Error {
        Error::InEntry {
            entry: entry.into(),
            cause: Box::new(self),
        }
    }

    /// The location in the input, if the error has one.
    pub fn location(&self) -> Option<Location> {
        match self {
            Error::Malformed { location, .. }
            | Error::TokenTooLarge { location, .. }
            | Error::UnsupportedEncoding { location, .. }
            | Error::NulRun { location } => Some(*location),
            Error::File { cause, .. } | Error::InEntry { cause, .. } => cause.location(),
            _ => None,
        }
    }
}

/// Ways XML can be broken beyond what removing characters cures.
///
/// The messages follow the classes a strict SAX parser reports.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The input ends inside markup or before the root element is closed.
    #[error("unexpected end of file {0}; the file looks truncated: export or copy it again")]
    UnexpectedEof(&'static str),
    /// The input ends while elements are still open.
    #[error(
        "unexpected end of file: element <{name}> opened at line {opened_line} is not closed; the file looks truncated: export or copy it again"
    )]
    UnclosedElement {
        /// The innermost open element.
        name: String,
        /// Line of its start tag.
        opened_line: u64,
    },
    /// An end tag does not match the open element.
    #[error(
        "end tag </{found}> does not match the open element <{expected}> (opened at line {opened_line})"
    )]
    MismatchedEndTag {
        /// The open element.
        expected: String,
        /// The end tag found.
        found: String,
        /// Line of the open element's start tag.
        opened_line: u64,
    },
    /// An end tag with no open element.
    #[error("end tag </{0}> has no matching start tag")]
    UnexpectedEndTag(String),
    /// A character that cannot appear where it does (in a name, between attributes, ...).
    #[error("character {ch} is not allowed {context}")]
    UnexpectedChar {
        /// The character, as `'x'` or `U+XXXX`.
        ch: String,
        /// Where it appeared.
        context: &'static str,
    },
    /// The input ended or markup closed where a name was required.
    #[error("a name was expected {0}")]
    ExpectedName(&'static str),
    /// An attribute name is not followed by `=`.
    #[error("attribute {0} must be followed by '='")]
    ExpectedEquals(String),
    /// An attribute value is not quoted.
    #[error("the value of attribute {0} must start with a quote (\" or ')")]
    ExpectedQuote(String),
    /// A raw `<` inside an attribute value.
    #[error("attribute {0} contains a raw '<', which must be written &lt;")]
    LtInAttributeValue(String),
    /// The same attribute twice on one element.
    #[error("attribute {attr} appears twice on element <{element}>")]
    DuplicateAttribute {
        /// The element.
        element: String,
        /// The repeated attribute.
        attr: String,
    },
    /// Two attributes with nothing between them.
    #[error("attributes of <{0}> must be separated by white space")]
    MissingWhitespace(String),
    /// A `&` that does not start a valid reference.
    #[error(
        "malformed reference {0:?}: a '&' must start &name; or &#number; (write a literal & as &amp;)"
    )]
    BadReference(String),
    /// A reference to an entity that is not one of the five predefined ones.
    #[error("the entity &{0}; is not declared (only &amp; &lt; &gt; &quot; &apos; are predefined)")]
    UndeclaredEntity(String),
    /// `]]>` in text outside CDATA.
    #[error("the sequence ]]> must not appear in text (write ]]&gt;)")]
    CdataEndInText,
    /// `--` inside a comment.
    #[error("the string \"--\" is not allowed inside a comment")]
    DoubleHyphenInComment,
    /// Text other than white space outside the root element.
    #[error("content is not allowed {0} the root element")]
    TextOutsideRoot(&'static str),
    /// A second top-level element.
    #[error("markup after the root element must not contain another element (<{0}>)")]
    SecondRoot(String),
    /// The document has no element at all.
    #[error("the file contains no root element")]
    NoRootElement,
    /// An XML declaration that is not at the very start, or a PI named `xml`.
    #[error(
        "a processing instruction named \"xml\" is only allowed as the declaration at the very start of the file"
    )]
    MisplacedXmlDeclaration,
    /// A malformed XML declaration.
    #[error("the XML declaration is malformed: {0}")]
    BadXmlDeclaration(&'static str),
    /// `<!` not followed by `--`, `[CDATA[` or `DOCTYPE`.
    #[error("markup starting with '<!' must be a comment, a CDATA section or a DOCTYPE")]
    BadMarkupDeclaration,
    /// A DOCTYPE inside or after the root element, or a second one.
    #[error("a DOCTYPE is only allowed once, before the root element")]
    MisplacedDoctype,
    /// A CDATA section outside the root element.
    #[error("a CDATA section is only allowed inside the root element")]
    CdataOutsideRoot,
}

/// A run stopped through its [`Cancel`](crate::Cancel) token becomes
/// [`Error::Interrupted`] (the conversion lives here, so that the token does
/// not depend on the error type).
impl From<crate::cancel::Interrupted> for Error {
    fn from(_: crate::cancel::Interrupted) -> Self {
        Error::Interrupted
    }
}
