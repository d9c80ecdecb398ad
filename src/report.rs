//! The record of every change a repair made: counts per kind with the first
//! locations of each, printable as a summary and serialisable as JSON.

use crate::location::Location;
use crate::rules::{
    AppDataReport, BackupFacts, ConfluenceLinkReport, LinkReport, MembershipReport, TimestampReport,
};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// How many locations each [`Tally`] keeps unless configured otherwise.
pub const DEFAULT_LOCATIONS_KEPT: usize = 5;

/// `n` and the noun for it, singular or plural: `plural(1, "entry", "entries")`
/// is "1 entry", `plural(3, "entry", "entries")` is "3 entries".
///
/// ```
/// use backup_fix::report::plural;
/// assert_eq!(plural(1, "zip", "zips"), "1 zip");
/// assert_eq!(plural(0, "entry", "entries"), "0 entries");
/// ```
pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A Unicode code point, shown and serialised as `U+001C`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CodePoint(pub u32);

impl fmt::Display for CodePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "U+{:04X}", self.0)
    }
}

impl Serialize for CodePoint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// How often one kind of change happened, and where it happened first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Tally {
    /// Number of occurrences.
    pub count: u64,
    /// The first few locations, in input order.
    pub first: Vec<Location>,
}

impl Tally {
    /// Counts one occurrence at `at`, keeping at most `keep` locations.
    pub fn add(&mut self, at: Location, keep: usize) {
        self.count += 1;
        if self.first.len() < keep {
            self.first.push(at);
        }
    }

    /// Counts `n` occurrences at consecutive bytes from `at` on (a run of one
    /// removed byte, all at the same line and column), keeping at most
    /// `keep` locations: the same as `n` calls of [`Tally::add`].
    pub(crate) fn add_run(&mut self, at: Location, n: u64, keep: usize) {
        self.count += n;
        let room = (keep.saturating_sub(self.first.len()) as u64).min(n);
        self.first.extend((0..room).map(|k| Location {
            offset: at.offset + k,
            ..at
        }));
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>, what: &dyn fmt::Display) -> fmt::Result {
        write!(f, "  {what} x {}", self.count)?;
        if let Some(at) = self.first.first() {
            write!(f, " (first at {at})")?;
        }
        writeln!(f)
    }
}

/// What was done about the input's character encoding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EncodingReport {
    /// The encoding the input declared or its byte-order mark implied, if any.
    pub declared: Option<String>,
    /// Set when the input was transcoded to UTF-8 from this encoding.
    pub transcoded_from: Option<String>,
}

/// Every change made to one XML stream.
///
/// Two repairs of the same input give equal reports, however the input was
/// split into chunks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Bytes read.
    pub input_bytes: u64,
    /// Bytes written.
    pub output_bytes: u64,
    /// Encoding handling.
    pub encoding: EncodingReport,
    /// Raw characters XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE; U+FFFF), removed.
    pub removed_chars: BTreeMap<CodePoint, Tally>,
    /// Character references to forbidden code points (`&#1;`, `&#xFFFE;`), removed.
    pub removed_char_refs: BTreeMap<CodePoint, Tally>,
    /// Invalid UTF-8 sequences, each replaced by U+FFFD (one per maximal invalid subpart).
    pub invalid_utf8: Tally,
    /// UTF-8-encoded lone surrogates (`ED A0 80` ...), each replaced by U+FFFD.
    pub lone_surrogates: Tally,
    /// Surrogate pairs encoded as two 3-byte sequences (CESU-8), re-encoded as one 4-byte character.
    pub cesu8_pairs: Tally,
    /// Bytes invalid in the declared non-UTF-8 encoding, each run replaced by U+FFFD.
    pub invalid_encoded: Tally,
    /// The XML declaration's encoding was rewritten to UTF-8.
    pub declaration_rewritten: bool,
    /// What `--tz` did, when given.
    pub timestamps: Option<TimestampReport>,
    /// What link remapping did, when asked.
    pub links: Option<LinkReport>,
    /// What became of links in Confluence page bodies, when converted.
    pub confluence_links: Option<ConfluenceLinkReport>,
    /// Global shares made visible to logged-in users only, per entity type.
    pub global_shares_restricted: BTreeMap<String, u64>,
    /// What `--repair-memberships` did, when asked.
    pub memberships: Option<MembershipReport>,
    /// What `--drop-app-data` did, when asked.
    pub app_data: Option<AppDataReport>,
    /// What the backup states about itself.
    pub backup: BackupFacts,
}

impl Report {
    /// Number of changes of every kind.
    pub fn changes(&self) -> u64 {
        let per_char: u64 = self
            .removed_chars
            .values()
            .chain(self.removed_char_refs.values())
            .map(|t| t.count)
            .sum();
        let times = self.timestamps.as_ref().map_or(0, |t| {
            t.shifted.values().sum::<u64>() + t.zone_markers.len() as u64
        });
        let links = self
            .links
            .as_ref()
            .map_or(0, |l| l.mappings.iter().map(|m| m.count).sum());
        let page_links = self.confluence_links.as_ref().map_or(0, |c| {
            c.made_internal + c.attachments_linked + c.left_as_urls
        });
        per_char
            + self.invalid_utf8.count
            + self.lone_surrogates.count
            + self.cesu8_pairs.count
            + self.invalid_encoded.count
            + u64::from(self.declaration_rewritten)
            + times
            + links
            + page_links
            + self.global_shares_restricted.values().sum::<u64>()
            + self
                .memberships
                .as_ref()
                .map_or(0, |m| m.ids_changed + m.rows_dropped.count)
            + self
                .app_data
                .as_ref()
                .map_or(0, AppDataReport::elements_dropped)
    }

    /// True when the output is byte-for-byte the input.
    pub fn is_unchanged(&self) -> bool {
        self.changes() == 0 && self.encoding.transcoded_from.is_none()
    }
}

impl fmt::Display for Report {
    /// A short human summary, one line per kind of change.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_unchanged() {
            writeln!(
                f,
                "no changes needed: {} bytes copied unchanged",
                self.input_bytes
            )?;
            if let Some(a) = &self.app_data {
                write_app_data(f, a)?;
            }
            return Ok(());
        }
        writeln!(
            f,
            "{}; {} bytes in, {} bytes out",
            plural(self.changes(), "change", "changes"),
            self.input_bytes,
            self.output_bytes
        )?;
        if let Some(from) = &self.encoding.transcoded_from {
            writeln!(f, "  transcoded from {from} to UTF-8")?;
        }
        if self.declaration_rewritten {
            writeln!(f, "  XML declaration now says encoding=\"UTF-8\"")?;
        }
        for (cp, t) in &self.removed_chars {
            t.describe(f, &format_args!("removed {cp}"))?;
        }
        for (cp, t) in &self.removed_char_refs {
            t.describe(f, &format_args!("removed reference to {cp}"))?;
        }
        let kinds: [(&Tally, &str); 4] = [
            (&self.invalid_utf8, "invalid UTF-8 replaced by U+FFFD"),
            (&self.lone_surrogates, "lone surrogate replaced by U+FFFD"),
            (&self.cesu8_pairs, "CESU-8 surrogate pair re-encoded"),
            (
                &self.invalid_encoded,
                "undecodable bytes replaced by U+FFFD",
            ),
        ];
        for (t, what) in kinds {
            if t.count > 0 {
                t.describe(f, &what)?;
            }
        }
        if let Some(t) = &self.timestamps {
            let shifted: u64 = t.shifted.values().sum();
            writeln!(
                f,
                "  timestamps: {shifted} shifted from {} ({}) to UTC, tz database {}",
                t.zone, t.zone_source, t.tzdb_version
            )?;
            for (field, n) in &t.shifted {
                writeln!(f, "    {field} x {n}")?;
            }
            let kept: u64 =
                t.kept_date_only.values().sum::<u64>() + t.kept_strings.values().sum::<u64>();
            if kept > 0 {
                writeln!(f, "    left alone: {kept} date-only or string values")?;
            }
            if t.gaps.count + t.overlaps.count > 0 {
                writeln!(
                    f,
                    "    daylight saving: {} in a gap (moved later), {} in an overlap (earlier instant)",
                    t.gaps.count, t.overlaps.count
                )?;
            }
            for m in &t.zone_markers {
                writeln!(f, "    zone statement set to UTC: {m}")?;
            }
            if let Some(stated) = &t.stated_zone {
                writeln!(
                    f,
                    "  warning: the backup states its zone is {stated}, not {}; if it was fixed before, --tz shifted it twice",
                    t.zone
                )?;
            }
        }
        if let Some(l) = &self.links {
            for m in &l.mappings {
                writeln!(f, "  links: {} -> {} x {}", m.from, m.to, m.count)?;
            }
            if !l.other_hosts.is_empty() {
                let hosts: Vec<String> = l
                    .other_hosts
                    .iter()
                    .map(|(h, n)| format!("{h} x {n}"))
                    .collect();
                writeln!(
                    f,
                    "  links to other hosts (not remapped): {}",
                    hosts.join(", ")
                )?;
            }
        }
        if let Some(c) = &self.confluence_links {
            writeln!(
                f,
                "  page links: {} made internal, {} attachment links, {} left as URLs (pages not in the export), {} short links decoded, {} unknown short codes",
                c.made_internal,
                c.attachments_linked,
                c.left_as_urls,
                c.short_links_expanded,
                c.unknown_codes
            )?;
            if c.escaped_bodies > 0 {
                writeln!(
                    f,
                    "    {} page bodies are escaped text, not CDATA: their links were only remapped",
                    c.escaped_bodies
                )?;
            }
        }
        for (entity, n) in &self.global_shares_restricted {
            writeln!(
                f,
                "  global shares restricted to logged-in users: {entity} x {n}"
            )?;
        }
        if let Some(m) = &self.memberships {
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
        }
        if let Some(a) = &self.app_data {
            write_app_data(f, a)?;
        }
        Ok(())
    }
}

/// The `--drop-app-data` lines of a report.
fn write_app_data(f: &mut fmt::Formatter<'_>, a: &AppDataReport) -> fmt::Result {
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
                (true, n) => format!("definition and {}", plural(n, "data block", "data blocks")),
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

/// ` (first ids 1, 2)`, or nothing when there are none.
fn first_ids(rows: &crate::rules::RowIds) -> String {
    if rows.first.is_empty() {
        return String::new();
    }
    format!(" (first ids {})", rows.first.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_keeps_only_the_first_locations() {
        let mut t = Tally::default();
        for i in 0..10 {
            t.add(
                Location {
                    line: i,
                    column: 1,
                    offset: i,
                },
                3,
            );
        }
        assert_eq!(t.count, 10);
        assert_eq!(
            t.first.iter().map(|l| l.line).collect::<Vec<_>>(),
            [0, 1, 2]
        );
    }

    #[test]
    fn json_names_code_points_as_u_plus() {
        let mut r = Report::default();
        r.removed_chars
            .entry(CodePoint(0x1c))
            .or_default()
            .add(Location::default(), 1);
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"U+001C\":{\"count\":1"), "{json}");
        assert_eq!(r.changes(), 1);
        assert!(r.to_string().contains("removed U+001C x 1"));
    }
}
