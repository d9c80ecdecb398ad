//! Running a split: recognise SOURCE, plan, then write the zips with one
//! worker per core, resuming where an earlier run stopped.
//!
//! Each zip is written as `media-NNN.zip.partial`, read back and verified,
//! and only then renamed to `media-NNN.zip`; an interrupted run leaves only
//! `.partial` files, which the next run deletes. A `media-NNN.zip` that
//! already exists is verified against the plan (entries, sizes, times,
//! CRCs, exact size) and kept when it matches, rewritten when it does not.

use crate::split::error::SplitError;
use crate::split::manifest::{Manifest, ZipReport, ZipStatus};
use crate::split::options::{Compress, SplitOptions};
use crate::split::pack::{PlannedZip, pack};
pub use crate::split::progress::{ProgressFn, SplitProgress, ZipStep};
use crate::split::record::ListReader;
use crate::split::source::SourceKind;
#[cfg(not(feature = "check"))]
use crate::split::source::list_source;
use crate::split::source::{Listing, SourceData, detect};
use crate::split::verify::{Expect, ZipCheck, check};
use crate::split::walk::Findings;
use crate::split::writer::{Input, ZipOut};
use crate::zip::ReadError;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

/// The lock file that keeps two runs out of one output directory.
const LOCK: &str = ".backup-fix-split.lock";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

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
/// let plan = plan("/var/atlassian/application-data/jira".as_ref(), &options, None, &|_| {})?;
/// for zip in plan.zips() {
///     println!("{} {} bytes, {} entries", zip.name, zip.size, zip.entries);
/// }
/// # Ok::<(), backup_fix::split::SplitError>(())
/// ```
pub fn plan(
    source: &Path,
    options: &SplitOptions,
    scratch: Option<&Path>,
    progress: ProgressFn<'_>,
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

fn check_outdir(data: &SourceData, outdir: &Path) -> Result<(), SplitError> {
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
fn clean_leftovers(outdir: &Path) -> Result<(), SplitError> {
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

fn check_strays(outdir: &Path, planned: usize) -> Result<(), SplitError> {
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

/// Splits `source` into media zips in `outdir` and writes `outdir/manifest.json`.
///
/// Resumable: zips already in `outdir` that match the plan are verified and
/// kept; the rest are written. On error, complete zips stay (a rerun keeps
/// them) and no partial zip is left under a final name.
///
/// ```no_run
/// use backup_fix::split::{SplitOptions, split};
/// let manifest = split(
///     "/var/atlassian/application-data/jira".as_ref(),
///     "media-zips".as_ref(),
///     &SplitOptions::default(),
///     &|_| {},
/// )?;
/// for name in manifest.import_order() {
///     println!("import {name}");
/// }
/// # Ok::<(), backup_fix::split::SplitError>(())
/// ```
pub fn split(
    source: &Path,
    outdir: &Path,
    options: &SplitOptions,
    progress: ProgressFn<'_>,
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

/// Holds the output directory's lock; removes the lock file when done.
struct Lock {
    _file: File,
    path: PathBuf,
}

impl Lock {
    fn take(outdir: &Path) -> Result<Lock, SplitError> {
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

fn split_locked(
    source: &Path,
    outdir: &Path,
    options: &SplitOptions,
    progress: ProgressFn<'_>,
) -> Result<Manifest, SplitError> {
    let _lock = Lock::take(outdir)?;
    clean_leftovers(outdir)?;
    let plan = plan(source, options, Some(outdir), progress)?;
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

/// How one zip ended: kept or written (with what reading it back found), or the error.
type ZipResult = Result<(ZipStatus, ZipCheck), SplitError>;

/// Shared state of the workers.
struct Shared<'a> {
    next: AtomicUsize,
    stop: AtomicBool,
    done: AtomicU64,
    total: u64,
    progress: ProgressFn<'a>,
    results: Mutex<Vec<Option<ZipResult>>>,
    notes: Mutex<Vec<String>>,
}

/// A zip written and verified, waiting to be flushed to disk and renamed.
struct Synced {
    index: usize,
    partial: PathBuf,
    target: PathBuf,
    check: ZipCheck,
}

/// How a zip's work ended in a worker.
enum Done {
    /// Finished (kept, or written without flushing).
    Now(ZipStatus, ZipCheck),
    /// Written and verified; the syncer finishes it.
    Later(Synced),
}

/// Counts work in a worker and reports it in steps.
struct Meter<'a, 'b> {
    shared: &'a Shared<'b>,
    pending: u64,
    counted: u64,
}

impl Meter<'_, '_> {
    const STEP: u64 = 4 << 20;

    fn add(&mut self, n: u64) {
        self.pending += n;
        if self.pending >= Self::STEP {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.pending == 0 {
            return;
        }
        self.counted += self.pending;
        let done = self.shared.done.fetch_add(self.pending, Ordering::Relaxed) + self.pending;
        self.pending = 0;
        (self.shared.progress)(SplitProgress::Writing {
            done,
            total: self.shared.total,
        });
    }

    /// Takes back what was counted (work that has to be redone).
    fn undo(&mut self) {
        self.flush();
        self.shared.done.fetch_sub(self.counted, Ordering::Relaxed);
        self.counted = 0;
    }
}

fn read_err(path: &Path) -> impl Fn(ReadError) -> String + '_ {
    move |e| match e {
        ReadError::Io(e) => format!("{}: {e}", path.display()),
        other => other.to_string(),
    }
}

impl Plan {
    /// Writes the planned zips into `outdir` (which must exist), keeping
    /// complete zips that match the plan. Returns the manifest; does not
    /// write it.
    pub fn write(&self, outdir: &Path, progress: ProgressFn<'_>) -> Result<Manifest, SplitError> {
        let n = self.zips.len();
        let shared = Shared {
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            done: AtomicU64::new(0),
            total: self
                .zips
                .iter()
                .map(|z| z.bytes.saturating_mul(2))
                .fold(0, u64::saturating_add),
            progress,
            results: Mutex::new((0..n).map(|_| None).collect()),
            notes: Mutex::new(Vec::new()),
        };
        let workers = self.options.workers(n);
        let (tx, rx) = channel::<Synced>();
        std::thread::scope(|s| {
            let shared = &shared;
            // Flushing to disk overlaps with writing the next zips.
            s.spawn(move || self.syncer(rx, shared));
            for _ in 0..workers {
                let tx = tx.clone();
                s.spawn(move || self.worker(outdir, shared, tx));
            }
            drop(tx);
        });
        let results = shared
            .results
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut reports = Vec::with_capacity(n);
        let mut first_err: Option<SplitError> = None;
        for (zip, r) in self.zips.iter().zip(results) {
            match r {
                Some(Ok((status, check))) => {
                    reports.push(ZipReport::new(zip, status, Some(&check)))
                }
                Some(Err(SplitError::Cancelled | SplitError::Interrupted)) | None => {}
                Some(Err(e)) => {
                    if first_err.is_none() {
                        first_err = Some(e);
                    }
                }
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        self.options.cancel.check()?;
        if reports.len() != n {
            return Err(SplitError::Cancelled);
        }
        let notes = shared
            .notes
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(self.manifest_with(reports, false, notes))
    }

    /// Flushes written zips to disk, then gives them their final names.
    fn syncer(&self, rx: Receiver<Synced>, shared: &Shared<'_>) {
        for job in rx {
            let result = File::open(&job.partial)
                .and_then(|f| f.sync_all())
                .and_then(|()| fs::rename(&job.partial, &job.target))
                .map(|()| (ZipStatus::Written, job.check))
                .map_err(|e| {
                    let _ = fs::remove_file(&job.partial);
                    shared.stop.store(true, Ordering::Relaxed);
                    SplitError::io("flushing to disk", &job.partial, e)
                });
            if let Ok(mut results) = shared.results.lock() {
                results[job.index] = Some(result);
            }
        }
    }

    fn worker(&self, outdir: &Path, shared: &Shared<'_>, tx: Sender<Synced>) {
        let opened = match &self.data {
            SourceData::Tree(tree) => Ok(Input::Tree(tree)),
            SourceData::Zip(path) => File::open(path)
                .and_then(|file| {
                    let len = file.metadata()?.len();
                    Ok(Input::Zip {
                        path,
                        file: crate::zip::ZipInput::new(file, len),
                    })
                })
                .map_err(|e| SplitError::io("reading", path, e)),
        };
        let mut input = match opened {
            Ok(input) => input,
            Err(e) => {
                shared.stop.store(true, Ordering::Relaxed);
                let i = shared.next.fetch_add(1, Ordering::Relaxed);
                if let (true, Ok(mut results)) = (i < self.zips.len(), shared.results.lock()) {
                    results[i] = Some(Err(e));
                }
                return;
            }
        };
        loop {
            let i = shared.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.zips.len() || shared.stop.load(Ordering::Relaxed) {
                return;
            }
            let result = match self.one(i, &mut input, outdir, shared) {
                Ok(Done::Now(status, check)) => Ok((status, check)),
                Ok(Done::Later(job)) => match tx.send(job) {
                    Ok(()) => continue,
                    Err(e) => {
                        let _ = fs::remove_file(&e.0.partial);
                        Err(SplitError::Cancelled)
                    }
                },
                Err(e) => Err(e),
            };
            if result.is_err() {
                shared.stop.store(true, Ordering::Relaxed);
            }
            if let Ok(mut results) = shared.results.lock() {
                results[i] = Some(result);
            }
        }
    }

    fn expect<'a>(&self, zip: &PlannedZip, records: &'a mut ListReader) -> Expect<'a> {
        let exact = self.options.compress == Compress::None;
        Expect {
            records,
            entries: zip.entries,
            size: exact.then_some(zip.size),
            max: if zip.oversize {
                u64::MAX
            } else {
                self.options.max_size
            },
            compress: self.options.compress,
        }
    }

    fn one(
        &self,
        i: usize,
        input: &mut Input<'_>,
        outdir: &Path,
        shared: &Shared<'_>,
    ) -> Result<Done, SplitError> {
        let zip = &self.zips[i];
        let target = outdir.join(&zip.name);
        let partial = outdir.join(format!("{}.partial", zip.name));
        let mut meter = Meter {
            shared,
            pending: 0,
            counted: 0,
        };
        let step = |step| {
            (shared.progress)(SplitProgress::Zip {
                name: zip.name.clone(),
                step,
            })
        };
        if fs::symlink_metadata(&target).is_ok_and(|m| m.is_file()) {
            step(ZipStep::Checking);
            let mut records = ListReader::open(self.list.path(), zip.start)?;
            let found = check(&target, Some(self.expect(zip, &mut records)), &mut |n| {
                meter.add(2 * n)
            });
            match found {
                Ok(check) => {
                    meter.flush();
                    return Ok(Done::Now(ZipStatus::Kept, check));
                }
                Err(e) => {
                    meter.undo();
                    if let Ok(mut notes) = shared.notes.lock() {
                        notes.push(format!(
                            "{} was there but did not match the plan ({}); it was written again",
                            zip.name,
                            read_err(&target)(e)
                        ));
                    }
                    fs::remove_file(&target).map_err(|e| SplitError::io("deleting", &target, e))?;
                }
            }
        }
        step(ZipStep::Writing);
        let written = self.write_zip(zip, input, &partial, outdir, shared, &mut meter);
        let result = written.and_then(|size| {
            step(ZipStep::Verifying);
            if self.options.compress == Compress::None && size != zip.size {
                return Err(SplitError::Verify {
                    path: partial.clone(),
                    reason: format!("it is {size} bytes, the plan says {}", zip.size),
                });
            }
            let mut records = ListReader::open(self.list.path(), zip.start)?;
            check(&partial, Some(self.expect(zip, &mut records)), &mut |n| {
                meter.add(n)
            })
            .map_err(|e| SplitError::Verify {
                path: target.clone(),
                reason: read_err(&partial)(e),
            })
        });
        let check = match result {
            Ok(c) => c,
            Err(e) => {
                let _ = fs::remove_file(&partial);
                return Err(e);
            }
        };
        meter.flush();
        if self.options.sync {
            return Ok(Done::Later(Synced {
                index: i,
                partial,
                target,
                check,
            }));
        }
        fs::rename(&partial, &target).map_err(|e| SplitError::io("renaming", &partial, e))?;
        Ok(Done::Now(ZipStatus::Written, check))
    }

    fn write_zip(
        &self,
        zip: &PlannedZip,
        input: &mut Input<'_>,
        partial: &Path,
        outdir: &Path,
        shared: &Shared<'_>,
        meter: &mut Meter<'_, '_>,
    ) -> Result<u64, SplitError> {
        let mut out = ZipOut::create(partial, outdir)?;
        let mut records = ListReader::open(self.list.path(), zip.start)?;
        for _ in 0..zip.entries {
            self.options.cancel.check()?;
            if shared.stop.load(Ordering::Relaxed) {
                return Err(SplitError::Cancelled);
            }
            let rec = records.next_record()?.ok_or_else(|| SplitError::Io {
                op: "reading the entry list",
                path: self.list.path().to_path_buf(),
                cause: io::ErrorKind::UnexpectedEof.into(),
            })?;
            out.add(&rec, input, self.options.compress, &mut |n| meter.add(n))?;
        }
        out.finish()
    }
}
