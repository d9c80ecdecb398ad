//! How far a split has got, as it reports it from any thread.

/// What a split does to one zip.
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

/// How far a split has got.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SplitProgress {
    /// Reading SOURCE's listing.
    Scanning {
        /// Entries found so far.
        entries: u64,
        /// Their uncompressed bytes.
        bytes: u64,
    },
    /// A worker starts a step on one zip (several zips are in work at once
    /// with more than one job).
    Zip {
        /// The zip's file name (`media-003.zip`).
        name: String,
        /// What it starts doing.
        step: ZipStep,
    },
    /// Writing and verifying zips. Each byte counts twice: written, then read back.
    Writing {
        /// Work done.
        done: u64,
        /// Work in all.
        total: u64,
    },
}

/// Receives progress, from any thread.
pub type ProgressFn<'a> = &'a (dyn Fn(SplitProgress) + Sync);
