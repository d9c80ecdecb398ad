//! `split --backup`: the files are checked against the backup's
//! `FileAttachment` rows before packing (the same join as `check
//! --attachments`), and `--only-referenced` / `--no-thumbnails` leave the
//! unreferenced files or the thumbnails out of the entry list.

use crate::check::{
    FileCount, Finding, MediaTable, listing_files, media_findings, media_join, name_orphans,
};
use crate::driver::Progress;
use crate::error::SplitError;
use crate::media::source::{Listing, list_source};
use crate::split::options::SplitOptions;
use std::io;
use std::path::Path;

/// What the cross-check with the backup found, and what was left out.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct AttachmentsCheck {
    /// The backup checked against (`None`: only `--no-thumbnails`).
    pub backup: Option<String>,
    /// The findings, as `check --attachments` gives them.
    pub findings: Vec<Finding>,
    /// Files under `data/attachments` no row refers to (not counted without a backup).
    pub orphans: FileCount,
    /// Thumbnails.
    pub thumbnails: FileCount,
    /// Whether the orphans were left out (`--only-referenced`).
    pub orphans_left_out: bool,
    /// Whether the thumbnails were left out (`--no-thumbnails`).
    pub thumbnails_left_out: bool,
    /// Files and bytes left out of the zips (the bytes saved).
    pub left_out: FileCount,
}

fn is_thumbnail(name: &str) -> bool {
    name.rsplit('/').nth(1) == Some("thumbs")
}

/// Lists SOURCE and, when asked (`--backup`, `--no-thumbnails`), checks it
/// against the backup, which is read on a thread of its own while the tree
/// is walked; leaves out of the list what the options say.
pub(crate) fn list_and_check(
    source: &Path,
    scratch: &Path,
    options: &SplitOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(Listing, Option<AttachmentsCheck>), SplitError> {
    // The backup's rows are read while the tree is walked.
    let (listed, backup) = std::thread::scope(|s| {
        let backup = options
            .backup
            .as_deref()
            .map(|b| s.spawn(|| crate::check::media_table_of(b, &options.cancel)));
        let listed = list_source(
            source,
            scratch,
            options.skip_unreadable,
            &options.cancel,
            progress,
        );
        let backup = backup.map(|h| {
            h.join().unwrap_or_else(|_| {
                Err(crate::Error::Io(io::Error::other(
                    "the backup's check thread panicked",
                )))
            })
        });
        (listed, backup)
    });
    let mut listed = listed?;
    let backup = match backup {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            return Err(SplitError::Backup {
                path: options.backup.clone().unwrap_or_default(),
                cause: Box::new(e),
            });
        }
        None => None,
    };
    if let Some(e) = listed.findings.fatal(options.skip_unreadable) {
        return Err(e);
    }
    let attachments = if backup.is_some() || options.no_thumbnails {
        Some(cross_check(&mut listed, backup, options, scratch)?)
    } else {
        None
    };
    Ok((listed, attachments))
}

/// Joins the files of `listed` with `table` (when a backup was given) and
/// leaves out of the list what the options say.
pub(crate) fn cross_check(
    listed: &mut Listing,
    table: Option<MediaTable>,
    options: &SplitOptions,
    scratch: &Path,
) -> Result<AttachmentsCheck, SplitError> {
    let io_err = |e| SplitError::io("checking the attachments in", scratch, e);
    let with_backup = table.is_some();
    let drop_orphans = options.only_referenced && with_backup;
    let (files, mut findings) = listing_files(
        std::slice::from_ref(listed),
        drop_orphans,
        options.no_thumbnails,
    )
    .map_err(io_err)?;
    let table = table.unwrap_or_else(|| MediaTable::new(scratch));
    let mut matched = media_join(table, files)
        .and_then(|mut m| name_orphans(std::slice::from_ref(listed), &mut m).map(|()| m))
        .map_err(io_err)?;
    if with_backup {
        findings.extend(media_findings(&matched));
    }
    if let Some(drop) = matched.drop.as_mut() {
        listed.leave_out(drop, scratch, &options.cancel, &|name| {
            if is_thumbnail(name) {
                "thumbnail, left out (--no-thumbnails)"
            } else {
                "no FileAttachment row in the backup refers to it, left out (--only-referenced)"
            }
        })?;
    }
    Ok(AttachmentsCheck {
        backup: options.backup.as_ref().map(|b| b.display().to_string()),
        findings,
        orphans: if with_backup {
            matched.orphans
        } else {
            FileCount::default()
        },
        thumbnails: matched.thumbnails,
        orphans_left_out: drop_orphans,
        thumbnails_left_out: options.no_thumbnails,
        left_out: matched.dropped,
    })
}
