//! Writing a planned split: workers that write, read back and verify one
//! zip each (keeping a complete one that matches), a syncer that flushes
//! them to disk and gives them their final names, and the progress meter.

use super::Plan;
use crate::driver::{Phase, Progress, ZipStep};
use crate::error::SplitError;
use crate::media::record::ListReader;
use crate::media::source::SourceData;
use crate::split::manifest::{Manifest, ZipReport, ZipStatus};
use crate::split::options::Compress;
use crate::split::pack::PlannedZip;
use crate::split::verify::{Expect, ZipCheck, check};
use crate::split::writer::{Input, ZipOut};
use crate::zip::ReadError;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

/// How one zip ended: kept or written (with what reading it back found), or the error.
type ZipResult = Result<(ZipStatus, ZipCheck), SplitError>;

/// Shared state of the workers.
struct Shared<'a> {
    next: AtomicUsize,
    stop: AtomicBool,
    done: AtomicU64,
    total: u64,
    /// The caller's callback; workers report one at a time.
    progress: Mutex<&'a mut (dyn FnMut(Progress) + Send)>,
    results: Mutex<Vec<Option<ZipResult>>>,
    notes: Mutex<Vec<String>>,
}

impl Shared<'_> {
    /// Hands `p` to the caller's callback (skipped if an earlier call panicked).
    fn report(&self, p: Progress) {
        if let Ok(mut progress) = self.progress.lock() {
            progress(p);
        }
    }
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
        self.shared
            .report(Progress::new(Phase::Main, done, Some(self.shared.total)));
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
    pub fn write(
        &self,
        outdir: &Path,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Manifest, SplitError> {
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
            progress: Mutex::new(progress),
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
        let name: Arc<str> = Arc::from(zip.name.as_str());
        let step = |step| shared.report(Progress::zip(Arc::clone(&name), step));
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
