//! How far a run has got: the one progress type every job (fix, the
//! archive, `check`, `split`) reports, by phase, to a callback of one shape.

use std::sync::Arc;

/// What a run is doing; each phase counts its own bytes from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// A first pass over the XML for what the backup states (the zone for
    /// `--tz auto`, the base URL, Confluence's page index); it stops as soon
    /// as it knows enough, so it may end before its total.
    FirstPass,
    /// `split` lists its SOURCE: `read` counts the bytes of the entries
    /// found so far and [`Progress::entries`] the entries; no total.
    Scanning,
    /// The work itself: repairing, checking, or writing a split's zips and
    /// reading them back (each byte counts twice: written, then read back).
    Main,
    /// A `split` worker starts this step on the zip named in
    /// [`Progress::item`]; no byte counts (with more than one job several
    /// zips are in work at once, and these reports come between
    /// [`Phase::Main`]'s).
    Zip(ZipStep),
    /// Flushing the output to disk; no byte counts.
    Syncing,
    /// Reading the written output back to check it.
    Verifying,
}

/// What a split does to one zip ([`Phase::Zip`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ZipStep {
    /// Checking a zip left by an earlier run against the plan.
    Checking,
    /// Writing it.
    Writing,
    /// Reading it back (every entry's CRC).
    Verifying,
}

/// How far a run has got.
///
/// Every job takes its callback as `&mut (dyn FnMut(Progress) + Send)`;
/// jobs that work on several threads (`split`) call it from them one at a
/// time, behind a lock.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// The phase these counts belong to.
    pub phase: Phase,
    /// Bytes done in this phase: of the input file (compressed bytes for a
    /// `.gz`/`.zst` file), or for zips of the entries' uncompressed data.
    pub read: u64,
    /// The phase's total, when known.
    pub total: Option<u64>,
    /// Entries found so far, in phases that count them ([`Phase::Scanning`]).
    pub entries: Option<u64>,
    /// What the report is about, in phases about one item: the zip's file
    /// name (`media-003.zip`) in [`Phase::Zip`].
    pub item: Option<Arc<str>>,
}

impl Progress {
    /// `read` of `total` bytes done in `phase`.
    pub fn new(phase: Phase, read: u64, total: Option<u64>) -> Self {
        Self {
            phase,
            read,
            total,
            entries: None,
            item: None,
        }
    }

    /// `entries` entries of `bytes` bytes found so far while scanning.
    #[cfg(feature = "split")]
    pub(crate) fn scanning(entries: u64, bytes: u64) -> Self {
        Self {
            entries: Some(entries),
            ..Self::new(Phase::Scanning, bytes, None)
        }
    }

    /// A worker starts `step` on the zip called `name`.
    #[cfg(feature = "split")]
    pub(crate) fn zip(name: Arc<str>, step: ZipStep) -> Self {
        Self {
            item: Some(name),
            ..Self::new(Phase::Zip(step), 0, None)
        }
    }
}
