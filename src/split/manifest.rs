//! The manifest: what was written (or planned), in import order, as the
//! JSON file `OUTDIR/manifest.json` and as the data the CLI prints.

use crate::error::SplitError;
use crate::media::source::SourceKind;
use crate::media::walk::Skipped;
use crate::split::options::Compress;
use crate::split::pack::{PlannedZip, ProjectSpan};
use crate::split::verify::ZipCheck;
use std::io::Write;
use std::path::Path;

/// What happened to a zip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ZipStatus {
    /// Planned only (`--dry-run`).
    Planned,
    /// Written by this run.
    Written,
    /// Found complete from an earlier run, verified, and kept.
    Kept,
}

/// One zip in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ZipReport {
    /// Position in the import order, from 1.
    pub order: usize,
    /// File name in the output directory.
    pub name: String,
    /// Size on disk in bytes (planned size for a dry run).
    pub size: u64,
    /// Number of entries.
    pub entries: u64,
    /// Uncompressed bytes of its entries.
    pub bytes: u64,
    /// Whether every entry was read back and matched its CRC-32.
    pub crc_checked: bool,
    /// Written, kept, or only planned.
    pub status: ZipStatus,
    /// Whether it holds `data/avatars/`.
    pub avatars: bool,
    /// Whether it holds `logos/`.
    pub logos: bool,
    /// Files directly in `data/attachments/`, outside any project.
    pub loose_files: u64,
    /// Whether it is over `--max-size` (one oversize file, `--allow-oversize`).
    pub oversize: bool,
    /// Projects it holds; split projects carry their issue range.
    pub projects: Vec<ProjectSpan>,
}

impl ZipReport {
    pub(crate) fn new(zip: &PlannedZip, status: ZipStatus, check: Option<&ZipCheck>) -> ZipReport {
        ZipReport {
            order: zip.order,
            name: zip.name.clone(),
            size: check.map_or(zip.size, |c| c.size),
            entries: zip.entries,
            bytes: zip.bytes,
            crc_checked: check.is_some_and(ZipCheck::all_crc_checked),
            status,
            avatars: zip.avatars,
            logos: zip.logos,
            loose_files: zip.loose_files,
            oversize: zip.oversize,
            projects: zip.projects.clone(),
        }
    }

    /// What the zip holds, for people: `avatars, logos, ABC, DEF (DEF-1..DEF-40)`.
    pub fn contents(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.avatars {
            parts.push("avatars".into());
        }
        if self.logos {
            parts.push("logos".into());
        }
        parts.extend(self.projects.iter().map(ProjectSpan::label));
        if self.loose_files > 0 {
            parts.push(crate::report::plural(
                self.loose_files,
                "loose file",
                "loose files",
            ));
        }
        parts.join(", ")
    }
}

/// The result of a split (or of a dry run): zips in import order, with
/// what was left out and what the user should know.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Manifest {
    /// `backup-fix <version>`.
    pub tool: String,
    /// SOURCE as given.
    pub source: String,
    /// What SOURCE was.
    pub source_kind: SourceKind,
    /// `--max-size` in bytes.
    pub max_size: u64,
    /// `--min-size` in bytes.
    pub min_size: u64,
    /// Compression.
    pub compress: Compress,
    /// Whether this is only a plan.
    pub dry_run: bool,
    /// The zips, in the order to import them.
    pub zips: Vec<ZipReport>,
    /// Entries in all zips.
    pub entries: u64,
    /// Uncompressed bytes in all zips.
    pub bytes: u64,
    /// Bytes of all zips on disk.
    pub size: u64,
    /// Entries left out, and why (listed up to 10,000).
    pub skipped: Vec<Skipped>,
    /// How many entries were left out.
    pub skipped_count: u64,
    /// Things to know (zips below `--min-size`, split issues, oversize zips, ...).
    pub warnings: Vec<String>,
    /// The files checked against the backup (`--backup`) and what was left
    /// out (`--only-referenced`, `--no-thumbnails`).
    #[cfg(feature = "check")]
    pub attachments: Option<crate::split::media::AttachmentsCheck>,
}

impl Manifest {
    /// The zip file names in the order to import them.
    pub fn import_order(&self) -> Vec<&str> {
        self.zips.iter().map(|z| z.name.as_str()).collect()
    }

    /// Writes the manifest as JSON to `path`, atomically (temporary file, then rename).
    pub fn write(&self, path: &Path) -> Result<(), SplitError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let err = |e| SplitError::io("writing", path, e);
        let mut tmp = tempfile::Builder::new()
            .prefix(".backup-fix-split-")
            .suffix(".json")
            .tempfile_in(dir)
            .map_err(err)?;
        // Streamed to the file: at a million entries the JSON is tens of MB,
        // which a buffer of the whole text would add to the peak.
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        serde_json::to_writer_pretty(&mut out, self).map_err(|e| err(e.into()))?;
        out.write_all(b"\n").map_err(err)?;
        out.flush().map_err(err)?;
        drop(out);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
                .map_err(err)?;
        }
        tmp.persist(path).map_err(|e| err(e.error))?;
        Ok(())
    }
}
