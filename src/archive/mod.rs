//! Whole backups: repairs a Jira backup zip or a Confluence export zip in one
//! pass, with the same rules as for XML files.
//!
//! [`fix_zip`] recognises the kind of backup, streams every XML entry
//! (`entities.xml`, `activeobjects.xml`, Confluence `.pdata`) through its own
//! [`Fixer`](crate::Fixer), copies every other entry raw (no recompression,
//! same name, order and timestamps, CRC checked on the way), moves the
//! content of a zipped folder to the root, and writes the result through a
//! temporary file that is checked and renamed into place only when
//! everything succeeded.
//!
//! Reading goes through the central directory, streamed rather than held (so
//! Java-written zips with data descriptors and zip64 extra fields read fine,
//! and a million entries cost no memory per entry); raw copies go straight
//! from input to output in one forward pass; each XML entry is inflated,
//! repaired and deflated on separate threads with bounded queues, deflate
//! split across cores pigz-style (see [`ArchiveOptions::threads`]).
//!
//! ```no_run
//! use backup_fix::{Options, archive::{ArchiveOptions, fix_zip}};
//! let report = fix_zip(
//!     "backup.zip".as_ref(),
//!     "backup-fixed.zip".as_ref(),
//!     &Options::default(),
//!     &ArchiveOptions::default(),
//!     &mut |_| {},
//! )?;
//! eprint!("{report}");
//! # Ok::<(), backup_fix::Error>(())
//! ```

mod deflate;
pub(crate) mod descriptor;
mod error;
pub(crate) mod layout;
mod pipeline;
mod report;
pub(crate) mod stream;

pub use descriptor::rewrite_export_descriptor;
pub use error::ArchiveError;
pub use layout::ArchiveKind;
pub use report::{ArchiveReport, EntryCounts, StageCpu, XmlEntryReport};

use crate::driver::{Phase, Progress};
use crate::error::Error;
use crate::fixer::{FixConfig, Options};
use crate::output::PendingFile;
use crate::rules::facts::BackupFacts;
use crate::zip::inflate::Inflater;
use crate::zip::{CentralEntry, CentralReader, End, ZipInput};
pub(crate) use error::{fault_error, read_error};
use layout::{Survey, SurveyError};
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Default [`ArchiveOptions::level`]: 6, zlib's and Info-ZIP's default.
///
/// Chosen by measurement on a Jira-like backup of 300 MB of XML: the
/// repaired `entities.xml` comes out within 1% of the size Info-ZIP's
/// `zip` (level 6) gives it, where level 5 writes 6% more and level 1 64%
/// more; what the admin uploads is this zip, often over a slow link. Level
/// 1 (`--level 1`) is about four times faster at deflating.
pub const DEFAULT_LEVEL: u32 = 6;
/// Default [`ArchiveOptions::block_size`]: 1 MiB.
pub const DEFAULT_BLOCK_SIZE: usize = 1 << 20;

/// How an archive is written.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ArchiveOptions {
    /// Deflate level of repaired entries, 0 (store in deflate blocks) to 9
    /// (smallest). Copied entries keep their compression.
    pub level: u32,
    /// Threads that deflate repaired entries (at least 1). Reading and the
    /// repair itself have a thread each besides these.
    pub threads: usize,
    /// Size of the blocks deflated independently (pigz-style); each costs
    /// its size in memory per thread, twice.
    pub block_size: usize,
    /// Inflate copied entries to check their CRC-32 (they are still copied
    /// raw). Off, damaged attachments go unnoticed until the import.
    pub check_copies: bool,
    /// Write zip64 records for every entry even when sizes do not need them
    /// (for readers that want them; the default writes them only when needed).
    pub force_zip64: bool,
}

impl Default for ArchiveOptions {
    fn default() -> Self {
        Self {
            level: DEFAULT_LEVEL,
            threads: std::thread::available_parallelism().map_or(2, usize::from),
            block_size: DEFAULT_BLOCK_SIZE,
            check_copies: true,
            force_zip64: false,
        }
    }
}

impl ArchiveOptions {
    /// Sets [`ArchiveOptions::level`] (clamped to 0..=9).
    pub fn level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// Sets [`ArchiveOptions::threads`] (at least 1).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Sets [`ArchiveOptions::block_size`] (at least 64 KiB).
    pub fn block_size(mut self, bytes: usize) -> Self {
        self.block_size = bytes.max(64 << 10);
        self
    }

    /// Sets [`ArchiveOptions::check_copies`].
    pub fn check_copies(mut self, check: bool) -> Self {
        self.check_copies = check;
        self
    }

    /// Sets [`ArchiveOptions::force_zip64`].
    pub fn force_zip64(mut self, force: bool) -> Self {
        self.force_zip64 = force;
        self
    }
}

/// Whether `head` (the first bytes of a file) starts like a zip archive: a
/// local file header (`PK\x03\x04`) or, for an empty archive, the end of
/// central directory record (`PK\x05\x06`).
///
/// ```
/// assert!(backup_fix::archive::is_zip(b"PK\x03\x04\x14\x00"));
/// assert!(!backup_fix::archive::is_zip(b"<?xml version"));
/// ```
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// What a non-zip file looks like, for the error message.
fn describe_head(head: &[u8]) -> String {
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if head.is_empty() {
        "the file is empty".into()
    } else if trimmed.starts_with('<') {
        "it looks like an XML file: repair it as one, without a zip".into()
    } else if head.starts_with(&[0x1f, 0x8b]) {
        "it is gzip-compressed".into()
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "it is Zstandard-compressed".into()
    } else if head.starts_with(b"PK") {
        "it starts like a zip but with an unknown record (a split or spanned archive?)".into()
    } else {
        let shown: Vec<String> = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("it starts with bytes {}", shown.join(" "))
    }
}

fn is_std(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Refuses an output path that names the input (by path or by inode).
fn refuse_same_file(input: &Path, output: &Path) -> Result<(), Error> {
    let (Ok(a), Ok(b)) = (fs::canonicalize(input), fs::canonicalize(output)) else {
        return Ok(());
    };
    let same = a == b || {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            matches!((fs::metadata(&a), fs::metadata(&b)),
                (Ok(x), Ok(y)) if x.dev() == y.dev() && x.ino() == y.ino())
        }
        #[cfg(not(unix))]
        {
            false
        }
    };
    if same {
        return Err(Error::OutputIsInput {
            path: output.to_path_buf(),
        });
    }
    Ok(())
}

/// An archive opened for reading: its end records and a forward reader of
/// its entries. The central directory is streamed from the file on demand.
pub(crate) struct Opened {
    pub path: PathBuf,
    pub end: End,
    pub input: ZipInput,
}

impl Opened {
    /// A new reader of the central directory, from its first record.
    pub(crate) fn central(&self) -> Result<CentralReader, crate::zip::ReadError> {
        CentralReader::new(File::open(&self.path)?, &self.end)
    }

    /// Surveys the archive (see [`layout::survey`]); scratch files go to `scratch`.
    pub(crate) fn survey(&self, scratch: &Path) -> Result<Survey, Error> {
        layout::survey(&mut || self.central(), scratch).map_err(|e| match e {
            SurveyError::Read(r) => read_error(r),
            SurveyError::Shape(a) => a.into(),
            SurveyError::Scratch(io) => io.into(),
        })
    }
}

/// Opens the archive at `path`: checks it is a zip and finds its central directory.
pub(crate) fn open_archive(path: &Path) -> Result<Opened, Error> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut head = [0u8; 64];
    let n = read_up_to(&mut file, &mut head)?;
    let end = match crate::zip::find_end(&mut file, len) {
        Ok(end) => end,
        // Self-extracting archives and zips with a prefix still have their
        // directory at the end; anything else that does not start like a zip
        // is not one.
        Err(_) if !is_zip(&head[..n]) => {
            return Err(ArchiveError::NotAZip {
                found: describe_head(&head[..n]),
            }
            .into());
        }
        Err(e) => return Err(read_error(e)),
    };
    Ok(Opened {
        path: path.to_path_buf(),
        end,
        input: ZipInput::new(file, len),
    })
}

/// Reads as much of `buf` as the file holds.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match crate::chunked::read_some(file, &mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Reads a small entry whole (the export descriptor), or `None` if it is
/// larger than `cap` or cannot be inflated.
pub(crate) fn read_small_entry(
    input: &mut ZipInput,
    e: &CentralEntry,
    cap: u64,
) -> Result<Option<Vec<u8>>, Error> {
    if e.size > cap || e.compressed_size > cap {
        return Ok(None);
    }
    input.local_header(e).map_err(read_error)?;
    let mut raw = vec![0u8; e.compressed_size as usize];
    input.read_exact(&mut raw)?;
    let Ok(mut inf) = Inflater::new(e.method, e.size, e.crc, cap as usize + 1) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    let mut emit = |v: &mut Vec<u8>| {
        out.extend_from_slice(v);
        true
    };
    inf.push(&raw, &mut emit)
        .map_err(|f| fault_error(e.display(), f))?;
    inf.finish(&mut emit)
        .map_err(|f| fault_error(e.display(), f))?;
    Ok(Some(out))
}

/// Repairs the backup zip `input` into a new zip `output`.
///
/// - Every XML entry (`entities.xml`, `activeobjects.xml`, `*.pdata`) is
///   repaired by a [`Fixer`](crate::Fixer) made from `options`;
///   `exportDescriptor.properties` goes through [`rewrite_export_descriptor`];
///   every other entry is copied raw, in the same order, with the same name
///   and timestamps (its CRC is checked unless [`ArchiveOptions::check_copies`]
///   is off).
/// - If the XML files sit inside a folder, the output has that folder's
///   content at its root (the folder's directory entries are left out).
/// - The input is never modified; `output` naming the input is refused.
/// - The output is written to a temporary file beside `output`, read back
///   (central directory, every entry's sizes, CRC and local header), and
///   renamed into place only then: on any error no `output` is left and an
///   existing one is untouched.
/// - `progress` is called with the compressed bytes read so far and the
///   input's size.
///
/// Errors name the file and the entry concerned; see [`ArchiveError`].
///
/// ```no_run
/// use backup_fix::{Options, archive::{ArchiveOptions, fix_zip}};
/// let report = fix_zip(
///     "jira-backup.zip".as_ref(),
///     "jira-backup-fixed.zip".as_ref(),
///     &Options::default(),
///     &ArchiveOptions::default().level(6),
///     &mut |p| eprintln!("{} of {:?} bytes read", p.read, p.total),
/// )?;
/// println!("{} changes; {} entries copied", report.changes(), report.entries.copied);
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn fix_zip(
    input: &Path,
    output: &Path,
    options: &Options,
    archive: &ArchiveOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ArchiveReport, Error> {
    if is_std(input) {
        return Err(Error::from(ArchiveError::InputNotSeekable).in_file(input));
    }
    if is_std(output) || fs::metadata(output).is_ok_and(|m| !m.is_file()) {
        return Err(Error::from(ArchiveError::OutputNotFile).in_file(output));
    }
    refuse_same_file(input, output)?;
    let in_err = |e: Error| e.in_file(input);
    let out_err = |e: Error| e.in_file(output);
    let meta = fs::metadata(input).map_err(|e| in_err(e.into()))?;
    if !meta.is_file() {
        return Err(in_err(ArchiveError::InputNotSeekable.into()));
    }
    // The output file is made now, so a missing or read-only directory
    // fails before any work.
    let mut pending = PendingFile::beside(output).map_err(|e| out_err(e.into()))?;
    let dir = crate::output::directory_of(output);
    let mut opened = open_archive(input).map_err(in_err)?;
    let survey = opened.survey(&dir).map_err(in_err)?;

    // The export descriptor: read now (it is small), rewritten if a rule applies.
    let mut descriptor = descriptor::Descriptor::default();
    let mut replaced = None;
    if let Some(e) = &survey.descriptor
        && let Some(bytes) = read_small_entry(&mut opened.input, e, 1 << 20).map_err(in_err)?
    {
        descriptor = descriptor::parse(&bytes);
        replaced = rewrite_export_descriptor(&bytes, options);
    }

    // Facts the repair needs (the zone for `--tz auto`, the base URL, the
    // Confluence page index): a first pass over entities.xml, which stops once
    // it knows enough. The descriptor's `timezoneId` is the Confluence zone.
    let facts = if options.needs_facts() {
        let mut known = BackupFacts::default();
        if let Some(zone) = &descriptor.timezone_id {
            known = known.with_zone(zone.clone(), "exportDescriptor.properties timezoneId");
        }
        let of = Some(survey.entities.size);
        let mut first_pass = |done| progress(Progress::new(Phase::FirstPass, done, of));
        Some(
            stream::scan_entry(
                &mut opened.input,
                &survey.entities,
                options,
                known,
                &mut first_pass,
            )
            .map_err(in_err)?,
        )
    } else {
        None
    };
    // Options that cannot work (e.g. `--tz auto` on a backup that states no
    // zone) fail here, before anything is written.
    let config = match facts {
        Some(facts) => FixConfig::with_facts(options, facts),
        None => FixConfig::new(options),
    }
    .map_err(in_err)?;

    let settings = pipeline::Settings {
        level: archive.level.min(9),
        threads: archive.threads.max(1),
        block_size: archive.block_size.max(64 << 10),
        check_copies: archive.check_copies,
        force_zip64: archive.force_zip64,
        scratch: dir.clone(),
    };
    let len = opened.input.len();
    let work = Some(survey.kept_bytes);
    let mut tick = |read| progress(Progress::new(Phase::Main, read, work));
    let central = opened.central().map_err(|e| in_err(read_error(e)))?;
    let job = pipeline::RunInputs {
        survey: &survey,
        descriptor: replaced.as_deref(),
        comment: &opened.end.comment,
        config: &config,
        cancel: &options.cancel,
        settings: &settings,
    };
    let outcome = pipeline::run(central, &mut opened.input, pending.file(), &job, &mut tick)
        .map_err(|f| match f {
            pipeline::Failure::Input(e) => in_err(e),
            pipeline::Failure::Output(e) => out_err(e),
        })?;
    progress(Progress::new(Phase::Syncing, 0, None));
    pending.file().sync_all().map_err(|e| out_err(e.into()))?;
    let mut verifying = |done, of| progress(Progress::new(Phase::Verifying, done, Some(of)));
    crate::zip::verify::verify(pending.path(), outcome.digest, &mut verifying)
        .map_err(|detail| out_err(ArchiveError::Verify { detail }.into()))?;
    pending.commit().map_err(|e| out_err(e.into()))?;
    Ok(build_report(&survey, descriptor, outcome, len))
}

fn build_report(
    survey: &Survey,
    descriptor: descriptor::Descriptor,
    outcome: pipeline::Outcome,
    input_bytes: u64,
) -> ArchiveReport {
    let counts = outcome.counts;
    let asked_to_drop_app_data = outcome.xml.iter().any(|(_, r, _, _)| r.app_data.is_some());
    let xml: Vec<XmlEntryReport> = outcome
        .xml
        .into_iter()
        .map(|(name, mut report, compressed_bytes, cpu)| {
            // `--drop-app-data` is reported on the app data entries only.
            if report.app_data.as_ref().is_some_and(|a| !a.app_data) {
                report.app_data = None;
            }
            XmlEntryReport {
                name,
                report,
                compressed_bytes,
                cpu,
            }
        })
        .collect();
    let sniffed = outcome.sniffed;
    let kind = match descriptor.export_type.as_deref() {
        Some("space") => ArchiveKind::ConfluenceSpace,
        Some("all") => ArchiveKind::ConfluenceSite,
        _ if survey.descriptor.is_some() || sniffed.confluence => ArchiveKind::Confluence,
        _ if sniffed.jira || survey.has_activeobjects => ArchiveKind::JiraBackup,
        _ => ArchiveKind::Unknown,
    };
    let mut warnings = Vec::new();
    if kind == ArchiveKind::JiraBackup && !survey.has_activeobjects {
        warnings.push(
            "no activeobjects.xml beside entities.xml: a Jira cloud import expects both; check the backup is complete"
                .to_owned(),
        );
    }
    if kind == ArchiveKind::Unknown {
        warnings.push(
            "entities.xml is neither a Jira (<entity-engine-xml>) nor a Confluence (<hibernate-generic>) export; it was repaired as plain XML"
                .to_owned(),
        );
    }
    if asked_to_drop_app_data && xml.iter().all(|x| x.report.app_data.is_none()) {
        warnings.push(
            "--drop-app-data: the backup holds no app data (no activeobjects.xml, no .pdata): nothing was dropped"
                .to_owned(),
        );
    }
    if outcome.unchecked > 0 {
        warnings.push(format!(
            "{} copied entries use a compression method backup-fix cannot inflate; they were copied without a CRC check",
            outcome.unchecked
        ));
    }
    let build_number = match kind {
        ArchiveKind::JiraBackup | ArchiveKind::Unknown => sniffed.build,
        _ => descriptor.build_number,
    };
    ArchiveReport {
        kind,
        product_version: sniffed.version,
        build_number,
        space_key: descriptor.space_key,
        descriptor_rewritten: counts.rewritten > 0,
        entries: counts,
        moved_to_root: survey.moved_from.clone(),
        xml,
        input_bytes,
        output_bytes: outcome.output_bytes,
        zip64: outcome.zip64,
        warnings,
    }
}
