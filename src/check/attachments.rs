//! Confluence attachment records against the files of an export, in bounded
//! memory however many there are: the records (from `entities.xml`), their
//! `FILESIZE` content properties, and the files (from the zip's directory or
//! the unpacked tree) each go to sorted runs that spill to disk past a small
//! budget, and are merge-joined at the end. Only counts and the first
//! examples are kept; titles wait in a temporary file until an example
//! needs one.

use crate::spill::{SortedRuns, Texts};
use std::io;
use std::path::{Path, PathBuf};

/// Records held in memory before a sorted run goes to disk, per table.
const IN_MEMORY: usize = 64 << 10;
/// "None" in a numeric column.
const NONE: u64 = u64::MAX;
/// Most examples kept per finding.
pub(crate) const EXAMPLES: usize = 5;

/// One attachment record as `entities.xml` states it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AttachmentRecord {
    pub(crate) id: u64,
    /// The page (or other content) it belongs to.
    pub(crate) container: Option<u64>,
    /// The first version's id (files of later versions live under it).
    pub(crate) original: Option<u64>,
    pub(crate) version: u64,
    /// Declared size (`fileSize`), when the record has one.
    pub(crate) size: Option<u64>,
    /// Its content properties (one may be `FILESIZE`).
    pub(crate) properties: Vec<u64>,
    pub(crate) title: String,
    /// Whether it is trashed (`contentStatus` `deleted`).
    pub(crate) deleted: bool,
}

/// The attachment records of an export and their size properties.
pub(crate) struct Ledger {
    /// [ordinal, container, first version's id, version, size, deleted, title at, title length]
    records: SortedRuns<8>,
    /// [property id, record ordinal] of records without a `fileSize`.
    wanted: SortedRuns<2>,
    /// [property id, size] of every `FILESIZE` property.
    sizes: SortedRuns<2>,
    titles: Texts,
    count: u64,
    dir: PathBuf,
    failed: Option<io::Error>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("count", &self.count)
            .finish()
    }
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger::new(&std::env::temp_dir())
    }
}

impl Ledger {
    /// An empty ledger whose runs spill to `dir`.
    pub(crate) fn new(dir: &Path) -> Self {
        Ledger {
            records: SortedRuns::new(dir, IN_MEMORY),
            wanted: SortedRuns::new(dir, IN_MEMORY * 2),
            sizes: SortedRuns::new(dir, IN_MEMORY * 2),
            titles: Texts::new(dir),
            count: 0,
            dir: dir.to_path_buf(),
            failed: None,
        }
    }

    /// Number of records.
    pub(crate) fn len(&self) -> u64 {
        self.count
    }

    fn keep(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.failed.get_or_insert(e);
        }
    }

    /// Adds a record.
    pub(crate) fn record(&mut self, r: AttachmentRecord) {
        let ordinal = self.count;
        self.count += 1;
        let written = self.titles.push(&r.title);
        let (at, title_len) = *written.as_ref().unwrap_or(&(0, 0));
        self.keep(written.map(|_| ()));
        if r.size.is_none() {
            for p in &r.properties {
                let pushed = self.wanted.push([*p, ordinal]);
                self.keep(pushed);
            }
        }
        let row = [
            ordinal,
            r.container.unwrap_or(NONE),
            r.original.unwrap_or(r.id),
            r.version,
            r.size.unwrap_or(NONE),
            u64::from(r.deleted),
            at,
            title_len,
        ];
        let pushed = self.records.push(row);
        self.keep(pushed);
    }

    /// Notes a `FILESIZE` content property.
    pub(crate) fn size_property(&mut self, id: u64, size: u64) {
        let pushed = self.sizes.push([id, size]);
        self.keep(pushed);
    }
}

/// Files under `attachments/` as (container, attachment, version, size).
pub(crate) struct Files {
    files: SortedRuns<4>,
    /// Whether the listing is complete (false when a directory could not be read).
    pub(crate) complete: bool,
    failed: Option<io::Error>,
}

impl Files {
    /// An empty listing whose runs spill to `dir`.
    pub(crate) fn new(dir: &Path) -> Self {
        Files {
            files: SortedRuns::new(dir, IN_MEMORY * 4),
            complete: true,
            failed: None,
        }
    }

    /// Records `name` (relative to the export's root) if it is an attachment file.
    pub(crate) fn add(&mut self, name: &str, size: u64) {
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
}

/// What the join found.
#[derive(Debug, Default)]
pub(crate) struct Matched {
    /// Records whose file is there.
    pub(crate) present: u64,
    /// Trashed records without a file (normal).
    pub(crate) trashed: u64,
    /// Records without a file, and the first of them (path and title).
    pub(crate) missing: u64,
    pub(crate) missing_examples: Vec<String>,
    /// Files whose size differs from their record's, and the first of them.
    pub(crate) mismatched: u64,
    pub(crate) mismatched_examples: Vec<String>,
}

fn path_of(c: u64, a: u64, v: u64) -> String {
    format!("attachments/{c}/{a}/{v}")
}

/// Joins the records of `ledger` with the `files` present.
pub(crate) fn join(ledger: Ledger, files: Files) -> io::Result<Matched> {
    if let Some(e) = ledger.failed.or(files.failed) {
        return Err(e);
    }
    let dir = ledger.dir;
    // 1. Sizes from FILESIZE properties, by record ordinal.
    let mut resolved: SortedRuns<2> = SortedRuns::new(&dir, IN_MEMORY * 2);
    let mut wanted = ledger.wanted.into_sorted()?;
    let mut sizes = ledger.sizes.into_sorted()?;
    let mut size = sizes.next_record()?;
    while let Some([prop, ordinal]) = wanted.next_record()? {
        while let Some([id, _]) = size
            && id < prop
        {
            size = sizes.next_record()?;
        }
        if let Some([id, bytes]) = size
            && id == prop
        {
            resolved.push([ordinal, bytes])?;
        }
    }
    // 2. Records with their sizes, by the key of their file.
    let mut keyed: SortedRuns<7> = SortedRuns::new(&dir, IN_MEMORY);
    let mut records = ledger.records.into_sorted()?;
    let mut resolved = resolved.into_sorted()?;
    let mut next_size = resolved.next_record()?;
    while let Some([ordinal, c, a, v, stated, deleted, at, len]) = records.next_record()? {
        let mut size = stated;
        while let Some([o, bytes]) = next_size
            && o <= ordinal
        {
            if o == ordinal && size == NONE {
                size = bytes;
            }
            next_size = resolved.next_record()?;
        }
        if c != NONE {
            keyed.push([c, a, v, size, deleted, at, len])?;
        }
    }
    // 3. Records against files.
    let mut titles = ledger.titles.into_reader()?;
    let mut title = |at: u64, len: u64| titles.get(at, len);
    let mut out = Matched::default();
    let mut keyed = keyed.into_sorted()?;
    let mut listing = files.files.into_sorted()?;
    let mut file = listing.next_record()?;
    while let Some([c, a, v, stated, deleted, at, len]) = keyed.next_record()? {
        while let Some(f) = file
            && (f[0], f[1], f[2]) < (c, a, v)
        {
            file = listing.next_record()?;
        }
        match file {
            Some(f) if (f[0], f[1], f[2]) == (c, a, v) => {
                out.present += 1;
                let actual = f[3];
                if stated != NONE && stated != actual {
                    out.mismatched += 1;
                    if out.mismatched_examples.len() < EXAMPLES {
                        out.mismatched_examples.push(format!(
                            "{} ({:?}): the record says {stated} bytes, the file has {actual}",
                            path_of(c, a, v),
                            title(at, len)?
                        ));
                    }
                }
            }
            // Exports may leave out the files of trashed attachments.
            _ if deleted != 0 => out.trashed += 1,
            _ => {
                out.missing += 1;
                if out.missing_examples.len() < EXAMPLES {
                    out.missing_examples.push(format!(
                        "{} ({:?})",
                        path_of(c, a, v),
                        title(at, len)?
                    ));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(
        id: u64,
        container: u64,
        version: u64,
        size: Option<u64>,
        props: &[u64],
    ) -> AttachmentRecord {
        AttachmentRecord {
            id,
            container: Some(container),
            original: None,
            version,
            size,
            properties: props.to_vec(),
            title: format!("file-{id}.png"),
            deleted: false,
        }
    }

    #[test]
    fn records_and_files_join_in_memory_and_spilled() {
        let dir = tempfile::tempdir().unwrap();
        for budget_scale in [false, true] {
            let mut ledger = Ledger::new(dir.path());
            let mut files = Files::new(dir.path());
            if budget_scale {
                // Tiny budgets: every table spills to many runs.
                ledger.records = SortedRuns::new(dir.path(), 3);
                ledger.wanted = SortedRuns::new(dir.path(), 2);
                ledger.sizes = SortedRuns::new(dir.path(), 2);
                files.files = SortedRuns::new(dir.path(), 5);
            }
            for i in 0..200u64 {
                // Even ids state their size; odd ones through a property.
                let size = (i % 2 == 0).then_some(100 + i);
                ledger.record(rec(1000 + i, 7, 1, size, &[5000 + i, 9000 + i]));
                if i % 2 == 1 {
                    ledger.size_property(9000 + i, 100 + i);
                }
                // File 13 is missing, file 17 has the wrong size.
                if i != 13 {
                    files.add(
                        &format!("attachments/7/{}/1", 1000 + i),
                        if i == 17 { 1 } else { 100 + i },
                    );
                }
            }
            let mut trashed = rec(5, 7, 1, None, &[]);
            trashed.deleted = true;
            ledger.record(trashed);
            files.add("attachments/not/a/file", 1);
            let m = join(ledger, files).unwrap();
            assert_eq!(
                (m.present, m.missing, m.mismatched, m.trashed),
                (199, 1, 1, 1)
            );
            assert_eq!(
                m.missing_examples,
                ["attachments/7/1013/1 (\"file-1013.png\")"]
            );
            assert!(
                m.mismatched_examples[0].contains("says 117 bytes, the file has 1"),
                "{:?}",
                m.mismatched_examples
            );
        }
    }
}
