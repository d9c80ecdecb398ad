//! Repair Atlassian Jira and Confluence Server/Data Center backups so that
//! Atlassian Cloud imports them.
//!
//! The core is a sans-IO, streaming [`Fixer`]: push chunks of an XML file
//! (`entities.xml`, `activeobjects.xml`, a Confluence `.pdata`, any XML) in,
//! get repaired bytes out, in bounded memory whatever the input size. It
//!
//! - removes characters XML 1.0 forbids (C0 controls other than tab, LF, CR;
//!   U+FFFE; U+FFFF) and character references to them, keeping everything XML
//!   allows (emoji included);
//! - replaces invalid UTF-8 with U+FFFD and transcodes declared non-UTF-8
//!   encodings to UTF-8;
//! - checks that the document is well-formed, and stops with a typed
//!   [`Error`] naming the line, column and byte offset where it is not;
//! - copies every other byte unchanged, and records each change in a [`Report`].
//!
//! The [`driver`] module runs it over readers and writers, files (with
//! `.gz`/`.zst` compression, written atomically), and — with the `tokio`
//! feature — async streams.
//!
//! # One entry point per job
//!
//! | job | call | feature |
//! |---|---|---|
//! | fix a path: a backup zip or an XML file, picked by content | `fix_path(input, output, &Options, &ArchiveOptions, progress)` | `archive` |
//! | fix a stream | [`driver::fix_stream`]`(reader, writer, &Options)`, or [`Fixer`] for push-style, sans-IO use | none |
//! | check a path (zip, unpacked export, Jira home, XML) | `check::check_path_with(path, &CheckOptions, progress)` | `check` |
//! | split an attachment tree or media zip into media zips | `split::split(source, outdir, &SplitOptions, progress)` | `split` |
//!
//! Every job reports through one [`driver::Progress`] type and stops when
//! the [`Cancel`] token in its options is cancelled (a command's Ctrl-C
//! handler holds a clone), leaving nothing half-written behind. Errors are
//! the typed [`Error`] (and `split::SplitError` for `split`).
//!
//! ```
//! use backup_fix::{Fixer, Options};
//!
//! let input = "<entity-engine-xml>\n<Action body=\"caf\u{e9} \u{1c}ok \u{1F600}\"/>\n</entity-engine-xml>\n";
//! let mut fixer = Fixer::new(Options::default())?;
//! let mut out = Vec::new();
//! for chunk in input.as_bytes().chunks(7) {
//!     fixer.write(chunk, &mut out)?;
//! }
//! let report = fixer.finish(&mut out)?;
//! assert_eq!(out, input.replace('\u{1c}', "").as_bytes());
//! assert_eq!(report.removed_chars.values().map(|t| t.count).sum::<u64>(), 1);
//! # Ok::<(), backup_fix::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "archive")]
pub mod archive;
mod bytescan;
mod cancel;
mod chars;
#[cfg(feature = "check")]
pub mod check;
mod chunked;
mod decode;
pub mod driver;
mod error;
mod firsts;
#[cfg(feature = "archive")]
mod fix_path;
mod fixer;
mod location;
#[cfg(feature = "split")]
mod media;
pub mod output;
#[cfg(feature = "check")]
mod readahead;
pub mod report;
mod rules;
mod sanitize;
mod sink;
mod spill;
#[cfg(feature = "split")]
pub mod split;
pub mod stages;
#[cfg(feature = "synth")]
pub mod synth;
mod xml;
// The one zip layer under fix, check and split: each job uses part of it.
#[cfg(feature = "archive")]
#[cfg_attr(
    not(all(feature = "check", feature = "split", feature = "synth")),
    allow(dead_code)
)]
mod zip;

pub use cancel::Cancel;
pub use error::{Error, Malformed};
#[cfg(feature = "archive")]
pub use fix_path::{Fixed, fix_path, is_zip_path};
pub use fixer::{DEFAULT_MAX_TAG_SIZE, FixConfig, Fixer, Options, fix_bytes, scan_facts};
pub use location::Location;
pub use report::{
    AppDataReport, BackupFacts, CodePoint, DEFAULT_LOCATIONS_KEPT, DroppedTable, EncodingReport,
    ForeignKeyLeft, LinkReport, MappingCount, MembershipReport, Product, Report, RowIds, ShiftCase,
    ShiftCases, Stated, Tally, TimestampReport,
};
pub use rules::TzChoice;
pub use rules::app_data::AppDataSelector;
pub use rules::urls::UrlMapping;
pub use sanitize::MAX_NUL_RUN;
pub use sink::{IoSink, NullSink, Sink};
