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
