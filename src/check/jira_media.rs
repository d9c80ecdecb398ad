//! Jira attachments: the backup's `FileAttachment` rows joined with the files
//! of a Jira home (or media zip), in bounded memory, to say which files are
//! missing, of the wrong size, referred to by no row, or thumbnails.
//!
//! `FileAttachment` comes before `Issue`, `Project` and `ProjectKey` in the
//! backup, so nothing is looked up while streaming: the rows go to sorted
//! runs ([`SortedRuns`], spilled to disk past a small budget) and are
//! merge-joined at the end, first with the issues (by issue id), then with
//! the files (by attachment id). Only project keys are held in memory (one
//! entry per project). Filenames wait in a temporary file until an example
//! needs one.

use crate::check::memberships::Rows;
use crate::rules::fnv::{Fnv, FnvMap};
use crate::spill::{SortedRuns, Texts};
use crate::xml::rules::StartTag;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::io;
use std::path::{Path, PathBuf};

/// Records held in memory before a sorted run goes to disk, per table.
const IN_MEMORY: usize = 64 << 10;
/// "None" in a numeric column.
const NONE: u64 = u64::MAX;
/// Most examples kept per finding.
const EXAMPLES: usize = 5;
/// Most projects named in the count of missing files per project.
const MAX_PROJECTS: usize = 2000;
/// The stored-name prefix of attachment files.
pub(crate) const ATTACHMENTS: &str = "data/attachments/";

fn hash(key: &str) -> u64 {
    BuildHasherDefault::<Fnv>::default().hash_one(key.as_bytes())
}

fn num(tag: &StartTag<'_>, name: &[u8]) -> Option<u64> {
    tag.attr_text(name).and_then(|v| v.trim().parse().ok())
}

/// The number of an issue key (`ABC-12` -> (`ABC`, 12)).
fn split_key(key: &str) -> Option<(&str, u64)> {
    let (prefix, n) = key.rsplit_once('-')?;
    let n = n.parse().ok()?;
    (!prefix.is_empty()).then_some((prefix, n))
}

/// The bucket folder of an issue number: 1-10000 in `10000`, 10001-20000 in `20000`.
pub(crate) fn bucket(number: u64) -> u64 {
    (number.max(1) - 1) / 10_000 * 10_000 + 10_000
}

/// What the backup says about attachments: rows, issues, project keys.
pub(crate) struct MediaTable {
    /// [issue id, attachment id, size, name at, name length]
    rows: SortedRuns<5>,
    /// [issue id, project id, number]
    issues: SortedRuns<3>,
    /// Project id -> its keys, the current one first.
    projects: FnvMap<u64, Vec<String>>,
    names: Texts,
    dir: PathBuf,
    failed: Option<io::Error>,
    /// `FileAttachment` rows read.
    pub(crate) count: u64,
    /// Rows without a usable id or issue, or with a filesize that is not a number.
    pub(crate) malformed: Rows,
}

impl std::fmt::Debug for MediaTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaTable")
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl MediaTable {
    /// An empty table whose runs spill to `dir`.
    pub(crate) fn new(dir: &Path) -> Self {
        MediaTable {
            rows: SortedRuns::new(dir, IN_MEMORY),
            issues: SortedRuns::new(dir, IN_MEMORY * 2),
            projects: FnvMap::default(),
            names: Texts::new(dir),
            dir: dir.to_path_buf(),
            failed: None,
            count: 0,
            malformed: Rows::default(),
        }
    }

    fn keep(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.failed.get_or_insert(e);
        }
    }

    fn project_key(&mut self, project: u64, key: String) {
        let keys = self.projects.entry(project).or_default();
        if !keys.contains(&key) {
            keys.push(key);
        }
    }

    /// A Jira row (an element at depth 1).
    pub(crate) fn row(&mut self, tag: &StartTag<'_>) {
        match tag.name() {
            b"FileAttachment" => self.attachment(tag),
            b"Issue" => {
                let Some(id) = num(tag, b"id") else { return };
                let project = num(tag, b"project");
                let key = tag.attr_text(b"key");
                let parsed = key.as_deref().and_then(split_key);
                let number = num(tag, b"number").or(parsed.map(|(_, n)| n));
                if let (Some(p), Some((prefix, _))) = (project, parsed) {
                    self.project_key(p, prefix.to_owned());
                }
                let pushed =
                    self.issues
                        .push([id, project.unwrap_or(NONE), number.unwrap_or(NONE)]);
                self.keep(pushed);
            }
            b"Project" => {
                let Some(id) = num(tag, b"id") else { return };
                // The current key first: it names the folder of new files.
                let current = tag.attr_text(b"key").or_else(|| tag.attr_text(b"pkey"));
                let keys = self.projects.entry(id).or_default();
                if let Some(k) = current {
                    keys.retain(|x| *x != k);
                    keys.insert(0, k);
                }
                if let Some(k) = tag.attr_text(b"originalkey") {
                    self.project_key(id, k);
                }
            }
            b"ProjectKey" => {
                if let (Some(p), Some(k)) = (num(tag, b"projectId"), tag.attr_text(b"projectKey")) {
                    self.project_key(p, k);
                }
            }
            _ => {}
        }
    }

    fn attachment(&mut self, tag: &StartTag<'_>) {
        self.count += 1;
        let id = tag.attr_text(b"id");
        let issue = num(tag, b"issue");
        let size = tag.attr_text(b"filesize");
        let name = tag.attr_text(b"filename").unwrap_or_default();
        let Some(id) = id.as_deref().and_then(|i| i.trim().parse::<u64>().ok()) else {
            self.malformed.add_example(|| {
                format!(
                    "FileAttachment id={:?} {name:?}: no attachment id",
                    id.unwrap_or_default()
                )
            });
            return;
        };
        let Some(issue) = issue else {
            self.malformed
                .add_example(|| format!("FileAttachment id={id} {name:?}: no issue id"));
            return;
        };
        let size = match size.as_deref().map(|s| s.trim().parse::<u64>()) {
            Some(Ok(s)) => s,
            Some(Err(_)) => {
                let raw = size.unwrap_or_default();
                self.malformed.add_example(|| {
                    format!("FileAttachment id={id} {name:?}: filesize {raw:?} is not a number")
                });
                NONE
            }
            None => NONE,
        };
        let written = self.names.push(&name);
        let (at, len) = *written.as_ref().unwrap_or(&(0, 0));
        self.keep(written.map(|_| ()));
        let pushed = self.rows.push([issue, id, size, at, len]);
        self.keep(pushed);
    }
}

/// Files and bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileCount {
    /// Number of files.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
}

impl FileCount {
    fn add(&mut self, bytes: u64) {
        self.files += 1;
        self.bytes = self.bytes.saturating_add(bytes);
    }

    fn merge(&mut self, other: FileCount) {
        self.files += other.files;
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

/// What a stored name under `data/attachments/` is.
#[derive(Debug, PartialEq, Eq)]
enum Place<'a> {
    /// `<P>[/<bucket>]/<KEY>-<n>/<id>`.
    File {
        project: &'a str,
        bucket: u64,
        prefix: &'a str,
        number: u64,
        id: u64,
    },
    /// `.../thumbs/<anything>`.
    Thumbnail,
    /// Anything else (loose files, `<id>_<name>` of very old versions).
    Other,
}

fn place(rel: &str) -> Place<'_> {
    let parts: Vec<&str> = rel.split('/').collect();
    if parts.len() >= 2 && parts[parts.len() - 2] == "thumbs" {
        return Place::Thumbnail;
    }
    let (project, bucket, issue, id) = match parts.as_slice() {
        [p, b, k, id] if !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit()) => {
            (*p, b.parse().unwrap_or(NONE), *k, *id)
        }
        [p, k, id] => (*p, 0, *k, *id),
        _ => return Place::Other,
    };
    match (
        split_key(issue),
        id.bytes().all(|c| c.is_ascii_digit()),
        id.parse(),
    ) {
        (Some((prefix, number)), true, Ok(id)) => Place::File {
            project,
            bucket,
            prefix,
            number,
            id,
        },
        _ => Place::Other,
    }
}

/// The files of a Jira home's `data/attachments` (or a media zip).
pub(crate) struct MediaFiles {
    /// [attachment id, project folder hash, issue key prefix hash, number, bucket, size, ordinal]
    files: SortedRuns<7>,
    /// Ordinals of files to leave out (split), when asked.
    drop: SortedRuns<1>,
    drop_orphans: bool,
    drop_thumbnails: bool,
    /// Thumbnails (`thumbs/...`).
    pub(crate) thumbnails: FileCount,
    /// Files that are not named as attachment files are (orphans by their name).
    others: FileCount,
    other_examples: Vec<String>,
    /// All files under `data/attachments/`.
    pub(crate) all: FileCount,
    /// Their bytes per project folder (bounded, as the other size tables).
    folders: crate::check::size::Counts,
    failed: Option<io::Error>,
}

impl MediaFiles {
    /// An empty listing whose runs spill to `dir`; `drop_orphans` and
    /// `drop_thumbnails` say which files [`Matched::drop`] lists.
    pub(crate) fn new(dir: &Path, drop_orphans: bool, drop_thumbnails: bool) -> Self {
        MediaFiles {
            files: SortedRuns::new(dir, IN_MEMORY * 2),
            drop: SortedRuns::new(dir, IN_MEMORY * 4),
            drop_orphans,
            drop_thumbnails,
            thumbnails: FileCount::default(),
            others: FileCount::default(),
            other_examples: Vec::new(),
            all: FileCount::default(),
            folders: crate::check::size::Counts::default(),
            failed: None,
        }
    }

    fn keep(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.failed.get_or_insert(e);
        }
    }

    /// Notes the entry `name` (a stored name, `data/attachments/...`), the
    /// `ordinal`-th of its listing; names outside `data/attachments/` are ignored.
    pub(crate) fn add(&mut self, name: &str, size: u64, ordinal: u64) {
        let Some(rel) = name.strip_prefix(ATTACHMENTS) else {
            return;
        };
        if rel.is_empty() || rel.ends_with('/') {
            return;
        }
        self.all.add(size);
        if let Some(folder) = crate::check::size::attachment_folder(name) {
            self.folders.add(folder, size);
        }
        match place(rel) {
            Place::Thumbnail => {
                self.thumbnails.add(size);
                if self.drop_thumbnails {
                    let pushed = self.drop.push([ordinal]);
                    self.keep(pushed);
                }
            }
            Place::Other => {
                self.others.add(size);
                if self.other_examples.len() < EXAMPLES {
                    self.other_examples.push(name.to_owned());
                }
                if self.drop_orphans {
                    let pushed = self.drop.push([ordinal]);
                    self.keep(pushed);
                }
            }
            Place::File {
                project,
                bucket,
                prefix,
                number,
                id,
            } => {
                let pushed = self.files.push([
                    id,
                    hash(project),
                    hash(prefix),
                    number,
                    bucket,
                    size,
                    ordinal,
                ]);
                self.keep(pushed);
            }
        }
    }
}

/// What the join found.
#[derive(Default)]
pub(crate) struct Matched {
    /// `FileAttachment` rows.
    pub(crate) rows: u64,
    /// Rows whose file is there.
    pub(crate) present: u64,
    /// Rows without their file, per project key, and the first of them.
    pub(crate) missing: u64,
    pub(crate) missing_by_project: BTreeMap<String, u64>,
    pub(crate) missing_examples: Vec<String>,
    /// Files whose size differs from their row's, and the first of them.
    pub(crate) mismatched: u64,
    pub(crate) mismatched_examples: Vec<String>,
    /// Rows whose issue (or its project) is not in the backup, or that are malformed.
    pub(crate) unresolved: Rows,
    /// Files no row refers to, and the first of them.
    pub(crate) orphans: FileCount,
    pub(crate) orphan_examples: Vec<String>,
    /// Listing ordinals of the first orphans found by the join (their names
    /// are looked up afterwards, see [`Matched::orphan_examples`]).
    pub(crate) orphan_ordinals: Vec<u64>,
    /// Thumbnails.
    pub(crate) thumbnails: FileCount,
    /// All files under `data/attachments/`.
    pub(crate) files: FileCount,
    /// Their bytes per project folder.
    pub(crate) folders: crate::check::size::Counts,
    /// The ordinals of the files to leave out, ascending (see [`MediaFiles::new`]).
    pub(crate) drop: Option<crate::spill::Sorted<1>>,
    /// Bytes of the files left out.
    pub(crate) dropped: FileCount,
}

/// One file of the listing, as the join reads it.
#[derive(Clone, Copy)]
struct File7 {
    id: u64,
    project: u64,
    prefix: u64,
    number: u64,
    bucket: u64,
    size: u64,
    ordinal: u64,
}

impl From<[u64; 7]> for File7 {
    fn from(f: [u64; 7]) -> Self {
        File7 {
            id: f[0],
            project: f[1],
            prefix: f[2],
            number: f[3],
            bucket: f[4],
            size: f[5],
            ordinal: f[6],
        }
    }
}

/// Joins the rows of `table` with the `files` present.
pub(crate) fn join(table: MediaTable, files: MediaFiles) -> io::Result<Matched> {
    if let Some(e) = table.failed.or(files.failed) {
        return Err(e);
    }
    let dir = table.dir;
    let mut out = Matched {
        rows: table.count,
        unresolved: table.malformed,
        thumbnails: files.thumbnails,
        files: files.all,
        folders: files.folders,
        orphans: files.others,
        orphan_examples: files.other_examples,
        ..Matched::default()
    };
    let mut drop = files.drop;
    if files.drop_thumbnails {
        out.dropped.merge(out.thumbnails);
    }
    if files.drop_orphans {
        out.dropped.merge(out.orphans);
    }
    let key_hashes: FnvMap<u64, Vec<u64>> = table
        .projects
        .iter()
        .map(|(id, keys)| (*id, keys.iter().map(|k| hash(k)).collect()))
        .collect();
    // 1. Rows with their issue's project and number, by attachment id.
    let mut keyed: SortedRuns<7> = SortedRuns::new(&dir, IN_MEMORY);
    let mut rows = table.rows.into_sorted()?;
    let mut issues = table.issues.into_sorted()?;
    let mut issue = issues.next_record()?;
    while let Some([issue_id, id, size, at, len]) = rows.next_record()? {
        while let Some([i, _, _]) = issue
            && i < issue_id
        {
            issue = issues.next_record()?;
        }
        match issue {
            Some([i, project, number]) if i == issue_id && number != NONE => {
                keyed.push([id, project, number, size, at, len, issue_id])?;
            }
            _ => out.unresolved.add_example(|| {
                format!("FileAttachment id={id}: its issue {issue_id} is not in the backup (or has no number)")
            }),
        }
    }
    // 2. Rows against files.
    let mut names = table.names.into_reader()?;
    let mut name = |at: u64, len: u64| names.get(at, len);
    let mut listing = files.files.into_sorted()?;
    let mut next = listing.next_record()?.map(File7::from);
    // The files of the current attachment id (usually one), and whether each was used.
    let mut group: Vec<(File7, bool)> = Vec::new();
    let mut group_id = NONE;
    let orphan = |f: &File7, out: &mut Matched, drop: &mut SortedRuns<1>| -> io::Result<()> {
        out.orphans.add(f.size);
        if out.orphan_examples.len() + out.orphan_ordinals.len() < EXAMPLES {
            out.orphan_ordinals.push(f.ordinal);
        }
        if files.drop_orphans {
            out.dropped.add(f.size);
            drop.push([f.ordinal])?;
        }
        Ok(())
    };
    let mut keyed = keyed.into_sorted()?;
    while let Some([id, project, number, size, at, len, issue_id]) = keyed.next_record()? {
        if id != group_id {
            for (f, used) in group.drain(..) {
                if !used {
                    orphan(&f, &mut out, &mut drop)?;
                }
            }
            while let Some(f) = next
                && f.id < id
            {
                orphan(&f, &mut out, &mut drop)?;
                next = listing.next_record()?.map(File7::from);
            }
            while let Some(f) = next
                && f.id == id
            {
                group.push((f, false));
                next = listing.next_record()?.map(File7::from);
            }
            group_id = id;
        }
        let keys = key_hashes.get(&project).map_or(&[][..], Vec::as_slice);
        let fits = |f: &File7| {
            f.number == number
                && keys.contains(&f.project)
                && keys.contains(&f.prefix)
                && (f.bucket == 0 || f.bucket == bucket(number))
        };
        let found = group.iter_mut().find(|(f, _)| fits(f));
        let key = table
            .projects
            .get(&project)
            .and_then(|k| k.first().cloned());
        match found {
            Some((f, used)) => {
                *used = true;
                out.present += 1;
                if size != NONE && size != f.size {
                    out.mismatched += 1;
                    if out.mismatched_examples.len() < EXAMPLES {
                        out.mismatched_examples.push(format!(
                            "{} attachment {id} ({:?}): the row says {size} bytes, the file has {}",
                            issue_key(key.as_deref(), project, number),
                            name(at, len)?,
                            f.size
                        ));
                    }
                }
            }
            None => {
                out.missing += 1;
                let label = key
                    .clone()
                    .unwrap_or_else(|| format!("[project {project}]"));
                if out.missing_by_project.contains_key(&label)
                    || out.missing_by_project.len() < MAX_PROJECTS
                {
                    *out.missing_by_project.entry(label).or_default() += 1;
                } else {
                    *out.missing_by_project
                        .entry(crate::check::size::OTHERS.to_owned())
                        .or_default() += 1;
                }
                if out.missing_examples.len() < EXAMPLES {
                    let expected = match &key {
                        Some(k) => format!("{ATTACHMENTS}{k}/{}/{k}-{number}/{id}", bucket(number)),
                        None => {
                            format!("issue {issue_id}'s project {project} is not in the backup")
                        }
                    };
                    out.missing_examples.push(format!(
                        "{} attachment {id} ({:?}; {expected})",
                        issue_key(key.as_deref(), project, number),
                        name(at, len)?
                    ));
                }
            }
        }
    }
    for (f, used) in group.drain(..) {
        if !used {
            orphan(&f, &mut out, &mut drop)?;
        }
    }
    while let Some(f) = next {
        orphan(&f, &mut out, &mut drop)?;
        next = listing.next_record()?.map(File7::from);
    }
    if files.drop_orphans || files.drop_thumbnails {
        out.drop = Some(drop.into_sorted()?);
    }
    Ok(out)
}

fn issue_key(key: Option<&str>, project: u64, number: u64) -> String {
    match key {
        Some(k) => format!("{k}-{number}"),
        None => format!("[project {project}]-{number}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::lex::AttrSpan;

    /// Feeds a Jira row given as `<Name a="v" .../>` through the table.
    fn feed(table: &mut MediaTable, row: &str) {
        // A minimal attribute lexer for the tests' well-formed rows.
        let raw = row.as_bytes();
        let name_end = row.find([' ', '/']).unwrap_or(row.len());
        let mut attrs = Vec::new();
        let mut at = name_end;
        while let Some(eq) = row[at..].find("=\"") {
            let name_start = row[..at + eq].rfind(' ').unwrap() + 1;
            let v_start = at + eq + 2;
            let v_end = v_start + row[v_start..].find('"').unwrap();
            attrs.push(AttrSpan {
                name: name_start..at + eq,
                value: v_start..v_end,
            });
            at = v_end + 1;
        }
        let tag = StartTag {
            raw,
            name_end,
            attrs: &attrs,
            removed: &[],
            offset: 0,
        };
        table.row(&tag);
    }

    #[test]
    fn names_are_placed_in_either_layout() {
        assert_eq!(
            place("ABC/10000/ABC-12/10643"),
            Place::File {
                project: "ABC",
                bucket: 10000,
                prefix: "ABC",
                number: 12,
                id: 10643
            }
        );
        assert_eq!(
            place("OLD/OLD-3/7"),
            Place::File {
                project: "OLD",
                bucket: 0,
                prefix: "OLD",
                number: 3,
                id: 7
            }
        );
        assert_eq!(
            place("ABC/10000/ABC-12/thumbs/_thumb_1.png"),
            Place::Thumbnail
        );
        assert_eq!(place("ABC/ABC-1/10100_Grüße.txt"), Place::Other);
        assert_eq!(place("loose.txt"), Place::Other);
        assert_eq!(bucket(1), 10000);
        assert_eq!(bucket(10000), 10000);
        assert_eq!(bucket(10001), 20000);
        assert_eq!(bucket(0), 10000);
    }

    #[test]
    fn rows_and_files_join_in_memory_and_spilled() {
        let dir = tempfile::tempdir().unwrap();
        for tiny in [false, true] {
            let mut t = MediaTable::new(dir.path());
            let mut files = MediaFiles::new(dir.path(), true, true);
            if tiny {
                t.rows = SortedRuns::new(dir.path(), 3);
                t.issues = SortedRuns::new(dir.path(), 2);
                files.files = SortedRuns::new(dir.path(), 5);
                files.drop = SortedRuns::new(dir.path(), 2);
            }
            // Attachments come before issues and projects, as in a backup.
            feed(
                &mut t,
                r#"<FileAttachment id="1" issue="100" filesize="10" filename="项目.xlsx"/>"#,
            );
            feed(
                &mut t,
                r#"<FileAttachment id="2" issue="100" filesize="20" filename="b"/>"#,
            );
            feed(
                &mut t,
                r#"<FileAttachment id="3" issue="101" filesize="30" filename="old"/>"#,
            );
            feed(
                &mut t,
                r#"<FileAttachment id="4" issue="102" filesize="abc" filename="bad"/>"#,
            );
            feed(
                &mut t,
                r#"<FileAttachment id="5" issue="999" filesize="1" filename="x"/>"#,
            );
            feed(
                &mut t,
                r#"<FileAttachment issue="100" filesize="1" filename="noid"/>"#,
            );
            feed(&mut t, r#"<Issue id="100" project="10" number="12"/>"#);
            feed(&mut t, r#"<Issue id="101" key="OLD-3" project="10"/>"#);
            feed(&mut t, r#"<Issue id="102" project="10" number="10001"/>"#);
            feed(&mut t, r#"<Project id="10" key="NEW"/>"#);
            feed(
                &mut t,
                r#"<ProjectKey id="1" projectId="10" projectKey="OLD"/>"#,
            );
            let mut ordinal = 0;
            let mut add = |f: &mut MediaFiles, name: &str, size| {
                f.add(name, size, ordinal);
                ordinal += 1;
            };
            add(&mut files, "data/avatars/1.png", 5);
            add(&mut files, "data/attachments/NEW/10000/NEW-12/1", 10);
            // 2 is missing; 3 lies in the old key's bucket-less folder.
            add(&mut files, "data/attachments/OLD/OLD-3/3", 31);
            add(&mut files, "data/attachments/NEW/20000/NEW-10001/4", 4);
            add(
                &mut files,
                "data/attachments/NEW/10000/NEW-12/thumbs/_thumb_1.png",
                7,
            );
            add(&mut files, "data/attachments/NEW/10000/NEW-12/77", 100);
            // A file with a row's id but in another issue's folder.
            add(&mut files, "data/attachments/NEW/10000/NEW-13/2", 20);
            let m = join(t, files).unwrap();
            assert_eq!((m.rows, m.present, m.missing, m.mismatched), (6, 3, 1, 1));
            assert_eq!(m.unresolved.count, 3, "{:?}", m.unresolved);
            assert_eq!(m.missing_by_project.get("NEW"), Some(&1));
            assert!(
                m.missing_examples[0].contains("NEW-12 attachment 2"),
                "{:?}",
                m.missing_examples
            );
            assert!(m.mismatched_examples[0].contains("says 30 bytes, the file has 31"));
            assert_eq!(
                m.orphans,
                FileCount {
                    files: 2,
                    bytes: 120
                }
            );
            assert_eq!(m.thumbnails, FileCount { files: 1, bytes: 7 });
            assert_eq!(m.files.files, 6);
            let mut drop = m.drop.unwrap();
            let mut dropped = Vec::new();
            while let Some([o]) = drop.next_record().unwrap() {
                dropped.push(o);
            }
            assert_eq!(dropped, [4, 5, 6]);
            assert_eq!(
                m.dropped,
                FileCount {
                    files: 3,
                    bytes: 127
                }
            );
        }
    }
}
