//! Synthetic Jira backups for tests and benchmarks: an `entities.xml` shaped
//! like a real export (header comment, alphabetically ordered entity rows,
//! attributes, CDATA bodies, emoji, links, timestamps), of any size, clean or
//! with the defects real exports carry, deterministic for a given seed.
//!
//! ```
//! use backup_fix::synth::JiraSynth;
//! let mut xml = Vec::new();
//! let stats = JiraSynth { target_bytes: 20_000, defects: true, ..Default::default() }
//!     .write_entities(&mut xml)?;
//! assert!(xml.len() as u64 >= 20_000);
//! let (_, report) = backup_fix::fix_bytes(&xml, &Default::default()).unwrap();
//! assert_eq!(report.changes(), stats.defects());
//! # Ok::<(), std::io::Error>(())
//! ```

mod attachments;
mod backup_zip;
mod confluence_export;
mod entities;
mod media_backup;
mod rng;
mod scatter;
mod zips;

pub use attachments::{MediaTreeStats, MediaTreeSynth};
pub use backup_zip::{BackupZipStats, BackupZipSynth};
pub use confluence_export::{ConfluenceExportStats, ConfluenceExportSynth};
pub use entities::{JiraSynth, Shape, SynthStats};
pub use media_backup::{MediaBackupStats, MediaBackupSynth};
pub use scatter::ScatterControls;
pub use zips::{ZipEntrySpec, write_zip};
