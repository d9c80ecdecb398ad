//! `check` on a whole backup: a zip, read in place (each XML entry inflated
//! as it is checked, nothing unpacked to disk), or an unpacked Confluence
//! export directory. Adds what only the whole backup shows: whether the zip
//! reads, whether `entities.xml` is at the root with the entries the importer
//! expects beside it, and whether every Confluence attachment record has its
//! file, of the size the record states.

use super::attachments::{EXAMPLES, Files, Ledger, join};
use super::audit::Auditor;
use super::size::{Apps, Counts, attachment_folder};
use super::{
    CheckOptions, CheckReport, Finding, Severity, XmlFileCheck, assemble, check_xml, finding,
};
use crate::archive::layout::Action;
use crate::archive::stream::open_entry;
use crate::archive::{
    ArchiveError, descriptor, fault_error, open_archive, read_error, read_small_entry,
};
use crate::driver::{Phase, Progress};
use crate::error::Error;
use crate::readahead::read_ahead;
use crate::report::plural;
use crate::rules::facts::{Product, Stated};
use crate::zip::data::{Checked, DataError, read_data};
use crate::zip::inflate::Spare;
use crate::zip::{CentralEntry, ZipInput};
use std::fs::{self, File};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Findings on Confluence attachment records against the files present.
fn attachment_findings(
    records: Ledger,
    files: Files,
    backed_up: Option<bool>,
) -> Result<Vec<Finding>, Error> {
    if backed_up == Some(false) {
        return Ok(vec![finding(
            Severity::Warning,
            "Confluence",
            "attachments-not-exported",
            format!(
                "the export was made without attachments (backupAttachments=false): {} will have no file",
                plural(records.len(), "attachment", "attachments")
            ),
            Some("export again with attachments included".into()),
        )]);
    }
    let complete = files.complete;
    let m = join(records, files)?;
    let mut out = Vec::new();
    if m.missing > 0 && complete {
        out.push(Finding {
            severity: Severity::Warning,
            section: "Confluence",
            code: "attachment-missing",
            message: format!(
                "{} no file in the export: those attachments will be empty or missing after the import",
                plural(m.missing, "attachment record has", "attachment records have")
            ),
            fix: Some(
                "copy the files from the server's attachments directory into the export, or export again".into(),
            ),
            count: m.missing,
            examples: m.missing_examples,
        });
    }
    if m.mismatched > 0 {
        out.push(Finding {
            severity: Severity::Warning,
            section: "Confluence",
            code: "attachment-size-mismatch",
            message: format!(
                "{} in size from their record: they may be truncated or the wrong version",
                plural(
                    m.mismatched,
                    "attachment file differs",
                    "attachment files differ"
                )
            ),
            fix: Some("compare them with the files on the server before migrating".into()),
            count: m.mismatched,
            examples: m.mismatched_examples,
        });
    }
    if out.is_empty() && m.present > 0 {
        let trash = if m.trashed > 0 {
            format!(
                " ({} without a file, which is normal)",
                plural(m.trashed, "trashed attachment", "trashed attachments")
            )
        } else {
            String::new()
        };
        out.push(finding(
            Severity::Pass,
            "Confluence",
            "attachments",
            format!(
                "{}, each where its record says and of its size{trash}",
                plural(m.present, "attachment file", "attachment files")
            ),
            None,
        ));
    }
    Ok(out)
}

/// What the export descriptor adds: the zone, whether attachments were exported.
fn apply_descriptor(d: &descriptor::Descriptor, audit: &mut Auditor) {
    if let Some(zone) = &d.timezone_id {
        audit.observer.facts.zone.get_or_insert_with(|| Stated {
            value: zone.clone(),
            source: "exportDescriptor.properties timezoneId".into(),
        });
    }
}

/// The descriptor's verdict on the export kind, for the report's title.
fn kind_of(
    product: Option<Product>,
    d: Option<&descriptor::Descriptor>,
    container: &str,
) -> String {
    let what = match (product, d.and_then(|d| d.export_type.as_deref())) {
        (_, Some("space")) => "Confluence space export",
        (_, Some("all")) => "Confluence site export",
        (Some(Product::Confluence), _) => "Confluence export",
        (Some(Product::Jira), _) => "Jira backup",
        _ => "backup of unknown kind",
    };
    format!("{what}, {container}")
}

/// A report whose only finding is that the archive cannot be used.
fn unusable(input: &str, code: &'static str, e: &ArchiveError) -> CheckReport {
    let fix = match e {
        ArchiveError::NotAZip { .. } => None,
        _ => Some("make the backup again, or check the copy is complete".into()),
    };
    CheckReport {
        input: input.to_string(),
        kind: "zip archive".into(),
        findings: vec![finding(
            Severity::Error,
            "Archive",
            code,
            e.to_string(),
            fix,
        )],
        ..CheckReport::default()
    }
}

/// Counts bytes checked across several XML files for one progress report.
struct Meter<'a> {
    on_progress: &'a mut dyn FnMut(Progress),
    read: u64,
    /// Bytes another thread has checked.
    beside: u64,
    reported: u64,
    total: u64,
}

impl<'a> Meter<'a> {
    fn new(on_progress: &'a mut dyn FnMut(Progress), total: u64) -> Self {
        on_progress(Progress::new(Phase::Main, 0, Some(total)));
        Self {
            on_progress,
            read: 0,
            beside: 0,
            reported: 0,
            total,
        }
    }

    /// Reports the whole total as done.
    fn finish(&mut self) {
        self.beside = 0;
        self.read = self.read.max(self.total);
        self.reported = 0;
        self.tick(0);
    }

    /// Notes what another thread has checked so far.
    fn beside(&mut self, n: u64) {
        self.beside = self.beside.max(n);
    }

    fn tick(&mut self, n: u64) {
        self.read += n;
        let done = self.read + self.beside;
        // Many small entries: report each MiB, not each entry.
        if done - self.reported.min(done) < (1 << 20) && done < self.total {
            return;
        }
        self.reported = done;
        // A declared size can be short of the truth; never report past the end.
        (self.on_progress)(Progress::new(Phase::Main, done, Some(self.total.max(done))));
    }
}

/// What checking one XML entry found: its check and audit, or damage.
enum XmlOutcome {
    Checked(XmlFileCheck, Box<Auditor>),
    Damaged(String),
}

/// Checks the XML entry `e` (named `name` in reports) from `input`;
/// `progress` hears how many of its compressed bytes are done (roughly).
fn check_one_xml(
    input: &mut ZipInput,
    e: &CentralEntry,
    name: &str,
    stop: &AtomicBool,
    ahead: bool,
    options: &CheckOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<XmlOutcome, Error> {
    let mut reader = match open_entry(input, e) {
        Ok(r) => r,
        Err(Error::Archive(a)) => return Ok(XmlOutcome::Damaged(a.to_string())),
        Err(err) => return Err(err),
    };
    let (size, compressed) = (e.size.max(1), e.compressed_size);
    let run = |r: &mut dyn std::io::Read| {
        let stoppable = Stoppable { inner: r, stop };
        check_xml(name, stoppable, options, &mut |n| {
            progress(
                u64::try_from(u128::from(n) * u128::from(compressed) / u128::from(size))
                    .unwrap_or(compressed),
            )
        })
    };
    // Inflating on a thread of its own when asked: the check of a large
    // entities.xml then runs at the speed of the XML work alone.
    let result = if ahead {
        read_ahead(&mut reader, |r| run(r)).0
    } else {
        run(&mut reader)
    };
    if let Some(fault) = reader.damage(e.display()) {
        return Ok(XmlOutcome::Damaged(fault.to_string()));
    }
    let (check, auditor) = result?;
    progress(compressed);
    Ok(XmlOutcome::Checked(check, Box::new(auditor)))
}

/// A reader that fails once `stop` is set (the other thread gave up).
struct Stoppable<'a, R: ?Sized> {
    inner: &'a mut R,
    stop: &'a AtomicBool,
}

impl<R: std::io::Read + ?Sized> std::io::Read for Stoppable<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(std::io::Error::other(
                "stopped: the rest of the check failed",
            ));
        }
        self.inner.read(buf)
    }
}

/// A finding for damage a check found (the message names the entry).
fn damage_finding(message: String) -> Finding {
    finding(
        Severity::Error,
        "Archive",
        "entry-damaged",
        message,
        Some("copy the zip again; if the copy at the source is damaged too, export again".into()),
    )
}

/// Checks a backup zip: its structure, every entry's data against its CRC
/// (attachments too, as `unzip -t` does), and the XML entries in full.
pub(crate) fn check_zip(
    path: &Path,
    options: &CheckOptions,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<CheckReport, Error> {
    let input = path.display().to_string();
    let in_file = |e: Error| e.in_file(path);
    let scratch = std::env::temp_dir();
    let opened = match open_archive(path) {
        Ok(o) => o,
        Err(Error::Archive(e)) => return Ok(unusable(&input, "zip-unreadable", &e)),
        Err(e) => return Err(in_file(e)),
    };
    let mut opened = opened;
    let survey = match opened.survey(&scratch) {
        Ok(s) => s,
        Err(Error::Archive(e @ ArchiveError::Damaged { .. }))
        | Err(Error::Archive(e @ ArchiveError::CorruptEntry { .. })) => {
            return Ok(unusable(&input, "zip-unreadable", &e));
        }
        Err(Error::Archive(e)) => return Ok(unusable(&input, "archive-shape", &e)),
        Err(e) => return Err(in_file(e)),
    };
    let mut shape = Vec::new();
    if let Some(folder) = &survey.moved_from {
        shape.push(finding(
            Severity::Error,
            "Archive",
            "entities-not-at-root",
            format!("entities.xml is inside the folder {folder:?}: the cloud import stops with \"The import archive doesn't contain entities.xml file\""),
            Some("backup-fix fix moves the folder's content to the root of its output".into()),
        ));
    }
    if survey.root_entries > 0 {
        shape.push(finding(
            Severity::Pass,
            "Archive",
            "root-entry",
            format!(
                "{} directory entr{} named \"/\" for the archive's root (Confluence writes one in its site backups): harmless, and left out by backup-fix fix",
                survey.root_entries,
                if survey.root_entries == 1 { "y" } else { "ies" }
            ),
            None,
        ));
    }
    let mut damage = Vec::new();
    let descriptor = match &survey.descriptor {
        Some(e) => match read_small_entry(&mut opened.input, e, 1 << 20) {
            Ok(bytes) => bytes.map(|bytes| descriptor::parse(&bytes)),
            Err(Error::Archive(a)) => {
                damage.push(a.to_string());
                None
            }
            Err(e) => return Err(in_file(e)),
        },
        None => None,
    };
    let mut files = Vec::new();
    let mut audit = None;
    let mut attachments = Files::new(&scratch);
    let mut apps = Apps::default();
    let mut attachment_bytes = Counts::default();
    let mut meter = Meter::new(on_progress, opened.input.len());
    let mut central = opened.central().map_err(|e| in_file(read_error(e)))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut spare = Spare::default();
    let (mut entries, mut checked, mut unchecked) = (0u64, 0u64, 0u64);
    // entities.xml, the largest part of the work, is checked on a thread of
    // its own (with its own reader of the file) while this one checks the
    // other entries' data.
    let entities = &survey.entities;
    let entities_name = survey.decide(entities).out_display(entities).to_owned();
    let xml_progress = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let never = AtomicBool::new(false);
    let (rest, first) = std::thread::scope(|s| {
        let first = s.spawn(|| -> Result<XmlOutcome, Error> {
            let file = File::open(path)?;
            let len = file.metadata()?.len();
            let mut input = ZipInput::new(file, len);
            check_one_xml(
                &mut input,
                entities,
                &entities_name,
                &stop,
                true,
                options,
                &|n| xml_progress.store(n, Ordering::Relaxed),
            )
        });
        let rest = (|| -> Result<(), Error> {
            let mut index = 0u64;
            while let Some(e) = central.next_entry().map_err(|e| in_file(read_error(e)))? {
                options.cancel.check()?;
                let this = index;
                index += 1;
                let d = survey.decide(&e);
                if !d.kept() {
                    continue;
                }
                entries += 1;
                meter.beside(xml_progress.load(Ordering::Relaxed));
                if this == survey.entities_index {
                    continue;
                }
                let name = d.out_display(&e);
                if d.action == Action::Fix {
                    match check_one_xml(
                        &mut opened.input,
                        &e,
                        name,
                        &never,
                        false,
                        options,
                        &|_| {},
                    )? {
                        XmlOutcome::Checked(check, other) => {
                            apps.merge(&other.apps);
                            checked += 1;
                            files.push(check);
                        }
                        XmlOutcome::Damaged(message) => damage.push(message),
                    }
                    meter.tick(e.compressed_size);
                    continue;
                }
                if !e.is_dir() {
                    attachments.add(name, e.size);
                    if let Some(folder) = attachment_folder(name) {
                        attachment_bytes.add(folder, e.size);
                    }
                }
                let result = opened
                    .input
                    .local_header(&e)
                    .map_err(DataError::Read)
                    .and_then(|_| {
                        read_data(
                            &mut opened.input,
                            &e,
                            true,
                            &mut buf,
                            &mut spare,
                            &options.cancel,
                            &mut |_| Ok(()),
                        )
                    });
                match result {
                    Ok(Checked::Yes) => checked += 1,
                    Ok(Checked::No) => unchecked += u64::from(!e.is_dir()),
                    Err(DataError::Read(r)) => damage.push(read_error(r).to_string()),
                    Err(DataError::Fault(f)) => {
                        damage.push(fault_error(e.display(), f).to_string())
                    }
                    Err(DataError::Sink(io)) => return Err(in_file(io.into())),
                    Err(DataError::Interrupted) => return Err(Error::Interrupted),
                }
                meter.tick(e.compressed_size);
            }
            Ok(())
        })();
        if rest.is_err() {
            // Stop the thread at its next read.
            stop.store(true, Ordering::Relaxed);
        }
        (rest, first.join())
    });
    rest?;
    match first {
        Ok(Ok(XmlOutcome::Checked(check, auditor))) => {
            checked += 1;
            files.insert(0, check);
            audit = Some(*auditor);
        }
        Ok(Ok(XmlOutcome::Damaged(message))) => damage.insert(0, message),
        Ok(Err(e)) => return Err(in_file(e)),
        Err(_) => {
            return Err(in_file(
                std::io::Error::other("the XML check thread panicked").into(),
            ));
        }
    }
    meter.finish();
    let more = damage.len().saturating_sub(EXAMPLES);
    shape.extend(damage.into_iter().take(EXAMPLES).map(damage_finding));
    if more > 0 {
        shape.push(damage_finding(format!(
            "{more} more damaged entries (the first {EXAMPLES} are listed)"
        )));
    }
    if more == 0 && !shape.iter().any(|f| f.code == "entry-damaged") && survey.moved_from.is_none()
    {
        let skipped = if unchecked > 0 {
            format!(
                ", {unchecked} with a compression method backup-fix cannot inflate left unchecked"
            )
        } else {
            String::new()
        };
        shape.insert(
            0,
            finding(
                Severity::Pass,
                "Archive",
                "zip-readable",
                format!(
                    "the zip reads ({entries} entries, the data of {checked} checked against its CRC-32{skipped}), entities.xml at its root"
                ),
                None,
            ),
        );
    }
    let mut audit = audit.unwrap_or_default();
    audit.apps.merge(&apps);
    audit.attachment_files = attachment_bytes;
    let product = audit.observer.facts.product;
    match product {
        Some(Product::Jira) if !survey.has_activeobjects => shape.push(finding(
            Severity::Warning,
            "Archive",
            "no-activeobjects",
            "no activeobjects.xml beside entities.xml: the apps' data (Active Objects) will not be imported".into(),
            Some("make the backup again with Jira's backup service, which writes both".into()),
        )),
        Some(Product::Confluence) if descriptor.is_none() => shape.push(finding(
            Severity::Error,
            "Archive",
            "no-export-descriptor",
            "no exportDescriptor.properties beside entities.xml: the Confluence import needs it to know what the export holds".into(),
            Some("export again from Confluence, or put the export's descriptor back into the zip".into()),
        )),
        _ => {}
    }
    if let Some(d) = &descriptor {
        apply_descriptor(d, &mut audit);
    }
    if product == Some(Product::Confluence) {
        shape.extend(attachment_findings(
            std::mem::take(&mut audit.attachments),
            attachments,
            descriptor.as_ref().and_then(|d| d.backup_attachments),
        )?);
    }
    // One verdict per section: a PASS line for the zip beside an ERROR about
    // the zip reads as a contradiction.
    if shape
        .iter()
        .any(|f| f.section == "Archive" && f.severity == Severity::Error)
    {
        shape.retain(|f| f.code != "zip-readable");
    }
    let kind = kind_of(product, descriptor.as_ref(), "zip");
    Ok(assemble(input, kind, files, &audit, shape))
}

/// Checks an unpacked export: a directory holding `entities.xml`.
pub(crate) fn check_dir(
    path: &Path,
    options: &CheckOptions,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<CheckReport, Error> {
    let input = path.display().to_string();
    let entities = path.join("entities.xml");
    if !entities.is_file() {
        return Err(Error::from(ArchiveError::NoEntities { entries: 0 }).in_file(path));
    }
    let extras = xml_beside(path);
    let size = |p: &Path| fs::metadata(p).map_or(0, |m| m.len());
    let total = size(&entities) + extras.iter().map(|p| size(p)).sum::<u64>();
    let mut meter = Meter::new(on_progress, total);
    let mut files = Vec::new();
    let open = |p: &Path| File::open(p).map_err(|e| Error::from(e).in_file(p));
    let (check, mut audit) = check_xml("entities.xml", open(&entities)?, options, &mut |n| {
        meter.tick(n)
    })?;
    files.push(check);
    for extra in extras {
        let name = extra
            .strip_prefix(path)
            .unwrap_or(&extra)
            .to_string_lossy()
            .into_owned();
        let (check, other) = check_xml(&name, open(&extra)?, options, &mut |n| meter.tick(n))?;
        audit.apps.merge(&other.apps);
        files.push(check);
    }
    let descriptor_path = path.join("exportDescriptor.properties");
    let descriptor = fs::read(&descriptor_path)
        .ok()
        .map(|bytes| descriptor::parse(&bytes));
    let mut shape = Vec::new();
    if let Some(d) = &descriptor {
        apply_descriptor(d, &mut audit);
    }
    let product = audit.observer.facts.product;
    if product == Some(Product::Confluence) {
        let mut attachments = Files::new(&std::env::temp_dir());
        list_attachments(
            path,
            &path.join("attachments"),
            &mut attachments,
            &mut audit.attachment_files,
        );
        shape.extend(attachment_findings(
            std::mem::take(&mut audit.attachments),
            attachments,
            descriptor.as_ref().and_then(|d| d.backup_attachments),
        )?);
    }
    let kind = kind_of(product, descriptor.as_ref(), "directory");
    Ok(assemble(input, kind, files, &audit, shape))
}

/// `activeobjects.xml` and `.pdata` files of an unpacked export.
fn xml_beside(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let ao = root.join("activeobjects.xml");
    if ao.is_file() {
        out.push(ao);
    }
    let mut stack = vec![root.join("plugin-data")];
    while let Some(dir) = stack.pop() {
        let Ok(read) = fs::read_dir(&dir) else {
            continue;
        };
        for e in read.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() && p.extension().is_some_and(|x| x == "pdata") => out.push(p),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// Lists `attachments/<c>/<a>/<v>` files under `dir` (symbolic links not followed).
fn list_attachments(root: &Path, dir: &Path, into: &mut Files, bytes: &mut Counts) {
    let Ok(read) = fs::read_dir(dir) else {
        into.complete &= !dir.exists();
        return;
    };
    for e in read.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => list_attachments(root, &p, into, bytes),
            Ok(t) if t.is_file() => {
                if let (Ok(rel), Ok(meta)) = (p.strip_prefix(root), e.metadata()) {
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    if let Some(folder) = attachment_folder(&rel) {
                        bytes.add(folder, meta.len());
                    }
                    into.add(&rel, meta.len());
                }
            }
            _ => {}
        }
    }
}
