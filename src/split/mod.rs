//! Media zips the Jira Cloud importer accepts: split a Jira home, a
//! `data/attachments` directory, or an existing media zip into zips of a
//! bounded size that keep the Jira layout.
//!
//! Jira Cloud's "Import media" step fails on very large attachment zips;
//! Atlassian's guide says to split anything over 10 GB into 2-5 GB zips, each
//! keeping `data/attachments/<PROJECT>/...`, and to import them one by one.
//! [`split`] does that:
//!
//! - every zip, as a file on disk, is at most [`SplitOptions::max_size`]
//!   (headers and central directory included: sizes are computed exactly,
//!   then checked on disk), and every zip but the last at least
//!   [`SplitOptions::min_size`] where the data allows;
//! - avatars and logos go in the first zip; whole projects stay together
//!   when they fit; a larger project is split between issue directories,
//!   never inside one, in a stable order (issue keys by number);
//! - entries are stored (or, with [`Compress::Auto`], deflated when their
//!   content is not already compressed); a source zip's entries are copied
//!   raw; zip64 where needed;
//! - each zip is written under a `.partial` name, read back and checked
//!   (structure and every CRC), then renamed; a rerun keeps the complete
//!   zips that match the plan and writes the rest;
//! - memory stays bounded whatever the tree: files are streamed, the entry
//!   list lives in a temporary file, and zips are written two (or more) at a
//!   time.
//!
//! ```
//! use backup_fix::split::{SplitOptions, split, verify_zip};
//! use backup_fix::synth::MediaTreeSynth;
//!
//! // A small generated Jira home stands in for /var/atlassian/application-data/jira.
//! let home = tempfile::tempdir()?;
//! MediaTreeSynth { target_bytes: 2 << 20, ..Default::default() }.write_home(home.path())?;
//! let out = tempfile::tempdir()?;
//! let options = SplitOptions::default().max_size(1 << 20).min_size(512 << 10);
//! let manifest = split(home.path(), out.path(), &options, &mut |_| {})?;
//! assert!(manifest.zips.len() >= 2);
//! assert!(manifest.zips[0].avatars && manifest.zips[0].logos);
//! for zip in &manifest.zips {
//!     assert!(zip.size <= 1 << 20);
//!     assert!(verify_zip(&out.path().join(&zip.name))?.all_crc_checked());
//!     println!("{}: {} bytes, {}", zip.name, zip.size, zip.contents());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod manifest;
#[cfg(feature = "check")]
mod media;
mod options;
mod pack;
mod run;
mod sniff;
mod verify;
mod writer;

pub use crate::error::SplitError;
pub use crate::media::MANIFEST;
pub use crate::media::source::SourceKind;
pub use crate::media::walk::Skipped;
pub use manifest::{Manifest, ZipReport, ZipStatus};
#[cfg(feature = "check")]
pub use media::AttachmentsCheck;
pub use options::{Compress, DEFAULT_MAX_SIZE, DEFAULT_MIN_SIZE, SplitOptions};
pub use pack::{PlannedZip, ProjectSpan};
pub use run::{Plan, plan, split};
pub use verify::{ZipCheck, verify_zip};
