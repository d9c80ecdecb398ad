//! What `--drop-app-data` did to one file: the tables dropped, the
//! selectors that matched nothing, the foreign keys left dangling.

use crate::report::plural;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// One dropped table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DroppedTable {
    /// Its `<table name=...>` definition was dropped.
    pub definition: bool,
    /// Its `<data tableName=...>` blocks dropped (one in a normal file).
    pub data_blocks: u64,
    /// The `<row>`s in them.
    pub rows: u64,
}

/// A foreign key from a kept table to a dropped one: restoring the kept
/// table fails. Drop it too, or keep the other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ForeignKeyLeft {
    /// The kept table holding the key.
    pub from_table: String,
    /// The dropped table it points to.
    pub to_table: String,
}

/// What `--drop-app-data` did to one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AppDataReport {
    /// The file was Active Objects data (`<backup>`); otherwise nothing
    /// could match.
    pub app_data: bool,
    /// Dropped tables by name (at most 10,000 named).
    pub tables: BTreeMap<String, DroppedTable>,
    /// Dropped tables past those named, with their rows.
    pub more_tables: u64,
    /// Rows in [`AppDataReport::more_tables`].
    pub more_rows: u64,
    /// Selectors that matched no table in the file, as given.
    pub unmatched: Vec<String>,
    /// Kept tables with a foreign key to a dropped one (at most 100).
    pub foreign_keys_left: Vec<ForeignKeyLeft>,
}

impl AppDataReport {
    /// Elements dropped: definitions and data blocks.
    pub fn elements_dropped(&self) -> u64 {
        self.tables
            .values()
            .map(|t| u64::from(t.definition) + t.data_blocks)
            .sum::<u64>()
            + self.more_tables
    }

    /// Rows dropped with the data blocks.
    pub fn rows_dropped(&self) -> u64 {
        self.tables.values().map(|t| t.rows).sum::<u64>() + self.more_rows
    }
}

impl AppDataReport {
    /// The `--drop-app-data` lines of a report.
    pub(super) fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self;
        if !a.app_data {
            return writeln!(
                f,
                "  --drop-app-data: this file is not app data (activeobjects.xml, a .pdata): nothing dropped"
            );
        }
        let tables = a.tables.len() as u64 + a.more_tables;
        if tables > 0 {
            writeln!(
                f,
                "  app data dropped: {} with {}",
                plural(tables, "table", "tables"),
                plural(a.rows_dropped(), "row", "rows")
            )?;
            for (name, t) in a.tables.iter().take(20) {
                let what = match (t.definition, t.data_blocks) {
                    (true, 0) => "definition".to_string(),
                    (false, n) => plural(n, "data block", "data blocks"),
                    (true, n) => {
                        format!("definition and {}", plural(n, "data block", "data blocks"))
                    }
                };
                writeln!(f, "    {name}: {what}, {}", plural(t.rows, "row", "rows"))?;
            }
            if a.tables.len() > 20 {
                writeln!(f, "    ... and {} more", tables - 20)?;
            }
        }
        for s in &a.unmatched {
            writeln!(
                f,
                "  --drop-app-data {s}: no table in this file matched (backup-fix check lists the prefixes)"
            )?;
        }
        for k in &a.foreign_keys_left {
            writeln!(
                f,
                "  warning: kept table {} has a foreign key to dropped table {}: restoring it fails; drop it too, or keep {}",
                k.from_table, k.to_table, k.to_table
            )?;
        }
        Ok(())
    }
}
