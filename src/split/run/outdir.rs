//! The output directory of a split: refusing one inside the source or
//! holding other files, the lock that keeps two runs out of it, and the
//! leftovers of an interrupted run.

use crate::error::SplitError;
use crate::media::source::SourceData;
use crate::split::pack::PlannedZip;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

/// The lock file that keeps two runs out of one output directory.
const LOCK: &str = ".backup-fix-split.lock";

/// `path` made absolute and canonical as far as it exists.
fn canonical_or_parent(path: &Path) -> PathBuf {
    if let Ok(p) = fs::canonicalize(path) {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            canonical_or_parent(parent).join(name)
        }
        _ => path.to_path_buf(),
    }
}

pub(super) fn check_outdir(data: &SourceData, outdir: &Path) -> Result<(), SplitError> {
    let out = canonical_or_parent(outdir);
    match data {
        SourceData::Tree(tree) => {
            for root in tree.canonical_roots() {
                if out.starts_with(&root) {
                    return Err(SplitError::OutputInsideSource {
                        outdir: outdir.to_path_buf(),
                        inside: root,
                    });
                }
            }
        }
        SourceData::Zip(zip) => {
            if canonical_or_parent(zip).parent() == Some(out.as_path()) {
                return Err(SplitError::InvalidOptions(format!(
                    "{}: the source zip is in the output directory, where it could be overwritten; choose another output directory",
                    zip.display()
                )));
            }
        }
    }
    Ok(())
}

/// The number in `media-NNN.zip` (and whether it is a `.partial`).
fn media_number(name: &str) -> Option<(usize, bool)> {
    let rest = name.strip_prefix("media-")?;
    let (num, partial) = match rest.strip_suffix(".zip.partial") {
        Some(n) => (n, true),
        None => (rest.strip_suffix(".zip")?, false),
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((num.parse().ok()?, partial))
}

/// Deletes what an interrupted run left: partial zips and temporary files.
pub(super) fn clean_leftovers(outdir: &Path) -> Result<(), SplitError> {
    let entries = fs::read_dir(outdir).map_err(|e| SplitError::io("reading", outdir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours =
            name.starts_with(".backup-fix-split-") || matches!(media_number(name), Some((_, true)));
        if ours && entry.file_type().is_ok_and(|t| t.is_file()) {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| SplitError::io("deleting", &path, e))?;
        }
    }
    Ok(())
}

pub(super) fn check_strays(outdir: &Path, planned: usize) -> Result<(), SplitError> {
    let entries = fs::read_dir(outdir).map_err(|e| SplitError::io("reading", outdir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if let Some((n, false)) = name.to_str().and_then(media_number)
            && (n == 0 || n > planned || PlannedZip::file_name(n) != name.to_str().unwrap_or(""))
        {
            return Err(SplitError::StrayZip {
                path: entry.path(),
                planned,
            });
        }
    }
    Ok(())
}

/// Holds the output directory's lock; removes the lock file when done.
pub(super) struct Lock {
    _file: File,
    path: PathBuf,
}

impl Lock {
    pub(super) fn take(outdir: &Path) -> Result<Lock, SplitError> {
        let path = outdir.join(LOCK);
        let file = File::create(&path).map_err(|e| SplitError::io("creating", &path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(Lock { _file: file, path }),
            Err(fs::TryLockError::WouldBlock) => Err(SplitError::Locked {
                outdir: outdir.to_path_buf(),
            }),
            Err(fs::TryLockError::Error(e)) => Err(SplitError::io("locking", &path, e)),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
