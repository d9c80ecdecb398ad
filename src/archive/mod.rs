//! Whole backups: repairs a Jira backup zip or a Confluence export zip in one
//! pass, with the same rules as for XML files.
//!
//! [`fix_zip`] recognises the kind of backup, streams every XML entry
//! (`entities.xml`, `activeobjects.xml`, Confluence `.pdata`) through its own
//! [`Fixer`], copies every other entry raw (no recompression,
//! same name, order and timestamps, CRC checked on the way), moves the
//! content of a zipped folder to the root, and writes the result through a
//! temporary file that is checked and renamed into place only when
//! everything succeeded.
//!
//! Reading goes through the central directory (so Java-written zips with
//! data descriptors and zip64 extra fields read fine); inflating, repairing
//! and deflating run on separate threads with bounded queues, and deflate
//! is split across cores pigz-style (see [`ArchiveOptions::threads`]).
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
mod entry;
mod eocd;
mod error;
mod inflate;
pub(crate) mod layout;
mod pipeline;
mod report;
pub(crate) mod stream;
mod verify;
mod writer;

pub use descriptor::rewrite_export_descriptor;
pub use error::ArchiveError;
pub use layout::ArchiveKind;
pub use report::{ArchiveReport, EntryCounts, XmlEntryReport};

use crate::driver::Progress;
use crate::error::Error;
use crate::fixer::{Fixer, Options};
use crate::rules::facts::BackupFacts;
use entry::{SourceEntry, read_central_directory, read_local_header};
use inflate::Inflater;
use layout::{Action, Plan};
use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Default [`ArchiveOptions::level`]: 1, the fastest deflate.
pub const DEFAULT_LEVEL: u32 = 1;
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

/// Opens the archive: checks it is a zip, reads and parses its central directory.
pub(crate) fn open_archive(
    file: &mut File,
    len: u64,
) -> Result<(Vec<SourceEntry>, Vec<u8>), Error> {
    let mut head = [0u8; 4];
    let n = file.read(&mut head)?;
    if !is_zip(&head[..n]) {
        // Self-extracting archives and zips with a prefix still have their
        // directory at the end: let the reader decide before giving up.
        let mut probe = [0u8; 64];
        file.seek(SeekFrom::Start(0))?;
        let m = file.read(&mut probe)?;
        if zip::ZipArchive::new(&*file).is_err() {
            return Err(ArchiveError::NotAZip {
                found: describe_head(&probe[..m]),
            }
            .into());
        }
    }
    // The end records lead to the directory; read it one record at a time
    // (the zip crate's reader, used when they do not, indexes every entry
    // in memory, which archives of many attachments cannot afford).
    if let Some(dir) = eocd::find_directory(file, len)? {
        let count = usize::try_from(dir.count).unwrap_or(usize::MAX);
        let entries = read_central_directory(file, dir.start, dir.archive_offset, count)?;
        return Ok((entries, dir.comment));
    }
    file.seek(SeekFrom::Start(0))?;
    let archive = zip::ZipArchive::new(&*file).map_err(|e| {
        let detail = match e {
            zip::result::ZipError::Io(e) => format!("cannot read it: {e}"),
            zip::result::ZipError::InvalidArchive(m) if m.contains("EOCD") => {
                "its end record and central directory, at the end of the file, are missing".into()
            }
            zip::result::ZipError::InvalidArchive(m) => {
                format!("its central directory is damaged: {m}")
            }
            zip::result::ZipError::UnsupportedArchive(m) => m.to_string(),
            other => other.to_string(),
        };
        Error::Archive(ArchiveError::Damaged { detail })
    })?;
    let start = archive.central_directory_start();
    let offset = archive.offset();
    let count = archive.len();
    let comment = archive.comment().to_vec();
    drop(archive);
    if start > len {
        return Err(ArchiveError::Damaged {
            detail: "the central directory starts past the end of the file".into(),
        }
        .into());
    }
    let entries = read_central_directory(file, start, offset, count)?;
    Ok((entries, comment))
}

/// Reads a small entry whole (the export descriptor), or `None` if it is
/// larger than `cap` or cannot be inflated.
pub(crate) fn read_small_entry(
    file: &mut File,
    len: u64,
    e: &SourceEntry,
    cap: u64,
) -> Result<Option<Vec<u8>>, Error> {
    if e.size > cap || e.compressed_size > cap {
        return Ok(None);
    }
    let local = read_local_header(file, e, len)?;
    file.seek(SeekFrom::Start(local.data_start))?;
    let mut raw = vec![0u8; e.compressed_size as usize];
    file.read_exact(&mut raw)?;
    let Ok(mut inf) = Inflater::new(e.method, e.size, e.crc, cap as usize + 1) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    let mut emit = |v: &mut Vec<u8>| {
        out.extend_from_slice(v);
        true
    };
    let fault = |f: inflate::Fault| {
        Error::Archive(ArchiveError::CorruptEntry {
            entry: e.display().to_owned(),
            detail: f.describe(),
        })
    };
    inf.push(&raw, &mut emit).map_err(fault)?;
    inf.finish(&mut emit).map_err(fault)?;
    Ok(Some(out))
}

fn is_attachment(name: &str) -> bool {
    name.starts_with("attachments/") || name.starts_with("data/attachments/")
}

/// Repairs the backup zip `input` into a new zip `output`.
///
/// - Every XML entry (`entities.xml`, `activeobjects.xml`, `*.pdata`) is
///   repaired by a [`Fixer`] made from `options`;
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
    progress: &mut dyn FnMut(Progress),
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
    let mut file = File::open(input).map_err(|e| in_err(e.into()))?;
    let meta = file.metadata().map_err(|e| in_err(e.into()))?;
    if !meta.is_file() {
        return Err(in_err(ArchiveError::InputNotSeekable.into()));
    }
    let len = meta.len();
    let (entries, comment) = open_archive(&mut file, len).map_err(in_err)?;
    let input_entries = entries.len() as u64;
    let plan: Plan = layout::plan(entries).map_err(|e| in_err(e.into()))?;

    // The export descriptor: read now (it is small), rewritten if a rule applies.
    let mut descriptor = descriptor::Descriptor::default();
    let mut replaced = HashMap::new();
    if let Some(i) = plan.descriptor {
        let e = &plan.entries[i].src;
        if let Some(bytes) = read_small_entry(&mut file, len, e, 1 << 20).map_err(in_err)? {
            descriptor = descriptor::parse(&bytes);
            if let Some(new) = rewrite_export_descriptor(&bytes, options) {
                replaced.insert(i, new);
            }
        }
    }

    // Facts the repair needs (the zone for `--tz auto`, the base URL, the
    // Confluence page index): a first pass over entities.xml, which stops once
    // it knows enough. The descriptor's `timezoneId` is the Confluence zone.
    let facts = if options.needs_facts() {
        let mut known = BackupFacts::default();
        if let Some(zone) = &descriptor.timezone_id {
            known = known.with_zone(zone.clone(), "exportDescriptor.properties timezoneId");
        }
        let entities = &plan.entries[plan.entities].src;
        Some(stream::scan_entry(&mut file, len, entities, options, known).map_err(in_err)?)
    } else {
        None
    };
    // Options that cannot work (e.g. `--tz auto` on a backup that states no
    // zone) fail here, before anything is written.
    match &facts {
        Some(facts) => Fixer::with_facts(options.clone(), facts.clone()),
        None => Fixer::new(options.clone()),
    }
    .map_err(in_err)?;

    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".backup-fix-")
        .suffix(".partial")
        .tempfile_in(&dir)
        .map_err(|e| out_err(e.into()))?;
    let settings = pipeline::Settings {
        level: archive.level.min(9),
        threads: archive.threads.max(1),
        block_size: archive.block_size.max(64 << 10),
        check_copies: archive.check_copies,
        force_zip64: archive.force_zip64,
        scratch: dir.clone(),
    };
    let mut tick = |read| {
        progress(Progress {
            read,
            total: Some(len),
        })
    };
    let outcome = pipeline::run(
        &file,
        len,
        &plan,
        &replaced,
        tmp.as_file(),
        &comment,
        options,
        facts.as_ref(),
        &settings,
        &mut tick,
    )
    .map_err(|f| match f {
        pipeline::Failure::Input(e) => in_err(e),
        pipeline::Failure::Output(e) => out_err(e),
    })?;
    tmp.as_file().sync_all().map_err(|e| out_err(e.into()))?;
    let names = outcome
        .written_idx
        .iter()
        .map(|&i| plan.entries[i].out_name());
    verify::verify(tmp.path(), &outcome.written, names).map_err(|e| out_err(e.into()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644))
            .map_err(|e| out_err(e.into()))?;
    }
    tmp.persist(output).map_err(|e| out_err(e.error.into()))?;
    progress(Progress {
        read: len,
        total: Some(len),
    });
    Ok(build_report(
        plan,
        input_entries,
        descriptor,
        &replaced,
        outcome,
        len,
    ))
}

fn build_report(
    plan: Plan,
    input_entries: u64,
    descriptor: descriptor::Descriptor,
    replaced: &HashMap<usize, Vec<u8>>,
    outcome: pipeline::Outcome,
    input_bytes: u64,
) -> ArchiveReport {
    let mut counts = EntryCounts {
        input: input_entries,
        output: outcome.written.len() as u64,
        ..Default::default()
    };
    for (i, p) in plan.entries.iter().enumerate() {
        match p.action {
            Action::Drop => counts.dropped += 1,
            Action::Fix => counts.xml += 1,
            _ if replaced.contains_key(&i) => counts.rewritten += 1,
            Action::Copy | Action::Descriptor => {
                counts.copied += 1;
                if p.src.is_dir() {
                    counts.directories += 1;
                } else if is_attachment(p.out_display()) {
                    counts.attachments += 1;
                }
            }
        }
    }
    let compressed: HashMap<usize, u64> = outcome
        .written_idx
        .iter()
        .zip(&outcome.written)
        .map(|(&i, w)| (i, w.sizes.compressed))
        .collect();
    let xml = outcome
        .xml
        .into_iter()
        .map(|(i, report)| XmlEntryReport {
            name: plan.entries[i].out_display().to_owned(),
            report,
            compressed_bytes: compressed.get(&i).copied().unwrap_or(0),
        })
        .collect();
    let sniffed = outcome.sniffed;
    let kind = match descriptor.export_type.as_deref() {
        Some("space") => ArchiveKind::ConfluenceSpace,
        Some("all") => ArchiveKind::ConfluenceSite,
        _ if plan.descriptor.is_some() || sniffed.confluence => ArchiveKind::Confluence,
        _ if sniffed.jira || plan.has_activeobjects => ArchiveKind::JiraBackup,
        _ => ArchiveKind::Unknown,
    };
    let mut warnings = Vec::new();
    if kind == ArchiveKind::JiraBackup && !plan.has_activeobjects {
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
        entries: counts,
        moved_to_root: plan.moved_from,
        xml,
        descriptor_rewritten: !replaced.is_empty(),
        input_bytes,
        output_bytes: outcome.output_bytes,
        zip64: outcome.zip64,
        warnings,
    }
}
