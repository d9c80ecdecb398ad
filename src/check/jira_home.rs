//! `check --attachments`: joins a Jira backup's attachment rows with the
//! files of a Jira home, its `data/attachments` or a media zip, and turns
//! what the join found into findings; also finds the newest backup in a
//! Jira home's `export/` when `check` is given the home itself.

use super::html::bytes;
use super::jira_media::{ATTACHMENTS, Matched, MediaFiles, MediaTable, join};
use super::{CheckOptions, CheckReport, Finding, Severity, finding};
use crate::cancel::Cancel;
use crate::error::Error;
use crate::media::source::{Listing, list_source};
use crate::report::plural;
use crate::rules::facts::Product;
use crate::xml::rules::StartTag;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The attachment table the audit fills, shared with the report it ends in
/// (cloning shares it; the first to take it has it).
#[derive(Clone, Default)]
pub(crate) struct MediaSlot(Option<Arc<Mutex<Option<MediaTable>>>>);

impl std::fmt::Debug for MediaSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "MediaSlot(..)"
        } else {
            "MediaSlot(None)"
        })
    }
}

impl PartialEq for MediaSlot {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl Eq for MediaSlot {}

impl MediaSlot {
    /// A slot holding an empty table that spills to the temporary directory.
    pub(crate) fn collecting() -> Self {
        MediaSlot(Some(Arc::new(Mutex::new(Some(MediaTable::new(
            &std::env::temp_dir(),
        ))))))
    }

    /// Notes a Jira row, if collecting.
    pub(crate) fn row(&self, tag: &StartTag<'_>) {
        if let Some(slot) = &self.0
            && let Ok(mut table) = slot.lock()
            && let Some(t) = table.as_mut()
        {
            t.row(tag);
        }
    }

    /// Takes the table out.
    pub(crate) fn take(&self) -> Option<MediaTable> {
        self.0.as_ref()?.lock().ok()?.take()
    }
}

/// Reads a Jira backup (zip, unpacked directory or `entities.xml`) for its
/// attachment rows, issues and project keys (`split --backup`).
pub(crate) fn media_table_of(backup: &Path, cancel: &Cancel) -> Result<MediaTable, Error> {
    let options = CheckOptions {
        collect_media: true,
        cancel: cancel.clone(),
        ..CheckOptions::default()
    };
    let report = super::check_backup(backup, &options, &mut |_| {})?;
    match report.media.take() {
        Some(t) if report.backup.product == Some(Product::Jira) => Ok(t),
        _ => Err(Error::NotJiraBackup {
            path: backup.to_path_buf(),
        }),
    }
}

/// What `check` was given, once a Jira home is looked into.
pub(crate) struct Resolved {
    /// The backup to check.
    pub(crate) backup: PathBuf,
    /// The attachments to check it against.
    pub(crate) attachments: Option<PathBuf>,
    /// Which files were used and which were skipped.
    pub(crate) notes: Vec<Finding>,
}

/// Whether a backup zip in `export/` failed: 0 bytes with `.zip.failure.txt` beside it.
fn failed_backup(zip: &Path, len: u64) -> bool {
    let mut failure = zip.as_os_str().to_owned();
    failure.push(".failure.txt");
    len == 0 && Path::new(&failure).exists()
}

/// `path` as `check` uses it: a Jira home (a folder with `export/` and
/// `data/`, and no `entities.xml`) becomes its newest backup zip, with its
/// `data/attachments` unless `--attachments` says otherwise.
pub(crate) fn resolve(path: &Path, options: &CheckOptions) -> Result<Resolved, Error> {
    let plain = || Resolved {
        backup: path.to_path_buf(),
        attachments: options.attachments.clone(),
        notes: Vec::new(),
    };
    let export = path.join("export");
    if !(path.is_dir()
        && export.is_dir()
        && path.join("data").is_dir()
        && !path.join("entities.xml").exists())
    {
        return Ok(plain());
    }
    let read = fs::read_dir(&export).map_err(|e| Error::from(e).in_file(&export))?;
    let mut zips: Vec<(std::time::SystemTime, PathBuf, u64)> = Vec::new();
    let mut notes = Vec::new();
    for entry in read.flatten() {
        let p = entry.path();
        if !p.extension().is_some_and(|x| x.eq_ignore_ascii_case("zip")) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        if failed_backup(&p, meta.len()) {
            notes.push(finding(
                Severity::Warning,
                "Media",
                "backup-failed-skipped",
                format!(
                    "{} is a failed backup (0 bytes, with a .zip.failure.txt beside it): skipped",
                    p.display()
                ),
                Some("read the .failure.txt beside it to see why that backup failed".into()),
            ));
            continue;
        }
        let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
        zips.push((modified, p, meta.len()));
    }
    // Newest first; equal times by name (Jira names backups by date).
    zips.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    let Some((_, newest, _)) = zips.first().cloned() else {
        return Err(Error::NoBackupInHome {
            failed: notes.len(),
            export,
        });
    };
    notes.push(finding(
        Severity::Pass,
        "Media",
        "jira-home-backup",
        format!(
            "Jira home: checked the newest backup, {} (of {} in export/)",
            newest.display(),
            plural(zips.len() as u64, "usable zip", "usable zips")
        ),
        None,
    ));
    let attachments = options
        .attachments
        .clone()
        .unwrap_or_else(|| path.join("data").join("attachments"));
    Ok(Resolved {
        backup: newest,
        attachments: Some(attachments),
        notes,
    })
}

/// Adds to `report` the cross-check of its attachment rows with the files of
/// `attachments`, and the `notes` on which files were used.
pub(crate) fn add_cross_check(
    report: &mut CheckReport,
    attachments: Option<&Path>,
    notes: Vec<Finding>,
    cancel: &Cancel,
) -> Result<(), Error> {
    report.findings.extend(notes);
    let table = report.media.take();
    if let Some(source) = attachments {
        match table {
            Some(table) if report.backup.product == Some(Product::Jira) => {
                let listed = list_all(source, cancel)?;
                let (files, mut out) = listing_files(&listed, false, false)
                    .map_err(|e| Error::from(e).in_file(source))?;
                let matched = join(table, files)
                    .and_then(|mut m| name_orphans(&listed, &mut m).map(|()| m))
                    .map_err(|e| Error::from(e).in_file(source))?;
                out.insert(
                    0,
                    finding(
                        Severity::Pass,
                        "Media",
                        "attachments-source",
                        format!(
                            "attachments from {}: {} ({}) under {ATTACHMENTS}",
                            source.display(),
                            plural(matched.files.files, "file", "files"),
                            bytes(matched.files.bytes)
                        ),
                        None,
                    ),
                );
                out.extend(findings(&matched));
                report.findings.extend(out);
                // The HTML page's chart of attachment bytes per project.
                if report.size.attachment_files.is_empty() {
                    report.size.attachment_files = matched.folders.sorted();
                }
            }
            _ => report.findings.push(finding(
                Severity::Warning,
                "Media",
                "attachments-not-jira",
                format!(
                    "--attachments {} was not checked: it applies to Jira backups, and this is not one",
                    source.display()
                ),
                None,
            )),
        }
    }
    report
        .findings
        .sort_by_key(|f| std::cmp::Reverse(f.severity));
    Ok(())
}

/// The files of an entry list, and findings on what the listing could not
/// read (names that are not UTF-8, unreadable directories).
pub(crate) fn listing_files(
    listed: &[Listing],
    drop_orphans: bool,
    drop_thumbnails: bool,
) -> std::io::Result<(MediaFiles, Vec<Finding>)> {
    let scratch = listed
        .first()
        .and_then(|l| l.list.path().parent())
        .map_or_else(std::env::temp_dir, Path::to_path_buf);
    let mut files = MediaFiles::new(&scratch, drop_orphans, drop_thumbnails);
    let mut ordinal = 0u64;
    let mut out = Vec::new();
    for l in listed {
        l.for_each(&mut |name, size| {
            files.add(name, size, ordinal);
            ordinal += 1;
        })?;
        listing_findings(l, &mut out);
    }
    Ok((files, out))
}

/// The media zips `split` wrote into `dir` (a `manifest.json` beside
/// `media-NNN.zip` files), in order; empty for any other path.
fn split_output(dir: &Path) -> Vec<PathBuf> {
    if !dir.join(crate::media::MANIFEST).is_file() {
        return Vec::new();
    }
    let mut zips: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("media-") && n.ends_with(".zip"))
        })
        .collect();
    zips.sort();
    zips
}

/// Lists the attachments: a Jira home, `data/attachments`, a media zip, or
/// the output directory of `split` (each of its zips).
fn list_all(source: &Path, cancel: &Cancel) -> Result<Vec<Listing>, Error> {
    let scratch = std::env::temp_dir();
    let zips = split_output(source);
    let sources = if zips.is_empty() {
        vec![source.to_path_buf()]
    } else {
        zips
    };
    sources
        .iter()
        .map(|s| {
            list_source(s, &scratch, true, cancel, &mut |_| {}).map_err(|e| Error::Attachments {
                path: s.clone(),
                cause: Box::new(e),
            })
        })
        .collect()
}

/// Findings on what one listing could not read.
fn listing_findings(listed: &Listing, out: &mut Vec<Finding>) {
    let f = &listed.findings;
    if f.non_utf8_count > 0 {
        out.push(Finding {
            severity: Severity::Warning,
            section: "Media",
            code: "attachment-names-not-utf8",
            message: format!(
                "{} not valid UTF-8: not checked (and split refuses them)",
                plural(f.non_utf8_count, "file name is", "file names are")
            ),
            fix: Some(
                "rename them to UTF-8 (e.g. convmv -f latin1 -t utf8 --notest -r DIR)".into(),
            ),
            count: f.non_utf8_count,
            examples: f.non_utf8.clone(),
        });
    }
    if f.unreadable_count > 0 {
        out.push(Finding {
            severity: Severity::Warning,
            section: "Media",
            code: "attachments-unreadable",
            message: format!(
                "{} cannot be read: their files are counted as missing",
                plural(
                    f.unreadable_count,
                    "file or directory",
                    "files or directories"
                )
            ),
            fix: Some("fix their permissions, or run as a user who can read them".into()),
            count: f.unreadable_count,
            examples: f.unreadable.clone(),
        });
    }
}

/// Names the first orphans the join found by their place in the listing.
pub(crate) fn name_orphans(listed: &[Listing], m: &mut Matched) -> std::io::Result<()> {
    if m.orphan_ordinals.is_empty() {
        return Ok(());
    }
    let mut wanted = std::mem::take(&mut m.orphan_ordinals);
    wanted.sort_unstable();
    let mut ordinal = 0u64;
    let mut found = Vec::new();
    for l in listed {
        l.for_each(&mut |name, size| {
            if wanted.binary_search(&ordinal).is_ok() {
                found.push(format!("{name} ({size} bytes)"));
            }
            ordinal += 1;
        })?;
    }
    m.orphan_examples.extend(found);
    Ok(())
}

/// The findings of a cross-check.
pub(crate) fn findings(m: &Matched) -> Vec<Finding> {
    let mut out = Vec::new();
    if m.missing > 0 {
        let mut per: Vec<(&String, &u64)> = m.missing_by_project.iter().collect();
        per.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let shown: Vec<String> = per
            .iter()
            .take(10)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        out.push(Finding {
            severity: Severity::Error,
            section: "Media",
            code: "attachment-file-missing",
            message: format!(
                "{} no file (per project: {}{}): those attachments will be missing after the import",
                plural(m.missing, "FileAttachment row has", "FileAttachment rows have"),
                shown.join(", "),
                if per.len() > 10 { ", ..." } else { "" }
            ),
            fix: Some("copy the files from the server's data/attachments (either layout, old project keys included) before making the media zips, or delete those attachments in Jira and back up again".into()),
            count: m.missing,
            examples: m.missing_examples.clone(),
        });
    }
    if m.mismatched > 0 {
        out.push(Finding {
            severity: Severity::Warning,
            section: "Media",
            code: "attachment-file-size-mismatch",
            message: format!(
                "{} in size from its row's filesize: truncated, or another version",
                plural(
                    m.mismatched,
                    "attachment file differs",
                    "attachment files differ"
                )
            ),
            fix: Some("compare them with the files on the server before migrating".into()),
            count: m.mismatched,
            examples: m.mismatched_examples.clone(),
        });
    }
    if m.unresolved.count > 0 {
        out.push(Finding {
            severity: Severity::Warning,
            section: "Media",
            code: "attachment-row-unresolved",
            message: format!(
                "{} malformed (no id, no issue, a filesize that is not a number) or of an issue not in the backup: not fully checked",
                plural(m.unresolved.count, "FileAttachment row is", "FileAttachment rows are")
            ),
            fix: Some("look at those rows in the server's database before exporting".into()),
            count: m.unresolved.count,
            examples: m.unresolved.first.clone(),
        });
    }
    if m.orphans.files > 0 {
        out.push(Finding {
            severity: Severity::Warning,
            section: "Media",
            code: "attachment-file-orphaned",
            message: format!(
                "{} ({}) in data/attachments no FileAttachment row refers to: uploading them costs time for nothing",
                plural(m.orphans.files, "file", "files"),
                bytes(m.orphans.bytes)
            ),
            fix: Some("backup-fix split SOURCE -o OUTDIR --backup BACKUP.zip --only-referenced leaves them out of the media zips".into()),
            count: m.orphans.files,
            examples: m.orphan_examples.clone(),
        });
    }
    if m.thumbnails.files > 0 {
        let mut f = finding(
            Severity::Pass,
            "Media",
            "attachment-thumbnails",
            format!(
                "{} ({}): no row refers to them; the cloud makes its own",
                plural(m.thumbnails.files, "thumbnail", "thumbnails"),
                bytes(m.thumbnails.bytes)
            ),
            Some("backup-fix split ... --no-thumbnails leaves them out of the media zips".into()),
        );
        f.count = m.thumbnails.files;
        out.push(f);
    }
    if m.missing == 0 && m.mismatched == 0 {
        let mut f = finding(
            Severity::Pass,
            "Media",
            "attachment-files",
            format!(
                "{} ({} in all), each where its row says and of its size",
                plural(m.present, "attachment file", "attachment files"),
                plural(m.rows, "FileAttachment row", "FileAttachment rows")
            ),
            None,
        );
        f.count = m.present;
        out.push(f);
    }
    out
}
