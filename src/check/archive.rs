//! `check` on a whole backup: a zip, read in place (each XML entry inflated
//! as it is checked, nothing unpacked to disk), or an unpacked Confluence
//! export directory. Adds what only the whole backup shows: whether the zip
//! reads, whether `entities.xml` is at the root with the entries the importer
//! expects beside it, and whether every Confluence attachment record has its
//! file, of the size the record states.

use super::audit::{AttachmentRecord, Auditor};
use super::{CheckReport, Finding, Severity, assemble, check_xml, finding};
use crate::archive::layout::Action;
use crate::archive::stream::open_entry;
use crate::archive::{
    ArchiveError, descriptor, fault_error, open_archive, read_error, read_small_entry,
};
use crate::driver::Progress;
use crate::error::Error;
use crate::rules::facts::{Product, Stated};
use crate::spill::SortedRuns;
use crate::zip::data::{Checked, DataError, read_data};
use crate::zip::inflate::Spare;
use std::fs::{self, File};
use std::path::Path;

/// Files under `attachments/` as (container, attachment, version, size),
/// collected in bounded memory (sorted runs spill to disk past a budget) and
/// matched with the attachment records at the end.
struct AttachmentFiles {
    files: SortedRuns<4>,
    /// Whether the listing is complete (false when a directory could not be read).
    complete: bool,
    /// A temporary file for the listing could not be written.
    failed: Option<std::io::Error>,
}

/// File records held in memory before a sorted run goes to disk (32 bytes each).
const FILES_IN_MEMORY: usize = 256 << 10;

impl AttachmentFiles {
    fn new(scratch: &Path) -> Self {
        AttachmentFiles {
            files: SortedRuns::new(scratch, FILES_IN_MEMORY),
            complete: true,
            failed: None,
        }
    }

    /// Records `name` (relative to the export's root) if it is an attachment file.
    fn add(&mut self, name: &str, size: u64) {
        let Some(rest) = name.strip_prefix("attachments/") else {
            return;
        };
        let mut parts = rest.split('/').map(|p| p.parse::<u64>().ok());
        if let (Some(Some(c)), Some(Some(a)), Some(Some(v)), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
            && let Err(e) = self.files.push([c, a, v, size])
        {
            self.failed.get_or_insert(e);
        }
    }

    /// The size of the file of each key in `keys` (`None`: no such file),
    /// by one merge of the sorted listing with the sorted keys.
    fn sizes_of(self, keys: &[Option<(u64, u64, u64)>]) -> Result<Vec<Option<u64>>, Error> {
        if let Some(e) = self.failed {
            return Err(e.into());
        }
        let mut order: Vec<(u64, u64, u64, usize)> = keys
            .iter()
            .enumerate()
            .filter_map(|(i, k)| k.map(|(c, a, v)| (c, a, v, i)))
            .collect();
        order.sort_unstable();
        let mut out = vec![None; keys.len()];
        let mut files = self.files.into_sorted()?;
        let mut file = files.next_record()?;
        for (c, a, v, i) in order {
            while let Some(f) = file
                && (f[0], f[1], f[2]) < (c, a, v)
            {
                file = files.next_record()?;
            }
            if let Some(f) = file
                && (f[0], f[1], f[2]) == (c, a, v)
            {
                out[i] = Some(f[3]);
            }
        }
        Ok(out)
    }
}

/// The path of a record's file: `attachments/<container>/<first version's id>/<version>`.
fn file_key(r: &AttachmentRecord) -> Option<(u64, u64, u64)> {
    Some((r.container?, r.original.unwrap_or(r.id), r.version))
}

fn path_of(key: (u64, u64, u64)) -> String {
    format!("attachments/{}/{}/{}", key.0, key.1, key.2)
}

/// Most examples listed per finding.
const EXAMPLES: usize = 5;

/// Findings on Confluence attachment records against the files present.
fn attachment_findings(
    records: &[AttachmentRecord],
    files: AttachmentFiles,
    backed_up: Option<bool>,
) -> Result<Vec<Finding>, Error> {
    if backed_up == Some(false) {
        return Ok(vec![finding(
            Severity::Warning,
            "Confluence",
            "attachments-not-exported",
            format!(
                "the export was made without attachments (backupAttachments=false): {} attachment(s) will have no file",
                records.len()
            ),
            Some("export again with attachments included".into()),
        )]);
    }
    let complete = files.complete;
    let keys: Vec<_> = records.iter().map(file_key).collect();
    let sizes = files.sizes_of(&keys)?;
    // Counts, and the first examples only: a site can miss a million files.
    let (mut missing, mut missing_n) = (Vec::new(), 0u64);
    let (mut mismatched, mut mismatched_n) = (Vec::new(), 0u64);
    let mut present = 0u64;
    let mut trashed = 0u64;
    for ((r, key), size) in records.iter().zip(keys).zip(sizes) {
        let Some(key) = key else { continue };
        match size {
            // Exports may leave out the files of trashed attachments.
            None if r.status == "deleted" => trashed += 1,
            None => {
                missing_n += 1;
                if missing.len() < EXAMPLES {
                    missing.push(format!("{} ({:?})", path_of(key), r.title));
                }
            }
            Some(actual) => {
                present += 1;
                if let Some(stated) = r.size.filter(|&s| s != actual) {
                    mismatched_n += 1;
                    if mismatched.len() >= EXAMPLES {
                        continue;
                    }
                    mismatched.push(format!(
                        "{} ({:?}): the record says {stated} bytes, the file has {actual}",
                        path_of(key),
                        r.title
                    ));
                }
            }
        }
    }
    let mut out = Vec::new();
    if !missing.is_empty() && complete {
        out.push(Finding {
            severity: Severity::Warning,
            section: "Confluence",
            code: "attachment-missing",
            message: format!(
                "{missing_n} attachment record(s) have no file in the export: those attachments will be empty or missing after the import"
            ),
            fix: Some(
                "copy the files from the server's attachments directory into the export, or export again".into(),
            ),
            count: missing_n,
            examples: missing,
        });
    }
    if !mismatched.is_empty() {
        out.push(Finding {
            severity: Severity::Warning,
            section: "Confluence",
            code: "attachment-size-mismatch",
            message: format!(
                "{mismatched_n} attachment file(s) differ in size from their record: they may be truncated or the wrong version"
            ),
            fix: Some("compare them with the files on the server before migrating".into()),
            count: mismatched_n,
            examples: mismatched,
        });
    }
    if out.is_empty() && present > 0 {
        let trash = if trashed > 0 {
            format!(" ({trashed} trashed attachment(s) without a file, which is normal)")
        } else {
            String::new()
        };
        out.push(finding(
            Severity::Pass,
            "Confluence",
            "attachments",
            format!(
                "{present} attachment file(s), each where its record says and of its size{trash}"
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
    reported: u64,
    total: u64,
}

impl<'a> Meter<'a> {
    fn new(on_progress: &'a mut dyn FnMut(Progress), total: u64) -> Self {
        on_progress(Progress {
            read: 0,
            total: Some(total),
        });
        Self {
            on_progress,
            read: 0,
            reported: 0,
            total,
        }
    }

    /// Reports the whole total as done.
    fn finish(&mut self) {
        let rest = self.total.saturating_sub(self.read);
        self.reported = 0;
        self.read += rest;
        self.tick(0);
    }

    fn tick(&mut self, n: u64) {
        self.read += n;
        // Many small entries: report each MiB, not each entry.
        if self.read - self.reported < (1 << 20) && self.read < self.total {
            return;
        }
        self.reported = self.read;
        (self.on_progress)(Progress {
            read: self.read,
            // A declared size can be short of the truth; never report past the end.
            total: Some(self.total.max(self.read)),
        });
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
    let mut attachments = AttachmentFiles::new(&scratch);
    let mut meter = Meter::new(on_progress, opened.input.len());
    let mut central = opened.central().map_err(|e| in_file(read_error(e)))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut spare = Spare::default();
    let (mut entries, mut checked, mut unchecked) = (0u64, 0u64, 0u64);
    while let Some(e) = central.next_entry().map_err(|e| in_file(read_error(e)))? {
        crate::interrupt::check()?;
        let d = survey.decide(&e);
        if !d.kept() {
            continue;
        }
        entries += 1;
        let name = d.out_display(&e);
        if d.action != Action::Fix {
            if !e.is_dir() {
                attachments.add(name, e.size);
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
                        &mut |_| Ok(()),
                    )
                });
            match result {
                Ok(Checked::Yes) => checked += 1,
                Ok(Checked::No) => unchecked += u64::from(!e.is_dir()),
                Err(DataError::Read(r)) => damage.push(read_error(r).to_string()),
                Err(DataError::Fault(f)) => damage.push(fault_error(e.display(), f).to_string()),
                Err(DataError::Sink(io)) => return Err(in_file(io.into())),
                Err(DataError::Interrupted) => return Err(Error::Interrupted),
            }
            meter.tick(e.compressed_size);
            continue;
        }
        let mut reader = match open_entry(&mut opened.input, &e) {
            Ok(r) => r,
            Err(Error::Archive(a)) => {
                damage.push(a.to_string());
                continue;
            }
            Err(err) => return Err(in_file(err)),
        };
        let result = check_xml(name, &mut reader, &mut |_| {});
        meter.tick(e.compressed_size);
        if let Some(fault) = reader.damage(e.display()) {
            damage.push(fault.to_string());
            continue;
        }
        checked += 1;
        let (check, auditor) = result.map_err(in_file)?;
        files.push(check);
        if e.header_offset == survey.entities.header_offset {
            audit = Some(auditor);
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
            &audit.attachments,
            attachments,
            descriptor.as_ref().and_then(|d| d.backup_attachments),
        )?);
    }
    let kind = kind_of(product, descriptor.as_ref(), "zip");
    Ok(assemble(input, kind, files, &audit, shape))
}

/// Checks an unpacked export: a directory holding `entities.xml`.
pub(crate) fn check_dir(
    path: &Path,
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
    let (check, mut audit) = check_xml("entities.xml", open(&entities)?, &mut |n| meter.tick(n))?;
    files.push(check);
    for extra in extras {
        let name = extra
            .strip_prefix(path)
            .unwrap_or(&extra)
            .to_string_lossy()
            .into_owned();
        files.push(check_xml(&name, open(&extra)?, &mut |n| meter.tick(n))?.0);
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
        let mut attachments = AttachmentFiles::new(&std::env::temp_dir());
        list_attachments(path, &path.join("attachments"), &mut attachments);
        shape.extend(attachment_findings(
            &audit.attachments,
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
fn list_attachments(root: &Path, dir: &Path, into: &mut AttachmentFiles) {
    let Ok(read) = fs::read_dir(dir) else {
        into.complete &= !dir.exists();
        return;
    };
    for e in read.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => list_attachments(root, &p, into),
            Ok(t) if t.is_file() => {
                if let (Ok(rel), Ok(meta)) = (p.strip_prefix(root), e.metadata()) {
                    into.add(&rel.to_string_lossy().replace('\\', "/"), meta.len());
                }
            }
            _ => {}
        }
    }
}
