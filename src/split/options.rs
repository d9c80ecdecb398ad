//! What a split is asked to do: size bounds, compression, and the policies
//! for oversize and unreadable files.

use crate::cancel::Cancel;
use crate::error::SplitError;
use std::path::PathBuf;

/// Default largest zip: 4 GiB.
pub const DEFAULT_MAX_SIZE: u64 = 4 << 30;
/// Default smallest zip (except the last): 2 GiB, the lower bound of Atlassian's guide.
pub const DEFAULT_MIN_SIZE: u64 = 2 << 30;

/// How entries are compressed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Compress {
    /// Store everything (attachments are mostly compressed already). Sizes are exact.
    #[default]
    None,
    /// Deflate entries whose content is not a known compressed format, and
    /// store them anyway when deflate does not make them smaller. Zips are
    /// planned at their stored size, so they come out smaller than planned.
    Auto,
}

/// Options of a split.
///
/// ```
/// use backup_fix::split::{Compress, SplitOptions};
/// let options = SplitOptions::default()
///     .max_size(64 << 20)
///     .min_size(32 << 20)
///     .compress(Compress::Auto);
/// assert!(options.validate().is_ok());
/// assert!(SplitOptions::default().min_size(5 << 30).validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SplitOptions {
    /// Largest size of a zip on disk, headers and central directory included.
    pub max_size: u64,
    /// Smallest size of every zip but the last, where the data allows.
    pub min_size: u64,
    /// Compression.
    pub compress: Compress,
    /// Put a file larger than `max_size` alone in its own (oversize) zip
    /// instead of failing.
    pub allow_oversize: bool,
    /// Leave out files and directories that cannot be read (they are listed
    /// in the manifest) instead of failing.
    pub skip_unreadable: bool,
    /// Zips written at once; `0` uses the available cores (at most 4).
    pub jobs: usize,
    /// Flush each zip to disk (fsync) before giving it its final name.
    pub sync: bool,
    /// The Jira backup whose `FileAttachment` rows the files are checked
    /// against before packing (`--backup`); the result is in the manifest.
    pub backup: Option<PathBuf>,
    /// Leave out files under `data/attachments` that no row refers to
    /// (`--only-referenced`; needs [`backup`](Self::backup)).
    pub only_referenced: bool,
    /// Leave out thumbnails (`thumbs/...`, `--no-thumbnails`).
    pub no_thumbnails: bool,
    /// Stops the run between entries once cancelled
    /// ([`SplitError::Interrupted`](crate::split::SplitError::Interrupted)).
    pub cancel: Cancel,
}

impl Default for SplitOptions {
    fn default() -> Self {
        SplitOptions {
            max_size: DEFAULT_MAX_SIZE,
            min_size: DEFAULT_MIN_SIZE,
            compress: Compress::None,
            allow_oversize: false,
            skip_unreadable: false,
            jobs: 0,
            sync: true,
            backup: None,
            only_referenced: false,
            no_thumbnails: false,
            cancel: Cancel::default(),
        }
    }
}

impl SplitOptions {
    /// Sets [`max_size`](Self::max_size).
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = bytes;
        self
    }

    /// Sets [`min_size`](Self::min_size).
    pub fn min_size(mut self, bytes: u64) -> Self {
        self.min_size = bytes;
        self
    }

    /// Sets [`compress`](Self::compress).
    pub fn compress(mut self, compress: Compress) -> Self {
        self.compress = compress;
        self
    }

    /// Sets [`allow_oversize`](Self::allow_oversize).
    pub fn allow_oversize(mut self, yes: bool) -> Self {
        self.allow_oversize = yes;
        self
    }

    /// Sets [`skip_unreadable`](Self::skip_unreadable).
    pub fn skip_unreadable(mut self, yes: bool) -> Self {
        self.skip_unreadable = yes;
        self
    }

    /// Sets [`cancel`](Self::cancel): the token the caller (a Ctrl-C
    /// handler) cancels to stop the run.
    pub fn cancel(mut self, token: Cancel) -> Self {
        self.cancel = token;
        self
    }

    /// Sets [`jobs`](Self::jobs).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }

    /// Sets [`sync`](Self::sync).
    pub fn sync(mut self, yes: bool) -> Self {
        self.sync = yes;
        self
    }

    /// Sets [`backup`](Self::backup).
    pub fn backup(mut self, path: impl Into<PathBuf>) -> Self {
        self.backup = Some(path.into());
        self
    }

    /// Sets [`only_referenced`](Self::only_referenced).
    pub fn only_referenced(mut self, yes: bool) -> Self {
        self.only_referenced = yes;
        self
    }

    /// Sets [`no_thumbnails`](Self::no_thumbnails).
    pub fn no_thumbnails(mut self, yes: bool) -> Self {
        self.no_thumbnails = yes;
        self
    }

    /// Checks that the options make sense together.
    pub fn validate(&self) -> Result<(), SplitError> {
        #[cfg(not(feature = "check"))]
        if self.backup.is_some() || self.only_referenced || self.no_thumbnails {
            return Err(SplitError::InvalidOptions(
                "--backup, --only-referenced and --no-thumbnails need backup-fix built with the check feature".into(),
            ));
        }
        if self.only_referenced && self.backup.is_none() {
            return Err(SplitError::InvalidOptions(
                "--only-referenced needs --backup BACKUP.zip: only the backup's FileAttachment rows say which files are referred to".into(),
            ));
        }
        if self.min_size > self.max_size {
            return Err(SplitError::InvalidOptions(format!(
                "--min-size ({} bytes) is larger than --max-size ({} bytes); lower --min-size or raise --max-size",
                self.min_size, self.max_size
            )));
        }
        if self.max_size < 1024 {
            return Err(SplitError::InvalidOptions(format!(
                "--max-size ({} bytes) is too small to hold a zip entry; use at least 1KiB (the guide suggests 2GiB to 5GiB)",
                self.max_size
            )));
        }
        Ok(())
    }

    /// The number of zips written at once.
    pub(crate) fn workers(&self, zips: usize) -> usize {
        let auto = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
        let jobs = if self.jobs == 0 { auto } else { self.jobs };
        jobs.clamp(1, zips.max(1))
    }
}
