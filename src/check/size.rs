//! The size of the move, in bounded memory: rows per entity type, issues per
//! project or pages per space, attachment bytes, and app data (Active
//! Objects tables) by prefix; each table keeps at most a fixed number of
//! names and counts the rest together.

use crate::rules::app_data::ao_prefix;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most names one table keeps; the rest are counted under [`OTHERS`].
pub(crate) const MAX_NAMES: usize = 2000;

/// The name under which the names past the first 2,000 of a table are counted.
pub const OTHERS: &str = "(others)";

/// Counts by name, at most [`MAX_NAMES`] names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    by_name: BTreeMap<String, u64>,
    others: u64,
}

impl Counts {
    /// Adds `n` to `name`'s count.
    pub(crate) fn add(&mut self, name: &str, n: u64) {
        if let Some(c) = self.by_name.get_mut(name) {
            *c += n;
        } else if self.by_name.len() < MAX_NAMES {
            self.by_name.insert(name.to_owned(), n);
        } else {
            self.others += n;
        }
    }

    /// Adds every count of `other`.
    pub(crate) fn merge(&mut self, other: &Counts) {
        for (name, n) in &other.by_name {
            self.add(name, *n);
        }
        self.others += other.others;
    }

    /// Largest first (then by name), the names past the limit last.
    pub(crate) fn sorted(&self) -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> =
            self.by_name.iter().map(|(k, v)| (k.clone(), *v)).collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if self.others > 0 {
            out.push((OTHERS.to_owned(), self.others));
        }
        out
    }
}

/// [`Counts`] fed by names that come in runs, as the rows of one entity
/// follow each other in a backup: a name equal to the one before is
/// counted with one comparison, and the table is looked up once per run.
/// The tables hold what [`Counts`] fed name by name would hold.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunCounts {
    counts: Counts,
    /// The name of the current run, and how many times it came.
    name: Vec<u8>,
    run: u64,
}

impl RunCounts {
    /// Counts `name` once (as UTF-8, invalid bytes replaced).
    pub(crate) fn add(&mut self, name: &[u8]) {
        if self.run > 0 && name == self.name.as_slice() {
            self.run += 1;
            return;
        }
        self.end_run();
        self.name.clear();
        self.name.extend_from_slice(name);
        self.run = 1;
    }

    fn end_run(&mut self) {
        if self.run > 0 {
            self.counts
                .add(&String::from_utf8_lossy(&self.name), self.run);
            self.run = 0;
        }
    }

    /// As [`Counts::sorted`], the current run included.
    pub(crate) fn sorted(&self) -> Vec<(String, u64)> {
        let mut all = self.clone();
        all.end_run();
        all.counts.sorted()
    }
}

/// One app's data in `activeobjects.xml`: the tables sharing an `AO_xxxxxx`
/// prefix (one prefix per app).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AppData {
    /// The prefix, e.g. `AO_60DB71` (or [`OTHERS`]).
    pub prefix: String,
    /// Tables with data under it.
    pub tables: u64,
    /// Rows in them.
    pub rows: u64,
}

/// How big the move is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MoveSize {
    /// Rows per entity type (Jira's element names, Confluence's object
    /// classes), most first.
    pub entities: Vec<(String, u64)>,
    /// What [`MoveSize::containers`] counts: `issues` (per Jira project) or
    /// `pages` (per Confluence space), empty when neither was seen.
    pub contained: String,
    /// Issues per project key or current pages per space key, most first
    /// (an id in brackets when its project or space row is missing).
    pub containers: Vec<(String, u64)>,
    /// Attachment records in the XML.
    pub attachment_records: u64,
    /// The sum of the sizes those records state, when any states one.
    pub attachment_bytes_declared: Option<u64>,
    /// Attachment files in the backup, bytes per folder (the Jira project
    /// key of `data/attachments/KEY/...`, else the top folder), most first.
    pub attachment_files: Vec<(String, u64)>,
    /// Active Objects data by prefix, most rows first.
    pub apps: Vec<AppData>,
}

/// Where an attachment file's bytes are counted: `data/attachments/KEY/...`
/// (Jira) gives `KEY`, any other path its first folder (`attachments`).
pub(crate) fn attachment_folder(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("data/").unwrap_or(path);
    let rest = rest.strip_prefix("attachments/")?;
    if path.starts_with("data/") {
        rest.split('/').next().filter(|k| !k.is_empty())
    } else {
        Some("attachments")
    }
}

/// App data: tables and rows per prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Apps {
    tables: Counts,
    rows: Counts,
}

impl Apps {
    /// A `<data tableName=...>` element begins.
    pub(crate) fn table(&mut self, name: &str) {
        let prefix = ao_prefix(name);
        self.tables.add(prefix, 1);
        self.rows.add(prefix, 0);
    }

    /// A row of the table `name`.
    pub(crate) fn row(&mut self, name: &str) {
        self.rows.add(ao_prefix(name), 1);
    }

    /// Adds another file's app data.
    pub(crate) fn merge(&mut self, other: &Apps) {
        self.tables.merge(&other.tables);
        self.rows.merge(&other.rows);
    }

    /// Most rows first.
    pub(crate) fn summary(&self) -> Vec<AppData> {
        let tables: BTreeMap<String, u64> = self.tables.sorted().into_iter().collect();
        self.rows
            .sorted()
            .into_iter()
            .map(|(prefix, rows)| AppData {
                tables: tables.get(&prefix).copied().unwrap_or(0),
                prefix,
                rows,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What counting `names` one by one through [`Counts`] gives.
    fn one_by_one(names: &[Vec<u8>]) -> Vec<(String, u64)> {
        let mut counts = Counts::default();
        for n in names {
            counts.add(&String::from_utf8_lossy(n), 1);
        }
        counts.sorted()
    }

    proptest! {
        /// Runs of one name, runs broken and taken up again, invalid UTF-8:
        /// the table is the one name-by-name counting gives.
        #[test]
        fn runs_count_as_names_one_by_one(
            runs in prop::collection::vec((0u8..6, 1usize..5), 0..40),
        ) {
            let names: Vec<Vec<u8>> = runs
                .iter()
                .flat_map(|&(n, len)| std::iter::repeat_n(vec![b'E', n, 0xFF], len))
                .collect();
            let mut runs = RunCounts::default();
            for n in &names {
                runs.add(n);
            }
            prop_assert_eq!(runs.sorted(), one_by_one(&names));
            // Reading the table does not end the run.
            if let Some(last) = names.last() {
                runs.add(last);
                let mut more = names.clone();
                more.push(last.clone());
                prop_assert_eq!(runs.sorted(), one_by_one(&more));
            }
        }
    }

    #[test]
    fn runs_keep_the_first_names_when_the_table_is_full() {
        // More distinct names than the table keeps, each in a run of two,
        // and then the first and the last again.
        let mut names: Vec<Vec<u8>> = (0..MAX_NAMES + 50)
            .flat_map(|i| {
                let n = format!("Entity{i}").into_bytes();
                [n.clone(), n]
            })
            .collect();
        names.push(b"Entity0".to_vec());
        names.push(format!("Entity{}", MAX_NAMES + 49).into_bytes());
        let mut runs = RunCounts::default();
        for n in &names {
            runs.add(n);
        }
        let table = runs.sorted();
        assert_eq!(table, one_by_one(&names));
        assert_eq!(table.last(), Some(&(OTHERS.to_owned(), 101)));
        assert_eq!(table.first(), Some(&("Entity0".to_owned(), 3)));
    }

    #[test]
    fn folders_are_read_from_paths() {
        assert_eq!(
            attachment_folder("data/attachments/ABC/10000/1"),
            Some("ABC")
        );
        assert_eq!(
            attachment_folder("attachments/98/99/1"),
            Some("attachments")
        );
        assert_eq!(attachment_folder("entities.xml"), None);
    }

    #[test]
    fn names_past_the_limit_are_counted_together() {
        let mut c = Counts::default();
        for i in 0..MAX_NAMES + 3 {
            c.add(&format!("T{i:05}"), 1);
        }
        c.add("T00000", 5);
        let s = c.sorted();
        assert_eq!(s.len(), MAX_NAMES + 1);
        assert_eq!(s[0], ("T00000".to_string(), 6));
        assert_eq!(s.last(), Some(&(OTHERS.to_string(), 3)));
    }
}
