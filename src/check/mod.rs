//! `backup-fix check`: know before the upload whether the import will work.
//!
//! One streaming pass over each XML file gives the verdict a strict parser
//! would (the first error, with its line and column, and whether `fix` cures
//! it) and audits what the cloud import refuses or changes: user emails and
//! names, groups that are not migrated, public shares, the Jira version gate,
//! server-local timestamps, texts and project keys over the cloud's limits,
//! the base URL to remap, and for Confluence its spaces and short links. The result is a list of [`Finding`]s, each pass, warning or error.
//!
//! This module holds the entry points and the verdict on one XML stream;
//! the report's types are in `report`, the findings drawn from the audit in
//! `findings`.

mod archive;
mod attachments;
mod audit;
mod findings;
mod guards;
pub mod html;
mod jira_home;
mod jira_media;
mod limits;
mod memberships;
mod report;
mod size;
mod users;

use crate::decode::Decoder;
use crate::driver::{Phase, Progress};
use crate::error::Error;
use crate::location::Location;
use crate::report::{CodePoint, Report, Tally};
use crate::rules::facts::Product;
use crate::sink::NullSink;
use crate::xml::scanner::{Limits, XmlStage};
use audit::Auditor;
use findings::{finding, findings_of};
use std::io::Read;
use std::path::Path;

pub(crate) use jira_home::{
    findings as media_findings, listing_files, media_table_of, name_orphans,
};
pub use jira_media::FileCount;
pub(crate) use jira_media::{MediaTable, join as media_join};
pub use report::{CheckReport, Finding, FirstError, Severity, XmlFileCheck};
pub use size::{AppData, MoveSize, OTHERS};
pub use users::{GroupSummary, UserSummary};

/// How `check` reads XML.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CheckOptions {
    /// Largest single tag held in memory, as [`Options::max_tag_size`](crate::Options::max_tag_size)
    /// for `fix` (`--max-tag-size`).
    pub max_tag_size: usize,
    /// Jira: the attachments to check the backup's `FileAttachment` rows
    /// against (`--attachments`): a Jira home, its `data/attachments`
    /// directory, a media zip, or the output directory of `split`.
    pub attachments: Option<std::path::PathBuf>,
    /// Keep the attachment rows for a cross-check.
    pub(crate) collect_media: bool,
    /// Stops the check between chunks once cancelled
    /// ([`Error::Interrupted`]).
    pub cancel: crate::Cancel,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            max_tag_size: crate::DEFAULT_MAX_TAG_SIZE,
            attachments: None,
            collect_media: false,
            cancel: crate::Cancel::default(),
        }
    }
}

impl CheckOptions {
    /// Sets [`CheckOptions::max_tag_size`].
    pub fn max_tag_size(mut self, bytes: usize) -> Self {
        self.max_tag_size = bytes;
        self
    }

    /// Sets [`CheckOptions::cancel`]: the token the caller (a Ctrl-C
    /// handler) cancels to stop the check.
    pub fn cancel(mut self, token: crate::Cancel) -> Self {
        self.cancel = token;
        self
    }

    /// Sets [`CheckOptions::attachments`].
    pub fn attachments(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.attachments = Some(path.into());
        self
    }
}

/// The first location of a tally, with a message for it.
fn earliest<'a>(
    candidates: impl Iterator<Item = (&'a Tally, String)>,
) -> Option<(Location, String)> {
    candidates
        .filter_map(|(t, msg)| t.first.first().map(|l| (*l, msg)))
        .min_by_key(|(l, _)| l.offset)
}

/// The first character-level problem, in the words of Java's parser.
fn first_curable(r: &Report) -> Option<(Location, String)> {
    let chars = r.removed_chars.iter().map(|(CodePoint(cp), t)| {
        (
            t,
            format!("An invalid XML character (Unicode: 0x{cp:x}) was found"),
        )
    });
    let refs = r.removed_char_refs.iter().map(|(CodePoint(cp), t)| {
        (
            t,
            format!("Character reference \"&#x{cp:x};\" is an invalid XML character"),
        )
    });
    let bytes = [
        (
            &r.invalid_utf8,
            "Invalid byte sequence in UTF-8 (Java: Invalid byte 1 of a UTF-8 sequence)",
        ),
        (
            &r.lone_surrogates,
            "A UTF-8-encoded surrogate is not a valid character",
        ),
        (
            &r.cesu8_pairs,
            "A surrogate pair encoded as two 3-byte sequences (CESU-8) is not valid UTF-8",
        ),
        (
            &r.invalid_encoded,
            "Bytes that are not valid in the declared encoding",
        ),
    ]
    .into_iter()
    .map(|(t, m)| (t, m.to_string()));
    earliest(chars.chain(refs).chain(bytes))
}

/// Checks one XML stream: its verdict and what the audit saw.
/// Checks one XML stream; `tick` hears the number of bytes of each read.
fn check_xml<R: Read>(
    name: &str,
    mut input: R,
    options: &CheckOptions,
    tick: &mut dyn FnMut(u64),
) -> Result<(XmlFileCheck, Auditor), Error> {
    let mut decoder = Decoder::default();
    let limits = Limits {
        max_token: options.max_tag_size,
        keep: 1,
    };
    let mut auditor = Auditor::default();
    if options.collect_media {
        auditor.media = jira_home::MediaSlot::collecting();
    }
    let mut stage = XmlStage::new(auditor, limits);
    let mut buf = vec![0u8; crate::chunked::CHUNK_SIZE];
    let mut bytes = 0u64;
    let mut fatal: Option<Error> = None;
    loop {
        let n = crate::chunked::read_chunk(&mut input, &mut buf, &options.cancel)
            .map_err(|e| e.in_file(name))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        tick(n as u64);
        if let Err(e) = decoder.write(&buf[..n], &mut stage, &mut NullSink) {
            fatal = Some(e);
            break;
        }
    }
    if fatal.is_none() {
        fatal = decoder
            .finish(&mut stage, &mut NullSink)
            .and_then(|()| stage.finish(&mut NullSink))
            .err();
    }
    if let Some(e) = &fatal
        && e.location().is_none()
    {
        // Not an XML problem (I/O): the check itself failed.
        return Err(fatal.unwrap_or(Error::Finished("failed")).in_file(name));
    }
    let report = &stage.report;
    let curable_count = report.changes();
    let curable = first_curable(report);
    let fatal_at = fatal.as_ref().and_then(|e| {
        let message = match e {
            Error::Malformed { kind, .. } => kind.to_string(),
            // The location is shown beside the message, not in it.
            Error::TokenTooLarge { what, limit, .. } => {
                format!("a single {what} is larger than the {limit}-byte limit (--max-tag-size)")
            }
            other => other.to_string(),
        };
        e.location().map(|l| (l, message))
    });
    let over_limit = matches!(fatal, Some(Error::TokenTooLarge { .. }));
    let first_error = match (curable, fatal_at.clone()) {
        (Some(c), Some(f)) if f.0.offset < c.0.offset => Some((f, false)),
        (Some(c), _) => Some((c, true)),
        (None, Some(f)) => Some((f, false)),
        (None, None) => None,
    }
    .map(|((location, message), fix_cures)| FirstError {
        location,
        message,
        fix_cures,
        over_limit: over_limit && !fix_cures,
    });
    let mut auditor = std::mem::take(&mut stage.rules);
    auditor.finish();
    let file = XmlFileCheck {
        name: name.to_string(),
        product: auditor.observer.facts.product,
        bytes,
        well_formed: first_error.is_none(),
        first_error,
        curable: curable_count,
        fix_cures_all: fatal.is_none(),
    };
    Ok((file, auditor))
}

/// Checks one XML file read from `input`; `name` names it in the report.
///
/// ```
/// use backup_fix::check::{Severity, check_xml_stream};
/// let xml = "<entity-engine-xml>\n<User id=\"1\" userName=\"jo\" emailAddress=\"jo@company\"/>\n</entity-engine-xml>";
/// let report = check_xml_stream("entities.xml", xml.as_bytes())?;
/// assert!(report.blocks_import());
/// assert!(report.findings.iter().any(|f| f.code == "email-no-tld" && f.severity == Severity::Error));
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn check_xml_stream<R: Read>(name: &str, input: R) -> Result<CheckReport, Error> {
    let (file, audit) = check_xml(name, input, &CheckOptions::default(), &mut |_| {})?;
    Ok(single_file_report(name.to_string(), file, &audit))
}

/// The report on one XML file checked alone.
fn single_file_report(name: String, file: XmlFileCheck, audit: &Auditor) -> CheckReport {
    let kind = match file.product {
        Some(Product::Jira) => "Jira entities.xml",
        Some(Product::Confluence) => "Confluence entities.xml",
        Some(Product::ActiveObjects) => "Active Objects data",
        _ => "XML file",
    };
    assemble(name, kind.to_string(), vec![file], audit, Vec::new())
}

/// The report from the files' verdicts, what the audit of `entities.xml`
/// saw, and findings on the backup as a whole (`shape`).
fn assemble(
    input: String,
    kind: String,
    files: Vec<XmlFileCheck>,
    audit: &Auditor,
    shape: Vec<Finding>,
) -> CheckReport {
    let mut findings = shape;
    findings.extend(findings_of(&files, audit));
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    CheckReport {
        input,
        kind,
        users: audit.users.summary(),
        backup: audit.observer.facts.clone(),
        spaces: audit.spaces.clone(),
        groups: users::group_summaries(&audit.group_members),
        size: audit.move_size(),
        media: audit.media.clone(),
        files,
        findings,
    }
}

/// Checks a backup at `path`:
/// - a zip (Jira backup or Confluence export), read in place: the zip's
///   shape, every XML entry, and Confluence attachment files against their
///   records;
/// - a directory holding an unpacked export (`entities.xml` at its top);
/// - an XML file, possibly gzip- or zstd-compressed, or `-` for standard input.
///
/// ```no_run
/// let report = backup_fix::check::check_path("confluence-export.zip".as_ref())?;
/// for f in &report.findings {
///     println!("{} {} {}", f.severity, f.section, f.message);
/// }
/// std::process::exit(if report.blocks_import() { 1 } else { 0 });
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn check_path(path: &Path) -> Result<CheckReport, Error> {
    check_path_with(path, &CheckOptions::default(), &mut |_| {})
}

/// The check job: [`check_path`] with [`CheckOptions`] (a larger
/// `max_tag_size` for a backup with genuinely large tags, a [`Cancel`](crate::Cancel)
/// token, the attachments to check against), telling `on_progress` how far
/// it has got: bytes of XML checked out of the XML the backup holds
/// (uncompressed sizes, as the zip's directory or the file system states
/// them), or, for a compressed XML file, compressed bytes read out of the
/// file's size. Attachments are not read, so they do not count.
///
/// ```
/// use backup_fix::check::{CheckOptions, check_path_with};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("entities.xml");
/// std::fs::write(&path, "<entity-engine-xml>\n<User id=\"1\" userName=\"jo\" emailAddress=\"jo@company\"/>\n</entity-engine-xml>\n")?;
///
/// let options = CheckOptions::default().max_tag_size(64 << 20);
/// let mut checked = 0;
/// let report = check_path_with(&path, &options, &mut |p| checked = p.read)?;
/// assert!(report.blocks_import()); // an address without a domain
/// assert!(report.findings.iter().any(|f| f.code == "email-no-tld"));
/// assert_eq!(checked, std::fs::metadata(&path)?.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// With [`CheckOptions::attachments`] (or when `path` is a Jira home: a
/// folder with `export/` and `data/`, whose newest backup zip in `export/`
/// and `data/attachments` are then used), the backup's `FileAttachment`
/// rows are checked against the files: missing, of another size, referred
/// to by no row, thumbnails (section `Attachments`).
///
/// ```no_run
/// use backup_fix::check::{CheckOptions, check_path_with};
/// let options = CheckOptions::default().attachments("/var/atlassian/application-data/jira");
/// let report = check_path_with("jira-backup.zip".as_ref(), &options, &mut |_| {})?;
/// let missing = report.findings.iter().find(|f| f.code == "attachment-file-missing");
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn check_path_with(
    path: &Path,
    options: &CheckOptions,
    on_progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<CheckReport, Error> {
    let resolved = jira_home::resolve(path, options)?;
    let mut options = options.clone();
    options.collect_media |= resolved.attachments.is_some();
    let mut report = check_backup(&resolved.backup, &options, on_progress)?;
    let attachments = resolved.attachments.as_deref();
    jira_home::add_cross_check(&mut report, attachments, resolved.notes, &options.cancel)?;
    Ok(report)
}

/// Checks the backup at `path` (see [`check_path_with`]), without the attachments.
fn check_backup(
    path: &Path,
    options: &CheckOptions,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<CheckReport, Error> {
    if path.as_os_str() != "-" {
        if path.is_dir() {
            return archive::check_dir(path, options, on_progress);
        }
        // The same test as `fix`'s: by content, or by a `.zip` name.
        if crate::is_zip_path(path) {
            return archive::check_zip(path, options, on_progress);
        }
    }
    let name = path.display().to_string();
    let (reader, total, raw) = crate::driver::files::open_decoded(path)?;
    on_progress(Progress::new(Phase::Main, 0, total));
    let (file, audit) = check_xml(&name, reader, options, &mut |_| {
        on_progress(Progress::new(Phase::Main, raw.get(), total));
    })?;
    Ok(single_file_report(name, file, &audit))
}
