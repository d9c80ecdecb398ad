//! Running a split: recognise SOURCE, plan, then write the zips with one
//! worker per core, resuming where an earlier run stopped.
//!
//! Each zip is written as `media-NNN.zip.partial`, read back and verified,
//! and only then renamed to `media-NNN.zip`; an interrupted run leaves only
//! `.partial` files, which the next run deletes. A `media-NNN.zip` that
//! already exists is verified against the plan (entries, sizes, times,
//! CRCs, exact size) and kept when it matches, rewritten when it does not.

use crate::driver::Progress;
use crate::error::SplitError;
use crate::media::MANIFEST;
use crate::media::source::SourceKind;
#[cfg(not(feature = "check"))]
use crate::media::source::list_source;
use crate::media::source::{Listing, SourceData, detect};
use crate::media::walk::Findings;
use crate::split::manifest::{Manifest, ZipReport, ZipStatus};
use crate::split::options::{Compress, SplitOptions};
use crate::split::pack::{PlannedZip, pack};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

mod outdir;
mod write;

use outdir::{Lock, check_outdir, check_strays, clean_leftovers};

/// A plan: the zips a split will write, with the entry list behind them.
///
/// Made by [`plan`]; [`Plan::manifest`] describes it without writing anything.
pub struct Plan {
    source: PathBuf,
    kind: SourceKind,
    data: SourceData,
    options: SplitOptions,
    list: tempfile::NamedTempFile,
    zips: Vec<PlannedZip>,
    findings: Findings,
    warnings: Vec<String>,
    #[cfg(feature = "check")]
    attachments: Option<crate::split::media::AttachmentsCheck>,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("source", &self.source)
            .field("kind", &self.kind)
            .field("zips", &self.zips)
            .finish_non_exhaustive()
    }
}

impl Plan {
    /// The zips, in import order.
    pub fn zips(&self) -> &[PlannedZip] {
        &self.zips
    }

    /// What SOURCE is.
    pub fn source_kind(&self) -> SourceKind {
        self.kind
    }

    /// The plan as a manifest, every zip with status [`ZipStatus::Planned`].
    pub fn manifest(&self) -> Manifest {
        let reports = self
            .zips
            .iter()
            .map(|z| ZipReport::new(z, ZipStatus::Planned, None))
            .collect();
        self.manifest_with(reports, true, Vec::new())
    }

    fn manifest_with(&self, zips: Vec<ZipReport>, dry_run: bool, extra: Vec<String>) -> Manifest {
        let mut warnings = self.findings.warnings.clone();
        warnings.extend(self.warnings.iter().cloned());
        warnings.extend(extra);
        Manifest {
            tool: format!("backup-fix {}", env!("CARGO_PKG_VERSION")),
            source: self.source.display().to_string(),
            source_kind: self.kind,
            max_size: self.options.max_size,
            min_size: self.options.min_size,
            compress: self.options.compress,
            dry_run,
            entries: zips.iter().map(|z| z.entries).sum(),
            bytes: zips.iter().map(|z| z.bytes).sum(),
            size: zips.iter().map(|z| z.size).sum(),
            zips,
            skipped: self.findings.skipped.clone(),
            skipped_count: self.findings.skipped_count,
            warnings,
            #[cfg(feature = "check")]
            attachments: self.attachments.clone(),
        }
    }
}

/// Plans a split of `source` without writing any zip: scans SOURCE, checks
/// that every file can be read and fits, and cuts the entries into zips.
/// The entry list is kept in a temporary file in `scratch` (the system's
/// temporary directory when `None`).
///
/// ```no_run
/// use backup_fix::split::{SplitOptions, plan};
/// let options = SplitOptions::default().max_size(4 << 30);
/// let plan = plan("/var/atlassian/application-data/jira".as_ref(), &options, None, &mut |_| {})?;
/// for zip in plan.zips() {
///     println!("{} {} bytes, {} entries", zip.name, zip.size, zip.entries);
/// }
/// # Ok::<(), backup_fix::split::SplitError>(())
/// ```
pub fn plan(
    source: &Path,
    options: &SplitOptions,
    scratch: Option<&Path>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Plan, SplitError> {
    options.validate()?;
    let scratch = scratch.map_or_else(std::env::temp_dir, Path::to_path_buf);
    #[cfg(feature = "check")]
    let (listed, attachments) =
        crate::split::media::list_and_check(source, &scratch, options, progress)?;
    #[cfg(not(feature = "check"))]
    let listed = {
        let listed = list_source(
            source,
            &scratch,
            options.skip_unreadable,
            &options.cancel,
            progress,
        )?;
        if let Some(e) = listed.findings.fatal(options.skip_unreadable) {
            return Err(e);
        }
        listed
    };
    let Listing {
        kind,
        data,
        list,
        count,
        totals,
        findings,
    } = listed;
    if count == 0 {
        return Err(SplitError::NothingToSplit {
            path: source.to_path_buf(),
        });
    }
    let mut warnings = Vec::new();
    if matches!(data, SourceData::Zip(_)) && options.compress != Compress::None {
        warnings.push(
            "--compress is ignored for a zip source: its entries are copied as they are".into(),
        );
    }
    let mut options = options.clone();
    if matches!(data, SourceData::Zip(_)) {
        options.compress = Compress::None;
    }
    let packed = pack(list.path(), &totals, &options)?;
    warnings.extend(packed.warnings);
    Ok(Plan {
        source: source.to_path_buf(),
        kind,
        data,
        options,
        list,
        zips: packed.zips,
        findings,
        warnings,
        #[cfg(feature = "check")]
        attachments,
    })
}

/// Splits `source` into media zips in `outdir` and writes `outdir/manifest.json`.
///
/// Resumable: zips already in `outdir` that match the plan are verified and
/// kept; the rest are written. On error, complete zips stay (a rerun keeps
/// them) and no partial zip is left under a final name.
///
/// `progress` hears [`Phase::Scanning`](crate::driver::Phase::Scanning)
/// while SOURCE is listed, then [`Phase::Main`](crate::driver::Phase::Main)
/// (bytes written and read back, of twice the zips' data) and
/// [`Phase::Zip`](crate::driver::Phase::Zip) as each zip is checked,
/// written and verified (its name in [`Progress::item`]); with more than
/// one job it is called from the workers' threads, one call at a time.
///
/// ```
/// use backup_fix::driver::{Phase, ZipStep};
/// use backup_fix::split::{SplitOptions, split};
///
/// // A tiny Jira home stands in for /var/atlassian/application-data/jira.
/// let home = tempfile::tempdir()?;
/// let issue = home.path().join("data/attachments/ABC/10000/ABC-1");
/// std::fs::create_dir_all(&issue)?;
/// std::fs::write(issue.join("10001"), b"the bytes of one attachment")?;
/// let out = tempfile::tempdir()?;
/// let mut written = Vec::new();
/// let manifest = split(home.path(), out.path(), &SplitOptions::default(), &mut |p| {
///     if let (Phase::Zip(ZipStep::Writing), Some(name)) = (p.phase, p.item) {
///         written.push(name.to_string());
///     }
/// })?;
/// assert_eq!(manifest.import_order(), ["media-001.zip"]);
/// for name in manifest.import_order() {
///     println!("import {name}");
/// }
/// assert_eq!(written, ["media-001.zip"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn split(
    source: &Path,
    outdir: &Path,
    options: &SplitOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Manifest, SplitError> {
    options.validate()?;
    let (_, data) = detect(source)?;
    check_outdir(&data, outdir)?;
    let created = !outdir.exists();
    fs::create_dir_all(outdir).map_err(|e| SplitError::io("creating", outdir, e))?;
    let result = split_locked(source, outdir, options, progress);
    if result.is_err() && created {
        // Only succeeds when nothing was written: no empty directory is left.
        let _ = fs::remove_dir(outdir);
    }
    result
}

fn split_locked(
    source: &Path,
    outdir: &Path,
    options: &SplitOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Manifest, SplitError> {
    let _lock = Lock::take(outdir)?;
    clean_leftovers(outdir)?;
    let plan = plan(source, options, Some(outdir), &mut *progress)?;
    check_strays(outdir, plan.zips.len())?;
    let manifest_path = outdir.join(MANIFEST);
    match fs::remove_file(&manifest_path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(SplitError::io("deleting", &manifest_path, e)),
    }
    let manifest = plan.write(outdir, progress)?;
    manifest.write(&manifest_path)?;
    if options.sync
        && let Ok(dir) = File::open(outdir)
    {
        // Make the renames durable; not all platforms can sync a directory.
        let _ = dir.sync_all();
    }
    Ok(manifest)
}
