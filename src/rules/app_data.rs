//! `--drop-app-data`: the tables of chosen apps (an Active Objects prefix
//! such as `AO_60DB71`, or one full table name) leave `activeobjects.xml`
//! and Confluence's `.pdata`, definitions and data blocks alike, through
//! the engine's element drop; everything else stays byte for byte.
//!
//! Active Objects data is `<backup>` with one `<table name="AO_...">`
//! definition and one `<data tableName="AO_...">` block per table, both
//! children of the root. A kept table whose definition holds a
//! `<foreignKey toTable=...>` to a dropped one would make the restore fail,
//! so such keys are reported.

use crate::error::Error;
use crate::report::{AppDataReport, DroppedTable, ForeignKeyLeft, Product, Report};
use crate::rules::Rule;
use crate::rules::context::Context;
use crate::xml::rules::{Edits, StartTag};

/// Most dropped tables named in a report; the rest are counted together.
const MAX_TABLES: usize = 10_000;

/// The app prefix of an Active Objects table name: `AO_60DB71_ISSUE` gives
/// `AO_60DB71`; a name without one is its own prefix.
pub(crate) fn ao_prefix(table: &str) -> &str {
    let mut parts = table.match_indices('_');
    let ao = table
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("AO_"));
    match (parts.next(), parts.next()) {
        (Some(_), Some((second, _))) if ao => &table[..second],
        _ => table,
    }
}

/// Which app tables to drop: an app's prefix (`AO_60DB71`, all its tables)
/// or one table (`AO_60DB71_SPRINT`).
///
/// ```
/// use backup_fix::AppDataSelector;
/// let app = AppDataSelector::parse("AO_60DB71")?;
/// assert!(app.matches("AO_60DB71_SPRINT"));
/// assert!(app.matches("ao_60db71_rapidview"));
/// assert!(!app.matches("AO_60DB72_SPRINT"));
/// let table = AppDataSelector::parse("AO_60DB71_SPRINT")?;
/// assert!(!table.matches("AO_60DB71_RAPIDVIEW"));
/// assert!(AppDataSelector::parse("60DB71").is_err());
/// # Ok::<(), backup_fix::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppDataSelector {
    given: String,
    /// Upper-case prefix (`AO_60DB71`) or table name.
    key: String,
    whole_app: bool,
}

impl AppDataSelector {
    /// Parses `AO_` and six hex digits (an app), optionally followed by `_`
    /// and a table's name (one table). Case does not matter.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::BadAppDataSelector {
            given: s.to_string(),
            why: why.to_string(),
        };
        let upper = s.trim().to_ascii_uppercase();
        let Some(rest) = upper.strip_prefix("AO_") else {
            return Err(bad("an app's tables start with AO_"));
        };
        let hex = rest.get(..6).unwrap_or(rest);
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("AO_ must be followed by the app's six hex digits"));
        }
        let table = &rest[6..];
        let whole_app = table.is_empty() || table == "_";
        if !whole_app
            && (!table.starts_with('_')
                || !table[1..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        {
            return Err(bad(
                "after the prefix comes _ and the table's name (letters, digits, _)",
            ));
        }
        let key = if whole_app {
            format!("AO_{hex}")
        } else {
            upper.clone()
        };
        Ok(Self {
            given: s.trim().to_string(),
            key,
            whole_app,
        })
    }

    /// The selector as given.
    pub fn as_str(&self) -> &str {
        &self.given
    }

    /// Whether the table `name` is selected.
    pub fn matches(&self, name: &str) -> bool {
        if self.whole_app {
            ao_prefix(name).eq_ignore_ascii_case(&self.key)
        } else {
            name.eq_ignore_ascii_case(&self.key)
        }
    }
}

/// Most foreign keys reported.
const MAX_FOREIGN_KEYS: usize = 100;

/// The rule: drops the selected tables' elements at depth 1 of an Active
/// Objects file and counts what went.
#[derive(Debug)]
pub(crate) struct AppDataDrop {
    selectors: Vec<AppDataSelector>,
    matched: Vec<bool>,
    pub(crate) report: AppDataReport,
    /// Inside a dropped data block: its table's name (rows count there).
    in_dropped_data: Option<String>,
    /// Inside a kept table definition: its name (its foreign keys are checked).
    in_kept_table: Option<String>,
}

impl AppDataDrop {
    pub(crate) fn new(selectors: Vec<AppDataSelector>) -> Self {
        Self {
            matched: vec![false; selectors.len()],
            selectors,
            report: AppDataReport::default(),
            in_dropped_data: None,
            in_kept_table: None,
        }
    }

    /// The root element was read: the file is Active Objects data.
    pub(crate) fn app_data_root(&mut self) {
        self.report.app_data = true;
    }

    fn selected(&mut self, table: &str) -> bool {
        let mut any = false;
        for (s, hit) in self.selectors.iter().zip(self.matched.iter_mut()) {
            if s.matches(table) {
                *hit = true;
                any = true;
            }
        }
        any
    }

    fn entry(&mut self, table: &str) -> Option<&mut DroppedTable> {
        if !self.report.tables.contains_key(table) {
            if self.report.tables.len() >= MAX_TABLES {
                return None;
            }
            self.report
                .tables
                .insert(table.to_string(), DroppedTable::default());
        }
        self.report.tables.get_mut(table)
    }

    /// A start tag of an Active Objects file at `depth` (the root at 0).
    pub(crate) fn tag(&mut self, tag: &StartTag<'_>, depth: usize, edits: &mut Edits) {
        match (depth, tag.name()) {
            (1, name) => {
                self.in_dropped_data = None;
                self.in_kept_table = None;
                let (is_data, attr) = match name {
                    b"table" => (false, &b"name"[..]),
                    b"data" => (true, &b"tableName"[..]),
                    _ => return,
                };
                let Some(table) = tag.attr_text(attr) else {
                    return;
                };
                if !self.selected(&table) {
                    if !is_data {
                        self.in_kept_table = Some(table);
                    }
                    return;
                }
                edits.drop_element();
                match self.entry(&table) {
                    Some(t) if is_data => t.data_blocks += 1,
                    Some(t) => t.definition = true,
                    None => self.report.more_tables += 1,
                }
                if is_data {
                    self.in_dropped_data = Some(table);
                }
            }
            (2, b"row") => {
                if let Some(table) = self.in_dropped_data.clone() {
                    match self.entry(&table) {
                        Some(t) => t.rows += 1,
                        None => self.report.more_rows += 1,
                    }
                }
            }
            (2, b"foreignKey") if self.in_kept_table.is_some() => {
                if let Some(to) = tag.attr_text(b"toTable")
                    && self.selectors.iter().any(|s| s.matches(&to))
                    && self.report.foreign_keys_left.len() < MAX_FOREIGN_KEYS
                {
                    let from = tag
                        .attr_text(b"fromTable")
                        .or_else(|| self.in_kept_table.clone())
                        .unwrap_or_default();
                    let key = ForeignKeyLeft {
                        from_table: from,
                        to_table: to,
                    };
                    if !self.report.foreign_keys_left.contains(&key) {
                        self.report.foreign_keys_left.push(key);
                    }
                }
            }
            _ => {}
        }
    }

    /// The report, with the selectors that matched nothing.
    pub(crate) fn finish_report(&self) -> AppDataReport {
        let mut r = self.report.clone();
        r.unmatched = self
            .selectors
            .iter()
            .zip(&self.matched)
            .filter(|(_, hit)| !**hit)
            .map(|(s, _)| s.as_str().to_string())
            .collect();
        r
    }
}

impl Rule for AppDataDrop {
    fn ignores_blank_text(&self, _cx: &Context) -> bool {
        // No text hooks: text passes as it is.
        true
    }

    fn drops(&self) -> bool {
        true
    }

    fn start_tag(
        &mut self,
        cx: &Context,
        depth: usize,
        tag: &StartTag<'_>,
        edits: &mut Edits,
    ) -> Result<(), Error> {
        if cx.product() == Some(Product::ActiveObjects) {
            if depth == 0 {
                self.app_data_root();
            } else {
                self.tag(tag, depth, edits);
            }
        }
        Ok(())
    }

    fn report(&self, _cx: &Context, report: &mut Report) {
        report.app_data = Some(self.finish_report());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_name_an_app_or_one_table() {
        let app = AppDataSelector::parse("ao_60db71_").unwrap();
        assert!(app.matches("AO_60DB71_SPRINT"));
        assert!(app.matches("AO_60DB71"));
        assert!(!app.matches("AO_60DB7_X"));
        let table = AppDataSelector::parse("AO_60DB71_SPRINT").unwrap();
        assert!(table.matches("ao_60db71_sprint"));
        assert!(!table.matches("AO_60DB71_SPRINT2"));
        for bad in [
            "",
            "AO_",
            "AO_60DB7",
            "AO_60DB7G",
            "AO_60DB71X",
            "AO_60DB71_A-B",
            "X_60DB71",
        ] {
            let e = AppDataSelector::parse(bad).unwrap_err();
            assert!(e.to_string().contains("--drop-app-data"), "{e}");
        }
    }

    #[test]
    fn prefixes_are_read_from_names() {
        assert_eq!(ao_prefix("AO_60DB71_ISSUERANKING"), "AO_60DB71");
        assert_eq!(ao_prefix("AO_60DB71"), "AO_60DB71");
        assert_eq!(ao_prefix("PLAIN_TABLE"), "PLAIN_TABLE");
        assert_eq!(ao_prefix("ao_60db71_sprint"), "ao_60db71");
    }
}
