//! What `--repair-memberships` did: ids recomputed, rows dropped, rows left.

use crate::report::plural;
use serde::Serialize;
use std::fmt;

/// Rows of one kind: how many, and the first few row ids.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RowIds {
    /// Number of rows.
    pub count: u64,
    /// The `id`s of the first few, in file order.
    pub first: Vec<String>,
}

impl RowIds {
    /// Counts one row, keeping at most `keep` ids.
    pub(crate) fn add(&mut self, id: &[u8], keep: usize) {
        self.count += 1;
        if self.first.len() < keep {
            self.first.push(String::from_utf8_lossy(id).into_owned());
        }
    }
}

/// What `--repair-memberships` did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MembershipReport {
    /// `parentId` and `childId` values rewritten.
    pub ids_changed: u64,
    /// Rows with at least one id rewritten.
    pub rows_repaired: RowIds,
    /// Rows dropped because they duplicated an earlier
    /// `(parentId, childId, membershipType)` once repaired.
    pub rows_dropped: RowIds,
    /// Rows left as they were: their group or member (by lower name within
    /// the directory) is not in the backup, or the row lacks a name.
    pub unresolved: RowIds,
}

impl MembershipReport {
    /// Ids rewritten and rows dropped.
    pub(crate) fn changes(&self) -> u64 {
        self.ids_changed + self.rows_dropped.count
    }

    /// The summary lines.
    pub(super) fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self;
        writeln!(
            f,
            "  memberships: {} in {} recomputed from the names{}",
            plural(m.ids_changed, "id", "ids"),
            plural(m.rows_repaired.count, "row", "rows"),
            first_ids(&m.rows_repaired)
        )?;
        writeln!(
            f,
            "    {} dropped as duplicates{}",
            plural(m.rows_dropped.count, "row", "rows"),
            first_ids(&m.rows_dropped)
        )?;
        if m.unresolved.count > 0 {
            writeln!(
                f,
                "    {} left as they were: group or member not in the backup{}",
                plural(m.unresolved.count, "row", "rows"),
                first_ids(&m.unresolved)
            )?;
        }
        Ok(())
    }
}

/// ` (first ids 1, 2)`, or nothing when there are none.
fn first_ids(rows: &RowIds) -> String {
    if rows.first.is_empty() {
        return String::new();
    }
    format!(" (first ids {})", rows.first.join(", "))
}
