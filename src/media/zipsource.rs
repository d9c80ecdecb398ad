//! An existing media zip as the source: its central directory is read as a
//! stream, names are mapped to the Jira layout, and the entries are sorted
//! into the stable order with an external merge sort (sorted runs in
//! temporary files, then a k-way merge), so memory stays bounded whatever
//! the entry count. Entries are later copied raw, without recompressing.

use crate::cancel::Cancel;
use crate::error::SplitError;
use crate::media::order::{ATTACHMENTS, AVATARS, Group, LOGOS, name_cmp};
use crate::media::record::{Kind, ListReader, ListWriter, Record};
use crate::media::walk::Findings;
use crate::zip::format::{
    DEFLATED, FLAG_ENCRYPTED, FLAG_STRONG_ENCRYPTION, STORED, external_attributes,
};
use crate::zip::name::{self, Verdict};
use crate::zip::{CentralEntry, CentralReader, ReadError, find_end as read_end};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Bytes of records sorted in memory before a run is written out.
const RUN_BYTES: usize = 16 << 20;

/// How names in the source zip map to stored names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Mapping {
    /// Names hold the Jira layout after this prefix (`""`, `jira-home/`, ...).
    Home(String),
    /// Names are relative to `data/attachments/` after this prefix (`""` or `attachments/`).
    Attachments(String),
}

fn zip_err(path: &Path) -> impl Fn(ReadError) -> SplitError + '_ {
    move |e| match e {
        ReadError::Io(e) => SplitError::io("reading", path, e),
        other => SplitError::BadZip {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    }
}

fn open_central(path: &Path) -> Result<CentralReader, SplitError> {
    let mut file = File::open(path).map_err(|e| SplitError::io("opening", path, e))?;
    let len = file
        .metadata()
        .map_err(|e| SplitError::io("reading", path, e))?
        .len();
    let end = read_end(&mut file, len).map_err(zip_err(path))?;
    CentralReader::new(file, &end).map_err(zip_err(path))
}

/// Finds where the Jira layout starts in the names.
fn detect_mapping(path: &Path) -> Result<Mapping, SplitError> {
    let mut central = open_central(path)?;
    let mut all_under_attachments = true;
    let mut any = false;
    let mut home = None;
    let mut backup = None;
    // The whole directory is read before a backup is refused, so that a
    // damaged directory is reported as damage.
    while let Some(e) = central.next_entry().map_err(zip_err(path))? {
        let name = e.display();
        if name::judge(name, &e.name) != Verdict::Keep {
            continue;
        }
        any = true;
        if backup.is_none() && is_backup_entry(name) {
            backup = Some(name.to_owned());
        }
        if home.is_some() {
            continue;
        }
        for marker in [ATTACHMENTS, AVATARS] {
            if let Some(at) = find_component(name, marker) {
                home = Some(name[..at].to_owned());
            }
        }
        if !name.starts_with("attachments/") {
            all_under_attachments = false;
        }
    }
    if let Some(name) = backup {
        return Err(SplitError::NotAttachments {
            path: path.to_path_buf(),
            what: format!("a backup zip (it holds {name})"),
            advice: "To repair a backup zip, use backup-fix fix; upload it as the backup, and split the Jira home's data/attachments for the media.",
        });
    }
    if let Some(prefix) = home {
        return Ok(Mapping::Home(prefix));
    }
    Ok(Mapping::Attachments(
        if any && all_under_attachments {
            "attachments/"
        } else {
            ""
        }
        .to_owned(),
    ))
}

/// Files that make a zip a backup rather than a media zip, when they sit at
/// its root or in one folder (a Jira backup holds entities.xml and
/// activeobjects.xml; a Confluence export also exportDescriptor.properties).
const BACKUP_FILES: [&str; 3] = [
    "entities.xml",
    "activeobjects.xml",
    "exportDescriptor.properties",
];

/// Whether a zip entry shows the zip is a backup.
fn is_backup_entry(name: &str) -> bool {
    let mut parts = name.split('/');
    let (first, second) = (parts.next().unwrap_or(""), parts.next());
    let file = match (second, parts.next()) {
        (None, _) => first,
        (Some(f), None) => f,
        _ => return false,
    };
    BACKUP_FILES.contains(&file)
}

/// Position of `marker` in `name` where it starts a path component.
fn find_component(name: &str, marker: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = name[from..].find(marker) {
        let at = from + i;
        if at == 0 || name.as_bytes()[at - 1] == b'/' {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Maps a source name to its stored name; `None` leaves the entry out.
fn map_name(mapping: &Mapping, name: &str) -> Option<String> {
    match mapping {
        Mapping::Home(prefix) => {
            let rest = name.strip_prefix(prefix.as_str())?;
            Group::of(rest).map(|_| rest.to_owned())
        }
        Mapping::Attachments(prefix) => {
            let rest = name.strip_prefix(prefix.as_str())?;
            (!rest.is_empty()).then(|| format!("{ATTACHMENTS}{rest}"))
        }
    }
}

/// A record for a central directory entry, or why it is left out or refused.
fn record_of(
    path: &Path,
    mapping: &Mapping,
    e: CentralEntry,
    findings: &mut Findings,
) -> Result<Option<Record>, SplitError> {
    let name = e.display().to_owned();
    let refuse = |reason: String| SplitError::UnsupportedEntry {
        path: path.to_path_buf(),
        entry: name.clone(),
        reason,
    };
    match name::judge(&name, &e.name) {
        Verdict::Keep => {}
        Verdict::DropRoot => {
            findings.skip(
                name.clone(),
                "a directory entry for the archive's root: it holds nothing",
            );
            return Ok(None);
        }
        Verdict::Refuse(why) => {
            return Err(refuse(format!(
                "unsafe name ({why}); the importer would reject it and unzip would write outside its folder: unzip, fix the tree, and split the directory"
            )));
        }
    }
    if e.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 {
        return Err(refuse(
            "encrypted; the cloud importer cannot read encrypted entries: unzip it with its password and split the directory".into(),
        ));
    }
    if e.method != STORED && e.method != DEFLATED {
        return Err(refuse(format!(
            "compressed with method {}, which the cloud importer may not read; unzip it and split the directory",
            e.method
        )));
    }
    let Some(stored) = map_name(mapping, &name) else {
        if !name.ends_with('/') {
            findings.skip(
                name.clone(),
                "not under data/attachments, data/avatars or logos",
            );
        }
        return Ok(None);
    };
    if [ATTACHMENTS, AVATARS, LOGOS].contains(&stored.as_str()) {
        // A directory entry for a group itself carries nothing.
        return Ok(None);
    }
    // Our headers say "made by Unix": attributes from another system (Java
    // and Windows zips say MS-DOS) become ordinary Unix permissions.
    let dir = stored.ends_with('/');
    let external = if e.version_made_by >> 8 == 3 && e.external_attr >> 16 != 0 {
        e.external_attr
    } else {
        external_attributes(if dir { 0o755 } else { 0o644 }, dir) | (e.external_attr & 0xFF)
    };
    Ok(Some(Record {
        kind: Kind::ZipEntry,
        name: stored,
        size: e.size,
        mtime: e.mtime.unwrap_or(0),
        mode: external,
        source: None,
        csize: e.compressed_size,
        crc: e.crc,
        method: e.method,
        dos: (e.time, e.date),
        offset: e.header_offset,
    }))
}

/// Reads the source zip's entries into `list` in the stable order.
pub(crate) fn scan_zip(
    path: &Path,
    list: &mut ListWriter,
    scratch: &Path,
    findings: &mut Findings,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(), SplitError> {
    scan_zip_runs(path, list, scratch, findings, progress, RUN_BYTES)
}

/// [`scan_zip`] with a given memory budget for sorted runs.
fn scan_zip_runs(
    path: &Path,
    list: &mut ListWriter,
    scratch: &Path,
    findings: &mut Findings,
    progress: &mut dyn FnMut(u64, u64),
    run_bytes: usize,
) -> Result<(), SplitError> {
    let cancel = list.cancel().clone();
    let mapping = detect_mapping(path)?;
    let mut central = open_central(path)?;
    let mut runs: Vec<tempfile::NamedTempFile> = Vec::new();
    let mut batch: Vec<Record> = Vec::new();
    let mut batch_bytes = 0usize;
    let (mut files, mut bytes) = (0u64, 0u64);
    while let Some(e) = central.next_entry().map_err(zip_err(path))? {
        let Some(rec) = record_of(path, &mapping, e, findings)? else {
            continue;
        };
        files += 1;
        bytes += rec.size;
        if files.is_multiple_of(10_000) {
            progress(files, bytes);
        }
        batch_bytes += rec.name.len() + std::mem::size_of::<Record>();
        batch.push(rec);
        if batch_bytes >= run_bytes {
            runs.push(write_run(&mut batch, scratch, &cancel)?);
            batch_bytes = 0;
        }
    }
    progress(files, bytes);
    batch.sort_by(|a, b| name_cmp(&a.name, &b.name));
    let mut dups = 0u64;
    let mut emit = |rec: &Record, list: &mut ListWriter| -> Result<(), SplitError> {
        if list.last().is_some_and(|l| l.name == rec.name) {
            dups += 1;
        }
        list.push(rec)
    };
    if runs.is_empty() {
        for rec in &batch {
            emit(rec, list)?;
        }
    } else {
        if !batch.is_empty() {
            runs.push(write_run(&mut batch, scratch, &cancel)?);
        }
        merge(&runs, list, &mut emit)?;
    }
    if dups > 0 {
        findings.warnings.push(format!(
            "{}: {} an earlier name; every copy is kept, in the same zip order",
            path.display(),
            crate::report::plural(dups, "entry repeats", "entries repeat")
        ));
    }
    Ok(())
}

fn write_run(
    batch: &mut Vec<Record>,
    scratch: &Path,
    cancel: &Cancel,
) -> Result<tempfile::NamedTempFile, SplitError> {
    batch.sort_by(|a, b| name_cmp(&a.name, &b.name));
    let tmp = tempfile::Builder::new()
        .prefix(".backup-fix-split-")
        .suffix(".run")
        .tempfile_in(scratch)
        .map_err(|e| SplitError::io("creating a temporary file in", scratch, e))?;
    let file = tmp
        .reopen()
        .map_err(|e| SplitError::io("creating a temporary file in", scratch, e))?;
    let mut w = ListWriter::new(file, tmp.path(), cancel);
    for rec in batch.drain(..) {
        w.push(&rec)?;
    }
    w.finish()?;
    Ok(tmp)
}

struct Head {
    rec: Record,
    run: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap. Ties keep run order (stable).
        name_cmp(&other.rec.name, &self.rec.name).then_with(|| other.run.cmp(&self.run))
    }
}

fn merge(
    runs: &[tempfile::NamedTempFile],
    list: &mut ListWriter,
    emit: &mut dyn FnMut(&Record, &mut ListWriter) -> Result<(), SplitError>,
) -> Result<(), SplitError> {
    let paths: Vec<PathBuf> = runs.iter().map(|r| r.path().to_path_buf()).collect();
    let mut readers = paths
        .iter()
        .map(|p| ListReader::open(p, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let mut heap = BinaryHeap::new();
    for (run, r) in readers.iter_mut().enumerate() {
        if let Some(rec) = r.next_record()? {
            heap.push(Head { rec, run });
        }
    }
    while let Some(Head { rec, run }) = heap.pop() {
        emit(&rec, list)?;
        if let Some(next) = readers[run].next_record()? {
            heap.push(Head { rec: next, run });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn many_runs_merge_into_the_stable_order() {
        let dir = tempfile::tempdir().unwrap();
        let zip_path = dir.path().join("src.zip");
        let mut w = zip::ZipWriter::new(File::create(&zip_path).unwrap());
        let mut expected = Vec::new();
        // Issue numbers in a scrambled order, over three projects.
        for i in 0..600u32 {
            let n = (i * 7919) % 600 + 1;
            let p = ["B", "A", "C"][(i % 3) as usize];
            let name = format!("data/attachments/{p}/10000/{p}-{n}/{i}");
            w.start_file(name.clone(), zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(name.as_bytes()).unwrap();
            expected.push(name);
        }
        w.finish().unwrap();
        expected.sort_by(|a, b| name_cmp(a, b));
        let list_path = dir.path().join("list");
        let mut list = ListWriter::new(
            File::create(&list_path).unwrap(),
            &list_path,
            &Cancel::new(),
        );
        let mut findings = Findings::default();
        // A tiny budget forces many sorted runs and a k-way merge.
        scan_zip_runs(
            &zip_path,
            &mut list,
            dir.path(),
            &mut findings,
            &mut |_, _| {},
            4096,
        )
        .unwrap();
        let totals = list.finish().unwrap();
        assert_eq!(
            totals
                .iter()
                .map(|t| t.key.clone().unwrap())
                .collect::<Vec<_>>(),
            ["A", "B", "C"]
        );
        let mut r = ListReader::open(&list_path, 0).unwrap();
        let mut got = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            got.push(rec.name);
        }
        assert_eq!(got, expected);
        let runs_left = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".run")
            })
            .count();
        assert_eq!(runs_left, 0, "run files are deleted");
    }

    #[test]
    fn names_map_to_the_jira_layout() {
        let home = Mapping::Home("jira/".into());
        assert_eq!(
            map_name(&home, "jira/data/attachments/P/1").as_deref(),
            Some("data/attachments/P/1")
        );
        assert_eq!(map_name(&home, "jira/logos/x").as_deref(), Some("logos/x"));
        assert_eq!(map_name(&home, "jira/dbconfig.xml"), None);
        let att = Mapping::Attachments("attachments/".into());
        assert_eq!(
            map_name(&att, "attachments/P/P-1/1").as_deref(),
            Some("data/attachments/P/P-1/1")
        );
        assert_eq!(find_component("x/data/attachments/P", ATTACHMENTS), Some(2));
        assert_eq!(find_component("xdata/attachments/P", ATTACHMENTS), None);
    }
}
