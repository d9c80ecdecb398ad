//! How far a run has got: the one progress type every driver, the archive
//! and `check` report, by phase.

/// What a run is doing; each phase counts its own bytes from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// A first pass over the XML for what the backup states (the zone for
    /// `--tz auto`, the base URL, Confluence's page index); it stops as soon
    /// as it knows enough, so it may end before its total.
    FirstPass,
    /// The work itself: repairing, or checking.
    Main,
    /// Flushing the output to disk; no byte counts.
    Syncing,
    /// Reading the written output back to check it.
    Verifying,
}

/// How far a run has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// The phase these counts belong to.
    pub phase: Phase,
    /// Bytes done in this phase: of the input file (compressed bytes for a
    /// `.gz`/`.zst` file), or for zips of the entries' uncompressed data.
    pub read: u64,
    /// The phase's total, when known.
    pub total: Option<u64>,
}

impl Progress {
    /// `read` of `total` bytes done in `phase`.
    pub fn new(phase: Phase, read: u64, total: Option<u64>) -> Self {
        Self { phase, read, total }
    }
}
